// slmsim bench — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'bench' is not implemented yet"); });
}
}  // namespace slm::cli
