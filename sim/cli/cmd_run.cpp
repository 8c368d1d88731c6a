// slmsim run — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_run(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'run' is not implemented yet"); });
}
}  // namespace slm::cli
