// libFuzzer target for the RV32 ELF loader (models/cpu/rv32/elf.cpp) and the machine's
// segment placement: any byte string must either load or be rejected with slm::Error,
// never crash, hang or read out of bounds. A program that loads runs for at most 2000
// instructions on a 1 MiB machine (traps and faults are simulated, never host faults).
// Seeds: tests/fuzz/corpus/elf/ (a minimal valid ELF, a real cross-compiled program).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/cpu/rv32/elf.h"
#include "models/cpu/rv32/machine.h"
#include "workloads/common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    const slm::rv32::ElfImage img = slm::rv32::parse_elf(bytes, "fuzz.elf");
    slm::rv32::MachineConfig cfg;
    cfg.ram_size_bytes = 1u << 20;
    slm::rv32::Machine m(cfg);
    m.load(img);
    m.run(2000);
  } catch (const slm::Error&) {
    // a clean rejection
  }
  return 0;
}
