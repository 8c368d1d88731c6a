/* Kernel runner for the ISS: the host writes a job into the I/O window at SLM_IO_BASE
 * (outside every section, so start-up code leaves it alone), the program runs the
 * kernel(s) and exits 0. Job layout (little-endian words):
 *   0: magic 0x4b524e4c ("LNRK")   1: op (1 gemv plain, 2 gemv xpulp, 3 requant)
 *   2: n  3: k  4: x_zp  5: y_zp  6: repeat count (>= 1; bench)
 *   offsets from SLM_IO_BASE: 8: x  9: w  10: rq (n x {m, shift})  11: y  12: acc (requant)
 * Exit code: 0 ok, 1 bad magic, 2 bad op. */
#include <stdint.h>

#include "gemv_i8.h"

#define SLM_IO_BASE 0x80800000u

int main(void) {
  volatile uint32_t* job = (volatile uint32_t*)SLM_IO_BASE;
  if (job[0] != 0x4b524e4cu) return 1;
  const uint32_t op = job[1];
  const int32_t n = (int32_t)job[2], k = (int32_t)job[3], x_zp = (int32_t)job[4], y_zp = (int32_t)job[5];
  uint32_t reps = job[6] ? job[6] : 1;
  char* base = (char*)SLM_IO_BASE;
  const int8_t* x = (const int8_t*)(base + job[8]);
  const int8_t* w = (const int8_t*)(base + job[9]);
  const slm_qmul* rq = (const slm_qmul*)(base + job[10]);
  int8_t* y = (int8_t*)(base + job[11]);
  const int32_t* acc = (const int32_t*)(base + job[12]);
  for (uint32_t r = 0; r < reps; ++r) {
    switch (op) {
      case 1: slm_gemv_i8(x, x_zp, w, n, k, rq, y_zp, y); break;
      case 2: slm_gemv_i8_xpulp(x, x_zp, w, n, k, rq, y_zp, y); break;
      case 3: slm_requant_i8(acc, n, rq, y_zp, y); break;
      default: return 2;
    }
  }
  return 0;
}
