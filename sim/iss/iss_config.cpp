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
const std::vector<Binding>& bindings() {
  static const std::vector<Binding> b = [] {
    std::vector<Binding> v = {
        {{"memory.base", "base address of the RAM (programs are linked at 0x80000000)", 0, 0xffffffffull},
         [](rv32::MachineConfig& c, uint64_t x) { c.ram_base = static_cast<uint32_t>(x); }},
        {{"memory.size_bytes", "RAM size, a multiple of 64 KiB (host memory is allocated up front)", 65536, 1ull << 31},
         [](rv32::MachineConfig& c, uint64_t x) { c.ram_size_bytes = static_cast<uint32_t>(x); }},
        {{"cores", "harts sharing the RAM (overridden by --cores)", 1, 64},
         [](rv32::MachineConfig& c, uint64_t x) { c.cores = static_cast<uint32_t>(x); }},
        {{"slice_instructions", "instructions a hart runs before the next hart's turn (cores > 1)", 1, 1ull << 32},
         [](rv32::MachineConfig& c, uint64_t x) { c.slice_instructions = x; }},
        {{"trap_misaligned", "1: misaligned loads/stores trap (mcause 4/6); 0: done in hardware as on CV32E40P", 0, 1},
         [](rv32::MachineConfig& c, uint64_t x) { c.timing.trap_misaligned = x != 0; }},
    };
    for (const rv32::TimingKey& k : rv32::timing_keys())
      v.push_back({{k.path, k.desc, k.min, k.max},
                   [f = k.field](rv32::MachineConfig& c, uint64_t x) { c.timing.*f = static_cast<uint32_t>(x); }});
    return v;
  }();
  return b;
}

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
  config_ints::apply(file, "iss", bindings(), "configs/iss/rv32.yaml", cfg);
  if (cfg.ram_size_bytes % 65536 != 0)
    throw err(file, ": iss.memory.size_bytes = ", cfg.ram_size_bytes, ": must be a multiple of 64 KiB (the DMI page)");
  if (uint64_t{cfg.ram_base} + cfg.ram_size_bytes > 0x100000000ull)
    throw err(file, ": iss.memory: base + size_bytes = 0x", std::hex, uint64_t{cfg.ram_base} + cfg.ram_size_bytes,
              " is past the 32-bit address space");
  return cfg;
}

}  // namespace slm::iss
