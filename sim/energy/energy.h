// Energy costing: event counts x per-event cost + leakage x simulated time.
//
// Counting and costing are separate (Accelergy style). During simulation models only
// count (models/common/stats.h). Each model type declares its energy events
// (`static std::vector<params::EnergyEvent> energy_events()`: param pJ/unit x counter);
// the platform records, per component path, which events apply (Bindings) and dumps
// them with the stats. cost() then needs only that saved JSON and an energy table
// (component path -> param -> value), so a finished run can be re-costed with another
// table without re-simulating (`slmsim recost`). Per component:
//   dynamic_pj = sum over events of table[path][param] * counter(path, counter)
//   leakage_pj = table[path]["leakage_mw"] * sim_seconds * 1e9
// Totals are sums over components. Missing table entries or counters are slm::Errors.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/params.h"

namespace slm::energy {

struct Binding {
  std::string param;    // "read_pj_per_byte"
  std::string counter;  // "read_bytes"
};

// Component path ("soc.sram") -> its energy events. Every bound component also leaks.
class Bindings {
 public:
  void add(const std::string& path, const std::vector<params::EnergyEvent>& events);
  const std::map<std::string, std::vector<Binding>>& components() const { return by_path_; }
  // {"soc.sram": [{"param": "read_pj_per_byte", "counter": "read_bytes"}, ...], ...}
  nlohmann::json to_json() const;
  static Bindings from_json(const nlohmann::json& j, const std::string& where);

 private:
  std::map<std::string, std::vector<Binding>> by_path_;
};

// component path -> param ("read_pj_per_byte", "leakage_mw") -> value
using Table = std::map<std::string, std::map<std::string, double>>;
nlohmann::json table_to_json(const Table& t);
Table table_from_json(const nlohmann::json& j, const std::string& where);

// The energy-related fields (units pj, pj_per_byte, mw) of a Params struct, read
// through its describe() listing: a table entry for one component.
template <typename P>
std::map<std::string, double> table_entry(P& params);

struct ComponentEnergy {
  std::map<std::string, double> event_pj;  // param -> pJ
  double dynamic_pj = 0;
  double leakage_pj = 0;
  double total_pj() const { return dynamic_pj + leakage_pj; }
};

struct Result {
  std::map<std::string, ComponentEnergy> components;  // by path
  double dynamic_pj = 0;  // sum of the components' dynamic energy
  double leakage_pj = 0;  // sum of the components' leakage energy
  // Sum of the components' totals, in path order (so it equals that sum exactly; it may
  // differ from dynamic_pj + leakage_pj in the last bit).
  double total_pj() const;
  // {"components": {path: {dynamic_pj, leakage_pj, total_pj, events: {...}}}, "dynamic_pj",
  //  "leakage_pj", "total_pj", and with tokens > 0 "uj_per_token"}
  nlohmann::json to_json(uint64_t tokens = 0) const;
};

// `counters`: a stats dump (stats::Group::to_json, with or without meta) whose root
// object holds the top-level groups ("soc": {...}); counter values are looked up as
// path + "." + counter.
Result cost(const nlohmann::json& counters, const Bindings& bindings, const Table& table,
            double sim_seconds);

// ---- implementation of table_entry ----
namespace detail {
class EnergyFieldCollector : public params::Visitor {
 public:
  std::map<std::string, double> out;
  void field(const params::Field&, uint64_t&) override {}
  void field(const params::Field&, uint32_t&) override {}
  void field(const params::Field& f, double& v) override {
    if (f.unit == params::Unit::pj || f.unit == params::Unit::pj_per_byte || f.unit == params::Unit::mw)
      out[f.key] = v;
  }
  void field(const params::Field&, bool&) override {}
  void field(const params::Field&, std::string&, const std::vector<std::string>&) override {}
};
}  // namespace detail

template <typename P>
std::map<std::string, double> table_entry(P& params) {
  detail::EnergyFieldCollector c;
  P::describe(c, params);
  return c.out;
}

}  // namespace slm::energy
