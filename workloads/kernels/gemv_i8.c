/* See gemv_i8.h. */
#include "gemv_i8.h"

#if defined(__riscv)
#include "pulp_simd.h"
#endif

void slm_gemv_i8(const int8_t* x, int32_t x_zp, const int8_t* w, int32_t n, int32_t k, const slm_qmul* rq, int32_t y_zp,
                 int8_t* y) {
  for (int32_t j = 0; j < n; ++j) {
    const int8_t* row = w + (int64_t)j * k;
    int32_t acc = 0;
    for (int32_t i = 0; i < k; ++i) acc += ((int32_t)x[i] - x_zp) * row[i];
    y[j] = (int8_t)slm_requant_one(acc, rq[j], y_zp);
  }
}

void slm_requant_i8(const int32_t* acc, int32_t n, const slm_qmul* rq, int32_t y_zp, int8_t* y) {
  for (int32_t j = 0; j < n; ++j) y[j] = (int8_t)slm_requant_one(acc[j], rq[j], y_zp);
}

#if defined(__riscv)
/* sum_k (x - x_zp) * w = sum_k x * w - x_zp * sum_k w: both sums on 4 lanes per
 * pv.sdotsp.b (the second against 0x01010101); int32 wraps identically either way. */
void slm_gemv_i8_xpulp(const int8_t* x, int32_t x_zp, const int8_t* w, int32_t n, int32_t k, const slm_qmul* rq,
                       int32_t y_zp, int8_t* y) {
  const int32_t words = k >> 2;
  for (int32_t j = 0; j < n; ++j) {
    const int8_t* px = x;
    const int8_t* pw = w + (int64_t)j * k;
    int32_t acc = 0, wsum = 0;
    if (words > 0) slm_dot4_loop(&acc, &wsum, &px, &pw, words);
    y[j] = (int8_t)slm_requant_one(acc - x_zp * wsum, rq[j], y_zp);
  }
}
#endif
