// HostCpu: the application processor next to an accelerator (a Cortex-M on an MCU, a
// Cortex-A cluster on a phone), as a cost model: it runs the host side of inference
// (embedding lookup, token selection, ops the accelerator does not support) and programs
// the accelerator's registers.
//
// Modelled: a single in-order core at clock_hz. Work is charged from a per-operation
// cost table (cycles per element / per MAC, from the config, each with its source) plus a
// fixed per-op overhead; the core is busy for that long (a Resource). Its data accesses go
// through `socket` as TLM transactions of at most line_bytes (a cache-line fill or a bus
// burst), max_outstanding at a time, so they cost what the bus and memories say and contend
// with the accelerator's traffic. Register accesses (MMIO) are single 32-bit transactions.
// Not modelled: instruction fetch, caches (every access goes to the bus), interrupts'
// latency beyond one register read, the OS. Compiled Cortex-M kernels replace the table
// in a later issue.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "models/common/clock.h"
#include "models/common/params.h"
#include "models/common/resource.h"
#include "models/common/stats.h"

namespace slm {

class HostCpu : public sc_core::sc_module {
 public:
  struct Params {
    uint64_t clock_hz = 100'000'000;
    uint32_t op_overhead_cycles = 0;      // call + loop set-up per op
    double embed_cycles_per_element = 1;  // gather + requantise one embedding element
    double argmax_cycles_per_element = 1; // compare-and-select over the logits
    double mac_cycles = 1;                // cycles per multiply-accumulate (ops run on the host)
    double elem_cycles = 1;               // cycles per element-wise operation
    uint32_t line_bytes = 32;             // bytes per data transaction
    uint32_t max_outstanding = 1;         // data transactions in flight
    double active_pj_per_cycle = 0;       // energy per busy cycle
    double leakage_mw = 0;

    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events();

  tlm_utils::simple_initiator_socket<HostCpu> socket;

  HostCpu(sc_core::sc_module_name name, const Params& p, stats::Group& parent);

  // SC_THREAD context. Busy for `cycles` of this core (after what it is already doing).
  void busy(uint64_t cycles);
  // Timed data accesses through the bus (line_bytes per transaction); slm::Error on a bus error.
  void read(uint64_t addr, void* dst, uint64_t n);
  void write(uint64_t addr, const void* src, uint64_t n);
  // Register (MMIO) accesses: one 32-bit transaction each.
  uint32_t read32(uint64_t addr);
  void write32(uint64_t addr, uint32_t v);

  const Params& params() const { return p_; }
  const Clock& clock() const { return clk_; }
  const stats::Group& stats() const { return stats_; }

 private:
  void access(bool is_write, uint64_t addr, uint8_t* data, uint64_t n);

  Params p_;
  Clock clk_;
  Resource core_;
  tlm::tlm_generic_payload tx_;

  stats::Group stats_;
  stats::Counter& busy_cycles_;
  stats::Counter& bytes_read_;
  stats::Counter& bytes_written_;
  stats::Counter& mmio_accesses_;
};

}  // namespace slm
