// Memory: one TLM-2.0 target model for SRAM, on-/off-chip flash, MRAM and DRAM/LPDDR.
//
// Modelled (loosely timed, reservation-based, see models/common/resource.h):
//   - `ports` independent ports of width_bytes per cycle of clock_hz;
//   - `banks` banks interleaved every bank_interleave_bytes; a burst occupies every bank
//     it touches for its whole data phase, so two bursts to one bank serialise;
//   - read/write latency (asymmetric for MRAM); DRAM adds row_miss_extra_cycles when the
//     burst's row (offset / row_bytes) is not the open row of its bank (open-page policy);
//   - max_outstanding transactions in flight (a transaction holds a slot from issue to completion);
//   - read_only (flash): a run-time write gets TLM_COMMAND_ERROR_RESPONSE; preloading uses load().
// Timing of one transaction of len bytes arriving at t (exact, all in this memory's cycles):
//   t0    = first clock edge >= t;  ts = first time >= t0 a slot is free
//   lat   = read_latency_cycles | write_latency_cycles  (+ row_miss_extra_cycles on a DRAM row miss)
//   beats = ceil(len / width_bytes)
//   start = first time >= ts + lat at which one port and all touched banks are idle for beats cycles
//   done  = start + beats               -> b_transport adds done - (now + delay) to delay
// Uncontended: lat + ceil(len / width_bytes) cycles after the arrival edge.
// Not modelled: refresh, bank-group timing (tRRD/tFAW), read/write turnaround, ECC, wear.
// A burst train (models/common/burst_train.h) is charged burst by burst with this formula;
// a gather train (reads of several rows) row by row, each as its own train would be.
// Backing store is sparse (64 KiB pages allocated on first write or DMI request); unwritten
// bytes read as 0. DMI is granted per page (read-only for read_only memories); a DMI user
// accounts timing and stats itself by calling account() with the same formula.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/common/clock.h"
#include "models/common/params.h"
#include "models/common/resource.h"
#include "models/common/stats.h"

namespace slm {

struct BurstTrain;

class Memory : public sc_core::sc_module {
 public:
  struct Params {
    std::string kind = "sram";           // sram | flash | mram | dram
    uint64_t size_bytes = 0;             // required; <= 64 GiB (sparse)
    uint32_t width_bytes = 16;           // bytes per cycle per port
    uint64_t clock_hz = 100'000'000;
    uint32_t read_latency_cycles = 1;
    uint32_t write_latency_cycles = 1;
    uint32_t banks = 1;
    uint64_t bank_interleave_bytes = 64;
    uint32_t ports = 1;
    uint32_t max_outstanding = 8;
    bool read_only = false;              // forced true for kind = flash
    uint64_t row_bytes = 2048;           // dram only
    uint32_t row_miss_extra_cycles = 0;  // dram only
    double read_pj_per_byte = 0;         // energy table entries (costed later, sim/energy)
    double write_pj_per_byte = 0;
    double leakage_mw = 0;

    static void describe(params::Visitor& v, Params& p);
    // Cross-field checks; throws slm::Error naming `who` and the field.
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events();

  tlm_utils::simple_target_socket<Memory> socket;  // addresses are offsets in [0, size_bytes)

  Memory(sc_core::sc_module_name name, const Params& p, stats::Group& parent);
  ~Memory() override;
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;

  // Backdoor (no timing, no stats, ignores read_only): preload images, inspect results.
  void load(uint64_t offset, const void* data, uint64_t len);
  void peek(uint64_t offset, void* out, uint64_t len) const;

  // The timing formula above: books ports/banks/slots, counts stats, returns `done`.
  // Used by b_transport and by DMI users. Bounds are checked by the caller.
  sc_core::sc_time account(uint64_t offset, uint64_t len, bool is_write, const sc_core::sc_time& arrival);
  uint64_t account_fs(uint64_t offset, uint64_t len, bool is_write, uint64_t arrival_fs);
  // Activity of an engine that models this memory's accesses itself (the RISC-V cluster's L1,
  // L2 and weight memory, sim/engine/cluster_engine): counted for energy and reports only, no
  // timing and no data.
  void count_activity(uint64_t reads, uint64_t read_bytes, uint64_t writes, uint64_t write_bytes) {
    reads_ += reads;
    read_bytes_ += read_bytes;
    writes_ += writes;
    write_bytes_ += write_bytes;
  }
  // The same with `now` = sc_time_stamp() in fs, when the caller has it (burst trains).
  uint64_t account_fs(uint64_t offset, uint64_t len, bool is_write, uint64_t arrival_fs, uint64_t now);
  // Uncontended latency in cycles of one access (no row miss): lat + ceil(len / width_bytes).
  uint64_t uncontended_cycles(uint64_t len, bool is_write) const;

  const Params& params() const { return p_; }
  const Clock& clock() const { return clk_; }
  const stats::Group& stats() const { return stats_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  uint64_t charge_train(BurstTrain& train, uint64_t off, uint64_t len, bool is_write, uint64_t issue, uint64_t nowv,
                        size_t first);
  void gather(tlm::tlm_generic_payload& tx, BurstTrain& train, sc_core::sc_time& delay);
  uint8_t* page(uint64_t index);  // the contents of page `index` (kPageBytes)
  void copy_in(uint64_t offset, const uint8_t* src, uint64_t len);
  void copy_out(uint64_t offset, uint8_t* dst, uint64_t len) const;

  Params p_;
  Clock clk_;
  // The contents: one contiguous anonymous mapping of size_bytes, zero until written; the
  // operating system allocates its pages on first write, so a large sparse memory costs
  // only the pages the simulation touches. Contiguous, so that a burst train may lend an
  // initiator a pointer to the data instead of copying it (BurstTrain::borrow_read).
  uint8_t* data_ = nullptr;
  uint64_t mapped_bytes_ = 0;
  std::vector<Resource> ports_;                     // (ports,)
  std::vector<Resource> banks_;                     // (banks,)
  std::vector<uint64_t> open_row_;                  // (banks,) dram open row, UINT64_MAX = none; empty otherwise
  SlotPool slots_;
  uint64_t stall_memo_fs_ = 0, stall_memo_cycles_ = 0;  // the last port wait converted to cycles

  stats::Group stats_;
  stats::Counter& reads_;
  stats::Counter& writes_;
  stats::Counter& read_bytes_;
  stats::Counter& write_bytes_;
  stats::Counter& busy_cycles_;
  stats::Counter& stall_cycles_;
  stats::Counter& bank_conflicts_;
  stats::Counter& row_misses_;
  stats::Counter& errors_;
};

}  // namespace slm
