/* RMSNorm's root in 32-bit steps: floor(sqrt(ms 2^32)) for ms in [0, 2^32 - 1], the value of
 * golden::rmsnorm's isqrt64(ms << 32) (workloads/quant/fixedpoint.h), without 64-bit arithmetic
 * for all but the last two of its 32 steps. Plain C, compiled into cluster_kernels.elf and into
 * the host test that compares it with isqrt64 (tests/models/cluster/cluster_ops_test.cpp).
 *
 * Digit by digit (the restoring method): x = ms 2^32 taken two bits at a time from the top; after
 * step j the root so far is r < 2^j and the remainder rem = (x's top 2j bits) - r^2 satisfies
 * 0 <= rem <= 2r. Step j + 1: rem' = 4 rem + next two bits < 2^(j+3) and t = 4r + 1 < 2^(j+2); if
 * rem' >= t, rem' -= t and the new bit is 1. So steps 1-30 fit in uint32 (4 rem + 3 < 2^32 for
 * j <= 29); steps 31 and 32 take the remainder in 64 bits. Steps 1-16 bring in ms's bit pairs,
 * 17-32 zeros. */
#pragma once
#include <stdint.h>

/* One step: bring in two bits (the top two of x, then x <<= 2), r <<= 1; with t = 2r + 1 (that
 * is 4 r_before + 1) subtract t from the remainder when it fits and set the new bit. Unrolled. */
#define SLM_ISQRT_STEP(rem, r, bits)   \
  do {                                 \
    rem = (rem << 2) | (bits);         \
    r <<= 1;                           \
    const uint32_t t_ = (r << 1) | 1u; \
    if (rem >= t_) rem -= t_, r |= 1u; \
  } while (0)
#define SLM_ISQRT_STEP_X(rem, r, x) \
  do {                              \
    SLM_ISQRT_STEP(rem, r, x >> 30); \
    x <<= 2;                        \
  } while (0)
#define SLM_ISQRT_STEP4_X(rem, r, x) SLM_ISQRT_STEP_X(rem, r, x); SLM_ISQRT_STEP_X(rem, r, x); SLM_ISQRT_STEP_X(rem, r, x); SLM_ISQRT_STEP_X(rem, r, x)
#define SLM_ISQRT_STEP2_0(rem, r) SLM_ISQRT_STEP(rem, r, 0u); SLM_ISQRT_STEP(rem, r, 0u)

static inline uint32_t slm_isqrt_shl32(uint32_t ms) {
  uint32_t r = 0, rem = 0, x = ms;
  /* steps 1-16: ms's bit pairs */
  SLM_ISQRT_STEP4_X(rem, r, x);
  SLM_ISQRT_STEP4_X(rem, r, x);
  SLM_ISQRT_STEP4_X(rem, r, x);
  SLM_ISQRT_STEP4_X(rem, r, x);
  /* steps 17-30: zero pairs (4 rem + 3 < 2^32) */
  SLM_ISQRT_STEP2_0(rem, r);
  SLM_ISQRT_STEP2_0(rem, r);
  SLM_ISQRT_STEP2_0(rem, r);
  SLM_ISQRT_STEP2_0(rem, r);
  SLM_ISQRT_STEP2_0(rem, r);
  SLM_ISQRT_STEP2_0(rem, r);
  SLM_ISQRT_STEP2_0(rem, r);
  uint64_t rem64 = rem; /* steps 31-32: 4 rem + 3 may reach 2^33 */
  for (int i = 0; i < 2; ++i) {
    rem64 <<= 2;
    r <<= 1;
    const uint64_t t = ((uint64_t)r << 1) | 1u;
    if (rem64 >= t) rem64 -= t, r |= 1u;
  }
  return r;
}
