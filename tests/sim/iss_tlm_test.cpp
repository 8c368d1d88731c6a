// The RV32 ISS through its TLM wrapper (sim/iss/rv32_tlm.h) on a SystemC platform (SRAM +
// crossbar): the same console, exit code and instruction count as the SystemC-free
// machine; several harts share the memory; simulated time advances with the cycles.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/models/rv32/iss_harness.h"

#include "models/cpu/rv32/machine.h"
#include "sim/iss/tlm_system.h"

using namespace slm;

namespace {
const auto program = slm::test::rv32_program;
}  // namespace

TEST(IssTlm, SameResultAsTheMachine) {
  const auto p = program("c_workload");
  if (p.empty()) GTEST_SKIP() << "c_workload.elf not built";
  rv32::Machine m(rv32::MachineConfig{});
  m.load(rv32::read_elf(p));
  const auto ref = m.run(100'000'000);
  const auto r = iss::run_tlm(p, 1);
  EXPECT_TRUE(r.exited) << r.error;
  EXPECT_EQ(r.exit_code, ref.exit_code);
  EXPECT_EQ(r.console, m.console());
  EXPECT_EQ(r.instructions, ref.instructions);
  EXPECT_EQ(r.hart0_cycles, ref.hart0_cycles);  // DMI memory: the same cycle count
  EXPECT_NEAR(r.sim_seconds, double(ref.hart0_cycles) / 1e8, 1e-3);  // 100 MHz, quantum granularity
}

TEST(IssTlm, MemoryLatencyComesFromThePlatform) {
  // A 3-cycle SRAM (DMI latency 4 core cycles): every load and store costs 3 cycles more
  // than on the single-cycle machine.
  const auto p = program("c_workload");
  if (p.empty()) GTEST_SKIP() << "c_workload.elf not built";
  rv32::Machine m(rv32::MachineConfig{});
  m.load(rv32::read_elf(p));
  const auto ref = m.run(100'000'000);
  rv32::MachineConfig slow_cfg;
  slow_cfg.timing.mem_latency_cycles = 3;
  rv32::Machine slow(slow_cfg);
  slow.load(rv32::read_elf(p));
  const auto want = slow.run(100'000'000);
  ASSERT_GT(want.hart0_cycles, ref.hart0_cycles);
  const auto r = iss::run_tlm(p, 1, 0x80000000u, 16u << 20, 3);
  EXPECT_TRUE(r.exited) << r.error;
  EXPECT_EQ(r.instructions, ref.instructions);
  EXPECT_EQ(r.hart0_cycles, want.hart0_cycles);
}

TEST(IssTlm, TwoHartsShareTheMemory) {
  const auto p = program("bench_gemv_xpulp");
  if (p.empty()) GTEST_SKIP() << "bench_gemv_xpulp.elf not built";
  const auto r = iss::run_tlm(p, 2);
  EXPECT_TRUE(r.exited) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.console.rfind("checksum ", 0), 0u) << r.console;
  EXPECT_GT(r.instructions, 280'000'000ull);  // hart 1 ran alongside hart 0 (145 M instructions each)
}
