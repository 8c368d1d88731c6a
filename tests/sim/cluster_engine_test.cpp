// The RISC-V cluster engine (sim/engine/cluster_engine.h) in `slmsim run`: microllama and the
// real stories260K run end to end on configs/mcu-siracusa.yaml with every op's values computed
// by the cross-compiled kernels on the ISS cores, bit-exact with golden on 1 and 8 cores; a
// flipped weight bit in simulated memory fails the verdict; cycles are deterministic; 8 cores
// take fewer cycles than 1; unsupported ops and precisions are refused with a clear message.
#include <string>

#include <gtest/gtest.h>

#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "sim/report/report.h"
#include "tests/common/cli.h"
#include "tests/common/errors.h"
#include "tests/models/rv32/iss_harness.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"

namespace slm {
namespace {

std::string siracusa() { return test::source_dir() + "/configs/mcu-siracusa.yaml"; }

replay::SessionOptions micro(int prefill, int steps, int cores, const std::string& gemm = "tiled") {
  replay::SessionOptions o;
  o.config = siracusa();
  o.model = "microllama";
  o.steps = steps;
  o.prefill_tokens = prefill;
  o.calibration = {2, 16, 1'000'000};
  o.sets = {"cores.cores=" + std::to_string(cores), "cores.gemm=" + gemm};
  return o;
}

const nlohmann::json* engine_verdict(const nlohmann::json& rep, const std::string& name) {
  for (const auto& e : rep["engines"])
    if (e["engine"] == name) return &e;
  return nullptr;
}

// Every op of microllama ran on the cores (no host in the loop), the values are the kernels'.
void expect_all_on_cores(const nlohmann::json& rep) {
  const auto* v = engine_verdict(rep, "cores");
  ASSERT_NE(v, nullptr) << rep["engines"].dump();
  EXPECT_EQ((*v)["values_computed_by"], "engine");
  EXPECT_GT((*v)["ops_checked"].get<int>(), 100);
  EXPECT_EQ((*v)["ops_mismatched"].get<int>(), 0);
  const auto* fc = engine_verdict(rep, "fc");
  if (fc) {
    EXPECT_EQ((*fc)["ops_checked"].get<int>(), 0) << "microllama has no host work";
  }
}

// A --fault spec flipping bit 7 (the sign bit: a low bit could round away) of the weight byte
// `offset` bytes past the middle of `region` in simulated memory, for session options `o`.
std::string weight_fault(const replay::SessionOptions& o, const std::string& region, uint64_t offset) {
  platform::register_types();
  const config::PlatformConfig cfg = config::load_platform(o.config);
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  const replay::Setup s = replay::prepare(plat, llama2::resolve_config("microllama"), quant::Precision::w8a8, false, o.steps);
  const replay::Region& reg = s.layout->region(region);
  return reg.memory + ":" + std::to_string(reg.addr - plat.base(reg.memory) + reg.bytes / 2 + offset) + ":7";
}

TEST(ClusterEngine, MicroLlamaBitExactOn1And8CoresAnd8CoresAreFaster) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto one = replay::run_session(micro(2, 3, 1));
  const auto eight = replay::run_session(micro(2, 3, 8));
  for (const auto* r : {&one, &eight}) {
    EXPECT_EQ((*r)["bit_exact"], true);
    expect_all_on_cores(*r);
  }
  const double c1 = one["decode"]["cycles_per_token"].get<double>(), c8 = eight["decode"]["cycles_per_token"].get<double>();
  EXPECT_LT(c8, c1) << "8 cores " << c8 << " vs 1 core " << c1;
  EXPECT_LT(eight["prefill"]["cycles"].get<double>(), one["prefill"]["cycles"].get<double>());
}

TEST(ClusterEngine, UntiledAndPlainGemmAreBitExactToo) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  for (const char* g : {"untiled", "plain"}) {
    const auto r = replay::run_session(micro(2, 3, 8, g));
    EXPECT_EQ(r["bit_exact"], true) << g;
    expect_all_on_cores(r);
  }
}

