/* Traps: illegal instruction, misaligned and faulting loads/stores, ecall, ebreak, fetch
 * from unmapped memory; mcause/mepc/mtval/mstatus as the privileged spec defines them. */
#include "check.h"
	.text
	.option norvc
	.option norelax
	.globl main
main:
	la t0, handler
	csrw mtvec, t0
	/* illegal instruction: mtval holds the instruction word */
	TEST(1); la s1, 1f; 1: .word 0xffffffff; li s2, 2; li s3, 0xffffffff; call check
	/* an unknown CSR is illegal */
	TEST(2); la s1, 2f; 2: csrr a0, 0x7ff; li s2, 2; li s3, 0x7ff02573 /* the word */; call check
	/* writing a read-only CSR is illegal */
	TEST(3); la s1, 3f; 3: csrw mhartid, a0; li s2, 2; li s3, 0xf1451073; call check
	/* misaligned load / store: mtval = address */
	TEST(4); la a1, buf; addi a1, a1, 1; la s1, 4f; 4: lw a0, 0(a1); li s2, 4; mv s3, a1; call check
	TEST(5); la a1, buf; addi a1, a1, 2; la s1, 5f; 5: sw a0, 0(a1); li s2, 6; mv s3, a1; call check
	TEST(6); la a1, buf; addi a1, a1, 1; la s1, 6f; 6: lh a0, 0(a1); li s2, 4; mv s3, a1; call check
	/* access faults outside memory */
	TEST(7); li a1, 0x10000000; la s1, 7f; 7: lw a0, 0(a1); li s2, 5; mv s3, a1; call check
	TEST(8); li a1, 0x10000000; la s1, 8f; 8: sb a0, 0(a1); li s2, 7; mv s3, a1; call check
	/* ecall and ebreak */
	TEST(9); la s1, 9f; 9: ecall; li s2, 11; li s3, 0; call check
	TEST(10); la s1, 10f; 10: ebreak; li s2, 3; mv s3, s1; call check
	/* mstatus: MPP = M after the trap, MPIE restored by mret */
	TEST(13); wfi          /* no interrupt sources: a nop */
	TEST(11); csrr a0, mstatus; li t0, 0x1800; and a0, a0, t0; FAIL_IF_NE(a0, 0x1800)
	/* fetch from unmapped memory: instruction access fault, mepc = mtval = target */
	TEST(12); li s1, 0x20000000; la ra, 12f; jr s1; 12: li s2, 1; mv s3, s1; call check_fetch
	TEST_END

/* after a trap: mcause == s2, mepc (saved by the handler in mscratch) == s1, mtval == s3 */
check:
	csrr t0, mcause; bne t0, s2, fail
	csrr t0, mscratch; bne t0, s1, fail
	csrr t0, mtval; bne t0, s3, fail
	csrw mcause, zero
	ret
check_fetch:
	csrr t0, mcause; bne t0, s2, fail
	csrr t0, mscratch; bne t0, s1, fail
	csrr t0, mtval; bne t0, s3, fail
	ret

/* the handler skips the trapping instruction (4 bytes), except for fetch faults where it
 * returns to ra */
	.balign 4
handler:
	csrr t0, mepc
	csrw mscratch, t0
	csrr t0, mcause
	li t1, 1
	beq t0, t1, 1f
	csrr t0, mepc
	addi t0, t0, 4
	csrw mepc, t0
	mret
1:	csrw mepc, ra
	mret

	.data
	.balign 8
buf:	.word 0, 0
