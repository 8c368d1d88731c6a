/* HTIF exit + console, and picolibc's stdout on top of it. See htif.h. */
#include "htif.h"

#include <stdio.h>

/* tohost and fromhost adjacent (QEMU maps one HTIF window over both), 64-byte aligned,
 * in .bss so that nothing but HTIF traffic and the start-up clear touch the window. */
__asm__(
    "  .section .bss.htif, \"aw\", @nobits\n"
    "  .balign 64\n"
    "  .globl tohost\n"
    "tohost: .zero 8\n"
    "  .size tohost, 8\n"
    "  .globl fromhost\n"
    "fromhost: .zero 8\n"
    "  .size fromhost, 8\n"
    "  .balign 64\n"
    "  .text\n");
extern volatile uint64_t tohost;
extern volatile uint64_t fromhost;

static void htif_write(uint32_t lo, uint32_t hi) {
  volatile uint32_t* t = (volatile uint32_t*)&tohost;
  t[0] = lo;
  t[1] = hi; /* the upper-word write triggers the command */
}

void htif_putchar(char c) { htif_write((uint8_t)c, 0x01010000u); }

void htif_exit(int code) {
  for (;;) htif_write(((uint32_t)code << 1) | 1u, 0);
}

void _exit(int code) { htif_exit(code); }

static int slm_putc(char c, FILE* f) {
  (void)f;
  htif_putchar(c);
  return (unsigned char)c;
}
static FILE slm_stdio = FDEV_SETUP_STREAM(slm_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE* const stdout = &slm_stdio;
FILE* const stderr = &slm_stdio;
