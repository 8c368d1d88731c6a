// Loader of configs/iss/rv32.yaml. See iss_config.h.
#include "sim/iss/iss_config.h"

#include <functional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "workloads/common/error.h"

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

void walk(const YAML::Node& n, const std::string& prefix, std::vector<std::pair<std::string, YAML::Node>>& out) {
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = prefix + it->first.as<std::string>();
    if (it->second.IsMap()) walk(it->second, k + ".", out);
    else out.emplace_back(k, it->second);
  }
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
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw err(file, ": cannot open config");
  } catch (const YAML::Exception& e) {
    throw err(file, ": YAML error: ", e.what());
  }
  if (!root.IsMap() || !root["iss"] || !root["iss"].IsMap())
    throw err(file, ": expected a top-level 'iss:' section (see configs/iss/rv32.yaml)");
  for (auto it = root.begin(); it != root.end(); ++it)
    if (it->first.as<std::string>() != "iss")
      throw err(file, ": unknown top-level key '", it->first.as<std::string>(), "' (an ISS config has only 'iss:')");
  std::vector<std::pair<std::string, YAML::Node>> leaves;
  walk(root["iss"], "", leaves);
  for (const auto& [key, node] : leaves) {
    const Binding* b = nullptr;
    for (const auto& c : bindings())
      if (key == c.key.path) b = &c;
    if (!b) throw err(file, ": iss.", key, ": unknown key");
    uint64_t v = 0;
    const std::string text = node.Scalar();
    try {
      size_t used = 0;
      std::string t = text;
      uint64_t scale = 1;
      for (auto [suffix, mul] : {std::pair{" KiB", 1ull << 10}, std::pair{" MiB", 1ull << 20}, std::pair{" GiB", 1ull << 30}})
        if (t.size() > 4 && t.compare(t.size() - 4, 4, suffix) == 0) {
          scale = mul;
          t.resize(t.size() - 4);
        }
      if (t.empty() || t[0] == '-') throw std::invalid_argument("negative");
      v = std::stoull(t, &used, 0) * scale;
      if (used != t.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw err(file, ": iss.", key, " = '", text, "': expected a non-negative integer");
    }
    if (v < b->key.min || v > b->key.max)
      throw err(file, ": iss.", key, " = ", v, ": must be in [", b->key.min, ", ", b->key.max, "]");
    b->set(cfg, v);
  }
  if (cfg.ram_size_bytes % 65536 != 0)
    throw err(file, ": iss.memory.size_bytes = ", cfg.ram_size_bytes, ": must be a multiple of 64 KiB (the DMI page)");
  if (uint64_t{cfg.ram_base} + cfg.ram_size_bytes > 0x100000000ull)
    throw err(file, ": iss.memory: base + size_bytes = 0x", std::hex, uint64_t{cfg.ram_base} + cfg.ram_size_bytes,
              " is past the 32-bit address space");
  return cfg;
}

}  // namespace slm::iss
