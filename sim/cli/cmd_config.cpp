// slmsim config check | show | schema — validate, print and document platform configs.
#include <iostream>
#include <map>

#include "sim/cli/commands.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/session.h"
#include "workloads/common/error.h"

namespace slm::cli {

namespace {
struct ConfigArgs {
  std::string file, model, precision;
  int steps = 0;
  bool no_workload = false;
  std::vector<std::string> sets;
  bool json = false;
  bool origins = false;
};
}  // namespace

void register_config(CLI::App& app) {
  auto* cfg = app.add_subcommand("config", "Validate, print or document platform configuration files");
  cfg->require_subcommand(1);
  auto args = std::make_shared<ConfigArgs>();

  auto* check = cfg->add_subcommand("check", "Validate FILE: report every problem with file:line:col, key and value");
  check->add_option("file", args->file, "platform YAML file")->required();
  check->add_option("--set", args->sets, "override a parameter, e.g. --set npu.clock_hz=\"64 MHz\" (repeatable)");
  check->add_option("--model", args->model, "check capacity for this model (default: the config's workload.model)");
  check->add_option("--precision", args->precision, "w8a8 | w8a16 | w4a8 (default: the config's workload.precision)");
  check->add_option("--steps", args->steps, "positions the KV cache must hold (default: the config's workload.steps)");
  check->add_flag("--no-workload", args->no_workload, "validate the file only, not the workload's placement");
  check->callback([args] {
    platform::register_types();
    auto problems = config::check_platform(args->file, args->sets);
    if (problems.empty()) {
      auto pc = config::load_platform(args->file, args->sets);
      std::map<std::string, uint64_t> used;
      if (!args->no_workload)
        used = replay::check_capacity(args->file, args->sets, args->model, args->precision, args->steps);
      std::cout << args->file << ": ok (" << pc.components.size() << " components, platform '" << pc.name << "')\n";
      if (args->no_workload) return;
      const std::string model = args->model.empty() ? pc.workload.model : args->model;
      std::cout << "placement of " << model << " fits:\n";
      for (const auto& [mem, bytes] : used)
        std::cout << "  " << mem << ": " << bytes << " of " << pc.at(mem).resolved.value("size_bytes", uint64_t{0})
                  << " bytes\n";
      return;
    }
    for (const auto& p : problems) std::cerr << p << "\n";
    throw Error(args->file + ": " + std::to_string(problems.size()) + " problem(s)");
  });

  auto* show = cfg->add_subcommand("show", "Print the resolved configuration (includes merged, overrides applied, defaults filled)");
  show->add_option("file", args->file, "platform YAML file")->required();
  show->add_option("--set", args->sets, "override a parameter (repeatable)");
  show->add_flag("--json", args->json, "print JSON instead of YAML");
  show->add_flag("--origins", args->origins, "YAML: annotate each value with the file:line it came from");
  show->callback([args] {
    platform::register_types();
    auto pc = config::load_platform(args->file, args->sets);
    if (args->json) {
      std::cout << pc.to_json().dump(2) << "\n";
    } else if (args->origins) {
      std::cout << config::to_yaml(*pc.root, true);
    } else {
      // Resolved values (defaults filled) as YAML, via the JSON view.
      auto tree = config::load_string(pc.to_json().dump(), "resolved");
      std::cout << config::to_yaml(*tree, false);
    }
  });

  auto* schema = cfg->add_subcommand("schema", "Print the reference of every section, component type and parameter (Markdown)");
  schema->callback([] {
    platform::register_types();
    std::cout << config::schema_markdown();
  });
}

}  // namespace slm::cli
