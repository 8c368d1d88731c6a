// ExactDiv: x / d for a divisor fixed at construction (a clock period) by a multiplication
// with its reciprocal instead of a hardware division (clock-edge rounding runs several times
// per burst; a 64-bit division is the slowest instruction on that path).
//
// Exact for every x: m = floor((2^64 - 1) / d) makes q = floor(x * m / 2^64) at most
// floor(x / d) and at most two below it, and the loop corrects q against q * d.
#pragma once
#include <cstdint>

namespace slm {

class ExactDiv {
 public:
  explicit ExactDiv(uint64_t d) : d_(d), m_(~uint64_t{0} / d) {}
  uint64_t divisor() const { return d_; }
  uint64_t floor(uint64_t x) const {
    uint64_t q = static_cast<uint64_t>((static_cast<unsigned __int128>(x) * m_) >> 64);
    while (x - q * d_ >= d_) ++q;
    return q;
  }
  // (x + d - 1) / d, exactly as that expression (which wraps for x > 2^64 - d).
  uint64_t ceil_as_expr(uint64_t x) const {
    if (x > ~uint64_t{0} - d_ + 1) return (x + d_ - 1) / d_;
    const uint64_t q = floor(x);
    return q + (q * d_ != x ? 1 : 0);
  }

 private:
  uint64_t d_, m_;
};

}  // namespace slm
