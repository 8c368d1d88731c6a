// iss_run_tlm: a small SystemC platform for the RV32 ISS through its TLM wrapper: one
// SRAM (the program's memory at mem_base), a crossbar bus and `cores` Rv32Tlm harts that
// all run one ELF program; hart 0's HTIF exit ends the run. Used by `slmsim bench iss`
// (N cores through TLM) and tests/sim/iss_tlm_test.cpp. Call once per process (SystemC
// elaborates once). The SRAM runs at the core clock; its DMI latency is
// (mem_latency_cycles + 1) cycles, so 0 is a single-cycle TCDM (loads cost load_cycles).
#pragma once
#include <cstdint>
#include <string>

namespace slm::iss {

struct TlmRunResult {
  int exit_code = -1;
  bool exited = false;
  std::string console, error;
  uint64_t instructions = 0;       // all harts
  uint64_t hart0_cycles = 0;
  double sim_seconds = 0;          // simulated time at the end
  double wall_seconds = 0, cpu_seconds = 0;
};

TlmRunResult run_tlm(const std::string& elf, uint32_t cores, uint32_t mem_base = 0x80000000u,
                     uint64_t mem_size_bytes = 16u << 20, uint32_t mem_latency_cycles = 0);

}  // namespace slm::iss
