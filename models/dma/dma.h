// Dma: a multi-channel DMA engine, a TLM-2.0 initiator that copies 1D/2D/3D blocks.
//
// Software view: submit(channel, descriptor) -> Ticket; wait(ticket) returns at the
// simulated completion time; done(ticket) polls. Each channel has a queue of queue_depth
// descriptors and processes them in order; channels run concurrently and contend in the
// bus and memories. Double buffering = submit tile k+1, compute tile k, wait(tile k+1).
//
// A descriptor is split into bursts of at most burst_bytes along each row (a row never
// merges with the next). Each burst is a read of the source then a write of the same
// bytes to the destination, both through `socket` (b_transport, data really moves).
// Timing per channel, in DMA cycles, with up to max_outstanding bursts in flight:
//   issue_i = max(issue_{i-1} + 1 cycle, done_{i - max_outstanding})   (one issue per cycle)
//   read completes at r_i (bus + source timing, arrival issue_i); write arrives at r_i and
//   completes at done_i (bus + destination timing); the descriptor completes at max done_i.
// So a stream sustains min(port width, max_outstanding * burst_bytes / round-trip) bytes per
// cycle; exact cases are in docs/timing-model.md and tests/models/dma_test.cpp.
// Time is kept by one tlm_utils::tlm_quantumkeeper per channel (global quantum from
// tlm::tlm_global_quantum, set by the platform): before each burst the channel sets its
// local time to the issue time and synchronises (wait) once that passes the quantum, so
// with quantum 0 every burst is issued at its exact simulated time. Descriptors of one
// channel run back to back: the next starts when the previous completes.
// Not modelled: descriptor fetch from memory, interrupts/registers, scatter-gather chains,
// address alignment penalties. A bus error response aborts the descriptor: it is counted
// and reported by error(ticket).
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
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

// A 3D block copy: planes x rows x row_bytes. Strides are in bytes between the starts of
// consecutive rows / planes (may be negative; 0 re-reads or re-writes the same row).
struct DmaDescriptor {
  uint64_t src_addr = 0;
  uint64_t dst_addr = 0;
  uint64_t row_bytes = 0;  // contiguous bytes per row, > 0
  uint32_t rows = 1;       // rows per plane, > 0
  uint32_t planes = 1;     // > 0
  int64_t src_row_stride_bytes = 0;
  int64_t dst_row_stride_bytes = 0;
  int64_t src_plane_stride_bytes = 0;
  int64_t dst_plane_stride_bytes = 0;

  uint64_t total_bytes() const { return row_bytes * rows * planes; }
  // A 1D copy of `bytes` contiguous bytes.
  static DmaDescriptor linear(uint64_t src, uint64_t dst, uint64_t bytes);
};

class Dma : public sc_core::sc_module {
 public:
  struct Params {
    uint32_t channels = 2;
    uint32_t burst_bytes = 64;
    uint32_t queue_depth = 4;       // descriptors waiting per channel
    uint32_t max_outstanding = 4;   // bursts in flight per channel
    uint64_t clock_hz = 100'000'000;
    double pj_per_byte = 0;         // energy table entries: per byte moved
    double leakage_mw = 0;

    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events();
  using Ticket = uint64_t;

  tlm_utils::simple_initiator_socket<Dma> socket;

  Dma(sc_core::sc_module_name name, const Params& p, stats::Group& parent);

  // Call from an SC_THREAD. Waits while the channel's queue is full. Throws slm::Error on
  // a bad channel index or descriptor (zero sizes).
  Ticket submit(unsigned channel, const DmaDescriptor& d);
  // Call from an SC_THREAD: returns at the ticket's simulated completion time.
  void wait(Ticket t);
  bool done(Ticket t) const;             // completed at or before sc_time_stamp()
  bool error(Ticket t) const;            // a burst got a TLM error response
  sc_core::sc_time completion_time(Ticket t) const;  // valid once done()
  // Forgets the oldest tickets that are done (their state can no longer be asked for), so
  // that a long run keeps only the tickets in flight. Callers retire what they have consumed.
  void retire_done();
  // Bytes moved by a DMA that an engine models itself (the cluster's MCHAN): counted for
  // energy and reports only.
  void count_activity(uint64_t bytes) { bytes_ += bytes; }

  const Params& params() const { return p_; }
  const Clock& clock() const { return clk_; }
  const stats::Group& stats() const { return stats_; }

 private:
  struct Job {
    DmaDescriptor d;
    Ticket ticket;
    sc_core::sc_time submitted;
  };
  struct TicketState {
    bool scheduled = false;  // completion time known
    bool error = false;
    sc_core::sc_time done_at;
    std::unique_ptr<sc_core::sc_event> ev;  // notified at done_at
  };
  struct Channel {
    std::deque<Job> queue;
    sc_core::sc_event work;      // a job was queued
    sc_core::sc_event space;     // a job left the queue
    stats::Group* group = nullptr;
    stats::Counter* bytes = nullptr;
    stats::Counter* bursts = nullptr;
    stats::Counter* busy_cycles = nullptr;
    stats::Counter* descriptors = nullptr;
  };

  void channel_thread(unsigned ch);
  // Runs one descriptor starting at local time `start`; returns its completion time.
  sc_core::sc_time run(Channel& c, const DmaDescriptor& d, sc_core::sc_time start,
                       tlm_utils::tlm_quantumkeeper& qk, bool& error);
  TicketState& state(Ticket t);
  const TicketState& state(Ticket t) const;

  Params p_;
  Clock clk_;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::deque<TicketState> tickets_;  // tickets_[t - retired_]
  Ticket retired_ = 0;               // tickets below this were retired
  std::vector<uint8_t> buffer_;      // (burst_bytes,) data of the burst in flight

  stats::Group stats_;
  stats::Counter& bytes_;
  stats::Counter& bursts_;
  stats::Counter& errors_;
};

}  // namespace slm
