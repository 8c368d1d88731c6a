// slmsim recost — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_recost(CLI::App& app) {
  auto* cmd = app.add_subcommand("recost", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'recost' is not implemented yet"); });
}
}  // namespace slm::cli
