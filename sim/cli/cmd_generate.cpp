// slmsim generate — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'generate' is not implemented yet"); });
}
}  // namespace slm::cli
