// Fixed-point primitives: rounding of negative values, saturation at both ends,
// extreme multipliers and shifts, integer square root.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "workloads/common/error.h"
#include "workloads/quant/fixedpoint.h"

namespace {

using namespace slm::quant;

// Exact reference of round-half-up (x * m) / 2^s with 128-bit arithmetic.
int64_t exact_requant(int64_t x, int64_t m, int s) {
  __int128 p = static_cast<__int128>(x) * m + (static_cast<__int128>(1) << (s - 1));
  return static_cast<int64_t>(p >> s);  // arithmetic shift = floor
}

TEST(FixedPoint, RoundShiftRightTiesGoUpIncludingNegatives) {
  EXPECT_EQ(round_shift_right(5, 1), 3);    //  2.5 ->  3
  EXPECT_EQ(round_shift_right(-5, 1), -2);  // -2.5 -> -2
  EXPECT_EQ(round_shift_right(-3, 1), -1);  // -1.5 -> -1
  EXPECT_EQ(round_shift_right(-1, 1), 0);   // -0.5 ->  0
  EXPECT_EQ(round_shift_right(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(round_shift_right(-6, 2), -1);  // -1.5 -> -1
  EXPECT_EQ(round_shift_right(-10, 2), -2); // -2.5 -> -2
  EXPECT_EQ(round_shift_right(7, 0), 7);
}

TEST(FixedPoint, SaturateBothEnds) {
  EXPECT_EQ(saturate<int8_t>(128), 127);
  EXPECT_EQ(saturate<int8_t>(-129), -128);
  EXPECT_EQ(saturate<int8_t>(-128), -128);
  EXPECT_EQ(saturate<int16_t>(1 << 20), 32767);
  EXPECT_EQ(saturate<int16_t>(-(1 << 20)), -32768);
  EXPECT_EQ(saturate<int32_t>(int64_t{1} << 40), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(saturate<int32_t>(-(int64_t{1} << 40)), std::numeric_limits<int32_t>::min());
}

TEST(FixedPoint, QuantizeMultiplierHandValues) {
  QMul h = quantize_multiplier(0.5, "t");
  EXPECT_EQ(h.m, 1 << 30);
  EXPECT_EQ(h.shift, 31);
  QMul one = quantize_multiplier(1.0, "t");
  EXPECT_EQ(one.m, 1 << 30);
  EXPECT_EQ(one.shift, 30);
  QMul tq = quantize_multiplier(0.75, "t");
  EXPECT_EQ(tq.m, 1610612736);
  EXPECT_EQ(tq.shift, 31);
  // 1 - 2^-40 rounds the mantissa up to 2^31: must renormalise to (2^30, shift 30).
  QMul near1 = quantize_multiplier(1.0 - std::ldexp(1.0, -40), "t");
  EXPECT_EQ(near1.m, 1 << 30);
  EXPECT_EQ(near1.shift, 30);
  EXPECT_EQ(quantize_multiplier(1e-12, "t").m, 0);  // below 2^-32 -> zero
  EXPECT_EQ(quantize_multiplier(0.0, "t").m, 0);
  EXPECT_THROW(quantize_multiplier(std::ldexp(1.0, 30), "t"), slm::Error);
  EXPECT_THROW(quantize_multiplier(-1.0, "t"), slm::Error);
  EXPECT_THROW(quantize_multiplier(std::nan(""), "t"), slm::Error);
}

TEST(FixedPoint, Requant32HandValues) {
  const QMul half{1 << 30, 31};
  EXPECT_EQ(requant32(3, half), 2);    // 1.5 -> 2
  EXPECT_EQ(requant32(-3, half), -1);  // -1.5 -> -1
  EXPECT_EQ(requant32(-4, half), -2);
  const QMul q = quantize_multiplier(0.1, "t");
  EXPECT_EQ(requant32(1000, q), 100);
  EXPECT_EQ(requant32(-1005, q), -100);  // -100.5 -> -100
  EXPECT_EQ(requant32(-1006, q), -101);
}

TEST(FixedPoint, Requant32ExtremesMatchExact128BitReference) {
  const int32_t xs[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX};
  const QMul ms[] = {{INT32_MAX, 1}, {INT32_MAX, 62}, {1 << 30, 1}, {1 << 30, 62}, {1518500250, 37}};
  for (int32_t x : xs)
    for (QMul q : ms) EXPECT_EQ(requant32(x, q), exact_requant(x, q.m, q.shift)) << x << " " << q.m << " " << q.shift;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    int32_t x = static_cast<int32_t>(rng());
    QMul q{static_cast<int32_t>((1u << 30) + (rng() % (1u << 30))), static_cast<int32_t>(1 + rng() % 62)};
    ASSERT_EQ(requant32(x, q), exact_requant(x, q.m, q.shift));
  }
}

TEST(FixedPoint, Requant64SaturatesToAcc48AndUses16BitMultiplier) {
  const QMul q{INT32_MAX, 40};  // m16 rounds to 32768 -> clamped to 32767
  const int64_t big = int64_t{1} << 50;
  const int64_t acc_max = (int64_t{1} << 47) - 1;
  EXPECT_EQ(requant64(big, q), exact_requant(acc_max, 32767, 24));
  EXPECT_EQ(requant64(-big, q), exact_requant(-(int64_t{1} << 47), 32767, 24));
  const QMul half{1 << 30, 31};  // m16 = 16384, shift 15: exactly x / 2
  EXPECT_EQ(requant64(-3, half), -1);
  EXPECT_EQ(requant64(3, half), 2);
  EXPECT_EQ(requant64(int64_t{1} << 40, half), int64_t{1} << 39);
}

TEST(FixedPoint, IntegerSquareRoot) {
  EXPECT_EQ(isqrt64(0), 0u);
  EXPECT_EQ(isqrt64(1), 1u);
  EXPECT_EQ(isqrt64(3), 1u);
  EXPECT_EQ(isqrt64(4), 2u);
  EXPECT_EQ(isqrt64(UINT64_MAX), 4294967295u);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i) {
    uint64_t x = rng() >> (rng() % 64);
    uint64_t r = isqrt64(x);
    ASSERT_LE(static_cast<unsigned __int128>(r) * r, x);
    ASSERT_GT(static_cast<unsigned __int128>(r + 1) * (r + 1), x);
  }
}

}  // namespace
