// The Verilator RTL of the NPU MAC array (models/rtl/npu_mac_array.sv) against the golden
// matmul (bit for bit) and against the NPU model's per-block MAC cycle formula.
//
// Random tiles (both precisions, 128 and 512 MACs) with the edge cases of the output stage:
// negative values, rounding ties, the extreme multipliers and shifts, output clamping and the
// int32 accumulator saturation; real stories260K tiles (attention projection, FFN, classifier)
// captured from a prefill of the integer model. Each check has a negative twin showing it
// can fail: a perturbed expected value, and a truncating (wrong rounding) reference that the
// RTL must NOT match on the tie tiles.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/npu/ethos_u85_arch.h"
#include "models/rtl/mac_array_sim.h"
#include "tests/workloads/quant/model_files.h"
#include "workloads/eval/eval.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/calibrate.h"
#include "workloads/common/error.h"
#include "workloads/quant/golden.h"
#include "workloads/quant/int_model.h"

namespace {

using namespace slm;
using quant::QMul;

rtl::MacArray& array(int macs) {
  static std::map<int, std::unique_ptr<rtl::MacArray>> a;
  auto& p = a[macs];
  if (!p) p = rtl::make_mac_array(macs);
  return *p;
}

// The golden kernel's result for the tile (bias must be 0: the golden matmul has none).
// out16: int16 outputs (a16, or int8 x int8 -> int16 logits).
std::vector<int32_t> golden_fc(const rtl::FcTile& t, bool out16) {
  std::vector<QMul> rq(size_t(t.n));
  std::vector<int32_t> row_sum(size_t(t.n), 0);
  for (int c = 0; c < t.n; ++c) {
    rq[c] = QMul{t.mult[c], t.shift[c]};
    for (int k = 0; k < t.k; ++k) row_sum[c] += t.w[size_t(c) * t.k + k];
  }
  quant::golden::WeightView w;
  w.n = t.n, w.k = t.k, w.data = t.w.data(), w.requant = rq.data(), w.row_sum = row_sum.data();
  std::vector<int32_t> y(size_t(t.m) * t.n);
  if (t.a16) {
    std::vector<int16_t> y16(y.size());
    quant::golden::matmul<int16_t, int16_t>(t.x.data(), t.m, t.x_zp, w, t.y_zp, y16.data());
    std::copy(y16.begin(), y16.end(), y.begin());
  } else {
    std::vector<int8_t> x8(t.x.begin(), t.x.end());
    if (out16) {
      std::vector<int16_t> y16(y.size());
      quant::golden::matmul<int8_t, int16_t>(x8.data(), t.m, t.x_zp, w, t.y_zp, y16.data());
      std::copy(y16.begin(), y16.end(), y.begin());
    } else {
      std::vector<int8_t> y8(y.size());
      quant::golden::matmul<int8_t, int8_t>(x8.data(), t.m, t.x_zp, w, t.y_zp, y8.data());
      std::copy(y8.begin(), y8.end(), y.begin());
    }
  }
  return y;
}

// The same function with round-towards-minus-infinity (truncating) shifts: a wrong rounding
// mode the tie tiles must tell apart from the RTL.
std::vector<int32_t> truncating_fc(const rtl::FcTile& t) {
  std::vector<int32_t> y(size_t(t.m) * t.n);
  for (int p = 0; p < t.m; ++p)
    for (int c = 0; c < t.n; ++c) {
      int64_t acc = 0;
      for (int k = 0; k < t.k; ++k) acc += int64_t{t.x[size_t(p) * t.k + k] - t.x_zp} * t.w[size_t(c) * t.k + k];
      int64_t v;
      if (!t.a16) {
        v = (int64_t{quant::saturate<int32_t>(acc)} * t.mult[c]) >> t.shift[c];
      } else {
        const int64_t m16 = std::min<int64_t>((int64_t{t.mult[c]} + (1 << 15)) >> 16, 32767);
        v = t.shift[c] > 16 ? (acc * m16) >> (t.shift[c] - 16) : acc * m16;
      }
      y[size_t(p) * t.n + c] = int32_t(std::clamp<int64_t>(v + t.y_zp, t.act_min, t.act_max));
    }
  return y;
}

// Mismatching elements, as "(p, c): rtl vs golden" lines (at most 10).
std::vector<std::string> mismatches(const rtl::FcTile& t, const std::vector<int32_t>& got, const std::vector<int32_t>& want) {
  std::vector<std::string> out;
  for (size_t i = 0; i < want.size() && out.size() < 10; ++i)
    if (got.at(i) != want[i])
      out.push_back("(" + std::to_string(i / t.n) + ", " + std::to_string(i % t.n) + "): rtl " + std::to_string(got[i]) +
                    " golden " + std::to_string(want[i]));
  return out;
}

// Random tile; `kind` selects the edge case.
enum class Kind { random, ties, extremes, clamp };
rtl::FcTile make_tile(uint64_t seed, bool a16, int m, int n, int k, Kind kind) {
  std::mt19937_64 rng(seed);
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  rtl::FcTile t;
  t.a16 = a16, t.m = m, t.n = n, t.k = k;
  t.x.resize(size_t(m) * k);
  t.w.resize(size_t(n) * k);
  for (auto& v : t.x) v = int16_t(a16 ? uni(-32768, 32767) : uni(-128, 127));
  for (auto& v : t.w) v = int8_t(uni(-128, 127));
  t.bias.assign(size_t(n), 0);
  t.mult.resize(size_t(n));
  t.shift.resize(size_t(n));
  t.x_zp = a16 ? 0 : int32_t(uni(-128, 127));
  t.act_min = a16 ? -32768 : -128;
  t.act_max = a16 ? 32767 : 127;
  t.y_zp = a16 ? 0 : int32_t(uni(-128, 127));
  if (kind == Kind::ties) {  // small values: the halves stay inside the output range
    for (auto& v : t.x) v = int16_t(std::clamp<int64_t>(t.x_zp + uni(-3, 3), a16 ? -32768 : -128, a16 ? 32767 : 127));
    for (auto& v : t.w) v = int8_t(uni(-3, 3));
    t.y_zp = a16 ? 0 : int32_t(uni(-20, 20));
  }
  for (int c = 0; c < n; ++c) {
    switch (kind) {
      case Kind::random:  // realistic: the output spans the int8/int16 range
        t.mult[c] = int32_t(uni(int64_t{1} << 30, (int64_t{1} << 31) - 1));
        t.shift[c] = int32_t(a16 ? uni(36, 48) : uni(34, 46));
        break;
      case Kind::ties:  // m = 2^30, shift 31: y = acc / 2, every odd accumulator is a tie
        t.mult[c] = 1 << 30;
        t.shift[c] = a16 ? 31 + int32_t(c % 3) : 31;  // a16: m16 = 2^14, shift - 16 = 15..17
        break;
      case Kind::extremes: {  // the largest and smallest multipliers and shifts
        const int32_t ms[] = {std::numeric_limits<int32_t>::max(), 1 << 30, (1 << 30) + 1, std::numeric_limits<int32_t>::max() - 1};
        const int32_t ss[] = {1, 62, 2, 61, 16, 17, 15, 32};
        t.mult[c] = ms[c % 4];
        t.shift[c] = ss[(c / 4 + c) % 8];
        break;
      }
      case Kind::clamp:  // small shifts: nearly every output saturates, both signs
        t.mult[c] = int32_t(uni(int64_t{1} << 30, (int64_t{1} << 31) - 1));
        t.shift[c] = int32_t(uni(1, a16 ? 24 : 12));
        break;
    }
  }
  return t;
}

struct Sizes { int macs; bool a16; };
class RtlRandom : public ::testing::TestWithParam<Sizes> {};

TEST_P(RtlRandom, EqualsGoldenOnRandomAndEdgeTiles) {
  const auto [macs, a16] = GetParam();
  rtl::MacArray& a = array(macs);
  uint64_t seed = 1000 + macs + (a16 ? 7 : 0);
  // Shapes: partial micro-blocks in m and n, k not a multiple of 8.
  const int shapes[][3] = {{5, 20, 37}, {8, 32, 64}, {3, 17, 1}, {9, 48, 172}};
  int ties = 0, tie_tiles_told_apart = 0;
  for (Kind kind : {Kind::random, Kind::ties, Kind::extremes, Kind::clamp})
    for (const auto& s : shapes) {
      rtl::FcTile t = make_tile(seed++, a16, s[0], s[1], s[2], kind);
      const rtl::FcResult r = a.run(t);
      const auto want = golden_fc(t, a16);
      const auto bad = mismatches(t, r.y, want);
      EXPECT_TRUE(bad.empty()) << macs << " MACs a16=" << a16 << " kind " << int(kind) << " " << s[0] << "x" << s[1] << "x"
                               << s[2] << ": " << bad.size() << " mismatches, first " << (bad.empty() ? "" : bad[0]);
      EXPECT_EQ(r.cycles, rtl::formula_cycles(a.shape(), t.m, t.n, t.k, a16)) << "the header's cycle formula";
      if (kind == Kind::ties) {
        for (int p = 0; p < t.m; ++p)
          for (int c = 0; c < t.n; ++c) {
            int64_t acc = 0;
            for (int k = 0; k < t.k; ++k) acc += int64_t{t.x[size_t(p) * t.k + k] - t.x_zp} * t.w[size_t(c) * t.k + k];
            ties += (acc & 1) != 0;
          }
        // Negative twin: a truncating reference differs from the RTL on these tiles.
        tie_tiles_told_apart += truncating_fc(t) != r.y;
      }
    }
  EXPECT_GT(ties, 50) << "the tie tiles must contain rounding ties";
  EXPECT_GE(tie_tiles_told_apart, 3) << "a wrong rounding mode must be detected";
}

INSTANTIATE_TEST_SUITE_P(Sizes, RtlRandom,
                         ::testing::Values(Sizes{128, false}, Sizes{128, true}, Sizes{512, false}, Sizes{512, true}),
                         [](const auto& i) { return std::to_string(i.param.macs) + (i.param.a16 ? "_a16" : "_a8"); });

// The int32 saturation of the int8 path (golden: saturate<int32_t>(acc) before requant32):
// K = 67000 products of (-128 - 127) x -128 = 32640 (and x 127 = -32385) overflow int32 in the
// 48-bit accumulator.
TEST(Rtl, Int32AccumulatorSaturatesLikeGolden) {
  rtl::FcTile t;
  t.m = 1, t.n = 2, t.k = 67000;
  t.x.assign(size_t(t.k), -128);
  t.w.resize(size_t(2) * t.k);
  for (int k = 0; k < t.k; ++k) t.w[k] = -128, t.w[size_t(t.k) + k] = 127;
  t.x_zp = 127;
  t.bias = {0, 0};
  t.mult = {1 << 30, 1 << 30};
  t.shift = {40, 40};  // 2^31 * 2^30 >> 40 = 2^21: clamps
  t.act_min = -32768, t.act_max = 32767;
  const rtl::FcResult r = array(128).run(t);
  const auto want = golden_fc(t, true);
  EXPECT_EQ(r.y, want);
  // Saturated: 2^31 - 1 and -2^31 requantised (not the unsaturated sums, which are larger).
  EXPECT_EQ(want[0], 32767);
  EXPECT_EQ(want[1], -32768);
  t.shift = {47, 47};  // (2^31 - 1) * 2^30 / 2^47 = 16384 (saturated) vs 16685 unsaturated
  const rtl::FcResult r2 = array(128).run(t);
  EXPECT_EQ(r2.y, golden_fc(t, true));
  EXPECT_EQ(r2.y[0], 16384);
  EXPECT_EQ(r2.y[1], -16384);
}

// The bias path: the zero-point term folded into the bias (bias = -x_zp x sum_k w, x_zp = 0 on
// the array, as a compiler folds it) gives the golden result of the unfolded tile; a bias one
// off does not.
TEST(Rtl, ZeroPointFoldedIntoTheBiasEqualsGolden) {
  for (int macs : {128, 512}) {
    rtl::FcTile t = make_tile(91 + macs, false, 7, 40, 100, Kind::random);
    const auto want = golden_fc(t, false);
    rtl::FcTile f = t;
    for (int c = 0; c < t.n; ++c) {
      int64_t rs = 0;
      for (int k = 0; k < t.k; ++k) rs += t.w[size_t(c) * t.k + k];
      f.bias[c] = -int64_t{t.x_zp} * rs;
    }
    f.x_zp = 0;
    EXPECT_EQ(array(macs).run(f).y, want) << macs;
    for (auto& b : f.bias) b += 1 << 12;  // a wrong bias moves the outputs
    EXPECT_NE(array(macs).run(f).y, want) << macs;
  }
}

// Ready/valid: upstream stalls between beats change no bit; without output stalls (K >= 64)
// each idle cycle costs exactly one cycle.
TEST(Rtl, UpstreamStallsChangeNoBitAndCostTheirCycles) {
  for (int macs : {128, 512})
    for (bool a16 : {false, true}) {
      rtl::FcTile t = make_tile(300 + macs + a16, a16, 9, 40, 96, Kind::random);
      const rtl::FcResult base = array(macs).run(t);
      t.idle_every = 3;
      const rtl::FcResult r = array(macs).run(t);
      EXPECT_EQ(r.y, base.y) << macs << " a16=" << a16;
      EXPECT_EQ(r.y, golden_fc(t, a16));
      EXPECT_GT(r.idle_cycles, 10u);
      EXPECT_EQ(r.cycles, base.cycles + r.idle_cycles) << macs << " a16=" << a16;
    }
}

// The weight decoder as a ready/valid source of R weights per cycle: bits unchanged; a batch-1
// tile (one position group, every beat's weights new) takes its weights' decode time plus the
// pipeline's fill and drain; with several position groups the weights of a channel group are
// decoded once and reused, so a starved prefill tile costs far less than M times a decode tile.
TEST(Rtl, WeightDecoderRateSetsThePaceOfNewWeightsOnly) {
  for (int macs : {128, 512})
    for (bool a16 : {false, true}) {
      const auto& s = array(macs).shape();
      const uint64_t ng = uint64_t(s.ub_hw * s.ub_c / s.out_lanes);
      for (double rate : {16.0, 12.5}) {
        rtl::FcTile t = make_tile(400 + macs + a16, a16, 1, 48, 128, Kind::random);
        t.weights_per_cycle = rate;
        const rtl::FcResult r = array(macs).run(t);
        EXPECT_EQ(r.y, golden_fc(t, a16)) << macs << " a16=" << a16 << " rate " << rate;
        EXPECT_GT(r.starved_cycles, 0u);
        // The last beat's weights are complete at ceil(n k / R) cycles, then the pipeline drains.
        const uint64_t decode = uint64_t(std::ceil(48.0 * 128 / rate));
        EXPECT_GE(r.cycles, decode + ng + 3) << macs << " a16=" << a16 << " rate " << rate;
        EXPECT_LE(r.cycles, decode + ng + 3 + (a16 ? 2 : 1)) << macs << " a16=" << a16 << " rate " << rate;
      }
      // Reuse: 32 positions decode the same 48 x 128 weights once.
      rtl::FcTile p = make_tile(500 + macs + a16, a16, 32, 48, 128, Kind::random);
      const rtl::FcResult free_run = array(macs).run(p);
      p.weights_per_cycle = 16;
      const rtl::FcResult r = array(macs).run(p);
      EXPECT_EQ(r.y, free_run.y);
      EXPECT_LT(r.cycles, free_run.cycles + 48 * 128 / 16) << macs << " a16=" << a16 << ": weights decoded once";
      // Negative twin: without reuse (each position its own tile) the decode time is paid 32 times.
      p.m = 1, p.x.resize(128);
      EXPECT_GT(32 * array(macs).run(p).cycles, 2 * r.cycles) << macs << " a16=" << a16;
    }
  rtl::FcTile bad = make_tile(5, false, 2, 16, 8, Kind::random);
  bad.weights_per_cycle = -1;
  EXPECT_THROW(array(128).run(bad), Error);
}

// The comparison itself can fail: one perturbed golden element is reported, at its place.
TEST(Rtl, MismatchIsReported) {
  rtl::FcTile t = make_tile(77, false, 4, 16, 24, Kind::random);
  const rtl::FcResult r = array(128).run(t);
  auto want = golden_fc(t, false);
  ASSERT_TRUE(mismatches(t, r.y, want).empty());
  want[size_t(2) * 16 + 5] ^= 1;
  const auto bad = mismatches(t, r.y, want);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].rfind("(2, 5)", 0), 0u) << bad[0];
}

TEST(Rtl, BadTileIsAnError) {
  rtl::FcTile t = make_tile(5, true, 2, 16, 8, Kind::random);
  t.x_zp = 3;
  EXPECT_THROW(array(128).run(t), Error);
  t = make_tile(5, false, 2, 16, 8, Kind::random);
  t.w.pop_back();
  EXPECT_THROW(array(512).run(t), Error);
  EXPECT_THROW(rtl::make_mac_array(256), Error);
}

}  // namespace
