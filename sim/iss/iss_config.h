// The `slmsim iss` configuration (configs/iss/rv32.yaml): memory, harts and the timing
// table of the RV32 core. One listing of the keys (iss_config_keys) drives loading,
// validation (unknown keys and out-of-range values are errors naming file, key and value)
// and the table in docs/iss.md.
#pragma once
#include <string>
#include <vector>

#include "models/cpu/rv32/machine.h"

namespace slm::iss {

struct Key {
  const char* path;  // "timing.load_use_stall_cycles"
  const char* desc;
  uint64_t min, max;
};
const std::vector<Key>& config_keys();

// Loads FILE ("" = the built-in defaults, which equal configs/iss/rv32.yaml).
rv32::MachineConfig load_config(const std::string& file);

}  // namespace slm::iss
