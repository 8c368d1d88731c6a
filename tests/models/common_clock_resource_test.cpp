// Clock conversions and the Resource reservation calendar.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

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

namespace {
uint64_t next_rand(uint64_t& state) {
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return state >> 33;
}
}  // namespace

TEST(Resource, EqualsAPlainFirstFitCalendarOnAnySequence) {
  // The fast paths (nothing booked after, a request inside the last busy interval, appends with
  // a gap, extensions) against a plain list of every booking searched from the start: streams
  // that keep the resource busy, requests at an interval's begin, zero durations, gaps and
  // requests back in time.
  uint64_t state = 99;
  for (int round = 0; round < 20; ++round) {
    Resource r;
    std::vector<std::pair<uint64_t, uint64_t>> booked;  // [begin, end), sorted
    std::pair<uint64_t, uint64_t> last{0, 0};             // the latest booking
    uint64_t now = 0, t = 0;
    for (int i = 0; i < 3000; ++i) {
      const uint64_t x = next_rand(state);
      const uint64_t d = x % 11 == 0 ? 0 : 1 + x % 40;
      switch (x % 6) {
        case 0: t += x % 30; break;                                   // a little later
        case 1: t = last.first; break;            // at the latest booking's begin
        case 2: t = last.first + x % 7; break;    // inside it
        case 3: t = t > 200 ? t - x % 200 : t; break;                 // back in time
        case 4: t += 100 + x % 300; break;                            // leave a gap
        default: break;
      }
      t = std::max(t, now);
      // Reference: first start >= t at which [s, s + d) overlaps no booking.
      uint64_t s = t;
      for (const auto& [b, e] : booked) {
        if (e <= s) continue;
        if (s + d <= b) break;
        s = std::max(s, e);
      }
      ASSERT_EQ(r.probe_fs(t, d), s) << "round " << round << " request " << i;
      r.book_fs(s, d, now);
      if (d) {
        last = {s, s + d};
        booked.insert(std::upper_bound(booked.begin(), booked.end(), last), last);
        // Touching bookings are one busy interval (a zero-length request fits at neither end).
        std::vector<std::pair<uint64_t, uint64_t>> merged;
        for (const auto& iv : booked)
          if (!merged.empty() && merged.back().second == iv.first) merged.back().second = iv.second;
          else merged.push_back(iv);
        booked.swap(merged);
      }
      if (x % 97 == 0) now = t;  // time moves on: bookings that ended are forgotten
    }
  }
}

TEST(SlotPool, EqualsCountingInFlightTransactionsOnAnySequence) {
  // acquire(t) = the first s >= t at which fewer than k booked transactions are in flight
  // (begin <= s < end), against a count over every booking; streams, overlaps, requests back
  // in time.
  uint64_t state = 7;
  for (uint32_t k : {1u, 2u, 8u}) {
    SlotPool pool(k);
    std::vector<std::pair<uint64_t, uint64_t>> booked;
    uint64_t t = 0;
    for (int i = 0; i < 1500; ++i) {
      const uint64_t x = next_rand(state);
      switch (x % 5) {
        case 0: t += x % 50; break;
        case 1: t = t > 300 ? t - x % 300 : t; break;
        case 2: t = t > 3000 ? t - x % 3000 : t; break;  // far back (the search's doubling steps)
        default: t += 5; break;
      }
      auto in_flight = [&](uint64_t s) {
        uint32_t n = 0;
        for (const auto& [b, e] : booked) n += b <= s && s < e;
        return n;
      };
      uint64_t s = t;
      while (in_flight(s) >= k) {  // the next end after s
        uint64_t next = UINT64_MAX;
        for (const auto& [b, e] : booked)
          if (e > s) next = std::min(next, e);
        s = next;
      }
      ASSERT_EQ(pool.acquire_fs(t, 0), s) << "k " << k << " request " << i;
      const uint64_t done = s + 1 + x % 90;
      pool.release_at_fs(done);
      booked.push_back({s, done});
    }
  }
}
