// The component types of the models in models/, registered with the config TypeRegistry
// (one TypeSpec each; the platform instantiates them through their factories).
#include <tlm_utils/simple_target_socket.h>

#include "models/compute/compute_engine.h"
#include "models/cpu/host_cpu.h"
#include "models/dma/dma.h"
#include "models/interconnect/bus.h"
#include "models/mem/memory.h"
#include "models/npu/ethos_u85.h"
#include "sim/engine/cluster_engine.h"
#include "sim/iss/rv32_tlm.h"
#include "sim/platform/component.h"
#include "sim/platform/platform.h"
#include "workloads/common/error.h"

namespace slm::platform {
namespace {

class MemoryComponent : public ModuleComponent<Memory> {
 public:
  using ModuleComponent::ModuleComponent;
  TargetSocket* target_port() override { return &m_->socket; }
};

class BusComponent : public ModuleComponent<Bus> {
 public:
  using ModuleComponent::ModuleComponent;
  TargetSocket* target_port() override { return &m_->in; }
  void bind_initiator(const std::string& port, TargetSocket& target, const std::string& target_name,
                      const config::Mapping* mapping) override {
    if (!port.empty()) throw err("bus '", m_->name(), "' has one initiator port (out), not '", port, "'");
    if (!mapping) throw err("'", target_name, "' has no address_map entry (bus '", m_->basename(), "' routes by address)");
    m_->out.bind(target);
    m_->address_map().add(target_name, mapping->base, mapping->size, targets_++);
  }
  std::string check_bound() const override {
    return targets_ ? "" : std::string("bus '") + m_->basename() + "' has no targets (add {from: " + m_->basename() + ", to: MEMORY})";
  }

 private:
  unsigned targets_ = 0;
};

// A block with one initiator socket `socket` bound to one bus.
template <class M>
class InitiatorComponent : public ModuleComponent<M> {
 public:
  using ModuleComponent<M>::ModuleComponent;
  void bind_initiator(const std::string& port, TargetSocket& target, const std::string&, const config::Mapping*) override {
    const char* n = this->m_->basename();
    if (!port.empty()) throw err("'", n, "' has one initiator port, not '", port, "'");
    if (bound_) throw err("'", n, "' is already connected (one bus per initiator)");
    this->m_->socket.bind(target);
    bound_ = true;
  }
  std::string check_bound() const override {
    const char* n = this->m_->basename();
    return bound_ ? "" : std::string("'") + n + "' is not connected to a bus (add {from: " + n + ", to: BUS})";
  }

 private:
  bool bound_ = false;
};

// The NPU: a register window (target) and two classes of AXI ports (`NAME.sram`, `NAME.ext`).
class NpuComponent : public ModuleComponent<EthosU85> {
 public:
  using ModuleComponent::ModuleComponent;
  TargetSocket* target_port() override { return &m_->regs; }
  void bind_initiator(const std::string& port, TargetSocket& target, const std::string&, const config::Mapping*) override {
    const char* n = m_->basename();
    if (port != "sram" && port != "ext")
      throw err("NPU '", n, "' has initiator ports ", n, ".sram and ", n, ".ext", port.empty() ? "" : ", not '" + port + "'");
    bool& b = port == "sram" ? sram_ : ext_;
    if (b) throw err("NPU port ", n, ".", port, " is already connected");
    (port == "sram" ? m_->axi_sram : m_->axi_ext).bind(target);
    b = true;
  }
  std::string check_bound() const override {
    const char* n = m_->basename();
    if (!sram_ || !ext_) return std::string("NPU '") + n + "' needs both " + n + ".sram and " + n + ".ext connected to a bus";
    return "";
  }

 private:
  bool sram_ = false, ext_ = false;
};

template <class C, class M>
std::unique_ptr<Component> build(const std::string& name, const typename M::Params& p, stats::Group& root) {
  return std::make_unique<C>(std::make_unique<M>(name.c_str(), p, root));
}

TypeSpec<Memory> memory_type(const char* kind, const char* doc) {
  TypeSpec<Memory> t;
  t.name = kind;
  t.category = "memory";
  t.doc = doc;
  t.defaults.kind = kind;
  if (std::string(kind) == "flash") {
    t.defaults.read_only = true;
    t.hidden = {"read_only"};  // flash is always read-only
  }
  t.make = build<MemoryComponent, Memory>;
  t.mapped_bytes = [](const Memory::Params& p) { return p.size_bytes; };
  return t;
}

}  // namespace

void register_types() {
  static bool done = false;
  if (done) return;
  done = true;
  auto& r = config::TypeRegistry::instance();
  r.add(make_type(memory_type("sram", "On-chip SRAM: banked, N-cycle, read/write.")));
  r.add(make_type(memory_type("flash", "On- or off-chip flash: read-only at run time, slow reads, bursts.")));
  r.add(make_type(memory_type("mram", "MRAM: non-volatile, asymmetric read/write latency.")));
  r.add(make_type(memory_type("dram", "DRAM/LPDDR: row hits/misses, burst bandwidth.")));
  r.add(make_type(TypeSpec<Bus>{"bus", "interconnect", "Bus or crossbar: width, latency, arbitration, outstanding limits.",
                                {}, build<BusComponent, Bus>, {}, {}}));
  r.add(make_type(TypeSpec<Dma>{"dma", "dma", "Multi-channel DMA engine (1D/2D/3D descriptors).", {},
                                build<InitiatorComponent<Dma>, Dma>, {}, {}}));
  r.add(make_type(TypeSpec<ComputeEngine>{
      "compute", "compute", "Generic parametric compute engine: MACs/cycle per precision, element ops/cycle.", {},
      build<ModuleComponent<ComputeEngine>, ComputeEngine>, {}, {}}));
  r.add(make_type(TypeSpec<EthosU85>{"ethos_u85", "npu",
                                     "Ethos-U85-class NPU: executes command streams on data in memory (variants 128-2048 MACs).", {},
                                     build<NpuComponent, EthosU85>,
                                     [](const EthosU85::Params& p) { return p.register_window_bytes; }, {}}));
  r.add(make_type(TypeSpec<HostCpu>{"host_cpu", "cpu",
                                    "Host CPU cost model: per-op cycle table, data and register accesses through the bus.", {},
                                    build<InitiatorComponent<HostCpu>, HostCpu>, {}, {}}));
  r.add(make_type(TypeSpec<Rv32Tlm>{"rv32", "cpu",
                                    "RV32IMC + XpulpV2 instruction-set simulator hart (CV32E40P timing), DMI + TLM fallback; runs `program`.",
                                    {}, build<InitiatorComponent<Rv32Tlm>, Rv32Tlm>, {}, {}}));
  r.add(make_type(TypeSpec<RiscvCluster>{
      "riscv_cluster", "cluster",
      "Siracusa-class cluster of 1-8 RV32IMC+XpulpV2 ISS cores (models/cluster): runs each op as a compiled kernel on real data (docs/siracusa.md).",
      {}, build<ModuleComponent<RiscvCluster>, RiscvCluster>, {}, {}}));
  r.add(make_type(TypeSpec<NeurekaUnit>{
      "neureka", "accelerator",
      "The N-EUREKA engine of a riscv_cluster as its own energy domain: the cluster engine (key `neureka` of riscv_cluster) counts the engine's jobs, busy cycles, MACs and bytes on it; it does no work itself.",
      {}, build<ModuleComponent<NeurekaUnit>, NeurekaUnit>, {}, {}}));
}

}  // namespace slm::platform
