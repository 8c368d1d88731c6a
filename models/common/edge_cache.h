// EdgeCache: Clock::next_edge_fs for a sequence of nearby times (the bursts of a train),
// without a division when a time falls within one period of the previous answer.
// Exact: the next edge of x is e when x is in (e - period, e], and e + period when x is in
// (e, e + period], for any edge e; otherwise it divides as next_edge_fs does.
#pragma once
#include <cstdint>

namespace slm {

class EdgeCache {
 public:
  explicit EdgeCache(uint64_t period_fs) : p_(period_fs) {}
  uint64_t next_edge_fs(uint64_t x) {
    if (valid_) {
      if (x <= e_ && x + p_ > e_) return e_;
      if (x > e_ && x - e_ <= p_) return e_ += p_;
    }
    valid_ = true;
    return e_ = (x + p_ - 1) / p_ * p_;
  }

 private:
  uint64_t p_, e_ = 0;
  bool valid_ = false;
};

}  // namespace slm
