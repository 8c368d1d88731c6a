// Cross-compiled programs on the ISS: instruction classes and traps (self-checking, exit 0),
// console through HTIF, exit codes, unhandled traps, the instruction limit.
#include <gtest/gtest.h>

#include "tests/models/rv32/iss_harness.h"

using namespace slm::rv32;
using namespace slm::test;

// Runs a self-checking program (exit code = the number of the first failing check, 0 = all pass).
void expect_self_check(const char* name, int expected_exit, const Timing& timing = {}) {
  const auto p = rv32_program(name);
  SKIP_IF_EMPTY(p, name);
  auto run = run_elf(p, 1, 200'000'000, timing);
  EXPECT_EQ(run.r.stop, Stop::exit) << run.r.trap.text();
  EXPECT_EQ(run.r.exit_code, expected_exit) << "failing test number";
}

TEST(Rv32Programs, InstructionClassesSelfCheck) { expect_self_check("rv32i_check", 0); }

TEST(Rv32Programs, TrapsSelfCheck) {
  Timing t;
  t.trap_misaligned = true;  // tests 4-6 expect misaligned loads/stores to trap
  expect_self_check("traps", 0, t);
}

// The default (CV32E40P) performs misaligned accesses: test 4 (a misaligned lw expected to
// trap) fails.
TEST(Rv32Programs, MisalignedAccessesDoNotTrapByDefault) { expect_self_check("traps", 4); }

TEST(Rv32Programs, XpulpSelfCheck) { expect_self_check("xpulp_check", 0); }

TEST(Rv32Programs, ConsoleAndExitCode) {
  const auto p = rv32_program("hello");
  SKIP_IF_EMPTY(p, "hello.elf");
  auto run = run_elf(p);
  EXPECT_EQ(run.r.stop, Stop::exit);
  EXPECT_EQ(run.r.exit_code, 3);
  EXPECT_EQ(run.console.substr(0, run.console.find('\n')), "hello from hart 0: rv32imc 42");
  EXPECT_NE(run.console.find("x31=0x"), std::string::npos);
}

TEST(Rv32Programs, UnhandledTrapReportsPcInstructionCause) {
  const auto p = rv32_program("unhandled");
  SKIP_IF_EMPTY(p, "unhandled.elf");
  const auto elf = read_elf(p);
  auto run = run_elf(p);
  EXPECT_EQ(run.r.stop, Stop::trap);
  EXPECT_EQ(run.r.trap.pc, *elf.symbol("bad_insn"));
  EXPECT_EQ(run.r.trap.insn, 0x0000702fu);
  EXPECT_EQ(run.r.trap.cause, 2u);
  EXPECT_EQ(run.r.trap.hart, 0u);
}

TEST(Rv32Programs, InstructionLimitStopsTheRun) {
  const auto p = rv32_program("spin");
  SKIP_IF_EMPTY(p, "spin.elf");
  auto run = run_elf(p, 1, 100000);
  EXPECT_EQ(run.r.stop, Stop::limit);
  EXPECT_EQ(run.r.instructions, 100000u);
}

TEST(Rv32Programs, EveryHartRunsAndHartZeroExits) {
  const auto p = rv32_program("hello");
  SKIP_IF_EMPTY(p, "hello.elf");
  auto run = run_elf(p, 4);
  EXPECT_EQ(run.r.stop, Stop::exit);
  EXPECT_EQ(run.r.exit_code, 3);
}
