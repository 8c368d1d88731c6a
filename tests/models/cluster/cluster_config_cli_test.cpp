// The cluster's quantum mode (same outputs, cycles close to lockstep, deterministic), its
// YAML configuration (the shipped file equals the defaults, every key documented, bad
// input is a clear error) and the `slmsim cluster` command.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "models/cluster/cluster_config.h"
#include "tests/common/cli.h"
#include "tests/models/cluster/cluster_config_harness.h"
#include "tests/models/cluster/cluster_harness.h"
#include "workloads/common/error.h"

#include <nlohmann/json.hpp>

using namespace slm;
using namespace slm::test;

namespace {
std::string src(const std::string& rel) { return std::string(SLMSIM_SOURCE_DIR) + "/" + rel; }
}  // namespace

TEST(ClusterQuantum, SameOutputsCyclesWithinTwoPercentOfLockstepDeterministic) {
  const auto elf = rv32_program("cluster_kernels");
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const Gemm g = random_gemm(2, 256, 128, 77);
  const auto gold = golden_gemm(g);
  for (uint32_t op : {1u, 2u}) {
    cluster::ClusterConfig lock, fast;
    fast.quantum_cycles = 64;
    const auto a = run_cluster_gemm(elf, g, op, 8, 16000, lock);
    const auto b = run_cluster_gemm(elf, g, op, 8, 16000, fast);
    const auto b2 = run_cluster_gemm(elf, g, op, 8, 16000, fast);
    EXPECT_EQ(a.y, gold);
    EXPECT_EQ(b.y, gold);
    EXPECT_EQ(b.r.cycles, b2.r.cycles);
    EXPECT_EQ(b.r.instructions, b2.r.instructions);
    EXPECT_LT(std::abs(double(b.r.cycles) - double(a.r.cycles)), 0.02 * double(a.r.cycles))
        << "op " << op << ": lockstep " << a.r.cycles << ", quantum " << b.r.cycles;
  }
}

TEST(ClusterConfigFile, ShippedFileEqualsDefaultsAndEveryKeyIsDocumented) {
  const auto path = src("configs/cluster/siracusa.yaml");
  const cluster::ClusterConfig f = cluster::load_config(path), d;
  EXPECT_EQ(f.cores, d.cores);
  EXPECT_EQ(f.controller, d.controller);
  EXPECT_EQ(f.l1_size_bytes, d.l1_size_bytes);
  EXPECT_EQ(f.l1_banks, d.l1_banks);
  EXPECT_EQ(f.l2_size_bytes, d.l2_size_bytes);
  EXPECT_EQ(f.l2_latency_cycles, d.l2_latency_cycles);
  EXPECT_EQ(f.periph_latency_cycles, d.periph_latency_cycles);
  EXPECT_EQ(f.neureka_reg_latency_cycles, d.neureka_reg_latency_cycles);
  EXPECT_EQ(d.periph_latency_cycles, 0u) << "GVSoC: pe_ico latency 0, the event unit and MCHAN answer at once";
  EXPECT_EQ(d.neureka_reg_latency_cycles, 2u) << "GVSoC: cluster_ico latency 2";
  EXPECT_EQ(f.barrier_wake_cycles, d.barrier_wake_cycles);
  EXPECT_EQ(f.dma_setup_cycles, d.dma_setup_cycles);
  EXPECT_EQ(f.dma_bytes_per_cycle, d.dma_bytes_per_cycle);
  EXPECT_EQ(f.quantum_cycles, d.quantum_cycles);
  EXPECT_EQ(f.icache, d.icache);  // the other icache keys: ClusterIcache.DefaultsAreGvsocsSiracusaCacheAndTheShippedFile
  EXPECT_TRUE(f.timing == d.timing);
  const std::string yaml = read_file(path), doc = read_file(src("docs/siracusa.md"));
  for (const auto& k : cluster::config_keys()) {
    const std::string p = k.path, leaf = p.substr(p.rfind('.') + 1);
    EXPECT_NE(yaml.find(leaf + ":"), std::string::npos) << p << " missing from configs/cluster/siracusa.yaml";
    EXPECT_NE(doc.find("`" + p + "`"), std::string::npos) << p << " missing from docs/siracusa.md";
  }
}

TEST(ClusterConfigFile, BadInputIsAClearError) {
  const auto expect_error = expect_cluster_config_error;
  expect_error("cluster:\n  l1:\n    bankz: 16\n", "cluster.l1.bankz: unknown key");
  expect_error("cluster:\n  cores: 12\n", "cluster.cores = 12: must be in [1, 8]");
  expect_error("cluster:\n  neureka:\n    reg_latency_cycles: 2000\n", "cluster.neureka.reg_latency_cycles = 2000");
  expect_error("cluster:\n  l1:\n    banks: 12\n", "l1_banks = 12");
  expect_error("cluster:\n  dma:\n    bytes_per_cycle: fast\n", "cluster.dma.bytes_per_cycle = 'fast'");
  expect_error("iss:\n  cores: 1\n", "expected a top-level 'cluster:'");
  expect_error("cluster:\n  cores: 2\nextra: 1\n", "unknown top-level key 'extra'");
  // YAML complex keys (found by fuzz_int_config: a raw yaml-cpp conversion error escaped).
  expect_error("cluster:\n  ? [a, b]\n  : 1\n", "line 2: a key under 'cluster' is not a plain name");
  expect_error("? [x]\n: 1\ncluster:\n  cores: 2\n", "line 1: a key at the top level is not a plain name");
}

