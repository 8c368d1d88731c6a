/* A C workload for the QEMU differential test: sorting, CRC-32, 64-bit arithmetic,
 * signed/unsigned division, switch tables, recursion and function pointers; prints the
 * results and dumps the registers. Deterministic, no counters, no misaligned accesses. */
#include <stdint.h>
#include <stdio.h>

#include "htif.h"

static uint32_t lcg(uint32_t* s) { return *s = *s * 1664525u + 1013904223u; }

static void isort(int32_t* a, int n) {
  for (int i = 1; i < n; ++i) {
    int32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; --j; }
    a[j + 1] = v;
  }
}

static uint32_t crc32(const uint8_t* p, int n) {
  uint32_t c = 0xffffffffu;
  for (int i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
  }
  return ~c;
}

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int32_t op(int k, int32_t a, int32_t b) {
  switch (k & 7) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return b ? a / b : -1;
    case 4: return b ? a % b : a;
    case 5: return (int32_t)((uint32_t)a >> (b & 31));
    case 6: return a >> (b & 31);
    default: return a ^ b;
  }
}

int main(void) {
  static int32_t a[200];
  uint32_t s = 1;
  for (int i = 0; i < 200; ++i) a[i] = (int32_t)lcg(&s);
  isort(a, 200);
  int sorted = 1;
  for (int i = 1; i < 200; ++i) sorted &= a[i - 1] <= a[i];
  printf("sorted %d min %ld max %ld\n", sorted, (long)a[0], (long)a[199]);
  printf("crc %08lx\n", (unsigned long)crc32((const uint8_t*)a, sizeof a));
  uint64_t acc = 0x123456789abcdefull;
  for (int i = 0; i < 50; ++i) acc = acc * 0x9e3779b97f4a7c15ull + (acc >> 17) + (uint64_t)lcg(&s);
  printf("u64 %08lx%08lx q %lu r %lu\n", (unsigned long)(acc >> 32), (unsigned long)acc,
         (unsigned long)(acc / 1000003u % 1000000000u), (unsigned long)(acc % 97u));
  int32_t x = 0;
  int32_t (*f)(int, int32_t, int32_t) = op;
  for (int i = 0; i < 400; ++i) x = f(i, x + (int32_t)lcg(&s), (int32_t)(lcg(&s) >> (i & 15)) - 1000);
  printf("ops %ld fib %d\n", (long)x, fib(15));
  slm_dump_regs();
  return sorted ? 0 : 1;
}
