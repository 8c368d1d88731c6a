// BurstTrain: a TLM-2.0 extension that lets one b_transport call stand for a stream of bursts
// an initiator issues back to back (an NPU's weight stream, a DMA channel's copy), so that
// simulating a long transfer does not cost one call chain per burst.
//
// Semantics (docs/timing-model.md, "Burst trains"): the payload's [address, address +
// length) is cut into bursts at multiples of burst_bytes. Burst i is issued at
//   issue_0 = now + the call's delay;
//   issue_i = max(issue_{i-1} + issue_period_fs, done_{i-k}),  k = max_outstanding,
// where done_j is burst j's completion; `in_flight` holds the completions of the
// initiator's earlier bursts still counting against k (oldest first). Each component on
// the way adds a hop: a burst reaches the next one at next_edge(t, hop.period) + hop.latency.
// The target charges every burst with its own per-transaction formula (a Memory calls
// account() once per burst), fills `done` with each burst's completion, moves the data in
// one copy and returns the last completion in the delay. So a train costs exactly what its
// bursts cost issued one by one, except that a bus books its link per burst after the
// target has answered: a link narrower than the target's port does not slow the train's
// issue (exact for crossbars whose links are at least as wide as the targets).
//
// Gather (reads): a train may carry `rows`, strided pieces an initiator would otherwise read
// with one train each, continuing one stream (the K/V rows of an attention matmul, the
// elements of a strided view). The target charges the rows in order, each exactly as the
// separate train would be charged; after each row it calls `on_row`, through which every
// component on the way back books that row's bursts as it would for the separate train (a
// bus its link) and the initiator sets the next row's first issue time and in-flight list from
// the row's final completions. The bytes of the rows land back to back in the payload's
// buffer. The payload's address and length are those of the first row (for routing).
// `gather_refused` starts true; a target that charges the rows clears it. A component that
// cannot take the whole gather (a row outside the target, a bad row) leaves it true and books
// nothing, and the initiator reads the rows one train each instead.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <tlm>

namespace slm {

struct BurstTrain : tlm::tlm_extension<BurstTrain> {
  struct Hop {
    uint64_t period_fs = 1;   // the component's clock period (arrivals move to its next edge)
    uint64_t latency_fs = 0;  // then this much later
  };
  uint32_t burst_bytes = 64;
  uint32_t max_outstanding = 1;
  uint64_t issue_period_fs = 1;
  std::vector<uint64_t> in_flight;  // completions of earlier bursts still in flight (oldest first)
  std::vector<Hop> hops;            // added by components between the initiator and the target
  std::vector<uint64_t> issue, done;  // out: per burst, issue and completion (fs)
  // A read may borrow the data instead of copying it: when borrow_read is set, a target
  // that holds the bytes contiguously (a Memory) leaves the payload's buffer untouched and
  // sets `borrowed` to its own copy of the bytes, valid until the memory is next written;
  // a target that cannot leaves `borrowed` alone (the initiator sets it to nullptr first) and
  // copies as usual. Host-side only: the timing is the same either way.
  bool borrow_read = false;
  const uint8_t* borrowed = nullptr;

  // Gather (see above). rows[].addr are the initiator's addresses; a component that forwards
  // with an address offset adds it to rows_base (a target's offset of a row = addr - rows_base).
  struct Row {
    uint64_t addr = 0, len = 0;
  };
  using RowHook = void (*)(void* ctx, BurstTrain& train, size_t row);
  std::vector<Row> rows;
  uint64_t rows_base = 0;
  uint64_t row_issue_fs = 0;      // the first issue of the next row (set by on_row; row 0: now + delay)
  std::vector<size_t> row_first;  // out: row r's bursts are issue/done[row_first[r], row_first[r + 1])
  bool gather_refused = true;
  RowHook on_row = nullptr;
  void* on_row_ctx = nullptr;

  tlm::tlm_extension_base* clone() const override { return new BurstTrain(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const BurstTrain&>(e); }

  // Number of bursts of a train of `len` bytes starting at `addr`.
  uint64_t bursts(uint64_t addr, uint64_t len) const {
    if (len == 0) return 0;
    return (addr + len - 1) / burst_bytes - addr / burst_bytes + 1;
  }
};

}  // namespace slm
