// Platform assembly: turns a validated PlatformConfig into SystemC modules, in three
// labelled blocks (style anchors: params, instantiate, bind + address map).
//
// Every block is created by its type's factory (sim/platform/component.h; the types of
// models/ are registered in sim/platform/types.cpp). A connection {from: A[.port], to: B}
// binds an initiator port of A to B's target port; a bus adds B's address_map range to its
// routing table. Memories and register windows get global addresses from address_map.
// Component names become stats paths "soc.<name>".
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/common/stats.h"
#include "models/compute/compute_engine.h"
#include "models/dma/dma.h"
#include "models/interconnect/bus.h"
#include "models/mem/memory.h"
#include "sim/config/platform_config.h"
#include "sim/energy/energy.h"
#include "sim/platform/component.h"

namespace slm::platform {

// Registers the component types of models/ with the config TypeRegistry. Idempotent;
// called by load functions that need the types.
void register_types();

class Platform {
 public:
  // Elaborates the modules (call before sc_start). Throws slm::Error for topologies it
  // cannot build, naming the connection.
  Platform(const config::PlatformConfig& cfg, stats::Group& root);
  ~Platform();

  const config::PlatformConfig& config() const { return cfg_; }
  Component& component(const std::string& name) const;  // slm::Error if absent
  // The block `name` as model type M; slm::Error naming `what` if absent or of another type.
  template <class M>
  M& get(const std::string& name, const char* what) const {
    auto it = comps_.find(name);
    M* m = it == comps_.end() ? nullptr : dynamic_cast<M*>(&it->second->module());
    if (!m) throw_missing(name, what);
    return *m;
  }
  Memory& memory(const std::string& name) const { return get<Memory>(name, "memory"); }
  Dma& dma(const std::string& name) const { return get<Dma>(name, "DMA"); }
  ComputeEngine& compute(const std::string& name) const { return get<ComputeEngine>(name, "compute engine"); }
  Bus& bus(const std::string& name) const { return get<Bus>(name, "bus"); }
  uint64_t base(const std::string& name) const;    // global address of a memory or register window
  // The memory holding global address `addr` (and the offset in it); nullptr if none.
  Memory* memory_at(uint64_t addr, uint64_t* offset = nullptr, std::string* name = nullptr) const;
  const energy::Bindings& energy_bindings() const { return bindings_; }
  const energy::Table& energy_table() const { return table_; }
  // Every component with its stats path and category, in config order.
  struct Info { std::string name, path, type, category; };
  const std::vector<Info>& components() const { return infos_; }

 private:
  [[noreturn]] void throw_missing(const std::string& name, const char* what) const;
  const config::PlatformConfig& cfg_;
  std::map<std::string, std::unique_ptr<Component>> comps_;
  energy::Bindings bindings_;
  energy::Table table_;
  std::vector<Info> infos_;
};

}  // namespace slm::platform
