// slmsim bench cluster — wall time of simulating one microLlama autoregressive step on the
// RISC-V cluster engine (docs/siracusa.md, issue 8's speed target).
//
//   slmsim bench cluster [--config FILE] [--cached 64] [--gemm neureka] [--cores 8] [--quantum N] [--set K=V]...
// Runs `slmsim run --model microllama --prefill-tokens CACHED --steps CACHED+1` on the cluster
// engine (every op a compiled kernel on the ISS cores, lockstep L1 bank arbitration, the
// bit-exact check on) and times the last step alone: the AR step with CACHED tokens in the KV
// cache. Prints its wall time, its simulated cycles, the instructions the cores retired in it
// (from the per-op records) and the aggregate simulated instructions per wall-second. Numbers,
// not assertions.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <unistd.h>

#include "sim/cli/commands.h"
#include "sim/replay/session.h"
#include "sim/report/report.h"
#include "workloads/common/error.h"

namespace slm::cli {

void register_bench_cluster(CLI::App& bench) {
  struct Opts {
    replay::SessionOptions s;
    int cached = 64, cores = 8, quantum = 0;
    std::string gemm = "neureka";
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = bench.add_subcommand("cluster", "Wall time and simulated instructions/s of one microLlama AR step on the RISC-V cluster engine");
  cmd->add_option("--config", o->s.config, "platform YAML (default: configs/mcu-siracusa.yaml)");
  cmd->add_option("--set", o->s.sets, "override a config parameter (repeatable)");
  cmd->add_option("--cached", o->cached, "tokens in the KV cache before the timed step")->check(CLI::Range(1, 500))->capture_default_str();
  cmd->add_option("--gemm", o->gemm, "GEMM kernel: neureka (N-EUREKA), tiled, untiled, plain")
      ->check(CLI::IsMember({"neureka", "tiled", "untiled", "plain"}))->capture_default_str();
  cmd->add_option("--cores", o->cores, "worker cores")->check(CLI::Range(1, 8))->capture_default_str();
  cmd->add_option("--quantum", o->quantum, "cluster quantum_cycles: 0 the cluster config's (lockstep), 1 lockstep, N > 1 windows of N cycles")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  cmd->callback([o] {
    using clock = std::chrono::steady_clock;
    replay::SessionOptions s = o->s;
    if (s.config.empty()) s.config = replay::config_dir() + "/mcu-siracusa.yaml";
    s.model = "microllama";
    s.prefill_tokens = o->cached;
    s.steps = o->cached + 1;
    s.sets.insert(s.sets.begin(), {"cores.cores=" + std::to_string(o->cores), "cores.gemm=" + o->gemm,
                                   "cores.quantum_cycles=" + std::to_string(o->quantum)});
    const std::string csv = (std::filesystem::temp_directory_path() / ("slmsim_bench_cluster_" + std::to_string(::getpid()) + ".csv")).string();
    s.csv_path = csv;
    std::vector<clock::time_point> at;
    s.progress = [&at](int, int) { at.push_back(clock::now()); };
    const auto t0 = clock::now();
    const nlohmann::json rep = replay::run_session(s);
    if (at.size() < 2) throw err("bench cluster: the run stopped after ", at.size(), " steps");
    const double wall = std::chrono::duration<double>(at.back() - at[at.size() - 2]).count();
    // The timed step's instructions: the per-op records of the last step.
    const auto rows = report::read_ops_csv(csv);
    std::filesystem::remove(csv);
    int last = -1;
    for (const auto& r : rows) last = std::max(last, std::stoi(r.at("step")));
    uint64_t instr = 0;
    for (const auto& r : rows) {
      const auto it = r.find("instructions");
      if (std::stoi(r.at("step")) == last && it != r.end() && !it->second.empty()) instr += std::stoull(it->second);
    }
    const double cycles = rep["decode"]["cycles_per_token"].get<double>();
    std::printf("step                  microLlama AR step with %d cached tokens, %d cores, gemm %s (%s)\n", o->cached, o->cores,
                o->gemm.c_str(), rep["platform"]["name"].get<std::string>().c_str());
    std::printf("wall                  %.3f s (this step only; the prefill and set-up excluded)\n", wall);
    std::printf("simulated cycles      %.0f (cluster clock)\n", cycles);
    std::printf("instructions          %llu (all cores, this step)\n", static_cast<unsigned long long>(instr));
    std::printf("simulated instr/s     %.1f M (aggregate, bank arbitration on, %s)\n", double(instr) / wall / 1e6,
                o->quantum > 1 ? ("quantum " + std::to_string(o->quantum) + " cycles").c_str() : o->quantum == 1 ? "lockstep" : "the cluster config's mode");
    std::printf("simulated cycles/s    %.2f M\n", cycles / wall / 1e6);
    std::printf("bit-exact             %s\n", rep["bit_exact"].is_null() ? "not checked" : rep["bit_exact"].get<bool>() ? "yes" : "NO");
    std::printf("total wall            %.2f s\n", std::chrono::duration<double>(clock::now() - t0).count());
  });
}

}  // namespace slm::cli