TEST(ClusterCli, RunsMicroLlamaProjectionsAndReportsBitExact) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto r = run_slmsim("cluster --cores 2 --config " + src("configs/cluster/siracusa.yaml"));
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* s : {"wq ", "w1 ", "w2 ", "bank-stall", "barrier", "dma-wait", "M simulated instructions/s",
                        "bit-exact with golden::matmul: yes"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  const auto jpath = std::filesystem::temp_directory_path() / ("cluster_cli_" + std::to_string(::getpid()) + ".json");
  const auto u = run_slmsim("cluster --cores 8 --shape 100x36 --shape 64x64 --tokens 2 --variant untiled --quantum 32 --json " + jpath.string());
  EXPECT_EQ(u.status, 0) << u.err;
  EXPECT_NE(u.out.find("bit-exact with golden::matmul: yes"), std::string::npos) << u.out;
  const auto j = nlohmann::json::parse(read_file(jpath));
  std::filesystem::remove(jpath);
  ASSERT_EQ(j.at("shapes").size(), 2u);
  EXPECT_EQ(j.at("shapes")[0].at("n"), 100);
  EXPECT_EQ(j.at("shapes")[0].at("cores").size(), 8u);
  EXPECT_TRUE(j.at("bit_exact").get<bool>());
  uint64_t sum = 0;
  for (const auto& s : j.at("shapes")) sum += s.at("cycles").get<uint64_t>();
  EXPECT_EQ(j.at("total").at("cycles").get<uint64_t>(), sum);
  EXPECT_NE(u.out.find(std::to_string(j.at("shapes")[1].at("cycles").get<uint64_t>())), std::string::npos) << "same numbers as the table";
}

// The CLI's own bit-exact check can fail: a flipped weight bit in L2 is reported, exit 1.
TEST(ClusterCli, AFlippedWeightBitFailsTheBitExactCheck) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  auto r = run_slmsim("cluster --shape 64x64 --cores 2");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact with golden::matmul: yes"), std::string::npos) << r.out;
  r = run_slmsim("cluster --shape 64x64 --cores 2 --fault 100:7");  // the sign bit: a small change can round away
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("bit-exact with golden::matmul: NO"), std::string::npos) << r.out;
  r = run_slmsim("cluster --shape 64x64 --fault 5000:1");  // 64 x 64 = 4096 weights
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("outside shape"), std::string::npos) << r.err;
  r = run_slmsim("cluster --shape 64x64 --fault 3:8");
  EXPECT_EQ(r.status, 2);
}

// The N-EUREKA variants: weights in the weight memory or moved into L1; the verdict can fail
// (a flipped weight bit in the weight memory); the JSON has the engine's counters.
TEST(ClusterCli, NeurekaVariantsAreBitExactAndTheVerdictCanFail) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto jpath = std::filesystem::temp_directory_path() / ("cluster_ne_" + std::to_string(::getpid()) + ".json");
  auto r = run_slmsim("cluster --shape 64x64 --tokens 4 --variant neureka --json " + jpath.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact with golden::matmul: yes"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(read_file(jpath));
  std::filesystem::remove(jpath);
  const auto& ne = j.at("shapes")[0].at("neureka");
  EXPECT_EQ(ne.at("jobs"), 1);
  EXPECT_EQ(ne.at("macs"), 4 * 64 * 64);
  EXPECT_EQ(ne.at("wmem_read_bytes").get<uint64_t>() > 0, true);
  r = run_slmsim("cluster --shape 64x64 --variant neureka-l1");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact with golden::matmul: yes"), std::string::npos) << r.out;
  r = run_slmsim("cluster --shape 64x64 --variant neureka --fault 100:7");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("bit-exact with golden::matmul: NO"), std::string::npos) << r.out;
  r = run_slmsim("cluster --shape 64x64 --variant neureka --repeat 2");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("run each shape once"), std::string::npos) << r.err;
}

TEST(ClusterCli, BadInputExits2AndTooSmallL1Exits125) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  auto r = run_slmsim("cluster --shape 64by64");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--shape '64by64'"), std::string::npos) << r.err;
  r = run_slmsim("cluster --cores 9");
  EXPECT_EQ(r.status, 2);
  r = run_slmsim("cluster --program /nonexistent.elf");
  EXPECT_EQ(r.status, 2);
  r = run_slmsim("cluster --shape 64x64 --max-cycles 500");
  EXPECT_EQ(r.status, 124);
  EXPECT_NE(r.err.find("cycle limit 500 reached"), std::string::npos) << r.err;
  r = run_slmsim("cluster --shape 64x64 --l1-budget 100");
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("kernel exit code 3"), std::string::npos) << r.err;
}
