/* Start of a cluster program (models/cluster): every core enters here. Each core gets a
 * 2 KiB stack at the bottom of L1 (core c: [0x10000000 + c*0x800, + 0x800)); core 0 copies
 * .data and clears .bss in L2, then all cores meet at the event-unit barrier and call main.
 * Core 0 exits with main's return value (HTIF); the others go to sleep for good. */
	.section .text.init.enter, "ax"
	.globl _start
_start:
	.option push
	.option norelax
	la gp, __global_pointer$
	.option pop
	csrr t0, mhartid
	li sp, 0x10000800
	slli t1, t0, 11
	add sp, sp, t1
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
4:	bgeu t1, t2, 3f
	sw zero, 0(t1)
	addi t1, t1, 4
	j 4b
3:	li t1, 0x10200808     /* event unit: barrier */
	lw t2, 0(t1)
	li a0, 0
	li a1, 0
	call main
	csrr t0, mhartid
	bnez t0, 9f
	call exit
9:	li t1, 0x10200818     /* event unit: sleep for good */
	lw t2, 0(t1)
	j 9b
