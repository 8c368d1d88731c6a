/* Start of a cluster program (models/cluster): every core enters here. Core c gets a 2 KiB
 * stack at the bottom of L1 ([0x10000000 + c*0x800, + 0x800); slots 0..8: up to 8 workers
 * and the controller).
 * With a controller core (event unit 0x20 reads 1; its id = the number of workers): the
 * controller copies .data and clears .bss in L2, forks the workers (a dispatch push: they
 * sleep on a dispatch pop until then), and joins them (event unit 0x24: it sleeps until every
 * worker sleeps for good); the workers call main; worker 0 leaves main's return value in the
 * lowest word of the controller's stack slot (L1 0x10004000; the controller's stack, growing
 * down from 0x10004800, uses a few words); the controller exits with it (HTIF).
 * Without one (SPMD): core 0 copies .data and clears .bss, every core meets at the barrier and
 * calls main; core 0 exits with main's return value, the others sleep for good. */
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
	li t5, 0x10200800     /* event unit */
	lw t6, 0x20(t5)       /* controller present? */
	beqz t6, .Lspmd
	lw t6, 0x04(t5)       /* number of workers = the controller's id */
	beq t0, t6, .Lcontroller
	lw t6, 0x14(t5)       /* worker: dispatch pop, asleep until the controller forks */
	li a0, 0
	li a1, 0
	call main
	csrr t0, mhartid
	bnez t0, 9f
	li t1, 0x10004000     /* the status word */
	sw a0, 0(t1)
	j 9f
.Lcontroller:
	call .Linit_data
	li t5, 0x10200800
	sw zero, 0x10(t5)     /* fork: push into every worker's dispatch FIFO */
	lw t6, 0x24(t5)       /* join: asleep until every worker sleeps for good */
	li t1, 0x10004000
	lw a0, 0(t1)
	call exit
.Lspmd:
	bnez t0, 3f
	call .Linit_data
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

/* .data from its load image, .bss to zero (L2). Clobbers t1-t4. */
.Linit_data:
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
5:	ret

