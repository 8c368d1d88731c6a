/* slm_dump_regs: prints x1..x31 (values at the call, ra = return address) as
 * "xN=0xXXXXXXXX\n" through HTIF, preserving every register. Used by the QEMU
 * differential test: both simulators must print the same dump. */
	.text
	.globl slm_dump_regs
slm_dump_regs:
	addi sp, sp, -128
	.irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sw x\n, (\n*4)(sp)
	.endr
	addi t0, sp, 128      /* sp as the caller saw it */
	sw t0, 8(sp)
	li s0, 1              /* register number */
	mv s1, sp
1:	li a0, 'x'
	call 9f
	li t0, 10             /* decimal register number */
	blt s0, t0, 2f
	divu a0, s0, t0
	addi a0, a0, '0'
	call 9f
2:	li t0, 10
	remu a0, s0, t0
	addi a0, a0, '0'
	call 9f
	li a0, '='
	call 9f
	li a0, '0'
	call 9f
	li a0, 'x'
	call 9f
	slli t0, s0, 2
	add t0, t0, s1
	lw s2, 0(t0)
	li s3, 8
3:	srli a0, s2, 28
	li t0, 10
	blt a0, t0, 4f
	addi a0, a0, 'a' - 10 - '0'
4:	addi a0, a0, '0'
	call 9f
	slli s2, s2, 4
	addi s3, s3, -1
	bnez s3, 3b
	li a0, '\n'
	call 9f
	addi s0, s0, 1
	li t0, 32
	blt s0, t0, 1b
	.irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	lw x\n, (\n*4)(sp)
	.endr
	addi sp, sp, 128
	ret
/* putchar a0 through HTIF (clobbers t0, t1) */
9:	la t0, tohost
	sw a0, 0(t0)
	li t1, 0x01010000
	sw t1, 4(t0)
	ret
