// A platform configuration, loaded and validated from YAML (docs/config.md).
//
// File layout (every key is checked; unknown keys are errors):
//   slmsim_config: 1                  format version
//   name, description                 free text
//   include: [files]                  composition (sim/config/node.h)
//   simulation: {quantum_ns, ...}     kernel settings (SimulationParams)
//   components: {NAME: {type: T, ...params of T}}   T registered in the ComponentType registry
//   address_map: {NAME: {base: ADDR}} one entry per memory (and per register window, e.g. an
//                                     NPU's); size = the memory's size_bytes / the window's size
//   connections: [{from: A, to: B}]   initiator -> target (dma -> bus, bus -> memory, ...);
//                                     `from: A.port` picks one of A's initiator ports
//   engine: {compute: NAME, dma: NAME, weight_channel: N, activation_channel: N, ...}
//   placement: {weights|params|activations|kv_cache|output: MEMORY}
//   energy: {NAME: {<energy param of T>: value, leakage_mw: value}}
//   workload: {model, precision, prompt, steps, ...}   defaults for `slmsim run`
// Energy parameters (those named by a type's energy_events() plus leakage_mw) are written
// only under `energy:` — kept apart from timing parameters so a run can be re-costed.
#pragma once
#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/params.h"
#include "sim/config/node.h"

namespace slm::stats { class Group; }
namespace slm::platform { class Component; }

namespace slm::config {

// A component type that YAML can name (`type: sram`). Registered by sim/platform
// (platform::make_type builds one from a model's Params).
struct ComponentType {
  std::string name;      // "sram", "flash", "mram", "dram", "bus", "dma", "compute", ...
  std::string category;  // "memory", "interconnect", "dma", "compute", "npu", "cpu", "cluster", "accelerator"
  std::string doc;       // one line
  std::function<std::any()> make_default;                          // default Params
  std::function<void(params::Visitor&, std::any&)> describe;       // Params::describe
  std::function<void(const std::any&, const std::string&)> validate;  // cross-field checks (may be empty)
  std::vector<params::EnergyEvent> energy_events;
  // Factory: builds the block (sim/platform/component.h).
  std::function<std::unique_ptr<platform::Component>(const std::string&, const std::any&, stats::Group&)> create;
  // Bytes the block occupies in the address map (a memory's size, a register window);
  // empty for blocks that cannot be mapped.
  std::function<uint64_t(const std::any&)> mapped_bytes;
};

class TypeRegistry {
 public:
  static TypeRegistry& instance();
  void add(ComponentType t);
  const ComponentType* find(const std::string& name) const;
  std::vector<std::string> names() const;
 private:
  std::map<std::string, ComponentType> types_;
};

struct SimulationParams {
  double quantum_ns = 1000;  // temporal-decoupling quantum (0 = synchronise every transaction)
  static void describe(params::Visitor& v, SimulationParams& p);
};

struct EngineBinding {
  std::string compute;              // component running the ops: a generic `compute` engine or an NPU
  std::string host;                 // optional CPU running host work (embedding, token choice, unsupported ops)
  std::string shape_mode = "dynamic";  // NPU: dynamic (positions so far) | fixed (the whole context window every step)
  // Generic engine only:
  std::string dma;                  // DMA component feeding it
  std::string buffer;               // memory the DMA fills for it (its local SRAM)
  uint32_t weight_channel = 0;      // DMA channel streaming weight tiles
  uint32_t activation_channel = 1;  // DMA channel for activations / KV / params
  uint64_t tile_bytes = 0;          // weight tile; 0 = half the engine's local buffer (double buffering)
  bool prefetch_across_ops = true;  // stream the next op's first tiles during this op
  static void describe(params::Visitor& v, EngineBinding& p);
};

struct WorkloadDefaults {
  std::string model = "stories260K";
  std::string tokenizer;            // empty = none (token ids are printed)
  std::string fallback_model = "stories260K";  // used when ${MODELS} cannot be resolved
  std::string precision = "w8a16";
  std::string prompt;
  uint64_t steps = 32;
  uint64_t seed = 42;
  static void describe(params::Visitor& v, WorkloadDefaults& p);
};

struct ComponentConfig {
  std::string name;
  const ComponentType* type = nullptr;
  std::any params;                  // the type's Params, filled and validated
  const Node* node = nullptr;       // its YAML block (for messages)
  nlohmann::json resolved;          // every field with its value (config show, reports)
};

struct Mapping {
  std::string target;
  uint64_t base = 0, size = 0;
  const Node* node = nullptr;
};

struct Connection {
  std::string from, to;
  const Node* node = nullptr;
};

struct PlatformConfig {
  std::string file;
  std::string name, description;
  NodePtr root;                          // the resolved tree (after includes and --set)
  SimulationParams simulation;
  std::vector<ComponentConfig> components;
  std::vector<Mapping> address_map;      // sorted by base
  std::vector<Connection> connections;
  EngineBinding engine;
  std::map<std::string, std::string> placement;  // role name -> memory component
  WorkloadDefaults workload;
  nlohmann::json energy;                 // component -> {param: pJ or mW}

  const ComponentConfig* find(const std::string& name) const;
  const ComponentConfig& at(const std::string& name) const;  // throws slm::Error if absent
  template <typename P> const P& params(const std::string& name) const {
    return std::any_cast<const P&>(at(name).params);
  }
  nlohmann::json to_json() const;        // the resolved configuration
};

// Loads FILE, applies --set overrides ("a.b=v"; a first segment naming a component is
// shorthand for components.<name>), validates everything, fills typed Params. Throws
// slm::Error with file:line:col, key and value for the first problem found.
PlatformConfig load_platform(const std::string& file, const std::vector<std::string>& overrides = {});
// Same, but collects every problem instead of stopping at the first (config check).
std::vector<std::string> check_platform(const std::string& file, const std::vector<std::string>& overrides = {});

// Markdown reference of every component type and section (docs/config-reference.md).
std::string schema_markdown();

}  // namespace slm::config
