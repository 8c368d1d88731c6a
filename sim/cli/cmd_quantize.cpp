// slmsim quantize — placeholder until implemented.
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
void register_quantize(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "(not implemented yet)");
  cmd->callback([] { throw slm::Error("'quantize' is not implemented yet"); });
}
}  // namespace slm::cli
