// slmsim iss: console on stdout, summary on stderr, the program's exit code, bad input (2),
// unhandled trap (125), instruction limit (124), config errors, the commit log.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/models/rv32/iss_harness.h"

#include "tests/common/cli.h"
#include "tests/sim/harness.h"

using namespace slm::test;

namespace {
const auto program = slm::test::rv32_program;
}  // namespace

TEST(IssCli, RunsAProgramAndExitsWithItsCode) {
  const auto p = program("hello");
  if (p.empty()) GTEST_SKIP() << "hello.elf not built (riscv64-unknown-elf-gcc missing)";
  auto r = run_slmsim("iss '" + p + "'");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out.rfind("hello from hart 0: rv32imc 42\n", 0), 0u) << r.out;
  EXPECT_NE(r.err.find("instructions"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CPI"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exit code 3"), std::string::npos) << r.err;
}

TEST(IssCli, UnhandledTrapIsReported) {
  const auto p = program("unhandled");
  if (p.empty()) GTEST_SKIP() << "unhandled.elf not built";
  auto r = run_slmsim("iss '" + p + "'");
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("illegal instruction (mcause 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("insn 0x0000702f"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hart 0"), std::string::npos) << r.err;
}

TEST(IssCli, InstructionLimit) {
  const auto p = program("spin");
  if (p.empty()) GTEST_SKIP() << "spin.elf not built";
  auto r = run_slmsim("iss '" + p + "' --max-instructions 5000");
  EXPECT_EQ(r.status, 124);
  EXPECT_NE(r.err.find("instruction limit 5000"), std::string::npos) << r.err;
}

TEST(IssCli, BadElfAndBadConfigExitTwo) {
  auto r = run_slmsim("iss '" + source_dir() + "/README.md'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not an ELF file"), std::string::npos) << r.err;
  const auto p = program("hello");
  if (p.empty()) GTEST_SKIP() << "hello.elf not built";
  const auto cfg = write_temp("bad_iss.yaml", "iss:\n  timing:\n    mulh_cyles: 5\n");
  r = run_slmsim("iss '" + p + "' --config '" + cfg + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("iss.timing.mulh_cyles: unknown key"), std::string::npos) << r.err;
  const auto cfg2 = write_temp("bad_iss2.yaml", "iss:\n  cores: 0\n");
  r = run_slmsim("iss '" + p + "' --config '" + cfg2 + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("iss.cores = 0: must be in [1, 64]"), std::string::npos) << r.err;
  const auto cfg3 = write_temp("bad_iss3.yaml", "iss:\n  memory:\n    size_bytes: 64 KiB x\n");
  r = run_slmsim("iss '" + p + "' --config '" + cfg3 + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("iss.memory.size_bytes = '64 KiB x': expected a non-negative integer"), std::string::npos) << r.err;
  r = run_slmsim("iss '" + p + "' --config /dev/zero");  // not a regular file: refused before reading
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("/dev/zero"), std::string::npos) << r.err;
}

TEST(IssCli, ShippedConfigLoadsAndTimingChangesCycles) {
  const auto p = program("hello");
  if (p.empty()) GTEST_SKIP() << "hello.elf not built";
  auto a = run_slmsim("iss '" + p + "' --config '" + source_dir() + "/configs/iss/rv32.yaml'");
  auto b = run_slmsim("iss '" + p + "'");
  EXPECT_EQ(a.status, 3) << a.err;
  EXPECT_EQ(a.err, b.err);  // the shipped config equals the built-in defaults
  const auto slow = write_temp("slow_iss.yaml", "iss:\n  timing:\n    mem_latency_cycles: 3\n");
  auto c = run_slmsim("iss '" + p + "' --config '" + slow + "'");
  EXPECT_EQ(c.status, 3);
  EXPECT_NE(c.err, b.err);  // slower memory, more cycles
}

TEST(IssCli, CommitLog) {
  const auto p = program("hello");
  if (p.empty()) GTEST_SKIP() << "hello.elf not built";
  const auto log = write_temp("commits.txt", "");
  auto r = run_slmsim("iss '" + p + "' --log-commits '" + log + "'");
  EXPECT_EQ(r.status, 3);
  const std::string text = read_file(log);
  EXPECT_EQ(text.rfind("core 0: 0x80000000 (0x", 0), 0u) << text.substr(0, 200);
  EXPECT_NE(text.find(" mem 0x"), std::string::npos);
  EXPECT_NE(text.find(" x3  0x"), std::string::npos);
}
