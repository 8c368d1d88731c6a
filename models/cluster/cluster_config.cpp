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
#define T(field, desc, mn, mx) C("timing." #field, timing.field, "cycles", desc, mn, mx)
const std::vector<Binding>& bindings() {
  static const std::vector<Binding> b = {
      C("cores", cores, "cores", "worker cores (overridden by --cores)", 1, 8),
      C("l1.size_bytes", l1_size_bytes, "bytes", "L1 TCDM size (multiple of 4 x banks, at most 2 MiB)", 4, 2u << 20),
      C("l1.banks", l1_banks, "banks", "word-interleaved L1 banks (power of two)", 1, 64),
      C("l2.size_bytes", l2_size_bytes, "bytes", "L2 size (multiple of 64 KiB; holds code, data and the tensors)", 65536, 64u << 20),
      C("l2.latency_cycles", l2_latency_cycles, "cycles", "extra cycles of a core's L2 load/store; also the DMA's start latency", 0, 1000),
      C("periph_latency_cycles", periph_latency_cycles, "cycles", "extra cycles of an event-unit or DMA register access", 0, 1000),
      C("event_unit.barrier_wake_cycles", barrier_wake_cycles, "cycles", "last barrier arrival -> team running again", 0, 1000),
      C("dma.setup_cycles", dma_setup_cycles, "cycles", "transfer enqueued -> first beat (plus l2.latency_cycles)", 0, 100000),
      C("quantum_cycles", quantum_cycles, "cycles", "0 or 1: lockstep, cores step one instruction at a time in global cycle order; N > 1: windows of N cycles (faster, same arbitration rule, equal claims ordered by window)", 0, 100000),
      C("dma.bytes_per_cycle", dma_bytes_per_cycle, "bytes/cycle", "DMA beat size: bytes moved per cycle", 1, 64),
      T(alu_cycles, "integer computational instruction", 1, 64),
      T(mul_cycles, "mul, p.mac, p.msu", 1, 64),
      T(mulh_cycles, "mulh, mulhsu, mulhu", 1, 64),
      T(div_min_cycles, "div/rem: this + leading zeros of the divisor", 1, 64),
      T(load_cycles, "load, one bus transaction (L1: + bank-conflict stalls; L2: + l2.latency_cycles)", 1, 64),
      T(store_cycles, "store, one bus transaction", 1, 64),
      T(load_use_stall_cycles, "the next instruction uses the loaded register", 0, 64),
      T(branch_cycles, "branch not taken", 1, 64),
      T(branch_taken_penalty_cycles, "extra cycles of a taken branch", 0, 64),
      T(jump_cycles, "jal, mret", 1, 64),
      T(jalr_cycles, "jalr", 1, 64),
      T(jalr_hazard_cycles, "extra when jalr reads the previous instruction's result", 0, 64),
      T(csr_cycles, "CSR access (most CSRs)", 1, 64),
      T(csr_slow_cycles, "CSR access to mstatus, mepc, mtvec, mcause, counters", 1, 64),
      T(fence_i_cycles, "fence.i", 1, 64),
      T(hwloop_jump_cycles, "jump back to a hardware loop's start", 0, 64),
      T(misaligned_split_cycles, "extra cycles of a misaligned load/store crossing a word boundary (2 bus transactions)", 0, 64),
  };
  return b;
}
#undef T
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
  auto binding = [](const std::string& path) -> const Binding* {
    for (const auto& c : bindings())
      if (path == c.key.path) return &c;
    return nullptr;
  };
  auto range_of = [&](const std::string& path) -> std::optional<config_ints::Range> {
    const Binding* b = binding(path);
    if (!b) return std::nullopt;
    return config_ints::Range{b->key.min, b->key.max};
  };
  for (const auto& [key, v] : config_ints::load(file, "cluster", range_of, "configs/cluster/siracusa.yaml"))
    binding(key)->set(cfg, v);
  try {
    cfg.validate();
  } catch (const Error& e) {
    throw err(file, ": ", e.what());
  }
  return cfg;
}

}  // namespace slm::cluster
