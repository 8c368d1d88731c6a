#include "sim/platform/platform.h"

#include <tlm>

#include "workloads/common/error.h"

namespace slm::platform {

namespace {

// Hides fields that a component type fixes (flash: read_only is always true).
class Hide : public params::Visitor {
 public:
  Hide(params::Visitor& inner, std::vector<std::string> hidden) : in_(inner), hidden_(std::move(hidden)) {}
  bool skip(const params::Field& f) const {
    for (const auto& h : hidden_) if (h == f.key) return true;
    return false;
  }
  void field(const params::Field& f, uint64_t& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, uint32_t& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, double& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, bool& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, std::string& v, const std::vector<std::string>& c) override {
    if (!skip(f)) in_.field(f, v, c);
  }
 private:
  params::Visitor& in_;
  std::vector<std::string> hidden_;
};

template <typename M>
config::ComponentType make_type(const std::string& name, const std::string& category, const std::string& doc,
                                typename M::Params defaults, std::vector<std::string> hidden = {}) {
  config::ComponentType t;
  t.name = name;
  t.category = category;
  t.doc = doc;
  t.make_default = [defaults] { return std::any(defaults); };
  t.describe = [hidden](params::Visitor& v, std::any& a) {
    Hide h(v, hidden);
    M::Params::describe(h, std::any_cast<typename M::Params&>(a));
  };
  t.validate = [](const std::any& a, const std::string& who) { std::any_cast<const typename M::Params&>(a).validate(who); };
  t.energy_events = M::energy_events();
  return t;
}

Memory::Params mem_kind(const char* kind) {
  Memory::Params p;
  p.kind = kind;
  if (std::string(kind) == "flash") p.read_only = true;
  return p;
}

}  // namespace

void register_types() {
  static bool done = false;
  if (done) return;
  done = true;
  auto& r = config::TypeRegistry::instance();
  r.add(make_type<Memory>("sram", "memory", "On-chip SRAM: banked, N-cycle, read/write.", mem_kind("sram")));
  r.add(make_type<Memory>("flash", "memory", "On- or off-chip flash: read-only at run time, slow reads, bursts.",
                          mem_kind("flash"), {"read_only"}));  // flash is always read-only
  r.add(make_type<Memory>("mram", "memory", "MRAM: non-volatile, asymmetric read/write latency.", mem_kind("mram")));
  r.add(make_type<Memory>("dram", "memory", "DRAM/LPDDR: row hits/misses, burst bandwidth.", mem_kind("dram")));
  r.add(make_type<Bus>("bus", "interconnect", "Bus or crossbar: width, latency, arbitration, outstanding limits.", Bus::Params{}));
  r.add(make_type<Dma>("dma", "dma", "Multi-channel DMA engine (1D/2D/3D descriptors).", Dma::Params{}));
  r.add(make_type<ComputeEngine>("compute", "compute",
                                 "Generic parametric compute engine: MACs/cycle per precision, element ops/cycle.",
                                 ComputeEngine::Params{}));
}

Platform::Platform(const config::PlatformConfig& cfg, stats::Group& root) : cfg_(cfg) {
  // --- params: already validated by config::load_platform ------------------------------
  auto path = [&](const std::string& n) { return root.path() + "." + n; };

  // --- instantiate --------------------------------------------------------------------
  for (const auto& c : cfg.components) {
    const std::string& cat = c.type->category;
    const char* nm = c.name.c_str();
    if (cat == "memory") {
      mems_[c.name] = std::make_unique<Memory>(nm, std::any_cast<const Memory::Params&>(c.params), root);
      bindings_.add(path(c.name), Memory::energy_events());
    } else if (cat == "interconnect") {
      buses_[c.name] = std::make_unique<Bus>(nm, std::any_cast<const Bus::Params&>(c.params), root);
      bindings_.add(path(c.name), Bus::energy_events());
    } else if (cat == "dma") {
      dmas_[c.name] = std::make_unique<Dma>(nm, std::any_cast<const Dma::Params&>(c.params), root);
      bindings_.add(path(c.name), Dma::energy_events());
    } else if (cat == "compute") {
      computes_[c.name] = std::make_unique<ComputeEngine>(nm, std::any_cast<const ComputeEngine::Params&>(c.params), root);
      bindings_.add(path(c.name), ComputeEngine::energy_events());
    } else {
      throw err(c.node->where(), ": component category '", cat, "' cannot be instantiated yet");
    }
    infos_.push_back({c.name, path(c.name), c.type->name, cat});
    auto& entry = table_[path(c.name)];
    for (const auto& [k, v] : cfg.energy.at(c.name).items()) entry[k] = v.get<double>();
  }

  // --- bind + address map -------------------------------------------------------------
  std::map<std::string, unsigned> bus_targets;  // bus name -> next out index
  std::map<std::string, bool> dma_bound;
  for (const auto& cn : cfg.connections) {
    const auto where = cn.node ? cn.node->where() : cfg.file;
    if (dmas_.count(cn.from) && buses_.count(cn.to)) {
      if (dma_bound[cn.from]) throw err(where, ": DMA '", cn.from, "' is already connected (one bus per DMA)");
      dmas_[cn.from]->socket.bind(buses_[cn.to]->in);
      dma_bound[cn.from] = true;
    } else if (buses_.count(cn.from) && mems_.count(cn.to)) {
      Bus& b = *buses_[cn.from];
      b.out.bind(mems_[cn.to]->socket);
      unsigned idx = bus_targets[cn.from]++;
      const config::Mapping* m = nullptr;
      for (const auto& am : cfg.address_map)
        if (am.target == cn.to) m = &am;
      if (!m) throw err(where, ": memory '", cn.to, "' has no address_map entry");
      b.address_map().add(cn.to, m->base, m->size, idx);
    } else {
      throw err(where, ": unsupported connection ", cn.from, " -> ", cn.to,
                " (supported: dma -> bus, bus -> memory)");
    }
  }
  for (const auto& [name, d] : dmas_)
    if (!dma_bound[name]) throw err(cfg.file, ": DMA '", name, "' is not connected to a bus (add {from: ", name, ", to: BUS})");
  for (const auto& [name, b] : buses_)
    if (!bus_targets[name]) throw err(cfg.file, ": bus '", name, "' has no targets (add {from: ", name, ", to: MEMORY})");

  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(cfg.simulation.quantum_ns, sc_core::SC_NS));
}

Platform::~Platform() = default;

namespace {
template <typename T>
T& lookup(const std::map<std::string, std::unique_ptr<T>>& m, const std::string& name, const char* what) {
  auto it = m.find(name);
  if (it == m.end()) throw err("platform has no ", what, " named '", name, "'");
  return *it->second;
}
}  // namespace

Memory& Platform::memory(const std::string& n) const { return lookup(mems_, n, "memory"); }
Dma& Platform::dma(const std::string& n) const { return lookup(dmas_, n, "DMA"); }
ComputeEngine& Platform::compute(const std::string& n) const { return lookup(computes_, n, "compute engine"); }
Bus& Platform::bus(const std::string& n) const { return lookup(buses_, n, "bus"); }
uint64_t Platform::base(const std::string& memory) const {
  for (const auto& m : cfg_.address_map)
    if (m.target == memory) return m.base;
  throw err("memory '", memory, "' is not in the address map");
}

}  // namespace slm::platform
