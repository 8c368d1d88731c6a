// Clock conversions and the Resource reservation calendar.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/common/clock.h"
#include "models/common/edge_cache.h"
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

TEST(EdgeCache, EqualsNextEdgeOnAnySequence) {
  // Nearby times (the cache's shortcuts), exact edges, and jumps either way (a division).
  for (uint64_t hz : {32'000'000ull, 12'500'000ull, 1'000'000'000ull, 3ull}) {
    Clock clk(hz);
    EdgeCache cache(clk.period_fs());
    uint64_t x = 0, state = 12345;
    for (int i = 0; i < 20000; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t r = state >> 33, p = clk.period_fs();
      switch (r % 5) {
        case 0: x += r % (p + 2); break;                 // within about a period
        case 1: x = clk.next_edge_fs(x + p) - (r % 3); break;  // on an edge or just before
        case 2: x += p * (r % 7); break;                // whole periods on
        case 3: x -= std::min(x, r % (3 * p)); break;   // back in time
        default: x = r * 1000; break;                   // anywhere
      }
      ASSERT_EQ(cache.next_edge_fs(x), clk.next_edge_fs(x)) << "hz " << hz << " x " << x;
    }
  }
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
