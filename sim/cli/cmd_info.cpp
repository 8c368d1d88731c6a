// slmsim info — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'info' is not implemented yet"); });
}
}  // namespace slm::cli
