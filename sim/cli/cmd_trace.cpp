// slmsim trace — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_trace(CLI::App& app) {
  auto* cmd = app.add_subcommand("trace", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'trace' is not implemented yet"); });
}
}  // namespace slm::cli