// The GEMM mode is also the mode of softmax and attention: tiled and neureka move their operands
// through L1 by DMA (tiles and transfers in every such op's record), untiled and plain keep them
// in L2 (no DMA); bit-exact either way.
TEST(ClusterEngine, SoftmaxAndAttentionFollowTheGemmMode) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  for (const char* g : {"tiled", "neureka", "untiled", "plain"}) {
    auto o = micro(2, 3, 8, g);
    o.csv_path = ::testing::TempDir() + "cluster_modes_" + g + ".csv";
    const auto r = replay::run_session(o);
    EXPECT_EQ(r["bit_exact"], true) << g;
    const bool tiled = std::string(g) == "tiled" || std::string(g) == "neureka";
    int seen = 0;
    for (const auto& row : report::read_ops_csv(o.csv_path)) {
      const std::string& kind = row.at("kind");
      if (kind != "softmax" && kind != "attn_scores" && kind != "attn_values") continue;
      ++seen;
      const int tiles = std::stoi(row.at("tiles")), transfers = std::stoi(row.at("dma_transfers"));
      if (tiled) {
        EXPECT_GE(tiles, 1) << g << " " << row.at("name");
        EXPECT_GE(transfers, 2 * tiles) << g << " " << row.at("name");  // in and out (or cache rows and p) per tile
      } else {
        EXPECT_EQ(tiles, 0) << g << " " << row.at("name");
        EXPECT_EQ(transfers, 0) << g << " " << row.at("name");
      }
    }
    EXPECT_EQ(seen % 24, 0) << g;  // 3 kinds x 8 layers per step
    EXPECT_GE(seen, 48) << g;      // the prefill and at least one decode step
  }
}

// gemm: neureka: every matmul is one N-EUREKA job (weights in the weight memory); the values
// are the engine's, bit-exact; the step takes fewer cycles than the cores' tiled GEMM; the
// engine's MACs are counted (they carry its energy); a flipped weight bit fails the verdict.
TEST(ClusterEngine, NeurekaGemmIsBitExactFasterAndItsVerdictCanFail) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto ne = replay::run_session(micro(2, 3, 8, "neureka"));
  EXPECT_EQ(ne["bit_exact"], true);
  expect_all_on_cores(ne);
  const auto tiled = replay::run_session(micro(2, 3, 8, "tiled"));
  EXPECT_LT(ne["decode"]["cycles_per_token"].get<double>(), tiled["decode"]["cycles_per_token"].get<double>());
  EXPECT_NE(ne.dump().find("neureka_macs"), std::string::npos) << "the N-EUREKA MAC counter is reported";
  auto o = micro(2, 3, 8, "neureka");
  o.faults = {weight_fault(o, "l0.w1", 5)};
  const auto bad = replay::run_session(o);
  EXPECT_EQ(bad["bit_exact"], false);
  ASSERT_TRUE(bad.contains("first_mismatch"));
  EXPECT_EQ(bad["first_mismatch"]["op"], "l0.w1") << bad["first_mismatch"].dump();
}

TEST(ClusterEngine, CyclesAreDeterministic) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto a = replay::run_session(micro(2, 3, 8));
  const auto b = replay::run_session(micro(2, 3, 8));
  EXPECT_EQ(a["decode"], b["decode"]);
  EXPECT_EQ(a["prefill"], b["prefill"]);
}

TEST(ClusterEngine, AFlippedWeightBitInSimulatedMemoryFailsTheVerdict) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  auto o = micro(2, 3, 8);
  o.faults = {weight_fault(o, "l0.wq", 3)};
  const auto rep = replay::run_session(o);
  EXPECT_EQ(rep["bit_exact"], false);
  ASSERT_TRUE(rep.contains("first_mismatch"));
  EXPECT_EQ(rep["first_mismatch"]["op"], "l0.wq") << rep["first_mismatch"].dump();
}

