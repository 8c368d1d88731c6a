// Loader of configs/iss/rv32.yaml. See iss_config.h.
#include "sim/iss/iss_config.h"

#include <functional>
#include <optional>
#include <set>

#include "workloads/common/error.h"
#include "workloads/common/int_config.h"

namespace slm::iss {
namespace {
struct Binding {
  Key key;
  std::function<void(rv32::MachineConfig&, uint64_t)> set;
};
#define T(field, desc, mn, mx) \
  Binding{{"timing." #field, desc, mn, mx}, [](rv32::MachineConfig& c, uint64_t v) { c.timing.field = static_cast<uint32_t>(v); }}
const std::vector<Binding>& bindings() {
  static const std::vector<Binding> b = {
      {{"memory.base", "base address of the RAM (programs are linked at 0x80000000)", 0, 0xffffffffull},
       [](rv32::MachineConfig& c, uint64_t v) { c.ram_base = static_cast<uint32_t>(v); }},
      {{"memory.size_bytes", "RAM size, a multiple of 64 KiB (host memory is allocated up front)", 65536, 1ull << 31},
       [](rv32::MachineConfig& c, uint64_t v) { c.ram_size_bytes = static_cast<uint32_t>(v); }},
      {{"cores", "harts sharing the RAM (overridden by --cores)", 1, 64},
       [](rv32::MachineConfig& c, uint64_t v) { c.cores = static_cast<uint32_t>(v); }},
      {{"slice_instructions", "instructions a hart runs before the next hart's turn (cores > 1)", 1, 1ull << 32},
       [](rv32::MachineConfig& c, uint64_t v) { c.slice_instructions = v; }},
      {{"trap_misaligned", "1: misaligned loads/stores trap (mcause 4/6); 0: done in hardware as on CV32E40P", 0, 1},
       [](rv32::MachineConfig& c, uint64_t v) { c.timing.trap_misaligned = v != 0; }},
      T(alu_cycles, "integer computational instruction", 1, 64),
      T(mul_cycles, "mul, p.mac, p.msu (single-cycle 32x32 multiplier)", 1, 64),
      T(mulh_cycles, "mulh, mulhsu, mulhu", 1, 64),
      T(div_min_cycles, "div/divu/rem/remu: this + leading zeros of the divisor (3..35 on CV32E40P)", 1, 64),
      T(load_cycles, "load, one bus transaction", 1, 64),
      T(store_cycles, "store, one bus transaction", 1, 64),
      T(load_use_stall_cycles, "stall when the next instruction uses the loaded register", 0, 64),
      T(branch_cycles, "branch not taken", 1, 64),
      T(branch_taken_penalty_cycles, "extra cycles of a taken branch", 0, 64),
      T(jump_cycles, "jal, mret", 1, 64),
      T(jalr_cycles, "jalr", 1, 64),
      T(jalr_hazard_cycles, "extra when jalr reads the previous instruction's result", 0, 64),
      T(csr_cycles, "CSR access (most CSRs)", 1, 64),
      T(csr_slow_cycles, "CSR access to mstatus, mepc, mtvec, mcause, mcycle, minstret (+h), mcountinhibit", 1, 64),
      T(fence_i_cycles, "fence.i", 1, 64),
      T(hwloop_jump_cycles, "jump back to a hardware loop's start (zero-overhead: 0)", 0, 64),
      T(misaligned_split_cycles, "extra cycles of a misaligned load/store crossing a word boundary (2 bus transactions)", 0, 64),
      T(mem_latency_cycles, "extra cycles per load/store of the RAM (0: single-cycle TCDM)", 0, 1000),
  };
  return b;
}
#undef T

}  // namespace

const std::vector<Key>& config_keys() {
  static const std::vector<Key> keys = [] {
    std::vector<Key> k;
    for (const auto& b : bindings()) k.push_back(b.key);
    return k;
  }();
  return keys;
}

rv32::MachineConfig load_config(const std::string& file) {
  rv32::MachineConfig cfg;
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
  for (const auto& [key, v] : config_ints::load(file, "iss", range_of, "configs/iss/rv32.yaml")) binding(key)->set(cfg, v);
  if (cfg.ram_size_bytes % 65536 != 0)
    throw err(file, ": iss.memory.size_bytes = ", cfg.ram_size_bytes, ": must be a multiple of 64 KiB (the DMI page)");
  if (uint64_t{cfg.ram_base} + cfg.ram_size_bytes > 0x100000000ull)
    throw err(file, ": iss.memory: base + size_bytes = 0x", std::hex, uint64_t{cfg.ram_base} + cfg.ram_size_bytes,
              " is past the 32-bit address space");
  return cfg;
}

}  // namespace slm::iss
