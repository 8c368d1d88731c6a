/* RV32I/M/C, Zicsr and Zifencei instruction classes against hand-computed values. */
#include "check.h"
	.text
	.option norvc
	.option norelax
	.globl main
main:
	/* integer register-register and register-immediate */
	TEST_RR(1, add, 0x7fffffff, 1, 0x80000000)
	TEST_RR(2, sub, 0, 1, 0xffffffff)
	TEST_RR(3, sll, 1, 33, 2)                 /* shift amount is rs2[4:0] */
	TEST_RR(4, slt, -1, 1, 1)
	TEST_RR(5, sltu, -1, 1, 0)
	TEST_RR(6, xor, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0)
	TEST_RR(7, srl, 0x80000000, 31, 1)
	TEST_RR(8, sra, 0x80000000, 31, 0xffffffff)
	TEST_RR(9, or, 0xf0, 0x0f, 0xff)
	TEST_RR(10, and, 0xf0f0, 0xff00, 0xf000)
	TEST_RI(11, addi, 5, -6, 0xffffffff)
	TEST_RI(12, slti, -5, -4, 1)
	TEST_RI(13, sltiu, 5, -1, 1)             /* immediate sign-extended, compared unsigned */
	TEST_RI(14, xori, 0xff, -1, 0xffffff00)
	TEST_RI(15, ori, 0x100, 0x0ff, 0x1ff)
	TEST_RI(16, andi, 0x12345678, 0x0f0, 0x070)
	TEST_RI(17, slli, 3, 30, 0xc0000000)
	TEST_RI(18, srli, 0xc0000000, 30, 3)
	TEST_RI(19, srai, 0xc0000000, 30, 0xffffffff)
	TEST(20); lui a0, 0xfffff; FAIL_IF_NE(a0, 0xfffff000)
	TEST(21); auipc a0, 0; la a1, 21f; 21: auipc a2, 0; bne a1, a2, fail
	/* multiply / divide (RISC-V M: division by zero and overflow are defined) */
	TEST_RR(30, mul, 0x10000, 0x10000, 0)
	TEST_RR(31, mulh, 0x80000000, 0x80000000, 0x40000000)
	TEST_RR(32, mulhsu, -1, 0xffffffff, 0xffffffff)
	TEST_RR(33, mulhu, 0xffffffff, 0xffffffff, 0xfffffffe)
	TEST_RR(34, div, -7, 2, -3)
	TEST_RR(35, div, 1, 0, -1)
	TEST_RR(36, div, 0x80000000, -1, 0x80000000)
	TEST_RR(37, divu, 7, 0, 0xffffffff)
	TEST_RR(38, rem, -7, 2, -1)
	TEST_RR(39, rem, 5, 0, 5)
	TEST_RR(40, rem, 0x80000000, -1, 0)
	TEST_RR(41, remu, 7, 3, 1)
	/* loads and stores: widths, sign/zero extension, little-endian */
	TEST(50); la a1, buf; li a2, 0x8081a2b3; sw a2, 0(a1); lb a0, 0(a1); FAIL_IF_NE(a0, 0xffffffb3)
	TEST(51); lbu a0, 3(a1); FAIL_IF_NE(a0, 0x80)
	TEST(52); lh a0, 2(a1); FAIL_IF_NE(a0, 0xffff8081)
	TEST(53); lhu a0, 0(a1); FAIL_IF_NE(a0, 0xa2b3)
	TEST(54); li a2, 0x55; sb a2, 1(a1); lw a0, 0(a1); FAIL_IF_NE(a0, 0x808155b3)
	TEST(55); li a2, 0x1234; sh a2, 2(a1); lw a0, 0(a1); FAIL_IF_NE(a0, 0x123455b3)
	/* branches and jumps */
	TEST(60); li a1, -1; li a2, 1; blt a2, a1, fail; bge a1, a2, fail; bltu a1, a2, fail; bgeu a2, a1, fail
	TEST(61); beq a1, a2, fail; bne a1, a1, fail
	TEST(62); jal a0, 62f; j fail; 62: la a1, 62b; addi a1, a1, -4; bne a0, a1, fail  /* jal links pc+4 */
	TEST(63); la a1, 63f; jalr a0, 1(a1); j fail; 63: nop    /* jalr clears bit 0 */
	/* compressed (the assembler emits C forms where it can; these force them) */
	.option push
	.option rvc
	TEST(70); c.li a0, -3; c.addi a0, 5; FAIL_IF_NE(a0, 2)
	TEST(71); c.lui a0, 0x1f; FAIL_IF_NE(a0, 0x1f000)
	TEST(72); li a0, 0xf0; c.srli a0, 4; FAIL_IF_NE(a0, 0xf)
	TEST(73); li a0, -16; c.srai a0, 2; FAIL_IF_NE(a0, -4)
	TEST(74); li a0, 0xff; c.andi a0, 0x0a; FAIL_IF_NE(a0, 0x0a)
	TEST(75); li a0, 7; li a1, 3; c.sub a0, a1; FAIL_IF_NE(a0, 4)
	TEST(76); li a0, 6; li a1, 3; c.xor a0, a1; FAIL_IF_NE(a0, 5)
	TEST(77); li a0, 6; li a1, 3; c.or a0, a1; FAIL_IF_NE(a0, 7)
	TEST(78); li a0, 6; li a1, 3; c.and a0, a1; FAIL_IF_NE(a0, 2)
	TEST(79); li a0, 3; c.slli a0, 4; FAIL_IF_NE(a0, 48)
	TEST(80); li a1, 9; c.mv a0, a1; FAIL_IF_NE(a0, 9)
	TEST(81); li a0, 9; li a1, 8; c.add a0, a1; FAIL_IF_NE(a0, 17)
	TEST(82); c.addi16sp sp, -32; c.addi4spn a0, sp, 16; addi a1, sp, 16; bne a0, a1, fail; c.addi16sp sp, 32
	TEST(83); addi sp, sp, -16; li a1, 0x5a5a; c.swsp a1, 4(sp); c.lwsp a0, 4(sp); addi sp, sp, 16; FAIL_IF_NE(a0, 0x5a5a)
	TEST(84); la a1, buf; li a2, 77; c.sw a2, 4(a1); c.lw a0, 4(a1); FAIL_IF_NE(a0, 77)
	TEST(85); li a0, 0; c.beqz a0, 85f; j fail; 85: li a0, 1; c.bnez a0, 86f; j fail; 86:
	TEST(87); c.j 87f; j fail; 87:
	TEST(88); la a1, 88f; c.jr a1; j fail; 88:
	TEST(89); la a1, 89f; c.jalr a1; 890: j fail; 89: la a2, 890b; bne ra, a2, fail
	TEST(90); c.jal 90f; 900: j fail; 90: la a2, 900b; bne ra, a2, fail
	.option pop
	/* CSRs */
	TEST(100); li a1, 0x1234; csrw mscratch, a1; csrr a0, mscratch; FAIL_IF_NE(a0, 0x1234)
	TEST(101); csrrsi a0, mscratch, 3; csrr a0, mscratch; FAIL_IF_NE(a0, 0x1237)
	TEST(102); csrrci a0, mscratch, 1; FAIL_IF_NE(a0, 0x1237); csrr a0, mscratch; FAIL_IF_NE(a0, 0x1236)
	TEST(103); li a1, 0x30; csrrc a0, mscratch, a1; csrr a0, mscratch; FAIL_IF_NE(a0, 0x1206)
	TEST(104); csrr a0, mhartid; FAIL_IF_NE(a0, 0)
	TEST(105); csrr a0, misa; srli a0, a0, 30; FAIL_IF_NE(a0, 1)   /* MXL = 1: RV32 */
	TEST(106); csrr a0, minstret; csrr a1, minstret; beq a1, a0, fail   /* exact counts: iss_core_test (QEMU counts differently) */
	TEST(107); rdinstret a0; rdinstret a1; beq a1, a0, fail
	TEST(108); rdcycle a0; nop; rdcycle a1; bleu a1, a0, fail
	TEST(109); csrr a0, mcycle; csrr a1, cycleh; csrr a2, minstreth
	/* fence.i after writing code: the new instruction must execute */
	TEST(110); la a1, patch; li a2, 0x00700513 /* addi a0, x0, 7 */; sw a2, 0(a1); fence.i; call patch; FAIL_IF_NE(a0, 7)
	TEST(111); fence        /* wfi is in traps.S: QEMU really waits for an interrupt */
	TEST_END

	.section .text.patch, "ax"
	.balign 4
patch:	addi a0, x0, 1
	ret

	.data
	.balign 8
buf:	.word 0, 0, 0, 0
