#include "sim/cli/commands.h"
#include "workloads/common/error.h"
namespace slm::cli {
void register_bench_golden(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("golden", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'bench golden' is not implemented yet"); });
}
}  // namespace slm::cli