TEST(ClusterEngine, Stories260KRealWeightsBitExactOn1And8CoresWithTheFabricController) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const std::string model = test::shared_model("stories260K.bin");
  if (model.empty()) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  for (int cores : {1, 8}) {
    replay::SessionOptions o;
    o.config = siracusa();
    o.model = model;
    o.steps = 3;
    o.calibration = {2, 16, 1'000'000};
    o.sets = {"cores.cores=" + std::to_string(cores)};
    const auto rep = replay::run_session(o);
    EXPECT_EQ(rep["bit_exact"], true) << cores;
    const auto* v = engine_verdict(rep, "cores");
    ASSERT_NE(v, nullptr);
    EXPECT_EQ((*v)["values_computed_by"], "engine");
    EXPECT_EQ((*v)["ops_mismatched"].get<int>(), 0);
    // The fabric controller runs exactly the embedding, the classifier (int16 logits) and the
    // token choice: 3 ops per step.
    const auto* fc = engine_verdict(rep, "fc");
    ASSERT_NE(fc, nullptr);
    EXPECT_EQ((*fc)["ops_checked"].get<int>(), 3 * 3) << rep["engines"].dump();
  }
}

TEST(ClusterEngine, RefusesWhatItCannotRunWithAClearMessage) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  // int16 activations: the kernels are int8.
  auto o = micro(2, 3, 8);
  o.precision = "w8a16";
  EXPECT_HAS(test::error_of([&] { replay::run_session(o); }), "int8 (w8a8)");
  // Without the fabric controller, the embedding of a model with a vocabulary has nowhere to run.
  const std::string r = test::run_slmsim("run --config '" + siracusa() +
                                         "' --set engine.host= --model stories260K --steps 2 --calib-sequences 2 --calib-tokens 16")
                            .err;
  EXPECT_NE(r.find("embed"), std::string::npos) << r;
  EXPECT_NE(r.find("engine.host"), std::string::npos) << r;
  // Bad component values name the field.
  auto bad = micro(2, 3, 8, "sometimes");
  EXPECT_HAS(test::error_of([&] { replay::run_session(bad); }), "gemm");
  // An L1 budget too small for the first tiled kernel (the RMSNorm's gain and partial sums):
  // the field, its value and the op.
  const auto small = test::run_slmsim("run --config '" + siracusa() +
                                      "' --set cores.l1_budget_bytes=100 --model microllama --prefill-tokens 2 --steps 2 --calib-sequences 2 --calib-tokens 16");
  EXPECT_EQ(small.status, 2) << small.err;
  EXPECT_NE(small.err.find("components.cores.l1_budget_bytes = 100"), std::string::npos) << small.err;
  EXPECT_NE(small.err.find("op l0.att_norm"), std::string::npos) << small.err;
  auto missing = micro(2, 3, 8);
  missing.sets.push_back("cores.cluster_config=no/such.yaml");
  EXPECT_HAS(test::error_of([&] { replay::run_session(missing); }), "no/such.yaml");
}

