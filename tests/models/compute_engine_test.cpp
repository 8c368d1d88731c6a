// ComputeEngine: the documented cycle formula, serialisation, counters.
#include <gtest/gtest.h>

#include "tests/models/harness.h"
#include "workloads/common/error.h"

using namespace slm;
using namespace slm::test;

namespace {
ComputeEngine::Params engine_params() {
  ComputeEngine::Params p;
  p.clock_hz = 32'000'000;  // an NPU at 32 MHz
  p.macs_per_cycle_w8a8 = 256, p.macs_per_cycle_w8a16 = 128, p.macs_per_cycle_w4a8 = 512;
  p.elem_ops_per_cycle = 8, p.op_overhead_cycles = 10;
  return p;
}
trace::Op matmul(uint64_t n, uint64_t k) {
  trace::Op op;
  op.kind = trace::OpKind::matmul;
  op.n = int64_t(n), op.k = int64_t(k), op.macs = n * k, op.elem_ops = n;  // requant per output
  return op;
}
}  // namespace

TEST(ComputeEngine, CycleFormula) {
  stats::Group root("soc");
  ComputeEngine e("npu", engine_params(), root);
  const trace::Op wq = matmul(288, 288);  // 82944 MACs
  EXPECT_EQ(e.cycles(wq, Precision::w8a8), 82944u / 256 + 10);
  EXPECT_EQ(e.cycles(wq, Precision::w8a16), 82944u / 128 + 10);
  EXPECT_EQ(e.cycles(wq, Precision::w4a8), 82944u / 512 + 10);
  EXPECT_EQ(e.cycles(matmul(3, 100), Precision::w8a8), 2u + 10);  // ceil(300 / 256)
  EXPECT_EQ(e.cycles(elem_op(17), Precision::w8a8), 3u + 10);     // ceil(17 / 8)
}

// Ops serialise on the engine, each taking its cycles of the engine's own clock.
TEST(ComputeEngine, ComputeWaitsAndCounts) {
  stats::Group root("soc");
  ComputeEngine e("npu", engine_params(), root);
  run_thread([&] {
    e.compute(matmul(288, 288), Precision::w8a8);
    EXPECT_EQ(sc_core::sc_time_stamp(), e.clock().cycles(324 + 10));
    // Booked at the same time as a second caller: starts after the first.
    const auto d1 = e.reserve(elem_op(80), Precision::w8a8, sc_core::sc_time_stamp());
    const auto d2 = e.reserve(elem_op(80), Precision::w8a8, sc_core::sc_time_stamp());
    EXPECT_EQ(d1, e.clock().cycles(334 + 20));
    EXPECT_EQ(d2, e.clock().cycles(334 + 40));
  });
  EXPECT_EQ(e.stats().find("ops")->value, 3u);
  EXPECT_EQ(e.stats().find("macs_w8a8")->value, 82944u);
  EXPECT_EQ(e.stats().find("elem_ops")->value, 288u + 160u);
  EXPECT_EQ(e.stats().find("busy_cycles")->value, 334u + 40u);
}

TEST(ComputeEngine, BadParamsAreErrors) {
  auto p = engine_params();
  p.macs_per_cycle_w8a16 = 0;
  EXPECT_THROW(p.validate("soc.npu"), slm::Error);
}
