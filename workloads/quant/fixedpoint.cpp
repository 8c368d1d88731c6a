// Offline multiplier conversion and the integer square root (see fixedpoint.h).
#include "workloads/quant/fixedpoint.h"

#include <cmath>

#include "workloads/common/error.h"

namespace slm::quant {

QMul quantize_multiplier(double real, const char* what) {
  if (!(real >= 0.0) || !std::isfinite(real)) throw err(what, ": requantisation multiplier ", real, " is not a finite value >= 0");
  if (real < std::ldexp(1.0, -32)) return QMul{0, 31};
  int exp = 0;
  double frac = std::frexp(real, &exp);          // real = frac * 2^exp, frac in [0.5, 1)
  int64_t m = std::llround(frac * 2147483648.0);  // frac * 2^31, in [2^30, 2^31]
  if (m == (int64_t{1} << 31)) { m /= 2; ++exp; }
  int shift = 31 - exp;
  if (shift < 1) throw err(what, ": requantisation multiplier ", real, " is too large (must be < 2^30)");
  if (shift > 62) return QMul{0, 31};
  return QMul{static_cast<int32_t>(m), shift};
}

uint64_t isqrt64(uint64_t x) {
  uint64_t res = 0, bit = uint64_t{1} << 62;
  while (bit > x) bit >>= 2;
  while (bit != 0) {
    if (x >= res + bit) {
      x -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  return res;
}

}  // namespace slm::quant
