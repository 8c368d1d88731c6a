// slmsim bench — microbenchmarks printing numbers (never assertions).
//   slmsim bench golden ...   native golden-engine decode tokens/s (cmd_bench_golden.cpp)
//   slmsim bench tlm ...      simulated TLM transactions/s and bytes/s (cmd_bench_tlm.cpp)
//   slmsim bench npu ...      wall time per decode step on the NPU model (cmd_bench_npu.cpp)
//   slmsim bench replay ...   timing-only trace replay throughput and memory (cmd_bench_replay.cpp)
//   slmsim bench iss ...      simulated RV32 instructions/s vs QEMU (cmd_bench_iss.cpp)
#include "sim/cli/commands.h"

namespace slm::cli {
void register_bench_golden(CLI::App& bench);
void register_bench_tlm(CLI::App& bench);
void register_bench_npu(CLI::App& bench);
void register_bench_replay(CLI::App& bench);
void register_bench_iss(CLI::App& bench);
void register_bench_cluster(CLI::App& bench);

void register_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Microbenchmarks: golden-engine tokens/s, TLM transactions/s, NPU and ISS simulation speed, trace replay");
  bench->require_subcommand(1);
  register_bench_golden(*bench);
  register_bench_tlm(*bench);
  register_bench_npu(*bench);
  register_bench_replay(*bench);
  register_bench_iss(*bench);
  register_bench_cluster(*bench);
}
}  // namespace slm::cli
