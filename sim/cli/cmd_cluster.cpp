// slmsim cluster — run the int8 GEMV/GEMM kernels on the simulated Siracusa-class cluster.
//
//   slmsim cluster [--cores N] [--shape NxK|microllama ...] [--tokens M] [--variant tiled|untiled|plain|neureka|neureka-l1]
//                  [--l1-budget BYTES] [--config FILE] [--quantum N] [--repeat R] [--max-cycles N] [--seed S]
//                  [--program ELF] [--json FILE]
// Each shape runs once on a fresh cluster (models/cluster) executing the cross-compiled
// kernels (workloads/kernels/cluster) on random int8 tensors; the output read back from L2
// is compared with golden::matmul element for element. Prints per shape the cycles,
// instructions and stalls, per core the instructions, cycles, IPC and stall breakdown, and
// the wall time with the aggregate simulated instructions per second. Exit status: 0; 1 when
// an output is not bit-exact; 2 for bad input; 124 when --max-cycles was reached; 125 when
// the program trapped, deadlocked or exited with a non-zero code (L1 budget too small: code 3).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "models/cluster/cluster_config.h"
#include "models/cluster/gemm_job.h"
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
namespace {
struct ClusterOptions {
  std::string config, program, variant = "tiled", json, fault;
  std::vector<std::string> shapes{"microllama"};
  uint32_t cores = 0, tokens = 1, l1_budget = 0, seed = 1, repeat = 1;
  int64_t quantum = -1;
  uint64_t max_cycles = 20'000'000'000ull;
};
struct Shape {
  std::string name;
  int32_t n, k;
};

std::vector<Shape> parse_shapes(const std::vector<std::string>& specs) {
  std::vector<Shape> out;
  for (const auto& s : specs) {
    if (s == "microllama") {  // one microLlama layer's projections (anchors C3: dim 64, FFN 256)
      for (const char* p : {"wq", "wk", "wv", "wo"}) out.push_back({p, 64, 64});
      out.push_back({"w1", 256, 64});
      out.push_back({"w3", 256, 64});
      out.push_back({"w2", 64, 256});
      continue;
    }
    const auto x = s.find('x');
    int n = 0, k = 0;
    size_t u1 = 0, u2 = 0;
    try {
      if (x == std::string::npos) throw std::invalid_argument("x");
      n = std::stoi(s.substr(0, x), &u1);
      k = std::stoi(s.substr(x + 1), &u2);
    } catch (const std::exception&) {
      throw err("--shape '", s, "': expected NxK (output x input, e.g. 256x64) or 'microllama'");
    }
    if (u1 != x || u2 != s.size() - x - 1 || n < 1 || k < 1 || n > 65536 || k > 65536)
      throw err("--shape '", s, "': N and K must be integers in 1..65536");
    out.push_back({s, n, k});
  }
  return out;
}

// Random int8 tensors with multipliers that spread the outputs over int8.
cluster::GemmTensors random_tensors(int32_t m, int32_t n, int32_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  cluster::GemmTensors t;
  t.m = m, t.n = n, t.k = k;
  t.x_zp = static_cast<int32_t>(rng() % 256) - 128;
  t.y_zp = static_cast<int32_t>(rng() % 256) - 128;
  t.x.resize(static_cast<size_t>(m) * k);
  t.w.resize(static_cast<size_t>(n) * k);
  for (auto& v : t.x) v = static_cast<int8_t>(rng());
  for (auto& v : t.w) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  const int32_t shift = 30 + static_cast<int32_t>(std::lround(std::log2(std::sqrt(double(k)) * 5500.0 / 40.0 * 1.5)));
  for (int32_t j = 0; j < n; ++j) {
    t.rq.push_back(quant::QMul{static_cast<int32_t>((1u << 30) + rng() % (1u << 30)), shift});
    int32_t s = 0;
    for (int32_t i = 0; i < k; ++i) s += t.w[static_cast<size_t>(j) * k + i];
    t.row_sum.push_back(s);
  }
  return t;
}
}  // namespace

