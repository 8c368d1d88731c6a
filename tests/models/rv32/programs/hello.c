/* Console (picolibc printf over HTIF), a register dump and an exit code. */
#include <stdio.h>

#include "htif.h"

int main(void) {
  printf("hello from hart %d: %s %u\n", 0, "rv32imc", 42u);
  slm_dump_regs();
  return 3;
}
