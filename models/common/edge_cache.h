// EdgeCache: Clock::next_edge_fs for a sequence of nearby times (the bursts of a train),
// without a division.
// Exact: the next edge of x is e when x is in (e - period, e], and e + period when x is in
// (e, e + period], for any edge e; otherwise it rounds x + period - 1 down to a multiple of the
// period with the period's reciprocal: q = the high 64 bits of (x + period - 1) x
// floor(2^64 / period) is never above the true quotient and at most one below it, and the
// remainder's correction makes it exact (tests EdgeCache.*). (The
// bursts of a port-bound train arrive several periods apart, so the near cases alone miss
// nearly always, and a 64-bit division costs tens of cycles, a multiplication a few.)
#pragma once
#include <cstdint>

namespace slm {

class EdgeCache {
 public:
  explicit EdgeCache(uint64_t period_fs)
      : p_(period_fs), m_(period_fs > 1 ? static_cast<uint64_t>((static_cast<unsigned __int128>(1) << 64) / period_fs) : 0) {}
  uint64_t next_edge_fs(uint64_t x) {
    if (valid_) {
      if (x <= e_ && x + p_ > e_) return e_;
      if (x > e_ && x - e_ <= p_) return e_ += p_;
    }
    valid_ = true;
    return e_ = round_up(x);
  }
  // x rounded up to a multiple of the period (what Clock::next_edge_fs computes).
  uint64_t round_up(uint64_t x) const {
    if (p_ <= 1) return x;
    const uint64_t y = x + p_ - 1;
    const uint64_t q = static_cast<uint64_t>((static_cast<unsigned __int128>(y) * m_) >> 64);
    uint64_t r = y - q * p_;
    while (r >= p_) r -= p_;
    return y - r;
  }

 private:
  uint64_t p_, m_, e_ = 0;
  bool valid_ = false;
};

}  // namespace slm
