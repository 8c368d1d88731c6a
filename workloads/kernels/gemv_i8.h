/* Integer kernels in C for the RV32 ISS, the same source built natively for comparison
 * with the golden kernels (workloads/quant/golden.h):
 *   slm_gemv_i8        y[n] = sat8(requant(sum_k (x[k] - x_zp) * W[n,k], rq[n]) + y_zp)
 *                      plain C (RV32IMC or any host).
 *   slm_gemv_i8_xpulp  the same result with XpulpV2: pv.sdotsp.b on 4 int8 lanes,
 *                      p.lw post-increment loads and a zero-overhead hardware loop
 *                      (RV32 + Xpulp only; k % 4 == 0, x and W rows 4-byte aligned).
 *   slm_requant_i8     y[i] = sat8(requant(acc[i], rq[i]) + y_zp): requantisation alone.
 * requant(x, q) = round-half-up(x * q.m / 2^q.shift) in 64 bits, as quant::requant32. */
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t m;
  int32_t shift;
} slm_qmul; /* same layout as slm::quant::QMul */

static inline int32_t slm_requant_one(int32_t acc, slm_qmul q, int32_t y_zp) {
  int64_t p = (int64_t)acc * q.m;
  int64_t r = q.shift > 0 ? (p + ((int64_t)1 << (q.shift - 1))) >> q.shift : p;
  r += y_zp;
  return r < -128 ? -128 : r > 127 ? 127 : (int32_t)r;
}

void slm_gemv_i8(const int8_t* x, int32_t x_zp, const int8_t* w, int32_t n, int32_t k, const slm_qmul* rq, int32_t y_zp,
                 int8_t* y);
void slm_requant_i8(const int32_t* acc, int32_t n, const slm_qmul* rq, int32_t y_zp, int8_t* y);
#if defined(__riscv)
void slm_gemv_i8_xpulp(const int8_t* x, int32_t x_zp, const int8_t* w, int32_t n, int32_t k, const slm_qmul* rq,
                       int32_t y_zp, int8_t* y);
#endif

#ifdef __cplusplus
}
#endif
