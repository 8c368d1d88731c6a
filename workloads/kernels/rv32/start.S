/* Bare-metal start for slmsim's RV32 ISS and QEMU -M spike (linked with picolibc.ld at
 * __flash = 0x80000000). Every hart gets its own stack below __stack (16 KiB each);
 * hart 0 copies .data/.tdata from flash, clears .bss/.tbss, then releases the others.
 * tp points at the (shared) TLS block; main's return value goes to exit() -> _exit(). */
	.section .text.init.enter, "ax"
	.globl _start
_start:
	.option push
	.option norelax
	la gp, __global_pointer$
	.option pop
	csrr t0, mhartid
	la sp, __stack
	slli t1, t0, 14
	sub sp, sp, t1
	la tp, __tls_base
	bnez t0, 3f
	la t1, __data_source
	la t2, __data_start
	la t3, __data_source_end
1:	bgeu t1, t3, 2f
	lw t4, 0(t1)
	sw t4, 0(t2)
	addi t1, t1, 4
	addi t2, t2, 4
	j 1b
2:	la t1, __bss_start
	la t2, __bss_end
4:	bgeu t1, t2, 5f
	sw zero, 0(t1)
	addi t1, t1, 4
	j 4b
5:	la t1, slm_harts_go
	li t2, 1
	sw t2, 0(t1)
	j 6f
3:	la t1, slm_harts_go   /* other harts wait until hart 0 has initialised memory */
7:	lw t2, 0(t1)
	beqz t2, 7b
6:	li a0, 0
	li a1, 0
	call main
	call exit
8:	j 8b

	.data   /* not in .bss: hart 0 clears .bss while the others poll this word */
	.balign 4
	.globl slm_harts_go
slm_harts_go:
	.word 0
