#include "sim/cli/commands.h"
#include "workloads/common/error.h"
namespace slm::cli {
void register_bench_tlm(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("tlm", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'bench tlm' is not implemented yet"); });
}
}  // namespace slm::cli
