/* XpulpV2 instructions for GCC builds that do not know the mnemonics (Debian's
 * riscv64-unknown-elf-gcc): each is written with .insn in the PULP encoding
 * (models/cpu/rv32/isa/xpulpv2.yaml). RV32 only. */
#pragma once
#include <stdint.h>

/* pv.sdotsp.b acc, a, b: acc += sum of the 4 signed byte products */
static inline int32_t pv_sdotsp_b(int32_t acc, uint32_t a, uint32_t b) {
  __asm__ volatile(".insn r 0x57, 1, 0x5c, %0, %1, %2" : "+r"(acc) : "r"(a), "r"(b));
  return acc;
}
/* pv.dotsp.b: sum of the 4 signed byte products */
static inline int32_t pv_dotsp_b(uint32_t a, uint32_t b) {
  int32_t r;
  __asm__ volatile(".insn r 0x57, 1, 0x4c, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* p.clip rd, rs1, rs2: clip to [-rs2 - 1, rs2] */
static inline int32_t p_clip(int32_t v, int32_t hi) {
  int32_t r;
  __asm__ volatile(".insn r 0x33, 5, 0x0a, %0, %1, %2" : "=r"(r) : "r"(v), "r"(hi));
  return r;
}
/* p.mac rd, rs1, rs2: rd += rs1 * rs2 */
static inline int32_t p_mac(int32_t acc, int32_t a, int32_t b) {
  __asm__ volatile(".insn r 0x33, 0, 0x21, %0, %1, %2" : "+r"(acc) : "r"(a), "r"(b));
  return acc;
}

/* The GEMV inner loop: `words` iterations of a zero-overhead hardware loop (lp.setup,
 * loop 0) whose body is 4 instructions (no compressed ones allowed inside):
 *   p.lw a, 4(px!); p.lw b, 4(pw!); pv.sdotsp.b acc, a, b; pv.sdotsp.b wsum, ones, b
 * lp.setup's end offset is (4 + 16) / 2 = 10 halfwords: the address after the body. */
static inline void slm_dot4_loop(int32_t* acc, int32_t* wsum, const int8_t** px, const int8_t** pw, int32_t words) {
  int32_t a_acc = *acc, a_ws = *wsum;
  const int8_t* x = *px;
  const int8_t* w = *pw;
  uint32_t a, b;
  const uint32_t ones = 0x01010101u;
  __asm__ volatile(
      ".option push\n"
      ".option norvc\n"
      ".insn i 0x7b, 4, x0, %[n], 10\n"
      ".insn i 0x0b, 2, %[a], %[x], 4\n"
      ".insn i 0x0b, 2, %[b], %[w], 4\n"
      ".insn r 0x57, 1, 0x5c, %[acc], %[a], %[b]\n"
      ".insn r 0x57, 1, 0x5c, %[ws], %[one], %[b]\n"
      ".option pop\n"
      : [acc] "+r"(a_acc), [ws] "+r"(a_ws), [x] "+r"(x), [w] "+r"(w), [a] "=&r"(a), [b] "=&r"(b)
      : [n] "r"(words), [one] "r"(ones)
      : "memory");
  *acc = a_acc;
  *wsum = a_ws;
  *px = x;
  *pw = w;
}
