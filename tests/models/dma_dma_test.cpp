// DMA timing laws (exact simulated time), descriptors, contention, quantum, double buffering.
// Harness: memories 16 B/cycle, latency L = 4, 64 B bursts = b = 4 beats; bus 64 B wide,
// latency 0 (neutral); everything at 1 GHz, so 1 cycle = 1 ns. A burst copy is a read then
// a write: its uncontended round trip is 2 (L + b) = 16 cycles.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "tests/models/harness.h"
#include "workloads/common/error.h"

using namespace slm;
using namespace slm::test;
using sc_core::sc_time;

namespace {
constexpr uint64_t L = 4, b = 4, kBurst = 64;

sc_time copy_time(uint32_t outstanding, uint32_t n_bursts, std::vector<uint8_t>* copied = nullptr) {
  DmaPlatform p(16, L, dma_params(1, kBurst, outstanding));
  std::vector<uint8_t> pattern(n_bursts * kBurst);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = uint8_t(i * 13 + 5);
  p.src->load(0, pattern.data(), pattern.size());
  sc_time done;
  run_thread([&] {
    const auto t = p.dma->submit(0, DmaDescriptor::linear(DmaPlatform::kSrc, DmaPlatform::kDst0, pattern.size()));
    p.dma->wait(t);
    done = sc_core::sc_time_stamp();
    EXPECT_EQ(done, p.dma->completion_time(t));
    EXPECT_TRUE(p.dma->done(t));
  });
  if (copied) {
    copied->resize(pattern.size());
    p.dst0->peek(0, copied->data(), copied->size());
    EXPECT_EQ(*copied, pattern);
  }
  EXPECT_EQ(p.dma->stats().find("bytes")->value, pattern.size());
  EXPECT_EQ(p.dma->stats().find("bursts")->value, n_bursts);
  return done;
}
}  // namespace

// One burst in flight: every burst pays the full round trip, n x 2 (L + b).
TEST(Dma, OneOutstandingIsLatencyBound) {
  std::vector<uint8_t> copied;
  EXPECT_EQ(copy_time(1, 16, &copied), ns(16 * 2 * (L + b)));
}

// Enough bursts in flight: the port streams, 2L + b (n + 1) (last write ends b after its read).
TEST(Dma, ManyOutstandingIsPortBound) {
  EXPECT_EQ(copy_time(16, 16), ns(2 * L + b * (16 + 1)));
}

// Two in flight, latency-bound: a pair of bursts per round trip, n/2 x 2 (L + b) + b.
TEST(Dma, TwoOutstandingOverlapTwoBursts) {
  const int pairs = 16 / 2;  // 16 bursts, two in flight
  EXPECT_EQ(copy_time(2, 16), ns(pairs * 2 * (L + b) + b));
}

// Two channels contending for the one source port each get half of it: the port serves
// 2n bursts back to back; at quantum 0 the channels alternate, so one finishes at
// 2L + 2nb and the other one burst later.
TEST(Dma, TwoChannelsShareThePortEvenly) {
  const uint32_t n = 16;
  const ContendedResult r = run_contended(sc_core::SC_ZERO_TIME, n);
  EXPECT_EQ(r.first, ns(2 * L + 2 * n * b));
  EXPECT_EQ(r.last, ns(2 * L + (2 * n + 1) * b));
}

// The accuracy/speed trade-off of temporal decoupling: with a 1 us quantum the channel
// that runs first books the port for all its bursts before the other one runs, so it
// finishes as if alone (2L + b(n+1)) and the other waits; the last completion (total
// port work) is unchanged. Quantum 0 is exact arbitration, a large quantum is faster.
TEST(Dma, QuantumChangesTheShareNotTheTotal) {
  const uint32_t n = 16;
  const ContendedResult r = run_contended(ns(1000), n);
  EXPECT_EQ(r.first, ns(2 * L + b * (n + 1)));
  EXPECT_EQ(r.last, ns(2 * L + (2 * n + 1) * b));
}

// Determinism: two runs in separate processes dump identical stats, byte for byte.
TEST(Dma, StatsDumpIsDeterministicAcrossProcesses) {
  if (const char* out = std::getenv("SLMSIM_TEST_STATS_OUT")) {  // child mode
    std::ofstream(out) << run_contended(sc_core::SC_ZERO_TIME, 16).stats_json;
    return;
  }
  char self[4096] = {};
  ASSERT_GT(readlink("/proc/self/exe", self, sizeof self - 1), 0);
  std::string dumps[2];
  for (int i = 0; i < 2; ++i) {
    const std::string file = ::testing::TempDir() + "slmsim_stats_" + std::to_string(i) + ".json";
    const std::string cmd = "SLMSIM_TEST_STATS_OUT=" + file +
                            " '" + std::string(self) + "' --gtest_filter=Dma.StatsDumpIsDeterministicAcrossProcesses >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::stringstream ss;
    ss << std::ifstream(file).rdbuf();
    dumps[i] = ss.str();
    std::remove(file.c_str());
  }
  EXPECT_GT(dumps[0].size(), 100u);
  EXPECT_EQ(dumps[0], dumps[1]);
}

