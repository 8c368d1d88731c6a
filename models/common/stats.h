// Named statistics, registered per component (gem5/GVSoC style).
//
// A component owns a stats::Group named after its instance ("soc.sram", "soc.dma.ch0");
// it registers counters once, each with a unit and a description, and its model code
// only increments them. Derived statistics (bandwidth, utilisation) are formulas
// evaluated at dump time from counters and simulated time. The registry dumps to JSON
// keyed by hierarchical name; energy (sim/energy) is computed from these counts later,
// so a finished run can be re-costed without re-simulating.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace slm::stats {

struct Counter {
  std::string name;   // leaf name: "read_bytes"
  std::string unit;   // "bytes", "transactions", "cycles", "MACs", ...
  std::string desc;   // one line
  uint64_t value = 0;
  Counter& operator+=(uint64_t v) { value += v; return *this; }
  Counter& operator++() { ++value; return *this; }
};

// A derived statistic: computed from counters (and simulated seconds) when dumped.
struct Formula {
  std::string name, unit, desc;
  std::function<double(double sim_seconds)> eval;
};

class Group {
 public:
  // With a parent, the group attaches itself to it (it appears in the parent's dumps) and
  // detaches when destroyed; a parent destroyed first detaches its attached children.
  // A sibling with the same name is an slm::Error (two instances named alike).
  Group(std::string name, Group* parent = nullptr);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const;  // "soc.dma.ch0"
  // Register a counter; the reference stays valid for the Group's lifetime.
  Counter& counter(const std::string& name, const std::string& unit, const std::string& desc);
  void formula(const std::string& name, const std::string& unit, const std::string& desc,
               std::function<double(double sim_seconds)> eval);
  Group& child(const std::string& name);  // creates on first use

  const Counter* find(const std::string& leaf) const;  // nullptr if absent
  // Visit every counter in this subtree with its full path.
  void for_each(const std::function<void(const std::string& path, const Counter&)>& fn) const;
  // {"counter": value, ..., "child": {...}}; with `meta`, each leaf is
  // {"value": v, "unit": u, "desc": d}. Formulas are evaluated with sim_seconds.
  nlohmann::json to_json(double sim_seconds, bool meta = false) const;
  void reset();  // zero all counters in the subtree

 private:
  std::string name_;
  Group* parent_;
  std::vector<std::unique_ptr<Counter>> counters_;
  std::vector<Formula> formulas_;
  std::map<std::string, std::unique_ptr<Group>> children_;  // owned, made by child()
  std::map<std::string, Group*> attached_;                  // not owned, attached by constructor
};

}  // namespace slm::stats
