/* An illegal instruction with no trap handler (mtvec = 0): the run must stop with a report. */
	.text
	.globl main
main:
	li a0, 5
	.globl bad_insn
bad_insn:
	.word 0x0000702f   /* an AMO: the A extension is not implemented */
	ret
