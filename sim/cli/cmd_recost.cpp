// slmsim recost — re-cost a finished run with another energy table, without re-simulating.
//
//   slmsim recost REPORT.json --energy TABLE.yaml [--scale 2] [--json OUT]
// TABLE.yaml holds an `energy:` section keyed by component name (the same form as in a
// platform config, e.g. configs/parts/energy-mcu-u85.yaml). Components or parameters it does
// not mention keep the report's values. Every energy field of the report is recomputed from
// its saved counters (windows.*.counters) by the same code the run used.
#include <cmath>
#include <fstream>
#include <iostream>

#include "sim/cli/commands.h"
#include "sim/config/node.h"
#include "sim/config/units.h"
#include "sim/report/report.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::cli {

namespace {
struct RecostArgs {
  std::string report, energy, out;
  double scale = 1.0;
};

void recost(const RecostArgs& a) {
  nlohmann::json rep = report::load(a.report);  // every field it uses checked, with its path
  energy::Table table = energy::table_from_json(rep["energy"]["table"], a.report + ": energy.table");
  // Component paths in the report are "soc.<name>"; the YAML names components.
  auto path_of = [&](const std::string& name) -> std::string {
    for (const auto& [path, _] : table)
      if (path.substr(path.find('.') + 1) == name) return path;
    throw err(a.energy, ": energy entry for '", name, "': the report has no such component");
  };
  if (!a.energy.empty()) {
    auto root = config::load_file(a.energy);
    const config::Node* e = root->get("energy");
    if (!e || !e->is_map()) throw err(a.energy, ": expected an 'energy:' map of component -> {param: value}");
    for (const auto& [name, params] : e->map) {
      const std::string path = path_of(name);
      if (!params->is_map()) throw err(params->where(), ": expected a map of energy parameters");
      for (const auto& [k, v] : params->map) {
        if (!table[path].count(k))
          throw err(v->where(), ": '", k, "' is not an energy parameter of ", name, " in this report");
        const params::Unit u = k == "leakage_mw" ? params::Unit::mw
                               : k.find("pj_per_byte") != std::string::npos ? params::Unit::pj_per_byte
                                                                            : params::Unit::pj;
        const double x = config::parse_quantity(*v, u);
        if (!std::isfinite(x) || x < 0) throw err(v->where(), ": ", k, " = ", x, ": must be a finite value >= 0");
        table[path][k] = x;
      }
    }
  }
  if (a.scale != 1.0)
    for (auto& [path, entry] : table)
      for (auto& [k, v] : entry)
        if (k != "leakage_mw") v *= a.scale;
  try {
    report::apply_energy(rep, table);
  } catch (const nlohmann::json::exception&) {
    throw err(a.report, ": the report's energy windows do not fit its energy bindings (field energy.bindings)");
  }
  // Products of large counters and costs can overflow to infinity: refuse, never print inf.
  const double total = rep["energy"].value("total_uj", 0.0);
  if (!std::isfinite(total) || !std::isfinite(rep["prefill"].value("energy_uj", 0.0)))
    throw err(a.report, ": re-costed energy overflows (total ", total, " uJ): check the energy table and --scale");
  if (!a.out.empty()) io::write_file_atomic(a.out, rep.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  std::cout << report::summary(rep);
  io::check_stdout();
}
}  // namespace

void register_recost(CLI::App& app) {
  auto a = std::make_shared<RecostArgs>();
  auto* cmd = app.add_subcommand("recost", "Re-cost a run report with another energy table (no re-simulation)");
  cmd->add_option("report", a->report, "JSON report written by `slmsim run --json`")->required();
  cmd->add_option("--energy", a->energy, "YAML file with an energy: section (component -> parameter -> value)");
  cmd->add_option("--scale", a->scale, "multiply every dynamic energy parameter (not leakage) by this factor")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--json", a->out, "write the re-costed report here");
  cmd->callback([a] { recost(*a); });
}

}  // namespace slm::cli
