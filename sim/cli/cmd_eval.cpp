// slmsim eval — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'eval' is not implemented yet"); });
}
}  // namespace slm::cli
