// Energy costing from saved counters: see energy.h.
#include "sim/energy/energy.h"

#include "workloads/common/error.h"

namespace slm::energy {
namespace {

// The counter `leaf` of group `path` ("soc.sram") in a stats dump.
double counter_value(const nlohmann::json& root, const std::string& path, const std::string& leaf) {
  const nlohmann::json* node = &root;
  size_t begin = 0;
  for (;;) {
    const size_t dot = path.find('.', begin);
    const std::string part = path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    if (!node->is_object() || !node->contains(part))
      throw slm::err("energy: stats have no component '", path, "' (missing '", part, "')");
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  if (!node->is_object() || !node->contains(leaf))
    throw slm::err("energy: stats of '", path, "' have no counter '", leaf, "'");
  const nlohmann::json& v = (*node)[leaf];
  const nlohmann::json& num = v.is_object() && v.contains("value") ? v["value"] : v;
  if (!num.is_number()) throw slm::err("energy: counter '", path, ".", leaf, "' is not a number");
  return num.get<double>();
}

double table_value(const Table& t, const std::string& path, const std::string& param) {
  auto c = t.find(path);
  if (c == t.end()) throw slm::err("energy table: no entry for component '", path, "'");
  auto p = c->second.find(param);
  if (p == c->second.end()) throw slm::err("energy table: component '", path, "' has no '", param, "'");
  return p->second;
}

}  // namespace

void Bindings::add(const std::string& path, const std::vector<params::EnergyEvent>& events) {
  auto& v = by_path_[path];
  v.clear();
  for (const auto& e : events) v.push_back(Binding{e.param, e.counter});
}

nlohmann::json Bindings::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [path, list] : by_path_) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& b : list) a.push_back({{"param", b.param}, {"counter", b.counter}});
    j[path] = a;
  }
  return j;
}

Bindings Bindings::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw slm::err(where, ": energy bindings must be an object of component -> list");
  Bindings b;
  for (const auto& [path, list] : j.items()) {
    if (!list.is_array()) throw slm::err(where, ": energy bindings of '", path, "' must be a list");
    auto& v = b.by_path_[path];
    for (const auto& e : list) {
      if (!e.is_object() || !e.contains("param") || !e.contains("counter") || !e["param"].is_string() ||
          !e["counter"].is_string())
        throw slm::err(where, ": energy binding of '", path, "' needs string fields param and counter: ", e.dump());
      v.push_back(Binding{e["param"].get<std::string>(), e["counter"].get<std::string>()});
    }
  }
  return b;
}

nlohmann::json table_to_json(const Table& t) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [path, entry] : t)
    for (const auto& [param, v] : entry) j[path][param] = v;
  return j;
}

Table table_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw slm::err(where, ": energy table must be an object of component -> {param: value}");
  Table t;
  for (const auto& [path, entry] : j.items()) {
    if (!entry.is_object()) throw slm::err(where, ": energy table entry '", path, "' must be an object");
    for (const auto& [param, v] : entry.items()) {
      if (!v.is_number()) throw slm::err(where, ": energy table '", path, ".", param, "' = ", v.dump(), ": not a number");
      const double x = v.get<double>();
      if (!(x >= 0)) throw slm::err(where, ": energy table '", path, ".", param, "' = ", x, ": must be >= 0");
      t[path][param] = x;
    }
  }
  return t;
}

Result cost(const nlohmann::json& counters, const Bindings& bindings, const Table& table, double sim_seconds) {
  if (!(sim_seconds >= 0)) throw slm::err("energy: simulated time ", sim_seconds, " s must be >= 0");
  Result r;
  for (const auto& [path, list] : bindings.components()) {
    ComponentEnergy ce;
    for (const auto& b : list) {
      const double pj = table_value(table, path, b.param) * counter_value(counters, path, b.counter);
      ce.event_pj[b.param] += pj;
      ce.dynamic_pj += pj;
    }
    ce.leakage_pj = table_value(table, path, "leakage_mw") * sim_seconds * 1e9;  // mW x s = 1e9 pJ
    r.dynamic_pj += ce.dynamic_pj;
    r.leakage_pj += ce.leakage_pj;
    r.components[path] = ce;
  }
  return r;
}

double Result::total_pj() const {
  double t = 0;
  for (const auto& [path, c] : components) t += c.total_pj();
  return t;
}

nlohmann::json Result::to_json(uint64_t tokens) const {
  nlohmann::json j;
  nlohmann::json comps = nlohmann::json::object();
  for (const auto& [path, c] : components) {
    comps[path] = {{"dynamic_pj", c.dynamic_pj}, {"leakage_pj", c.leakage_pj}, {"total_pj", c.total_pj()},
                   {"events_pj", c.event_pj}};
    if (tokens > 0) comps[path]["uj_per_token"] = c.total_pj() * 1e-6 / double(tokens);
  }
  j["components"] = comps;
  j["dynamic_pj"] = dynamic_pj;
  j["leakage_pj"] = leakage_pj;
  j["total_pj"] = total_pj();
  if (tokens > 0) j["uj_per_token"] = total_pj() * 1e-6 / double(tokens);
  return j;
}

}  // namespace slm::energy
