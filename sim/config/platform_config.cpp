#include "sim/config/platform_config.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "sim/config/units.h"
#include "workloads/common/error.h"

namespace slm::config {

// ---------------------------------------------------------------------------------------
// Type registry

TypeRegistry& TypeRegistry::instance() {
  static TypeRegistry r;
  return r;
}
void TypeRegistry::add(ComponentType t) { types_[t.name] = std::move(t); }
const ComponentType* TypeRegistry::find(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}
std::vector<std::string> TypeRegistry::names() const {
  std::vector<std::string> v;
  for (auto& [k, _] : types_) v.push_back(k);
  return v;
}

// ---------------------------------------------------------------------------------------
// Problems: thrown at the first one (load) or collected (check).

namespace {

struct Problems {
  bool collect = false;
  std::vector<std::string> list;
  void add(const std::string& msg) {
    if (!collect) throw Error(msg);
    list.push_back(msg);
  }
  // Runs fn; in collect mode a slm::Error becomes a problem and false is returned.
  template <typename F> bool guard(F&& fn) {
    try {
      fn();
      return true;
    } catch (const Error& e) {
      if (!collect) throw;
      list.push_back(e.what());
      return false;
    }
  }
};

// "did you mean": the known key closest by edit distance, if close enough.
std::string near(const std::string& key, const std::vector<std::string>& known) {
  auto dist = [](const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::string best;
  size_t bd = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& k : known) {
    const size_t d = dist(key, k);
    if (d < bd) bd = d, best = k;
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Fills a Params struct from a YAML map through params::Visitor; records used keys.
class Reader : public params::Visitor {
 public:
  Reader(const Node* block, const Node* energy_block, const std::set<std::string>& energy_keys,
         Problems& pr, const std::string& who)
      : block_(block), energy_(energy_block), energy_keys_(energy_keys), pr_(pr), who_(who) {}

  std::set<std::string> used, used_energy;
  nlohmann::json resolved = nlohmann::json::object();

  void field(const params::Field& f, uint64_t& v) override {
    if (const Node* n = find(f)) pr_.guard([&] { v = parse_count(*n, f.unit); bounds(f, *n, double(v)); });
    resolved[f.key] = v;
  }
  void field(const params::Field& f, uint32_t& v) override {
    if (const Node* n = find(f))
      pr_.guard([&] {
        uint64_t x = parse_count(*n, f.unit);
        if (x > 0xffffffffull) throw err(n->where(), " = '", n->scalar, "': too large (max 4294967295)");
        bounds(f, *n, double(x));
        v = static_cast<uint32_t>(x);
      });
    resolved[f.key] = v;
  }
  void field(const params::Field& f, double& v) override {
    if (const Node* n = find(f)) pr_.guard([&] { v = parse_quantity(*n, f.unit); bounds(f, *n, v); });
    resolved[f.key] = v;
  }
  void field(const params::Field& f, bool& v) override {
    if (const Node* n = find(f)) pr_.guard([&] { v = parse_bool(*n); });
    resolved[f.key] = v;
  }
  void field(const params::Field& f, std::string& v, const std::vector<std::string>& choices) override {
    if (const Node* n = find(f))
      pr_.guard([&] {
        if (!n->is_scalar()) throw err(n->where(), ": expected a string");
        if (!choices.empty() && std::find(choices.begin(), choices.end(), n->scalar) == choices.end())
          throw err(n->where(), " = '", n->scalar, "': not one of ", join(choices));
        v = n->scalar;
      });
    resolved[f.key] = v;
  }

 private:
  const Node* find(const params::Field& f) {
    const bool is_energy = energy_keys_.count(f.key) > 0;
    const Node* src = is_energy ? energy_ : block_;
    const Node* n = src ? src->get(f.key) : nullptr;
    if (n) (is_energy ? used_energy : used).insert(f.key);
    if (!n && f.required) {
      const Node* at = src ? src : block_;
      pr_.add((at ? at->origin.str() + ": " : "") + who_ + ": missing required parameter '" + f.key + "' (" +
              f.desc + ")");
    }
    if (n && n->kind == Node::Kind::null) {
      pr_.add(n->where() + ": no value given");
      return nullptr;
    }
    return n;
  }
  void bounds(const params::Field& f, const Node& n, double v) {
    if (v < f.min || v > f.max) {
      std::ostringstream os;
      os << n.where() << " = '" << n.scalar << "': out of range [" << f.min << ", ";
      if (f.max == std::numeric_limits<double>::max()) os << "inf"; else os << f.max;
      os << "]";
      throw Error(os.str());
    }
  }
  const Node* block_;
  const Node* energy_;
  const std::set<std::string>& energy_keys_;
  Problems& pr_;
  std::string who_;
};

// Lists field keys (for unknown-key checks and suggestions).
class KeyLister : public params::Visitor {
 public:
  std::vector<std::string> keys;
  void field(const params::Field& f, uint64_t&) override { keys.push_back(f.key); }
  void field(const params::Field& f, uint32_t&) override { keys.push_back(f.key); }
  void field(const params::Field& f, double&) override { keys.push_back(f.key); }
  void field(const params::Field& f, bool&) override { keys.push_back(f.key); }
  void field(const params::Field& f, std::string&, const std::vector<std::string>&) override {
    keys.push_back(f.key);
  }
};

template <typename P>
void read_section(const Node* root, const char* key, P& p, Problems& pr, nlohmann::json* resolved = nullptr) {
  const Node* block = root->get(key);
  if (block && !block->is_map()) {
    pr.add(block->where() + ": expected a map");
    return;
  }
  static const std::set<std::string> no_energy;
  Reader r(block, nullptr, no_energy, pr, key);
  P::describe(r, p);
  if (block) {
    KeyLister kl;
    P::describe(kl, p);
    for (const auto& [k, v] : block->map)
      if (!r.used.count(k)) pr.add(v->where() + ": unknown key '" + k + "'" + near(k, kl.keys) + "; known keys: " + join(kl.keys));
  }
  if (resolved) *resolved = r.resolved;
}

const std::vector<std::string> kTopKeys = {"slmsim_config", "name",      "description", "include",
                                            "simulation",    "components", "address_map", "connections",
                                            "engine",        "placement", "energy",      "workload"};
const std::vector<std::string> kRoles = {"weights", "params", "activations", "kv_cache", "output"};

void validate_tree(PlatformConfig& pc, Problems& pr) {
  const Node* root = pc.root.get();
  for (const auto& [k, v] : root->map)
    if (std::find(kTopKeys.begin(), kTopKeys.end(), k) == kTopKeys.end())
      pr.add(v->where() + ": unknown top-level key '" + k + "'" + near(k, kTopKeys) + "; known keys: " + join(kTopKeys));

  // Version
  if (const Node* ver = root->get("slmsim_config")) {
    if (!ver->is_scalar() || ver->scalar != "1")
      pr.add(ver->where() + " = '" + (ver->is_scalar() ? ver->scalar : "?") + "': unsupported config format version (this slmsim reads 1)");
  } else {
    pr.add(pc.file + ": missing 'slmsim_config: 1' (config format version)");
  }
  if (const Node* n = root->get("name"); n && n->is_scalar()) pc.name = n->scalar;
  if (const Node* n = root->get("description"); n && n->is_scalar()) pc.description = n->scalar;

  read_section(root, "simulation", pc.simulation, pr);
  read_section(root, "engine", pc.engine, pr);
  read_section(root, "workload", pc.workload, pr);

  // Components
  const Node* comps = root->get("components");
  const Node* energy = root->get("energy");
  if (energy && !energy->is_map()) pr.add(energy->where() + ": expected a map of component -> energy parameters");
  if (!comps || !comps->is_map() || comps->map.empty()) {
    pr.add((comps ? comps->where() : pc.file) + ": 'components' must be a non-empty map of NAME: {type: ...}");
    return;
  }
  auto& reg = TypeRegistry::instance();
  std::set<std::string> energy_used_components;
  std::set<std::string> declared;  // every name under components:, valid or not (no cascades)
  for (const auto& [name, block] : comps->map) declared.insert(name);
  for (const auto& [name, block] : comps->map) {
    if (!block->is_map()) {
      pr.add(block->where() + ": expected a map with 'type' and parameters");
      continue;
    }
    const Node* tn = block->get("type");
    if (!tn || !tn->is_scalar()) {
      pr.add(block->where() + ": missing 'type' (one of " + join(reg.names()) + ")");
      continue;
    }
    const ComponentType* type = reg.find(tn->scalar);
    if (!type) {
      pr.add(tn->where() + " = '" + tn->scalar + "': unknown component type" + near(tn->scalar, reg.names()) +
             "; known types: " + join(reg.names()));
      continue;
    }
    const size_t problems_before_component = pr.list.size();
    ComponentConfig cc;
    cc.name = name;
    cc.type = type;
    cc.node = block.get();
    cc.params = type->make_default();
    std::set<std::string> ekeys{"leakage_mw"};
    for (const auto& e : type->energy_events) ekeys.insert(e.param);
    const Node* eblock = energy && energy->is_map() ? energy->get(name) : nullptr;
    if (eblock) energy_used_components.insert(name);
    if (eblock && !eblock->is_map()) {
      pr.add(eblock->where() + ": expected a map of energy parameters");
      eblock = nullptr;
    }
    Reader r(block.get(), eblock, ekeys, pr, "components." + name);
    type->describe(r, cc.params);
    KeyLister kl;
    type->describe(kl, cc.params);
    std::vector<std::string> timing_keys;
    for (const auto& k : kl.keys)
      if (!ekeys.count(k)) timing_keys.push_back(k);
    for (const auto& [k, v] : block->map) {
      if (k == "type" || r.used.count(k)) continue;
      if (ekeys.count(k))
        pr.add(v->where() + ": energy parameter '" + k + "' belongs under energy." + name + " (energy is kept apart from timing so runs can be re-costed)");
      else
        pr.add(v->where() + ": unknown key '" + k + "' for a component of type " + type->name + near(k, timing_keys) +
               "; known keys: " + join(timing_keys));
    }
    if (eblock)
      for (const auto& [k, v] : eblock->map)
        if (!r.used_energy.count(k))
          pr.add(v->where() + ": unknown energy parameter '" + k + "' for type " + type->name + "; known: " +
                 join(std::vector<std::string>(ekeys.begin(), ekeys.end())));
    if (type->validate && pr.list.size() == problems_before_component)
      pr.guard([&, &cname = name] { type->validate(cc.params, "components." + cname); });  // clang 14: no binding captures
    cc.resolved = r.resolved;
    cc.resolved["type"] = type->name;
    nlohmann::json e = nlohmann::json::object();
    for (const auto& k : ekeys)
      if (r.resolved.contains(k)) e[k] = r.resolved[k];
    pc.energy[name] = e;
    pc.components.push_back(std::move(cc));
  }
  if (energy && energy->is_map())
    for (const auto& [k, v] : energy->map)
      if (!energy_used_components.count(k) && !declared.count(k))
        pr.add(v->where() + ": energy entry for unknown component '" + k + "'");

  auto is_memory = [&](const std::string& n) {
    const ComponentConfig* c = pc.find(n);
    return c && c->type->category == "memory";
  };
  auto component_names = [&] {
    std::vector<std::string> v;
    for (const auto& c : pc.components) v.push_back(c.name);
    return v;
  };

  // Address map
  if (const Node* am = root->get("address_map")) {
    if (!am->is_map()) {
      pr.add(am->where() + ": expected a map NAME: {base: ADDRESS}");
    } else {
      for (const auto& [name, m] : am->map) {
        const ComponentConfig* c = pc.find(name);
        if (!c) {
          if (!declared.count(name))
            pr.add(m->where() + ": address_map entry for unknown component '" + name + "'" + near(name, component_names()));
          continue;
        }
        if (!c->type->mapped_bytes) {
          pr.add(m->where() + ": '" + name + "' is a " + c->type->category +
                 " without an address range; only memories and register windows are mapped");
          continue;
        }
        const Node* b = m->is_map() ? m->get("base") : nullptr;
        if (!b) {
          pr.add(m->where() + ": expected {base: ADDRESS}");
          continue;
        }
        for (const auto& [k, v] : m->map)
          if (k != "base") pr.add(v->where() + ": unknown key '" + k + "' (the size is the component's: a memory's size_bytes, a register window's size)");
        Mapping mp;
        mp.target = name;
        mp.node = b;
        pr.guard([&] { mp.base = parse_count(*b, params::Unit::none); });
        mp.size = c->type->mapped_bytes(c->params);
        pc.address_map.push_back(mp);
      }
      std::sort(pc.address_map.begin(), pc.address_map.end(),
                [](const Mapping& a, const Mapping& b) { return a.base < b.base; });
      for (size_t i = 1; i < pc.address_map.size(); ++i) {
        const auto& a = pc.address_map[i - 1];
        const auto& b = pc.address_map[i];
        if (a.base + a.size > b.base) {
          std::ostringstream os;
          os << b.node->where() << ": address range of '" << b.target << "' [0x" << std::hex << b.base << ", 0x"
             << b.base + b.size << ") overlaps '" << a.target << "' [0x" << a.base << ", 0x" << a.base + a.size
             << ") declared at " << a.node->origin.str();
          pr.add(os.str());
        }
      }
    }
  }
  for (const auto& c : pc.components)
    if (c.type->category == "memory" &&
        std::none_of(pc.address_map.begin(), pc.address_map.end(), [&](const Mapping& m) { return m.target == c.name; }))
      pr.add(c.node->where() + ": memory '" + c.name + "' has no address_map entry");

  // Connections
  if (const Node* cn = root->get("connections")) {
    if (!cn->is_seq()) {
      pr.add(cn->where() + ": expected a list of {from: A, to: B}");
    } else {
      for (const auto& e : cn->seq) {
        const Node* f = e->is_map() ? e->get("from") : nullptr;
        const Node* t = e->is_map() ? e->get("to") : nullptr;
        if (!f || !t || !f->is_scalar() || !t->is_scalar()) {
          pr.add(e->where() + ": expected {from: A, to: B}");
          continue;
        }
        // `from: A.port` names one initiator port of A.
        const std::string from_comp = f->scalar.substr(0, f->scalar.find('.'));
        if (!declared.count(from_comp))
          pr.add(f->where() + " = '" + f->scalar + "': unknown component" + near(from_comp, component_names()));
        if (!declared.count(t->scalar)) pr.add(t->where() + " = '" + t->scalar + "': unknown component" + near(t->scalar, component_names()));
        pc.connections.push_back({f->scalar, t->scalar, e.get()});
      }
    }
  }

  // Engine binding
  const Node* eng = root->get("engine");
  auto check_ref = [&, declared](const std::string& value, const char* key, const char* category) {
    const Node* n = eng ? eng->get(key) : nullptr;
    std::string at = n ? n->where() : pc.file + ": engine." + key;
    const ComponentConfig* c = pc.find(value);
    if (value.empty()) pr.add(at + ": required (name of a " + category + " component)");
    else if (!c) {
      if (!declared.count(value)) pr.add(at + " = '" + value + "': unknown component" + near(value, component_names()));
    }
    else if (c->type->category != category) pr.add(at + " = '" + value + "': is a " + c->type->category + ", expected a " + category);
  };
  // engine.compute: a generic compute engine (fed by engine.dma into engine.buffer) or an NPU.
  const ComponentConfig* engine_comp = pc.find(pc.engine.compute);
  const std::string engine_cat = engine_comp ? engine_comp->type->category : "compute";
  if (engine_cat == "npu") {
    check_ref(pc.engine.compute, "compute", "npu");
    if (pc.engine.host.empty())
      pr.add((eng ? eng->where() : pc.file + ": engine") + ": engine.compute = '" + pc.engine.compute +
             "' is an NPU: engine.host must name the host CPU that programs it");
  } else if (engine_cat == "cluster") {
    check_ref(pc.engine.compute, "compute", "cluster");  // runs on its own memories; engine.host (optional) runs what it cannot
  } else if (engine_cat != "compute") {
    pr.add((eng && eng->get("compute") ? eng->get("compute")->where() : pc.file + ": engine.compute") + " = '" +
           pc.engine.compute + "': is a " + engine_cat + ", expected a compute engine, an NPU or a cluster");
  } else {
    check_ref(pc.engine.compute, "compute", "compute");
    check_ref(pc.engine.dma, "dma", "dma");
    check_ref(pc.engine.buffer, "buffer", "memory");
    // The DMA channels the generic engine uses must exist (the same rule `run` applies).
    const ComponentConfig* d = pc.find(pc.engine.dma);
    if (d && d->type->category == "dma" && d->resolved.contains("channels") && d->resolved["channels"].is_number_unsigned()) {
      const uint64_t ch = d->resolved["channels"].get<uint64_t>();
      for (const auto& [key, value] : {std::pair<const char*, uint64_t>{"weight_channel", pc.engine.weight_channel},
                                       std::pair<const char*, uint64_t>{"activation_channel", pc.engine.activation_channel}})
        if (value >= ch) {
          const Node* n = eng ? eng->get(key) : nullptr;
          pr.add((n ? n->where() : pc.file + ": engine." + key) + " = " + std::to_string(value) + ": must be < " + std::to_string(ch) +
                 " (channels of DMA '" + pc.engine.dma + "')");
        }
    }
    // Weight tiles: two (double-buffered) must leave room for operands in the buffer.
    const ComponentConfig* b = pc.find(pc.engine.buffer);
    if (b && b->type->category == "memory" && b->resolved.contains("size_bytes") && b->resolved["size_bytes"].is_number_unsigned()) {
      const uint64_t size = b->resolved["size_bytes"].get<uint64_t>();
      const uint64_t tile = pc.engine.tile_bytes ? pc.engine.tile_bytes : size / 4;
      if (tile == 0 || 2 * tile >= size) {
        const Node* n = eng ? eng->get("tile_bytes") : nullptr;
        pr.add((n ? n->where() : pc.file + ": engine.tile_bytes") + " = " + std::to_string(tile) +
               ": two tiles must leave room for operands in buffer '" + pc.engine.buffer + "' (" + std::to_string(size) + " bytes)");
      }
    }
  }
  if (!pc.engine.host.empty()) check_ref(pc.engine.host, "host", "cpu");

  // Placement
  const Node* pl = root->get("placement");
  if (!pl || !pl->is_map()) {
    pr.add((pl ? pl->where() : pc.file) + ": 'placement' must map each of " + join(kRoles) + " to a memory");
  } else {
    for (const auto& [role, m] : pl->map) {
      if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end()) {
        pr.add(m->where() + ": unknown tensor role '" + role + "'" + near(role, kRoles) + "; roles: " + join(kRoles));
        continue;
      }
      if (!m->is_scalar() || !is_memory(m->scalar)) {
        if (!m->is_scalar() || !declared.count(m->scalar) || pc.find(m->scalar))
          pr.add(m->where() + " = '" + (m->is_scalar() ? m->scalar : "?") + "': not a memory component");
        pc.placement[role] = "";  // given (wrongly): no second message for a missing role
        continue;
      }
      pc.placement[role] = m->scalar;
    }
    for (const auto& role : kRoles)
      if (!pc.placement.count(role)) pr.add(pl->where() + ": no memory given for role '" + role + "'");
    for (auto it = pc.placement.begin(); it != pc.placement.end();)
      it = it->second.empty() ? pc.placement.erase(it) : std::next(it);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------

void SimulationParams::describe(params::Visitor& v, SimulationParams& p) {
  v.field({"quantum_ns", params::Unit::ns, "temporal-decoupling quantum: initiators run ahead of the kernel by at most this much (0 = lock-step)", false, 0, 1e12}, p.quantum_ns);
}

void EngineBinding::describe(params::Visitor& v, EngineBinding& p) {
  v.field({"compute", params::Unit::none, "component that executes the model's ops: a generic `compute` engine, an NPU or a RISC-V `cluster`", true}, p.compute, {});
  v.field({"host", params::Unit::none, "CPU component for host work (embedding lookup, token choice) and ops the engine does not support; empty = none", false}, p.host, {});
  v.field({"shape_mode", params::Unit::none, "NPU: `dynamic` computes attention over the positions so far; `fixed` over the whole context window every step, as a fixed-shape TFLite graph does", false}, p.shape_mode, {"dynamic", "fixed"});
  v.field({"dma", params::Unit::none, "generic engine: DMA component that feeds it", false}, p.dma, {});
  v.field({"buffer", params::Unit::none, "generic engine: memory the DMA fills for it: two weight-tile slots, then operands", false}, p.buffer, {});
  v.field({"weight_channel", params::Unit::none, "DMA channel streaming weight tiles", false, 0, 64}, p.weight_channel);
  v.field({"activation_channel", params::Unit::none, "DMA channel moving activations, KV cache and params", false, 0, 64}, p.activation_channel);
  v.field({"tile_bytes", params::Unit::bytes, "weight tile size; 0 = a quarter of the buffer (two tiles double-buffered, half left for operands)", false, 0, 1e12}, p.tile_bytes);
  v.field({"prefetch_across_ops", params::Unit::none, "stream the next op's first weight tiles while this op computes", false}, p.prefetch_across_ops);
}

void WorkloadDefaults::describe(params::Visitor& v, WorkloadDefaults& p) {
  v.field({"model", params::Unit::none, "checkpoint path, .slmq file or synthetic shape name; ${MODELS} = the shared model folder (SLMSIM_MODELS or ../shared/models)", false}, p.model, {});
  v.field({"tokenizer", params::Unit::none, "llama2.c tokenizer.bin (empty: print token ids); may use ${MODELS}", false}, p.tokenizer, {});
  v.field({"fallback_model", params::Unit::none, "shape used when a ${MODELS} path does not exist", false}, p.fallback_model, {});
  v.field({"precision", params::Unit::none, "integer precision scheme", false}, p.precision, {"w8a8", "w8a16", "w4a8"});
  v.field({"prompt", params::Unit::none, "prompt text", false}, p.prompt, {});
  v.field({"steps", params::Unit::none, "total positions (prompt + generated), as run.c -n", false, 1, 1e9}, p.steps);
  v.field({"seed", params::Unit::none, "seed of synthetic weights", false}, p.seed);
}

const ComponentConfig* PlatformConfig::find(const std::string& n) const {
  for (const auto& c : components)
    if (c.name == n) return &c;
  return nullptr;
}
const ComponentConfig& PlatformConfig::at(const std::string& n) const {
  const ComponentConfig* c = find(n);
  if (!c) throw err(file, ": no component named '", n, "'");
  return *c;
}

nlohmann::json PlatformConfig::to_json() const {
  nlohmann::json j;
  j["name"] = name;
  j["description"] = description;
  j["simulation"]["quantum_ns"] = simulation.quantum_ns;
  for (const auto& c : components) j["components"][c.name] = c.resolved;
  for (const auto& m : address_map) j["address_map"][m.target] = {{"base", m.base}, {"size", m.size}};
  j["connections"] = nlohmann::json::array();
  for (const auto& c : connections) j["connections"].push_back({{"from", c.from}, {"to", c.to}});
  j["engine"] = {{"compute", engine.compute}, {"dma", engine.dma}, {"buffer", engine.buffer}, {"weight_channel", engine.weight_channel},
                 {"activation_channel", engine.activation_channel}, {"tile_bytes", engine.tile_bytes},
                 {"prefetch_across_ops", engine.prefetch_across_ops}};
  j["placement"] = placement;
  j["energy"] = energy;
  j["workload"] = {{"model", workload.model}, {"tokenizer", workload.tokenizer}, {"fallback_model", workload.fallback_model}, {"precision", workload.precision},
                   {"prompt", workload.prompt}, {"steps", workload.steps}, {"seed", workload.seed}};
  return j;
}

namespace {
NodePtr load_with_overrides(const std::string& file, const std::vector<std::string>& overrides) {
  NodePtr root = load_file(file);
  const Node* comps = root->get("components");
  for (const auto& o : overrides) {
    std::string a = o;
    const auto dot = a.find('.');
    const auto eq = a.find('=');
    if (dot != std::string::npos && dot < eq && comps && comps->get(a.substr(0, dot)))
      a = "components." + a;  // --set npu.clock_hz=... is shorthand for components.npu.clock_hz
    apply_override(root, a);
  }
  return root;
}

PlatformConfig load_impl(const std::string& file, const std::vector<std::string>& overrides, Problems& pr) {
  PlatformConfig pc;
  pc.file = file;
  pc.root = load_with_overrides(file, overrides);
  validate_tree(pc, pr);
  return pc;
}
}  // namespace

PlatformConfig load_platform(const std::string& file, const std::vector<std::string>& overrides) {
  Problems pr;
  return load_impl(file, overrides, pr);
}

std::vector<std::string> check_platform(const std::string& file, const std::vector<std::string>& overrides) {
  Problems pr;
  pr.collect = true;
  try {
    load_impl(file, overrides, pr);
  } catch (const Error& e) {  // syntax errors and the like stop early even when collecting
    pr.list.push_back(e.what());
  }
  return pr.list;
}

// ---------------------------------------------------------------------------------------
// Reference documentation

namespace {
class DocWriter : public params::Visitor {
 public:
  std::ostringstream os;
  const std::set<std::string>* energy = nullptr;
  bool want_energy = false;
  void row(const params::Field& f, const std::string& type, const std::string& def) {
    if (energy && (energy->count(f.key) > 0) != want_energy) return;
    os << "| `" << f.key << "` | " << type << " | " << (f.unit == params::Unit::none ? "" : accepted_units(f.unit))
       << " | " << (f.required ? "**required**" : def) << " | " << f.desc << " |\n";
  }
  static std::string num(double d) {
    std::ostringstream s;
    s << d;
    return s.str();
  }
  void field(const params::Field& f, uint64_t& v) override { row(f, "integer", num(double(v))); }
  void field(const params::Field& f, uint32_t& v) override { row(f, "integer", num(double(v))); }
  void field(const params::Field& f, double& v) override { row(f, "number", num(v)); }
  void field(const params::Field& f, bool& v) override { row(f, "bool", v ? "true" : "false"); }
  void field(const params::Field& f, std::string& v, const std::vector<std::string>& choices) override {
    row(f, choices.empty() ? "string" : "one of " + join(choices), v.empty() ? "\"\"" : "`" + v + "`");
  }
};
const char* kHeader = "| key | type | units accepted | default | description |\n|---|---|---|---|---|\n";
}  // namespace

std::string schema_markdown() {
  std::ostringstream os;
  os << "# Configuration reference\n\n"
        "Generated by `slmsim config schema` from the parameter listings in the code; do not edit by hand.\n"
        "A number without a unit is in the unit named by the key's suffix (`_bytes`, `_hz`, `_cycles`,\n"
        "`_ns`, `_pj`, `_pj_per_byte`, `_mw`); a string may carry any unit of the same dimension.\n\n";
  auto section = [&](const char* title, const char* key, auto p) {
    DocWriter w;
    decltype(p)::describe(w, p);
    os << "## `" << key << ":` — " << title << "\n\n" << kHeader << w.os.str() << "\n";
  };
  section("simulation kernel", "simulation", SimulationParams{});
  section("which engine runs the trace and how it is fed", "engine", EngineBinding{});
  section("defaults for `slmsim run`", "workload", WorkloadDefaults{});
  os << "## `placement:` — where each tensor role lives\n\nMaps each role (" << join(kRoles)
     << ") to a memory component.\n\n";
  for (const auto& name : TypeRegistry::instance().names()) {
    const ComponentType* t = TypeRegistry::instance().find(name);
    std::any p = t->make_default();
    std::set<std::string> ekeys{"leakage_mw"};
    for (const auto& e : t->energy_events) ekeys.insert(e.param);
    DocWriter w;
    w.energy = &ekeys;
    t->describe(w, p);
    os << "## component `type: " << name << "` (" << t->category << ")\n\n" << t->doc << "\n\n" << kHeader
       << w.os.str() << "\nEnergy parameters, under `energy: {" << "NAME: {...}}`:\n\n";
    DocWriter we;
    we.energy = &ekeys;
    we.want_energy = true;
    t->describe(we, p);
    os << kHeader << we.os.str();
    for (const auto& e : t->energy_events) os << "- `" << e.param << "` × counter `" << e.counter << "`: " << e.desc << "\n";
    os << "- `leakage_mw` × simulated seconds\n\n";
  }
  return os.str();
}

}  // namespace slm::config
