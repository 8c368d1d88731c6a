#include "sim/platform/platform.h"

#include <tlm>

#include "workloads/common/error.h"

namespace slm::platform {

void Component::bind_initiator(const std::string& port, TargetSocket&, const std::string& target_name,
                               const config::Mapping*) {
  throw err("'", module().basename(), "' has no initiator port", port.empty() ? "" : " '" + port + "'",
            " (cannot connect it to '", target_name, "')");
}

Platform::Platform(const config::PlatformConfig& cfg, stats::Group& root) : cfg_(cfg) {
  // --- params: already validated by config::load_platform ------------------------------
  auto path = [&](const std::string& n) { return root.path() + "." + n; };

  // --- instantiate (each type's factory) ----------------------------------------------
  for (const auto& c : cfg.components) {
    if (!c.type->create) throw err(c.node->where(), ": component type '", c.type->name, "' cannot be instantiated");
    comps_[c.name] = c.type->create(c.name, c.params, root);
    bindings_.add(path(c.name), c.type->energy_events);
    infos_.push_back({c.name, path(c.name), c.type->name, c.type->category});
    auto& entry = table_[path(c.name)];
    for (const auto& [k, v] : cfg.energy.at(c.name).items()) entry[k] = v.get<double>();
  }

  // --- bind + address map -------------------------------------------------------------
  for (const auto& cn : cfg.connections) {
    const auto where = cn.node ? cn.node->where() : cfg.file;
    const auto dot = cn.from.find('.');
    const std::string from = cn.from.substr(0, dot), port = dot == std::string::npos ? "" : cn.from.substr(dot + 1);
    TargetSocket* t = component(cn.to).target_port();
    if (!t) throw err(where, ": '", cn.to, "' has no target port (unsupported connection ", cn.from, " -> ", cn.to, ")");
    const config::Mapping* m = nullptr;
    for (const auto& am : cfg.address_map)
      if (am.target == cn.to) m = &am;
    try {
      component(from).bind_initiator(port, *t, cn.to, m);
    } catch (const Error& e) {
      throw err(where, ": ", e.what());
    }
  }
  for (const auto& c : cfg.components)
    if (std::string missing = comps_.at(c.name)->check_bound(); !missing.empty()) throw err(cfg.file, ": ", missing);

  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(cfg.simulation.quantum_ns, sc_core::SC_NS));
}

Platform::~Platform() = default;

Component& Platform::component(const std::string& name) const {
  auto it = comps_.find(name);
  if (it == comps_.end()) throw err("platform has no component named '", name, "'");
  return *it->second;
}

void Platform::throw_missing(const std::string& name, const char* what) const {
  throw err("platform has no ", what, " named '", name, "'");
}

uint64_t Platform::base(const std::string& name) const {
  for (const auto& m : cfg_.address_map)
    if (m.target == name) return m.base;
  throw err("'", name, "' is not in the address map");
}

Memory* Platform::memory_at(uint64_t addr, uint64_t* offset, std::string* name) const {
  for (const auto& m : cfg_.address_map)
    if (addr >= m.base && addr - m.base < m.size) {
      auto* mem = dynamic_cast<Memory*>(&comps_.at(m.target)->module());
      if (!mem) return nullptr;
      if (offset) *offset = addr - m.base;
      if (name) *name = m.target;
      return mem;
    }
  return nullptr;
}

}  // namespace slm::platform
