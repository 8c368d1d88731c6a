// Clock conversions and the Resource reservation calendar.
#include <gtest/gtest.h>

#include "models/common/clock.h"
#include "models/common/resource.h"
#include "workloads/common/error.h"

using namespace slm;
using sc_core::sc_time;

static sc_time fs(uint64_t v) { return sc_time::from_value(v); }

TEST(Clock, ExactPeriods) {
  Clock npu(32'000'000), ghz(1'000'000'000);
  EXPECT_EQ(npu.period_fs(), 31'250'000u);
  EXPECT_EQ(npu.cycles(3), fs(93'750'000));
  EXPECT_EQ(ghz.period(), sc_time(1, sc_core::SC_NS));
  EXPECT_EQ(npu.to_cycles(fs(31'250'001)), 2u);  // partial cycles round up
  EXPECT_EQ(npu.to_cycles(fs(62'500'000)), 2u);
  EXPECT_EQ(npu.next_edge(fs(1)), fs(31'250'000));
  EXPECT_THROW(Clock(0, "soc.npu.clock_hz"), slm::Error);
}

TEST(Resource, FirstComeAndGapFilling) {
  Clock c(1'000'000'000);
  Resource r;
  EXPECT_EQ(r.reserve(c.cycles(0), c.cycles(4)), c.cycles(0));    // [0,4)
  EXPECT_EQ(r.reserve(c.cycles(0), c.cycles(4)), c.cycles(4));    // [4,8)
  EXPECT_EQ(r.reserve(c.cycles(20), c.cycles(5)), c.cycles(20));  // [20,25)
  EXPECT_EQ(r.reserve(c.cycles(2), c.cycles(12)), c.cycles(8));   // fits in the gap [8,20)
  EXPECT_EQ(r.reserve(c.cycles(2), c.cycles(1)), c.cycles(25));   // [8,20) now full
  EXPECT_EQ(r.busy_time(), c.cycles(4 + 4 + 5 + 12 + 1));
}

TEST(SlotPool, LimitsConcurrency) {
  Clock c(1'000'000'000);
  SlotPool s(2);
  EXPECT_EQ(s.acquire(c.cycles(0)), c.cycles(0));
  s.release_at(c.cycles(10));
  EXPECT_EQ(s.acquire(c.cycles(0)), c.cycles(0));
  s.release_at(c.cycles(7));
  EXPECT_EQ(s.acquire(c.cycles(1)), c.cycles(7));  // both slots busy: the earliest frees at 7
}
