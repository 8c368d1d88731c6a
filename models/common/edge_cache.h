// EdgeCache: Clock::next_edge_fs for a sequence of nearby times (the bursts of a train),
// without a division when a time falls within one period of the previous answer.
// Exact: the next edge of x is e when x is in (e - period, e], and e + period when x is in
// (e, e + period], for any edge e; otherwise it rounds up as next_edge_fs does (by an
// ExactDiv multiplication, models/common/exact_div.h).
#pragma once
#include <cstdint>

#include "models/common/exact_div.h"

namespace slm {

class EdgeCache {
 public:
  explicit EdgeCache(uint64_t period_fs) : p_(period_fs), div_(period_fs) {}
  explicit EdgeCache(const ExactDiv& by_period) : p_(by_period.divisor()), div_(by_period) {}
  uint64_t next_edge_fs(uint64_t x) {
    if (valid_) {
      if (x <= e_ && x + p_ > e_) return e_;
      if (x > e_ && x - e_ <= p_) return e_ += p_;
    }
    valid_ = true;
    return e_ = div_.ceil_as_expr(x) * p_;
  }

 private:
  uint64_t p_;
  ExactDiv div_;
  uint64_t e_ = 0;
  bool valid_ = false;
};

}  // namespace slm