// Energy per domain: the kernels' traffic is counted on the platform components named by
// l1_memory, l2_memory, wmem_memory and dma; N-EUREKA's jobs and MACs on the component named by
// `neureka` (its own domain), or on the cores component when that name is empty. Without the
// names (empty) nothing is counted there.
TEST(ClusterEngine, TrafficIsCountedOnTheMemoriesForEnergyPerDomain) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  auto events = [](const nlohmann::json& rep, const std::string& comp, const std::string& ev) {
    return rep["energy"]["windows"]["decode"]["components"][comp]["events_pj"][ev].get<double>();
  };
  const auto ne = replay::run_session(micro(2, 3, 8, "neureka"));
  EXPECT_GT(events(ne, "soc.mram", "read_pj_per_byte"), 0.0) << "N-EUREKA reads its weights from the weight memory";
  EXPECT_GT(events(ne, "soc.l1", "read_pj_per_byte"), 0.0);
  EXPECT_GT(events(ne, "soc.l1", "write_pj_per_byte"), 0.0);
  EXPECT_GT(events(ne, "soc.l2", "read_pj_per_byte"), 0.0);
  EXPECT_GT(events(ne, "soc.dma", "pj_per_byte"), 0.0);
  EXPECT_GT(events(ne, "soc.neureka", "mac_pj"), 0.0) << "N-EUREKA is its own domain";
  EXPECT_EQ(events(ne, "soc.cores", "neureka_mac_pj"), 0.0) << "and is not counted twice";
  const auto& nc = ne["windows"]["decode"]["counters"]["soc"]["neureka"];
  // microLlama (dim 64, 8 layers, FFN 256): 7 projections per layer, one job each; per token
  // 8 x (4 x 64 x 64 + 3 x 64 x 256) MACs.
  EXPECT_EQ(nc["jobs"].get<uint64_t>(), 8u * 7u) << nc.dump();
  EXPECT_EQ(nc["macs"].get<uint64_t>(), 8u * (4u * 64 * 64 + 3u * 64 * 256)) << nc.dump();
  EXPECT_GT(nc["busy_cycles"].get<uint64_t>(), 0u);
  EXPECT_GT(nc["wmem_bytes"].get<uint64_t>(), 0u);
  // The summary names every domain, largest first (the cores' instructions and leakage outweigh
  // N-EUREKA's MACs at 0.226 pJ).
  const std::string sum = report::summary(ne);
  const auto line = sum.find("  per domain ");
  ASSERT_NE(line, std::string::npos) << sum;
  const std::string dom = sum.substr(line, sum.find('\n', line) - line);
  for (const char* d : {"cores ", "l1 ", "l2 ", "mram ", "dma ", "neureka "}) EXPECT_NE(dom.find(d), std::string::npos) << d << " in " << dom;
  EXPECT_LT(dom.find("cores "), dom.find("neureka ")) << dom;
  auto on_cores = micro(2, 3, 8, "neureka");
  on_cores.sets.push_back("cores.neureka=");
  const auto oc = replay::run_session(on_cores);
  EXPECT_EQ(events(oc, "soc.neureka", "mac_pj"), 0.0);
  EXPECT_DOUBLE_EQ(events(oc, "soc.cores", "neureka_mac_pj"), events(ne, "soc.neureka", "mac_pj"))
      << "the same MACs at the same energy, booked on the cores";
  EXPECT_EQ(oc["decode"]["cycles_per_token"], ne["decode"]["cycles_per_token"]);
  auto wrong = micro(2, 3, 8, "neureka");
  wrong.sets.push_back("cores.neureka=l2");
  EXPECT_HAS(test::error_of([&] { replay::run_session(wrong); }), "l2");
  const auto untiled = replay::run_session(micro(2, 3, 8, "untiled"));
  EXPECT_EQ(events(untiled, "soc.mram", "read_pj_per_byte"), 0.0) << "the cores read their weights from L2";
  EXPECT_EQ(events(untiled, "soc.neureka", "mac_pj"), 0.0);
  auto off = micro(2, 3, 8, "neureka");
  for (const char* k : {"cores.l1_memory=", "cores.l2_memory=", "cores.wmem_memory=", "cores.dma="}) off.sets.push_back(k);
  const auto none = replay::run_session(off);
  for (const char* c : {"soc.l1", "soc.l2", "soc.mram"}) EXPECT_EQ(events(none, c, "read_pj_per_byte"), 0.0) << c;
  EXPECT_EQ(none["decode"]["cycles_per_token"], ne["decode"]["cycles_per_token"]) << "counting changes no cycle";
}

// quantum_cycles overrides the cluster config's mode: the same values (bit-exact), cycles within
// 2 % of lockstep.
TEST(ClusterEngine, QuantumModeIsBitExactWithCyclesNearLockstep) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  auto q = micro(2, 3, 8, "neureka");
  q.sets.push_back("cores.quantum_cycles=64");
  const auto lock = replay::run_session(micro(2, 3, 8, "neureka"));
  const auto quant = replay::run_session(q);
  EXPECT_EQ(quant["bit_exact"], true);
  EXPECT_EQ(quant["tokens"], lock["tokens"]);
  const double a = lock["decode"]["cycles_per_token"].get<double>(), b = quant["decode"]["cycles_per_token"].get<double>();
  EXPECT_NEAR(b, a, 0.02 * a);
}

// slmsim bench cluster runs and prints its numbers (not asserted: a benchmark), times the last
// step and counts that step's instructions.
TEST(ClusterEngine, BenchCommandTimesOneStep) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto r = test::run_slmsim("bench cluster --cached 2 --cores 2 --config '" + siracusa() + "'");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* s : {"AR step with 2 cached tokens, 2 cores, gemm neureka", "simulated instr/s", "bit-exact             yes"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  const size_t at = r.out.find("instructions          ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stoull(r.out.substr(at + 22)), 1000u) << "the step's instructions come from its per-op records";
}

}  // namespace
}  // namespace slm