// Double buffering: load tile 0, then for each tile k start loading tile k+1 and compute
// tile k. Tile transfer T = 4 bursts x 16 = 64 cycles. Total = T + (n-1) max(C, T) + C:
// compute longer than transfer hides it (T + nC); shorter does not (nT + C).
namespace {
sc_time double_buffered(uint64_t compute_cycles, int tiles) {
  DmaPlatform p(16, L, dma_params(1, kBurst, 1));
  const uint64_t tile = 256;
  sc_time end;
  run_thread([&] {
    auto load = [&](int k) {
      return p.dma->submit(0, DmaDescriptor::linear(DmaPlatform::kSrc + k * tile, DmaPlatform::kDst0 + (k % 2) * tile, tile));
    };
    auto next = load(0);
    p.dma->wait(next);
    for (int k = 0; k < tiles; ++k) {
      if (k + 1 < tiles) next = load(k + 1);
      p.engine->compute(elem_op(compute_cycles), Precision::w8a8);
      if (k + 1 < tiles) p.dma->wait(next);
    }
    end = sc_core::sc_time_stamp();
  });
  return end;
}
}  // namespace

TEST(Dma, DoubleBufferingHidesTransferWhenComputeIsLonger) {
  const uint64_t T = 4 * 2 * (L + b), C = 100;
  ASSERT_GT(C, T);
  EXPECT_EQ(double_buffered(C, 4), ns(T + 4 * C));
}

TEST(Dma, DoubleBufferingDoesNotHideTransferWhenComputeIsShorter) {
  const uint64_t T = 4 * 2 * (L + b), C = 30;
  ASSERT_LT(C, T);
  EXPECT_EQ(double_buffered(C, 4), ns(4 * T + C));
}

// 3D descriptor: 2 planes x 3 rows x 40 B, gathered from strided rows into a dense block.
TEST(Dma, ThreeDimensionalDescriptorCopiesTheBlock) {
  DmaPlatform p(16, L, dma_params(1, 32, 4));
  std::vector<uint8_t> src(4096);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i ^ (i >> 8));
  p.src->load(0, src.data(), src.size());
  DmaDescriptor d;
  d.src_addr = DmaPlatform::kSrc + 16, d.dst_addr = DmaPlatform::kDst1;
  d.row_bytes = 40, d.rows = 3, d.planes = 2;
  d.src_row_stride_bytes = 100, d.src_plane_stride_bytes = 1000;
  d.dst_row_stride_bytes = 40, d.dst_plane_stride_bytes = 120;
  run_thread([&] { p.dma->wait(p.dma->submit(0, d)); });
  std::vector<uint8_t> got(240);
  p.dst1->peek(0, got.data(), got.size());
  for (int pl = 0; pl < 2; ++pl)
    for (int r = 0; r < 3; ++r)
      for (int i = 0; i < 40; ++i)
        ASSERT_EQ(got[pl * 120 + r * 40 + i], src[16 + pl * 1000 + r * 100 + i]) << pl << "," << r << "," << i;
  EXPECT_EQ(p.dma->stats().find("bursts")->value, 2u * 3u * 2u);  // 40 B rows: 32 + 8
}

TEST(Dma, BadRequestsAreErrors) {
  DmaPlatform p(16, L, dma_params(2, 64, 4));
  bool bad_dst_error = false;
  // Argument checks come before any wait, so they can be exercised outside a thread.
  EXPECT_THROW(p.dma->submit(2, DmaDescriptor::linear(0, DmaPlatform::kDst0, 64)), slm::Error);
  DmaDescriptor zero = DmaDescriptor::linear(0, DmaPlatform::kDst0, 64);
  zero.rows = 0;
  EXPECT_THROW(p.dma->submit(0, zero), slm::Error);
  run_thread([&] {
    const auto t = p.dma->submit(0, DmaDescriptor::linear(0, 0x900000, 64));  // unmapped destination
    p.dma->wait(t);
    bad_dst_error = p.dma->error(t);
  });
  EXPECT_TRUE(bad_dst_error);
  EXPECT_EQ(p.dma->stats().find("errors")->value, 1u);
  EXPECT_THROW(p.dma->done(99), slm::Error);
}
