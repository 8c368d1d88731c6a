// slmsim config — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_config(CLI::App& app) {
  auto* cmd = app.add_subcommand("config", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'config' is not implemented yet"); });
}
}  // namespace slm::cli
