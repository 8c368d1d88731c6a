// Rv32Tlm: the RV32 ISS core (models/cpu/rv32, SystemC-free) as a TLM-2.0 initiator.
//
// One hart per component. Its memory interface is the component's `socket`: the core's
// fast path is DMI, requested page by page (64 KiB) over [dmi_base, dmi_base + dmi_size);
// everything else (MMIO, memories that refuse DMI) goes through b_transport and its
// annotated delay becomes core cycles. The core runs `quantum_instructions` at a time
// inside an SC_THREAD, then waits for the simulated time those instructions took
// (cycles / clock_hz): harts on one bus interleave at that granularity (loosely timed).
// With `program` set, the ELF is written into memory through the debug transport at the
// start of simulation and the hart starts at its entry; HTIF (tohost) ends the hart's run
// (exit code, console). Memory latency comes from the platform: a DMI load/store costs
// the memory's DMI read latency in core cycles (at least load_cycles; the excess is added
// as timing.mem_latency_cycles), a b_transport its annotated delay.
// Stats: instructions, cycles. Not modelled: interrupts, DMI
// invalidation by other initiators (the core re-requests DMI only at start).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/common/params.h"
#include "models/common/stats.h"
#include "models/cpu/rv32/machine.h"

namespace slm {

class Rv32Tlm : public sc_core::sc_module, public rv32::MemoryPort {
 public:
  struct Params {
    uint64_t clock_hz = 100'000'000;
    uint32_t hart_id = 0;
    uint64_t dmi_base = 0x80000000u;           // bus address of the code/data memory
    uint64_t dmi_size_bytes = 16u << 20;       // window tried for DMI (64 KiB pages)
    uint64_t quantum_instructions = 10000;     // instructions per SC_THREAD slice
    std::string program;                       // ELF to load and run ("" = start() by hand)
    bool dmi_latency_from_memory = true;       // DMI accesses cost the memory's DMI read latency
    rv32::Timing timing;
    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events() { return {}; }

  tlm_utils::simple_initiator_socket<Rv32Tlm> socket;

  Rv32Tlm(sc_core::sc_module_name name, const Params& p, stats::Group& parent);
  ~Rv32Tlm() override;

  // Before sc_start: run from `pc` with HTIF on `tohost` (0 = none) reporting into `htif`.
  void start(uint32_t pc, uint32_t tohost, rv32::HtifState* htif);
  rv32::Core& core() { return *core_; }
  bool done() const { return done_; }

  // rv32::MemoryPort
  rv32::DmiRegion dmi() override;
  uint8_t* dmi_page(uint32_t page_addr) override;
  bool load(uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles) override;
  bool store(uint32_t addr, unsigned size, uint32_t value, uint64_t& cycles) override;
  void watched_store(uint32_t addr, rv32::Core& core) override;

 private:
  void start_of_simulation() override;
  void thread();
  bool transport(tlm::tlm_command cmd, uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles);

  Params p_;
  std::unique_ptr<rv32::Core> core_;
  rv32::HtifState own_htif_;
  rv32::HtifState* htif_ = nullptr;
  uint32_t tohost_ = 0, start_pc_ = 0;
  bool started_ = false, done_ = false;
  sc_core::sc_time period_;
  stats::Group stats_;
  stats::Counter& instructions_;
  stats::Counter& cycles_;
};

}  // namespace slm
