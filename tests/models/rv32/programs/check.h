/* Self-checking assembly test macros: each CHECK compares a register with a value computed
 * by hand and, on mismatch, exits through HTIF with the test number (exit code != 0). */
#define TESTNUM s11
#define FAIL_IF_NE(reg, val) li t6, val; bne reg, t6, fail
#define TEST(n) li TESTNUM, n
/* rd = op(a, b) */
#define TEST_RR(n, op, a, b, expect) TEST(n); li a1, a; li a2, b; op a0, a1, a2; FAIL_IF_NE(a0, expect)
#define TEST_RI(n, op, a, imm, expect) TEST(n); li a1, a; op a0, a1, imm; FAIL_IF_NE(a0, expect)

#define TEST_END  \
  pass:           \
  li a0, 0;       \
  call htif_exit; \
  fail:           \
  mv a0, TESTNUM; \
  call htif_exit
