/* Benchmark program for `slmsim bench iss`: REPS int8 GEMVs of N x K (synthetic weights
 * from an LCG, fixed requantisation), the plain RV32IMC kernel or, with -DSLM_XPULP, the
 * XpulpV2 one. Every hart computes (its own output buffer); hart 0 prints a checksum and
 * exits 0. Runs unchanged on QEMU (plain build) for the peer comparison. */
#include <stdint.h>
#include <stdio.h>

#include "gemv_i8.h"

#ifndef N
#define N 256
#endif
#ifndef K
#define K 512
#endif
#ifndef REPS
#define REPS 200
#endif
#define MAX_HARTS 8

static int8_t x[K] __attribute__((aligned(4)));
static int8_t w[N * K] __attribute__((aligned(4)));
static slm_qmul rq[N];
static int8_t y[MAX_HARTS][N] __attribute__((aligned(4)));
static volatile uint32_t ready;

int main(void) {
  uint32_t hart;
  __asm__ volatile("csrr %0, mhartid" : "=r"(hart));
  if (hart == 0) {
    uint32_t s = 12345;
    for (int i = 0; i < K; ++i) x[i] = (int8_t)((s = s * 1664525u + 1013904223u) >> 24);
    for (int i = 0; i < N * K; ++i) w[i] = (int8_t)((s = s * 1664525u + 1013904223u) >> 24);
    for (int i = 0; i < N; ++i) rq[i] = (slm_qmul){1518500250 + i, 40};
    ready = 1;
  } else {
    while (!ready) {
    }
  }
  int8_t* out = y[hart % MAX_HARTS];
  for (int r = 0; r < REPS; ++r) {
#ifdef SLM_XPULP
    slm_gemv_i8_xpulp(x, 3, w, N, K, rq, -5, out);
#else
    slm_gemv_i8(x, 3, w, N, K, rq, -5, out);
#endif
  }
  if (hart == 0) {
    uint32_t sum = 0;
    for (int i = 0; i < N; ++i) sum = sum * 31u + (uint8_t)out[i];
    printf("checksum %08lx\n", (unsigned long)sum);
    return 0;
  }
  for (;;) {
  }
}
