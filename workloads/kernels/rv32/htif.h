/* HTIF (host-target interface) for slmsim's ISS and QEMU -M spike: exit and console.
 * tohost/fromhost are 8-byte symbols; on RV32 the low word is written first, then the
 * high word, which triggers the command. */
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
void htif_putchar(char c);
void htif_exit(int code) __attribute__((noreturn));
/* Prints "name=0x%08x" lines for x1..x31 as they were at the call (register dump for the
 * QEMU differential test). Implemented in regdump.S. */
void slm_dump_regs(void);
#ifdef __cplusplus
}
#endif
