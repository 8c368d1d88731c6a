/* XpulpV2 instructions (PULP encodings, see models/cpu/rv32/isa/xpulpv2.yaml) against
 * values computed by hand. Debian's assembler does not know the mnemonics: each is
 * written with .insn (R-type: opcode, funct3, funct7, rd, rs1, rs2) or .word. */
#include "check.h"
#define SIMD(f3, f7, rd, rs1, rs2) .insn r 0x57, f3, f7, rd, rs1, rs2
#define ALU(f3, f7, rd, rs1, rs2) .insn r 0x33, f3, f7, rd, rs1, rs2
#define CHK(n, expect) FAIL_IF_NE(a0, expect)
	.text
	.option norvc
	.option norelax
	.globl main
main:
	/* ---- packed SIMD ---- */
	TEST(1); li a1, 0x00017fff; li a2, 0x00010001; SIMD(0, 0x00, a0, a1, a2); CHK(1, 0x00028000)      /* pv.add.h */
	TEST(2); li a1, 0x01020304; li a2, 0x000000ff; SIMD(5, 0x00, a0, a1, a2); CHK(2, 0x00010203)      /* pv.add.sc.b */
	TEST(3); li a1, 0x00050002; SIMD(6, 0x05, a0, a1, x1); CHK(3, 0x0002ffff)                         /* pv.sub.sci.h 3 */
	TEST(4); li a1, 0x80017f05; li a2, 0x01ff8006; SIMD(1, 0x18, a0, a1, a2); CHK(4, 0x01017f06)      /* pv.max.b */
	TEST(5); SIMD(1, 0x1c, a0, a1, a2); CHK(5, 0x80ff8006)                                            /* pv.maxu.b */
	TEST(6); li a1, 0x8000f000; li a2, 0x00040004; SIMD(0, 0x24, a0, a1, a2); CHK(6, 0xf800ff00)      /* pv.sra.h */
	TEST(7); li a1, 0x01fe037f; li a2, 0x02030405; SIMD(1, 0x4c, a0, a1, a2); CHK(7, 643)             /* pv.dotsp.b */
	TEST(8); SIMD(1, 0x40, a0, a1, a2); CHK(8, 1411)                                                  /* pv.dotup.b */
	TEST(9); li a2, 0xfe030405; SIMD(1, 0x44, a0, a1, a2); CHK(9, 1407)                               /* pv.dotusp.b */
	TEST(10); li a0, 100; li a1, 0xffff0002; li a2, 0x00030004; SIMD(0, 0x5c, a0, a1, a2); CHK(10, 105) /* pv.sdotsp.h */
	TEST(11); li a0, 10; li a1, 0xff; li a2, 0xff; SIMD(1, 0x54, a0, a1, a2); CHK(11, -245)          /* pv.sdotusp.b */
	TEST(12); li a0, 1; li a1, -1; li a2, 0x01010101; SIMD(1, 0x50, a0, a1, a2); CHK(12, 1021)       /* pv.sdotup.b */
	TEST(13); li a1, 0x01020304; SIMD(7, 0x4d, a0, a1, x31); CHK(13, -10)                           /* pv.dotsp.sci.b -1 */
	TEST(14); li a1, 0x80010002; SIMD(6, 0x3d, a0, a1, x0); CHK(14, 0xffff8001)                      /* pv.extract.h 1 */
	TEST(15); SIMD(7, 0x49, a0, a1, x1); CHK(15, 0x80)                                               /* pv.extractu.b 3 */
	TEST(16); li a0, 0x11112222; li a1, 0xabcd; SIMD(6, 0x59, a0, a1, x0); CHK(16, 0xabcd2222)      /* pv.insert.h 1 */
	TEST(17); li a0, 0x11223344; li a1, 0x55; SIMD(7, 0x58, a0, a1, x1); CHK(17, 0x11553344)        /* pv.insert.b 2 */
	TEST(18); li a1, 0x0180ff05; li a2, 5; li a2, 0x00000005; SIMD(1, 0x0a, a0, a1, a2); CHK(18, 0xff000000) /* pv.cmpgt.b */
	TEST(19); li a1, 0x8000fffe; SIMD(0, 0x38, a0, a1, x0); CHK(19, 0x80000002)                     /* pv.abs.h */
	TEST(20); li a1, 0x0003fffd; li a2, 0x0001fffe; SIMD(0, 0x08, a0, a1, a2); CHK(20, 0x0002fffd)  /* pv.avg.h */
	TEST(21); li a1, 0x01010101; li a2, 3; SIMD(5, 0x28, a0, a1, a2); CHK(21, 0x08080808)           /* pv.sll.sc.b */
	TEST(22); li a1, 0x00050007; li a2, 7; SIMD(4, 0x02, a0, a1, a2); CHK(22, 0x0000ffff)           /* pv.cmpeq.sc.h */
	/* ---- scalar ALU, MAC, clip, bit fields ---- */
	TEST(23); li a0, 5; li a1, 3; li a2, 4; ALU(0, 0x21, a0, a1, a2); CHK(23, 17)                   /* p.mac */
	TEST(24); ALU(1, 0x21, a0, a1, a2); CHK(24, 5)                                                  /* p.msu */
	TEST(25); li a1, 300; li a2, 127; ALU(5, 0x0a, a0, a1, a2); CHK(25, 127)                        /* p.clip */
	TEST(26); li a1, -300; ALU(5, 0x0a, a0, a1, a2); CHK(26, -128)
	TEST(27); li a1, -5; li a2, 255; ALU(6, 0x0a, a0, a1, a2); CHK(27, 0)                           /* p.clipu */
	TEST(28); li a1, 300; ALU(6, 0x0a, a0, a1, a2); CHK(28, 255)
	TEST(29); li a1, 200; ALU(1, 0x0a, a0, a1, x8); CHK(29, 127)                                    /* p.clipi 8 */
	TEST(30); li a1, -3; ALU(2, 0x0a, a0, a1, x8); CHK(30, 0)                                       /* p.clipui 8 */
	TEST(31); li a1, 0xf0f0; ALU(0, 0x63, a0, a1, x4); CHK(31, 0xffffffff)                          /* p.extracti 3, 4 */
	TEST(32); ALU(1, 0x63, a0, a1, x4); CHK(32, 0xf)                                                /* p.extractui 3, 4 */
	TEST(33); li a0, -1; li a1, 0; ALU(2, 0x67, a0, a1, x8); CHK(33, 0xffff00ff)                    /* p.inserti 7, 8 */
	TEST(34); li a1, 0xf0f0; li a2, 0x64; ALU(0, 0x40, a0, a1, a2); CHK(34, 0xffffffff)             /* p.extract */
	TEST(35); li a0, 0; li a1, 0xab; li a2, 0xf0; ALU(2, 0x40, a0, a1, a2); CHK(35, 0x00ab0000)     /* p.insert */
	TEST(36); li a1, -7; ALU(0, 0x02, a0, a1, x0); CHK(36, 7)                                       /* p.abs */
	TEST(37); li a1, -3; li a2, 2; ALU(4, 0x02, a0, a1, a2); CHK(37, -3)                            /* p.min */
	TEST(38); ALU(7, 0x02, a0, a1, a2); CHK(38, 0xfffffffd)                                         /* p.maxu */
	TEST(39); li a1, 0xf0f0; ALU(3, 0x08, a0, a1, x0); CHK(39, 8)                                   /* p.cnt */
	TEST(40); li a1, 0x100; ALU(0, 0x08, a0, a1, x0); CHK(40, 8)                                    /* p.ff1 */
	TEST(41); li a1, 0x8000; ALU(4, 0x08, a0, a1, x0); CHK(41, 0xffff8000)                          /* p.exths */
	TEST(42); li a1, -3; .insn sb 0x63, 2, a1, x29, 42f; j fail; 42:                                /* p.beqimm -3 */
	TEST(43); .insn sb 0x63, 3, a1, x5, 43f; j fail; 43:                                            /* p.bneimm 5 */
	TEST(44); .insn sb 0x63, 3, a1, x29, fail                                                       /* p.bneimm -3: not taken */
	/* ---- post-increment and register-offset memory ---- */
	TEST(45); la a1, buf; .insn i 0x0b, 2, a0, a1, 4; CHK(45, 0x11111111); la t0, buf + 4; bne a1, t0, fail /* p.lw a0, 4(a1!) */
	TEST(46); la a1, buf; li a2, 4; .insn r 0x03, 7, 0x20, a0, a1, a2; CHK(46, 0x22)              /* p.lbu a0, a2(a1) */
	TEST(47); la a1, buf + 8; li a2, 2; .insn r 0x0b, 7, 0x08, a0, a1, a2; CHK(47, 0xffff8333)   /* p.lh a0, a2(a1!) */
	la t0, buf + 10; bne a1, t0, fail
	TEST(48); la a1, buf + 12; li a2, 0x5a5a5a5a; .insn s 0x2b, 2, a2, 4(a1); la t0, buf + 16; bne a1, t0, fail /* p.sw a2, 4(a1!) */
	lw a0, -4(a1); CHK(48, 0x5a5a5a5a)
	TEST(49); la a1, buf; li a2, 0x77; li a3, 13; .insn r 0x23, 4, 0, a3, a1, a2; lbu a0, 13(a1); CHK(49, 0x77) /* p.sb a2, a3(a1) */
	TEST(50); la a1, buf; li a2, 0x1234; li a3, 6; .insn r 0x2b, 5, 0, a3, a1, a2; la t1, buf; lhu a0, 0(t1); CHK(50, 0x1234) /* p.sh a2, a3(a1!) */
	la t0, buf + 6; bne a1, t0, fail
	/* ---- hardware loops ---- */
	TEST(51); li a0, 0; li a1, 0
	.word (5 << 20) | (8 << 15) | (5 << 12) | 0x7b      /* lp.setupi 0, 5, +16 */
	addi a0, a0, 1
	addi a0, a0, 1
	addi a1, a1, 1
	CHK(51, 10); li t0, 5; bne a1, t0, fail
	TEST(52); li a0, 0; li a1, 0; li a2, 3
	.word (16 << 20) | (12 << 15) | (4 << 12) | (1 << 7) | 0x7b   /* lp.setup 1, a2, +32 */
	.word (4 << 20) | (8 << 15) | (5 << 12) | 0x7b                 /* lp.setupi 0, 4, +16 */
	addi a0, a0, 1
	nop
	addi a0, a0, 1
	addi a1, a1, 1
	nop
	nop
	CHK(52, 24); li t0, 3; bne a1, t0, fail
	TEST(53); li a0, 0
	.word (6 << 20) | (0 << 12) | 0x7b        /* lp.starti 0, +12 */
	.word (10 << 20) | (1 << 12) | 0x7b       /* lp.endi 0, +20 */
	.word (2 << 20) | (3 << 12) | 0x7b        /* lp.counti 0, 2 */
	addi a0, a0, 1
	addi a0, a0, 1
	addi a0, a0, 1
	CHK(53, 6)
	TEST(54); csrr a0, 0x7c2; CHK(54, 0)       /* lpcount0 is 0 after the loop */
	TEST_END

	.data
	.balign 8
buf:	.word 0x11111111, 0x22222222, 0x83338333, 0x44444444, 0, 0
