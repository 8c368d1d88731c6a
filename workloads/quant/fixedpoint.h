// Fixed-point arithmetic shared by every integer kernel: the ONE place where rounding
// and saturation are defined (docs/quantization.md, "Rounding and saturation").
//
// Computed: requantisation of int32 / int64 accumulators by a multiplier + right shift
// (TFLite MultiplyByQuantizedMultiplier with TFLITE_SINGLE_ROUNDING, i.e. TOSA
// apply_scale_32 with double_round = false; the int64 variant is TFLite's 16x8 path /
// TOSA apply_scale_16 on a 48-bit accumulator), round-half-up right shifts, saturation
// to int8/int16/int32, integer square root. quantize_multiplier() converts a real
// multiplier to (m, shift) and is used offline only (quantizer), never during inference.
// Not modelled: TFLite's double-rounding (gemmlowp) variant.
#pragma once
#include <cstdint>
#include <limits>

namespace slm::quant {

// real multiplier ~= m * 2^-shift, m in [2^30, 2^31) (or m = 0 for "zero"), shift in [1, 62].
struct QMul {
  int32_t m = 0;
  int32_t shift = 31;
};

// Offline: the QMul nearest to `real` (>= 0). Reals below 2^-32 become m = 0 (result 0);
// reals >= 2^30 cannot be represented and throw slm::Error naming `what`.
QMul quantize_multiplier(double real, const char* what);

// Round-half-up arithmetic right shift: floor((x + 2^(s-1)) / 2^s); s = 0 returns x.
// Ties go towards +infinity (-2.5 -> -2, 2.5 -> 3), as in TFLite's single rounding.
inline int64_t round_shift_right(int64_t x, int s) {
  if (s <= 0) return x;
  return (x + (int64_t{1} << (s - 1))) >> s;
}

template <typename T>
inline T saturate(int64_t v) {
  constexpr int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  return static_cast<T>(v < lo ? lo : (v > hi ? hi : v));
}

// Requantise an int32 accumulator: round_shift_right(x * m, shift) in 64 bits (exact:
// |x * m| < 2^62). Not saturated: callers add the zero point, then saturate.
inline int64_t requant32(int32_t x, QMul q) {
  return round_shift_right(int64_t{x} * q.m, q.shift);
}

// Requantise an int64 accumulator (int16 activations, int4 groups). As TFLite's int64
// MultiplyByQuantizedMultiplier: the accumulator is saturated to 48 bits (Ethos-U85
// "Acc48"), the multiplier is rounded to 16 bits (m16 = (m + 2^15) >> 16, at most
// 32767) and the shift reduced by 16, so the product stays below 2^62.
inline int64_t requant64(int64_t x, QMul q) {
  constexpr int64_t acc_max = (int64_t{1} << 47) - 1, acc_min = -(int64_t{1} << 47);
  x = x < acc_min ? acc_min : (x > acc_max ? acc_max : x);
  int64_t m16 = (int64_t{q.m} + (1 << 15)) >> 16;
  if (m16 > 32767) m16 = 32767;
  return round_shift_right(x * m16, q.shift - 16);
}

// floor(sqrt(x)) for any uint64 x, integer-only (bitwise restoring method).
uint64_t isqrt64(uint64_t x);

}  // namespace slm::quant