void register_cluster(CLI::App& app) {
  auto o = std::make_shared<ClusterOptions>();
  auto* cmd = app.add_subcommand("cluster", "Run int8 GEMV/GEMM kernels on the simulated Siracusa-class cluster (cycles, stalls, speed)");
  cmd->add_option("--cores", o->cores, "worker cores (default: the config's, 8)")->check(CLI::Range(1, 8));
  cmd->add_option("--shape", o->shapes, "NxK (output x input) or 'microllama' (its 7 projections: 4 x 64x64, 2 x 256x64, 64x256); repeatable")
      ->capture_default_str();
  cmd->add_option("--tokens", o->tokens, "rows of x (1 = GEMV)")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--variant", o->variant,
                  "tiled (L1, double-buffered DMA), untiled (operands in L2, XpulpV2), plain (L2, RV32IMC C), neureka (one "
                  "N-EUREKA job, weights in the weight memory), neureka-l1 (N-EUREKA, weights moved into L1)")
      ->check(CLI::IsMember({"tiled", "untiled", "plain", "neureka", "neureka-l1"}))->capture_default_str();
  cmd->add_option("--l1-budget", o->l1_budget, "L1 bytes the tiled kernel may use (default: L1 size minus the 16 KiB of core stacks)");
  cmd->add_option("--config", o->config, "cluster config YAML (default: built-in values = configs/cluster/siracusa.yaml)");
  cmd->add_option("--quantum", o->quantum, "cluster quantum_cycles (0: lockstep, the default; N: N-cycle windows, faster)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--repeat", o->repeat, "the kernel runs each shape this many times back to back (speed measurements; cycles and instructions are totals)")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  cmd->add_option("--max-cycles", o->max_cycles, "stop a shape's run after this many cycles (exit status 124)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 62))->capture_default_str();
  cmd->add_option("--json", o->json, "also write the results as JSON to FILE (fields in docs/siracusa.md)");
  cmd->add_option("--seed", o->seed, "seed of the random tensors")->capture_default_str();
  cmd->add_option("--program", o->program, "kernel ELF (default: the build's rv32/cluster_kernels.elf)");
  cmd->add_option("--fault", o->fault,
                  "INDEX:BIT: flip bit BIT of weight byte INDEX in L2 before each shape runs (a soft error; the "
                  "bit-exact check then reports it, exit status 1)");
  cmd->callback([o] {
    cluster::ClusterConfig cfg = cluster::load_config(o->config);
    if (o->cores) cfg.cores = o->cores;
    if (o->quantum >= 0) cfg.quantum_cycles = static_cast<uint32_t>(o->quantum);
    cfg.validate();
    const std::string prog = o->program.empty() ? std::string(SLMSIM_RV32_DIR) + "/cluster_kernels.elf" : o->program;
    const rv32::ElfImage elf = rv32::read_elf(prog);
    constexpr uint32_t kStacks = cluster::kL1KernelBase - cluster::kL1Base;  // 9 stack slots: 8 workers + the controller
    if (cfg.l1_size_bytes <= kStacks) throw err("cluster: l1.size_bytes = ", cfg.l1_size_bytes, ": the core stacks alone need ", kStacks);
    const uint32_t budget = o->l1_budget ? o->l1_budget : cfg.l1_size_bytes - kStacks;
    if (budget > cfg.l1_size_bytes - kStacks)
      throw err("--l1-budget ", budget, ": more than the L1 left after the core stacks (", cfg.l1_size_bytes - kStacks, " bytes)");
    const bool on_ne = o->variant.rfind("neureka", 0) == 0;
    const uint32_t op = on_ne ? cluster::kGemmNeureka
                        : o->variant == "tiled" ? cluster::kGemmTiled
                        : o->variant == "untiled" ? cluster::kGemmUntiled
                                                  : cluster::kGemmPlain;
    if (on_ne && !cfg.neureka) throw err("--variant ", o->variant, ": the cluster config has neureka.enabled: 0");
    if (on_ne && o->repeat != 1) throw err("--repeat ", o->repeat, ": the N-EUREKA variants run each shape once");
    const auto shapes = parse_shapes(o->shapes);
    uint64_t fault_index = 0;
    int fault_bit = -1;
    if (!o->fault.empty()) {
      const size_t c = o->fault.find(':');
      try {
        size_t u1 = 0, u2 = 0;
        if (c == std::string::npos || o->fault[0] == '-') throw std::invalid_argument("form");
        fault_index = std::stoull(o->fault.substr(0, c), &u1);
        fault_bit = std::stoi(o->fault.substr(c + 1), &u2);
        if (u1 != c || u2 != o->fault.size() - c - 1 || fault_bit < 0 || fault_bit > 7) throw std::invalid_argument("range");
      } catch (const std::exception&) {
        throw err("--fault '", o->fault, "': expected INDEX:BIT (a weight byte index and a bit 0-7)");
      }
    }

    std::printf("cluster: %u cores, %s, %u token%s, L1 %u B (%u banks, kernel budget %u B), L2 latency %u cycles, icache %s, %s\n",
                cfg.cores, o->variant.c_str(), o->tokens, o->tokens == 1 ? "" : "s", cfg.l1_size_bytes, cfg.l1_banks, budget,
                cfg.l2_latency_cycles, cfg.icache ? "on" : "off (ideal fetch)",
                cfg.quantum_cycles <= 1 ? "lockstep" : ("quantum " + std::to_string(cfg.quantum_cycles) + " cycles").c_str());
    std::printf("%-10s %6s %6s %12s %13s %8s %11s %11s %11s %6s %9s\n", "shape", "n", "k", "cycles", "instructions", "IPC/core",
                "bank-stall", "barrier", "dma-wait", "tiles", "bit-exact");
    std::vector<cluster::CoreStats> total(cfg.cores + cfg.controller);  // the workers, then the controller
    uint64_t all_cycles = 0, all_instr = 0;
    double wall = 0;
    bool exact = true;
    int status = 0;
    nlohmann::json js_shapes = nlohmann::json::array();
    auto core_json = [](const cluster::CoreStats& k) {
      return nlohmann::json{{"instructions", k.instructions}, {"cycles", k.cycles},
                            {"ipc", k.cycles ? double(k.instructions) / double(k.cycles) : 0.0},
                            {"bank_stall_cycles", k.bank_stall_cycles}, {"l2_extra_cycles", k.l2_cycles},
                            {"barrier_wait_cycles", k.barrier_wait_cycles}, {"dma_wait_cycles", k.dma_wait_cycles},
                            {"dispatch_wait_cycles", k.dispatch_wait_cycles}, {"neureka_wait_cycles", k.neureka_wait_cycles},
                            {"l1_accesses", k.l1_accesses},
                            {"l2_accesses", k.l2_accesses},
                            {"icache_l0_hits", k.icache_l0_hits}, {"icache_l0_misses", k.icache_l0_misses},
                            {"icache_shared_hits", k.icache_shared_hits}, {"icache_shared_misses", k.icache_shared_misses},
                            {"icache_stall_cycles", k.icache_stall_cycles}};
    };
    for (size_t si = 0; si < shapes.size(); ++si) {
      const Shape& s = shapes[si];
      const cluster::GemmTensors t = random_tensors(static_cast<int32_t>(o->tokens), s.n, s.k, o->seed + static_cast<uint32_t>(si));
      cluster::Cluster cl(cfg);
      cl.load(elf);
      if (uint64_t{cluster::kIoBase} + cluster::GemmLayout(t).end > cluster::kL2Base + uint64_t{cfg.l2_size_bytes})
        throw err("--shape ", s.name, " with --tokens ", o->tokens, ": the tensors (", cluster::GemmLayout(t).end,
                  " bytes) do not fit in L2 above 0x1C140000 (l2.size_bytes = ", cfg.l2_size_bytes, ")");
      const bool in_wmem = o->variant == "neureka";
      const cluster::GemmLayout lay = on_ne ? cluster::write_neureka_gemm_job(cl, t, budget, in_wmem)
                                            : cluster::write_gemm_job(cl, t, op, budget, o->repeat);
      if (fault_bit >= 0) {
        if (fault_index >= t.w.size())
          throw err("--fault ", o->fault, ": weight byte ", fault_index, " is outside shape ", s.name, "'s ", t.w.size(), " weights");
        const uint32_t at = (in_wmem ? cluster::kWmemBase : cluster::kIoBase + lay.w) + static_cast<uint32_t>(fault_index);
        cl.host(at, 1)[0] ^= static_cast<uint8_t>(1u << fault_bit);
      }
      const auto t0 = std::chrono::steady_clock::now();
      const cluster::ClusterResult r = cl.run(o->max_cycles);
      wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r.stop != rv32::Stop::exit || r.exit_code != 0) {
        std::fflush(stdout);
        if (r.stop == rv32::Stop::trap) std::fprintf(stderr, "cluster: %s: unhandled trap: %s\n", s.name.c_str(), r.trap.text().c_str());
        else if (r.stop == rv32::Stop::exit) std::fprintf(stderr, "cluster: %s: kernel exit code %d%s\n", s.name.c_str(), r.exit_code,
                                                         r.exit_code == 3 ? (on_ne ? " (the L1 budget cannot hold x, y, the requantisation and, for neureka-l1, the weights)"
                                                                                : " (the L1 budget cannot hold x, y and two weight rows)")
                                                                       : "");
        else if (r.stop == rv32::Stop::limit) std::fprintf(stderr, "cluster: %s: stopped: cycle limit %llu reached\n", s.name.c_str(),
                                                          static_cast<unsigned long long>(o->max_cycles));
        else std::fprintf(stderr, "cluster: %s: stopped: %s\n", s.name.c_str(), r.error.c_str());
        status = r.stop == rv32::Stop::limit ? 124 : 125;
        break;
      }
      const bool ok = cluster::read_gemm_output(cl, t) == cluster::golden_gemm(t);
      exact = exact && ok;
      uint64_t bank = 0, barrier = 0, dma = 0;
      for (uint32_t c = 0; c < total.size(); ++c) {
        const auto& k = c < cfg.cores ? r.cores[c] : r.controller;
        if (c < cfg.cores) {
          bank += k.bank_stall_cycles;
          barrier += k.barrier_wait_cycles;
          dma += k.dma_wait_cycles;
        }
        auto& a = total[c];
        a.instructions += k.instructions;
        a.cycles += k.cycles;
        a.bank_stall_cycles += k.bank_stall_cycles;
        a.l2_cycles += k.l2_cycles;
        a.barrier_wait_cycles += k.barrier_wait_cycles;
        a.dma_wait_cycles += k.dma_wait_cycles;
        a.dispatch_wait_cycles += k.dispatch_wait_cycles;
        a.neureka_wait_cycles += k.neureka_wait_cycles;
        a.icache_l0_hits += k.icache_l0_hits, a.icache_l0_misses += k.icache_l0_misses;
        a.icache_shared_hits += k.icache_shared_hits, a.icache_shared_misses += k.icache_shared_misses;
        a.icache_stall_cycles += k.icache_stall_cycles;
      }
      uint32_t tiles = 0;
      std::memcpy(&tiles, cl.host(cluster::kIoBase + cluster::kJobTiles * 4, 4), 4);
      all_cycles += r.cycles;
      all_instr += r.instructions;
      nlohmann::json jc = nlohmann::json::array();
      for (const auto& k : r.cores) jc.push_back(core_json(k));
      js_shapes.push_back({{"shape", s.name}, {"n", s.n}, {"k", s.k}, {"cycles", r.cycles}, {"instructions", r.instructions},
                           {"tiles", op == 2 ? tiles : 0}, {"bit_exact", ok}, {"barriers", r.barriers},
                           {"dma", {{"transfers", r.dma.transfers}, {"bytes", r.dma.bytes}, {"busy_cycles", r.dma.busy_cycles},
                                    {"bank_stall_cycles", r.dma.bank_stall_cycles}}},
                           {"neureka", {{"jobs", r.neureka.jobs}, {"busy_cycles", r.neureka.busy_cycles},
                                        {"bank_stall_cycles", r.neureka.bank_stall_cycles}, {"macs", r.neureka.macs},
                                        {"tcdm_read_bytes", r.neureka.tcdm_read_bytes}, {"tcdm_write_bytes", r.neureka.tcdm_write_bytes},
                                        {"wmem_read_bytes", r.neureka.wmem_read_bytes}}},
                           {"cores", jc},
                           {"controller", r.has_controller ? core_json(r.controller) : nlohmann::json(nullptr)}});
      std::printf("%-10s %6d %6d %12llu %13llu %8.3f %11llu %11llu %11llu %6u %9s\n", s.name.c_str(), s.n, s.k,
                  static_cast<unsigned long long>(r.cycles), static_cast<unsigned long long>(r.instructions),
                  double(r.instructions) / double(r.cycles) / cfg.cores, static_cast<unsigned long long>(bank),
                  static_cast<unsigned long long>(barrier), static_cast<unsigned long long>(dma), op == 2 ? tiles : 0, ok ? "yes" : "NO");
    }
    if (status == 0) {
      std::printf("%-10s %6s %6s %12llu %13llu\n", "total", "", "", static_cast<unsigned long long>(all_cycles),
                  static_cast<unsigned long long>(all_instr));
      std::printf("\n%-5s %13s %12s %6s %11s %11s %11s %11s %11s %9s %9s\n", "core", "instructions", "cycles", "IPC", "bank-stall",
                  "l2-extra", "barrier", "dma-wait", "fetch-stall", "L0-miss", "L1i-miss");
      for (uint32_t c = 0; c < total.size(); ++c) {
        const auto& a = total[c];
        std::printf("%-5s %13llu %12llu %6.3f %11llu %11llu %11llu %11llu %11llu %9llu %9llu\n", c < cfg.cores ? std::to_string(c).c_str() : "ctl",
                    static_cast<unsigned long long>(a.instructions),
                    static_cast<unsigned long long>(a.cycles), a.cycles ? double(a.instructions) / double(a.cycles) : 0.0,
                    static_cast<unsigned long long>(a.bank_stall_cycles), static_cast<unsigned long long>(a.l2_cycles),
                    static_cast<unsigned long long>(a.barrier_wait_cycles), static_cast<unsigned long long>(a.dma_wait_cycles),
                    static_cast<unsigned long long>(a.icache_stall_cycles), static_cast<unsigned long long>(a.icache_l0_misses),
                    static_cast<unsigned long long>(a.icache_shared_misses));
      }
      std::printf("\nwall %.3f s, %.1f M simulated instructions/s (all cores), %.1f M simulated cycles/s\n", wall,
                  wall > 0 ? double(all_instr) / wall / 1e6 : 0.0, wall > 0 ? double(all_cycles) / wall / 1e6 : 0.0);
      std::printf("bit-exact with golden::matmul: %s\n", exact ? "yes" : "NO");
      if (!exact) status = 1;
      if (!o->json.empty()) {
        nlohmann::json tc = nlohmann::json::array();
        for (uint32_t c = 0; c < cfg.cores; ++c) tc.push_back(core_json(total[c]));
        const nlohmann::json j{{"cores", cfg.cores}, {"variant", o->variant}, {"tokens", o->tokens}, {"l1_budget_bytes", budget},
                               {"quantum_cycles", cfg.quantum_cycles}, {"repeat", o->repeat}, {"shapes", js_shapes},
                               {"controller", cfg.controller == 1},
                               {"total", {{"cycles", all_cycles}, {"instructions", all_instr}, {"cores", tc},
                                          {"controller", cfg.controller ? core_json(total[cfg.cores]) : nlohmann::json(nullptr)}}},
                               {"wall_seconds", wall}, {"instructions_per_second", wall > 0 ? double(all_instr) / wall : 0.0},
                               {"bit_exact", exact}};
        std::ofstream f(o->json);
        f << j.dump(2) << "\n";
        if (!f) throw err(o->json, ": cannot write the JSON results");
      }
    }
    std::fflush(stdout);
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace slm::cli
