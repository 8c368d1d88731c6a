// Loader of configs/cluster/siracusa.yaml. See cluster_config.h.
#include "models/cluster/cluster_config.h"

#include <functional>
#include <optional>

#include "workloads/common/error.h"
#include "workloads/common/int_config.h"

namespace slm::cluster {
namespace {
struct Binding {
  ConfigKey key;
  std::function<void(ClusterConfig&, uint64_t)> set;
};
#define C(path, field, unit, desc, mn, mx) \
  Binding{{path, unit, desc, mn, mx}, [](ClusterConfig& c, uint64_t v) { c.field = static_cast<uint32_t>(v); }}
const std::vector<Binding>& bindings() {
  static const std::vector<Binding> b = [] {
    std::vector<Binding> v = {
        C("cores", cores, "cores", "worker cores (overridden by --cores)", 1, 8),
        C("controller", controller, "0/1", "a controller core (id = cores) boots the program, forks the workers and joins them (PULP's cluster controller)", 0, 1),
        C("l1.size_bytes", l1_size_bytes, "bytes", "L1 TCDM size (multiple of 4 x banks, at most 2 MiB)", 4, 2u << 20),
        C("l1.banks", l1_banks, "banks", "word-interleaved L1 banks (power of two)", 1, 64),
        C("l2.size_bytes", l2_size_bytes, "bytes", "L2 size (multiple of 64 KiB; holds code, data and the tensors)", 65536, 64u << 20),
        C("l2.latency_cycles", l2_latency_cycles, "cycles", "extra cycles of a core's L2 load/store; also the DMA's start latency", 0, 1000),
        C("periph_latency_cycles", periph_latency_cycles, "cycles", "extra cycles of an event-unit or DMA register access", 0, 1000),
        C("event_unit.barrier_wake_cycles", barrier_wake_cycles, "cycles", "the event ends a core's event-unit sleep (the last barrier arrival, the last worker's end for the join, a dispatch push) -> the core runs again (at least 1 for a dispatch pop)", 0, 1000),
        C("dma.setup_cycles", dma_setup_cycles, "cycles", "transfer enqueued -> first beat (plus l2.latency_cycles)", 0, 100000),
        C("quantum_cycles", quantum_cycles, "cycles", "0 or 1: lockstep, cores step one instruction at a time in global cycle order; N > 1: windows of N cycles (faster, same arbitration rule, equal claims ordered by window)", 0, 100000),
        C("dma.bytes_per_cycle", dma_bytes_per_cycle, "bytes/cycle", "DMA beat size: bytes moved per cycle", 1, 64),
        C("neureka.enabled", neureka, "0/1", "the N-EUREKA engine is present (job registers at 0x1020_1000)", 0, 1),
        C("neureka.reg_latency_cycles", neureka_reg_latency_cycles, "cycles", "extra cycles of a core's access to an N-EUREKA register", 0, 1000),
        C("wmem.size_bytes", wmem_size_bytes, "bytes", "weight memory (MRAM) at 0x1040_0000 behind N-EUREKA's direct port; 0 = none (multiple of 4, at most 8 MiB)", 0, 8u << 20),
        C("wmem.latency_cycles", wmem_latency_cycles, "cycles", "extra cycles of a core's load/store in the weight memory", 0, 1000),
        C("icache.enabled", icache, "0/1", "the instruction cache: per-core L0 + shared banked L1 icache, fetch stalls on misses; 0 = ideal fetch (no stalls)", 0, 1),
        C("icache.line_bytes", icache_line_bytes, "bytes", "line size of the L0s and the shared icache (16, 32 or 64); a core fetches 16-byte windows", 16, 64),
        C("icache.l0.sets", icache_l0_sets, "sets", "sets of each worker core's L0 (power of two)", 1, 1024),
        C("icache.l0.ways", icache_l0_ways, "ways", "ways of each worker core's L0 (power of two)", 1, 16),
        C("icache.l0.refill_cycles", icache_l0_refill_cycles, "cycles", "an L0 miss: these cycles + the shared icache's latency (0 on a hit)", 0, 1000),
        C("icache.l0_controller.sets", icache_l0_ctl_sets, "sets", "sets of the controller core's L0 (power of two)", 1, 1024),
        C("icache.l0_controller.ways", icache_l0_ctl_ways, "ways", "ways of the controller core's L0 (power of two)", 1, 16),
        C("icache.shared.banks", icache_shared_banks, "banks", "banks of the shared L1 icache, interleaved by line (power of two)", 1, 16),
        C("icache.shared.sets", icache_shared_sets, "sets", "sets per shared-icache bank (power of two)", 1, 1024),
        C("icache.shared.ways", icache_shared_ways, "ways", "ways of the shared icache (power of two)", 1, 16),
        C("icache.warm_between_runs", icache_warm, "0/1", "1: a restart (the cluster engine's next kernel run) keeps the cached lines, as kernels of one program would; 0: every run starts cold", 0, 1),
        C("icache.shared.refill_cycles", icache_shared_refill_cycles, "cycles", "a shared-icache miss: l2.latency_cycles + these cycles, one refill at a time per bank", 0, 1000),
    };
    // The core's timing table (rv32::timing_keys) except the flat RAM's latency: in the cluster
    // the memory latency comes from the banks, L2 and the peripherals above.
    for (const rv32::TimingKey& k : rv32::timing_keys())
      if (std::string(k.path) != "timing.mem_latency_cycles")
        v.push_back({{k.path, "cycles", k.desc, k.min, k.max},
                     [f = k.field](ClusterConfig& c, uint64_t x) { c.timing.*f = static_cast<uint32_t>(x); }});
    return v;
  }();
  return b;
}
#undef C

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = [] {
    std::vector<ConfigKey> k;
    for (const auto& b : bindings()) k.push_back(b.key);
    return k;
  }();
  return keys;
}

ClusterConfig load_config(const std::string& file) {
  ClusterConfig cfg;
  if (file.empty()) return cfg;
  config_ints::apply(file, "cluster", bindings(), "configs/cluster/siracusa.yaml", cfg);
  try {
    cfg.validate();
  } catch (const Error& e) {
    throw err(file, ": ", e.what());
  }
  return cfg;
}

}  // namespace slm::cluster
