// Clock domains and kernel set-up for the SystemC/TLM-2.0 hardware blocks.
//
// Every block counts in cycles of its own clock (an NPU at 32 MHz next to flash at
// 50 MHz is two Clock objects). A Clock converts between cycles and sc_time exactly
// at the kernel's time resolution of 1 fs:
//   period_fs      = round(1e15 / clock_hz)          (exact for every clock that divides 1e15 Hz·fs,
//                                                       e.g. 32 MHz = 31 250 000 fs, 1 GHz = 1 000 000 fs)
//   cycles(n)      = n * period_fs                    (never rounds per call: n cycles are n periods)
//   to_cycles(t)   = ceil(t / period_fs)              (a partial cycle counts as a whole one)
// Not modelled: clock jitter, phase offsets between domains, clock-domain-crossing latency
// (a block that needs a CDC penalty adds it in its own latency parameter).
#pragma once
#include <cstdint>

#include <systemc>

namespace slm {

// Sets the kernel time resolution to 1 fs. Call once per simulation kernel before any
// sc_time other than zero is made (idempotent; sim_reset_kernel() calls it again for the
// fresh kernel). Every Clock constructor calls it, so platforms get it for free.
void sim_init();

// Replaces the SystemC kernel (simulation context) with a fresh one so that another
// elaboration + simulation can run in the same process (the Python module needs this).
// All modules, events and sockets of the previous simulation must be destroyed first.
// The old context is deleted, except the process's first one, which SystemC's own static
// objects still reference at exit. Simulated time restarts at 0. See docs/timing-model.md.
void sim_reset_kernel();

class Clock {
 public:
  // hz in [1, 1e15]; throws slm::Error naming `who` (e.g. "soc.npu.clock_hz") otherwise.
  explicit Clock(uint64_t hz, const char* who = "clock_hz");

  uint64_t hz() const { return hz_; }
  uint64_t period_fs() const { return period_fs_; }
  sc_core::sc_time period() const { return sc_core::sc_time::from_value(period_fs_); }
  sc_core::sc_time cycles(uint64_t n) const { return sc_core::sc_time::from_value(n * period_fs_); }
  uint64_t to_cycles(const sc_core::sc_time& t) const {  // ceil
    return (t.value() + period_fs_ - 1) / period_fs_;
  }
  // The first clock edge at or after t (blocks start work on their own clock edges).
  sc_core::sc_time next_edge(const sc_core::sc_time& t) const { return cycles(to_cycles(t)); }

  // The same in raw femtoseconds, for per-transaction hot paths: building an sc_time is a
  // library call, so models compute in fs and make one sc_time per transaction.
  uint64_t cycles_fs(uint64_t n) const { return n * period_fs_; }
  uint64_t to_cycles_fs(uint64_t fs) const { return (fs + period_fs_ - 1) / period_fs_; }
  uint64_t next_edge_fs(uint64_t fs) const { return to_cycles_fs(fs) * period_fs_; }

 private:
  uint64_t hz_;
  uint64_t period_fs_;
};

}  // namespace slm
