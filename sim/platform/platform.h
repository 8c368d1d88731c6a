// Platform assembly: turns a validated PlatformConfig into SystemC modules, in three
// labelled blocks (style anchors: params, instantiate, bind + address map).
//
// Supported topology today: DMA engines are initiators bound to one bus each; a bus
// binds to the memories it maps (connections: {from: dma, to: bus}, {from: bus, to: MEM});
// the compute engine is fed by its DMA (engine: section) and has no port of its own.
// Memories get global addresses from address_map; the bus routes by it.
// Component names become stats paths "soc.<name>".
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/compute/compute_engine.h"
#include "models/dma/dma.h"
#include "models/interconnect/bus.h"
#include "models/mem/memory.h"
#include "sim/config/platform_config.h"
#include "sim/energy/energy.h"
#include "models/common/stats.h"

namespace slm::platform {

// Registers the component types (sram, flash, mram, dram, bus, dma, compute) with the
// config TypeRegistry. Idempotent; called by load functions that need the types.
void register_types();

class Platform {
 public:
  // Elaborates the modules (call before sc_start). Throws slm::Error for topologies it
  // cannot build, naming the connection.
  Platform(const config::PlatformConfig& cfg, stats::Group& root);
  ~Platform();

  const config::PlatformConfig& config() const { return cfg_; }
  Memory& memory(const std::string& name) const;
  Dma& dma(const std::string& name) const;
  ComputeEngine& compute(const std::string& name) const;
  Bus& bus(const std::string& name) const;
  uint64_t base(const std::string& memory) const;   // global address of a memory
  const energy::Bindings& energy_bindings() const { return bindings_; }
  const energy::Table& energy_table() const { return table_; }
  // Every component with its stats path and category, in config order.
  struct Info { std::string name, path, type, category; };
  const std::vector<Info>& components() const { return infos_; }

 private:
  const config::PlatformConfig& cfg_;
  std::map<std::string, std::unique_ptr<Memory>> mems_;
  std::map<std::string, std::unique_ptr<Bus>> buses_;
  std::map<std::string, std::unique_ptr<Dma>> dmas_;
  std::map<std::string, std::unique_ptr<ComputeEngine>> computes_;
  energy::Bindings bindings_;
  energy::Table table_;
  std::vector<Info> infos_;
};

}  // namespace slm::platform
