// Golden integer kernels: exact hand-computed cases, comparison against a plain
// double-precision model within the documented tolerances (docs/golden-kernels.md),
// fast path == scalar reference on random and edge inputs, odd sizes (172), zero
// points, saturation, and the largest shapes (llama2-7b rows, 32000-vocab classifier).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "workloads/llama2/shapes.h"
#include "workloads/quant/golden.h"
#include "workloads/quant/quant_model.h"

namespace {

using namespace slm::quant;
using namespace slm::quant::golden;

double real_of(QMul q) { return std::ldexp(static_cast<double>(q.m), -q.shift); }

// A weight matrix quantised like the quantiser does (int8 per row / int4 groups).
struct TestWeights {
  int64_t n = 0, k = 0;
  std::vector<int8_t> data;
  std::vector<uint16_t> sub;
  std::vector<int32_t> row_sum;
  std::vector<QMul> requant;
  WeightView view(bool fast) const {
    WeightView w;
    w.format = sub.empty() ? WFormat::i8 : WFormat::i4;
    w.n = n;
    w.k = k;
    w.data = data.data();
    w.group_sub = sub.empty() ? nullptr : sub.data();
    w.row_sum = fast && sub.empty() ? row_sum.data() : nullptr;
    w.requant = requant.data();
    return w;
  }
};

TestWeights random_i8(int64_t n, int64_t k, std::mt19937_64& rng, int lo = -127, int hi = 127) {
  TestWeights w;
  w.n = n;
  w.k = k;
  std::uniform_int_distribution<int> d(lo, hi);
  w.data.resize(static_cast<size_t>(n * k));
  for (auto& v : w.data) v = static_cast<int8_t>(d(rng));
  w.row_sum.assign(static_cast<size_t>(n), 0);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i) w.row_sum[j] += w.data[j * k + i];
  std::uniform_real_distribution<double> r(1e-4, 2e-3);
  for (int64_t j = 0; j < n; ++j) w.requant.push_back(quantize_multiplier(r(rng), "t"));
  return w;
}

TestWeights random_i4(int64_t n, int64_t k, std::mt19937_64& rng) {
  TestWeights w;
  w.n = n;
  w.k = k;
  const int64_t rb = (k + 1) / 2, G = n_groups(k);
  w.data.assign(static_cast<size_t>(n * rb), 0);
  std::uniform_int_distribution<int> d(0, 255);
  for (auto& v : w.data) v = static_cast<int8_t>(d(rng));
  std::uniform_int_distribution<int> s(0, 32768);
  w.sub.resize(static_cast<size_t>(n * G));
  for (auto& v : w.sub) v = static_cast<uint16_t>(s(rng));
  std::uniform_real_distribution<double> r(1e-9, 1e-7);
  for (int64_t j = 0; j < n; ++j) w.requant.push_back(quantize_multiplier(r(rng), "t"));
  return w;
}

template <typename T>
std::vector<T> random_vec(size_t n, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> d(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  std::vector<T> v(n);
  for (auto& e : v) e = static_cast<T>(d(rng));
  return v;
}

// Plain double model of matmul: round(acc * real multiplier) + zp, saturated.
template <typename T, typename Y>
std::vector<double> matmul_double(const std::vector<T>& x, int64_t m, int32_t zp, const TestWeights& w, int32_t yzp) {
  std::vector<double> y(static_cast<size_t>(m * w.n));
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < w.n; ++j) {
      double acc = 0;
      for (int64_t i = 0; i < w.k; ++i) {
        double wv = w.sub.empty() ? w.data[j * w.k + i] : int4_at(w.data.data() + j * ((w.k + 1) / 2), i) * static_cast<double>(w.sub[j * n_groups(w.k) + i / kGroupSize]);
        acc += (x[r * w.k + i] - zp) * wv;
      }
      double v = acc * real_of(w.requant[j]) + yzp;
      y[r * w.n + j] = std::clamp(v, double(std::numeric_limits<Y>::min()), double(std::numeric_limits<Y>::max()));
    }
  return y;
}

TEST(GoldenMatmul, HandComputedInt8WithZeroPoint) {
  // x = [1, -2, 3], x_zp = -1 -> d = [2, -1, 4]; W = [[1, 2, 3], [-4, 5, -6]]
  // acc = [2 - 2 + 12, -8 - 5 - 24] = [12, -37]; * 0.5 -> [6, -18.5 -> -18]; + y_zp 3.
  const std::vector<int8_t> x = {1, -2, 3};
  TestWeights w;
  w.n = 2;
  w.k = 3;
  w.data = {1, 2, 3, -4, 5, -6};
  w.row_sum = {6, -5};
  w.requant = {QMul{1 << 30, 31}, QMul{1 << 30, 31}};
  for (bool fast : {false, true}) {
    std::vector<int8_t> y(2);
    if (fast) matmul<int8_t, int8_t>(x.data(), 1, -1, w.view(true), 3, y.data());
    else matmul_ref<int8_t, int8_t>(x.data(), 1, -1, w.view(false), 3, y.data());
    EXPECT_EQ(y[0], 9);
    EXPECT_EQ(y[1], -15);
  }
}

TEST(GoldenMatmul, SaturatesAtBothEnds) {
  const std::vector<int8_t> x = {100, 100};
  TestWeights w;
  w.n = 2;
  w.k = 2;
  w.data = {127, 127, -127, -127};
  w.row_sum = {254, -254};
  w.requant = {QMul{1 << 30, 30}, QMul{1 << 30, 30}};  // x1.0
  std::vector<int8_t> y(2);
  matmul<int8_t, int8_t>(x.data(), 1, 0, w.view(true), 0, y.data());
  EXPECT_EQ(y[0], 127);
  EXPECT_EQ(y[1], -128);
  std::vector<int16_t> y16(2);
  matmul<int8_t, int16_t>(x.data(), 1, 0, w.view(true), 0, y16.data());
  EXPECT_EQ(y16[0], 25400);
  EXPECT_EQ(y16[1], -25400);
}

TEST(GoldenMatmul, HandComputedInt4Groups) {
  // k = 34: one full group of 32 and a partial group of 2. Row weights: all +1 in
  // group 0 (sub 32768 = 1.0), [-8, 7] in group 1 (sub 16384 = 0.5). x = 1 everywhere,
  // zp 0: acc = 32 * 32768 + (-1) * 16384 = 1032192; multiplier 2^-15 -> 31.5 -> 32.
  TestWeights w;
  w.n = 1;
  w.k = 34;
  w.data.assign(17, 0x11);
  w.data[16] = static_cast<int8_t>(0x78);  // low nibble 8 (-8), high nibble 7
  w.sub = {32768, 16384};
  w.requant = {QMul{1 << 30, 45}};
  const std::vector<int8_t> x(34, 1);
  for (bool fast : {false, true}) {
    int8_t y = 0;
    if (fast) matmul<int8_t, int8_t>(x.data(), 1, 0, w.view(true), 0, &y);
    else matmul_ref<int8_t, int8_t>(x.data(), 1, 0, w.view(false), 0, &y);
    EXPECT_EQ(y, 32);
  }
}

TEST(GoldenMatmul, FastEqualsReferenceOnRandomAndEdgeInputsOddSizes) {
  std::mt19937_64 rng(11);
  for (int64_t k : {1, 7, 15, 16, 31, 32, 33, 63, 64, 65, 172, 288, 1000}) {
    for (int zp : {-128, -3, 0, 127}) {
      TestWeights w = random_i8(9, k, rng, -128, 127);
      auto x = random_vec<int8_t>(static_cast<size_t>(3 * k), rng);
      std::vector<int8_t> a(27), b(27);
      matmul<int8_t, int8_t>(x.data(), 3, zp, w.view(true), 5, a.data());
      matmul_ref<int8_t, int8_t>(x.data(), 3, zp, w.view(false), 5, b.data());
      ASSERT_EQ(a, b) << "i8 k=" << k << " zp=" << zp;
      TestWeights w4 = random_i4(9, k, rng);
      matmul<int8_t, int8_t>(x.data(), 3, zp, w4.view(true), 5, a.data());
      matmul_ref<int8_t, int8_t>(x.data(), 3, zp, w4.view(false), 5, b.data());
      ASSERT_EQ(a, b) << "i4 k=" << k << " zp=" << zp;
    }
    TestWeights w = random_i8(9, k, rng, -128, 127);
    auto x16 = random_vec<int16_t>(static_cast<size_t>(3 * k), rng);
    std::vector<int16_t> a(27), b(27);
    matmul<int16_t, int16_t>(x16.data(), 3, 0, w.view(true), 0, a.data());
    matmul_ref<int16_t, int16_t>(x16.data(), 3, 0, w.view(false), 0, b.data());
    ASSERT_EQ(a, b) << "a16 k=" << k;
  }
  // Edge: every operand at its extreme (largest accumulators of either sign).
  for (int64_t k : {172, 4096}) {
    TestWeights w = random_i8(2, k, rng);
    std::fill(w.data.begin(), w.data.begin() + k, int8_t{-128});
    std::fill(w.data.begin() + k, w.data.end(), int8_t{127});
    for (int64_t j = 0; j < 2; ++j) w.row_sum[j] = static_cast<int32_t>(k) * (j ? 127 : -128);
    std::vector<int8_t> x(static_cast<size_t>(k), -128);
    std::vector<int8_t> a(2), b(2);
    matmul<int8_t, int8_t>(x.data(), 1, 127, w.view(true), 0, a.data());
    matmul_ref<int8_t, int8_t>(x.data(), 1, 127, w.view(false), 0, b.data());
    EXPECT_EQ(a, b);
    std::vector<int16_t> x16(static_cast<size_t>(k), -32768), a16(2), b16(2);
    matmul<int16_t, int16_t>(x16.data(), 1, 0, w.view(true), 0, a16.data());
    matmul_ref<int16_t, int16_t>(x16.data(), 1, 0, w.view(false), 0, b16.data());
    EXPECT_EQ(a16, b16);
  }
}

TEST(GoldenMatmul, DotProductsEqualScalarSums) {
  std::mt19937_64 rng(5);
  for (int64_t k = 0; k < 300; ++k) {
    auto a = random_vec<int8_t>(static_cast<size_t>(k), rng), b = random_vec<int8_t>(static_cast<size_t>(k), rng);
    auto c = random_vec<int16_t>(static_cast<size_t>(k), rng);
    int64_t s8 = 0, s16 = 0;
    for (int64_t i = 0; i < k; ++i) {
      s8 += a[i] * b[i];
      s16 += c[i] * b[i];
    }
    ASSERT_EQ(dot_i8(a.data(), b.data(), k), s8);
    ASSERT_EQ(dot_i16_i8(c.data(), b.data(), k), s16);
  }
  // int16 x int8 over 11008 extreme values: exceeds int32, must not wrap.
  std::vector<int16_t> c(11008, -32768);
  std::vector<int8_t> b(11008, -128);
  EXPECT_EQ(dot_i16_i8(c.data(), b.data(), 11008), int64_t{11008} * 32768 * 128);
}

TEST(GoldenMatmul, WithinOneLsbOfDoubleModel) {
  std::mt19937_64 rng(21);
  for (int64_t k : {172, 288}) {
    TestWeights w = random_i8(16, k, rng);
    auto x = random_vec<int8_t>(static_cast<size_t>(2 * k), rng);
    std::vector<int8_t> y(32);
    matmul<int8_t, int8_t>(x.data(), 2, 3, w.view(true), -7, y.data());
    auto e = matmul_double<int8_t, int8_t>(x, 2, 3, w, -7);
    for (size_t i = 0; i < y.size(); ++i) ASSERT_LE(std::fabs(y[i] - e[i]), 0.5 + 1e-9);
    auto x16 = random_vec<int16_t>(static_cast<size_t>(2 * k), rng);
    for (auto& q : w.requant) q = quantize_multiplier(1e-5, "t");
    std::vector<int16_t> y16(32);
    matmul<int16_t, int16_t>(x16.data(), 2, 0, w.view(true), 0, y16.data());
    auto e16 = matmul_double<int16_t, int16_t>(x16, 2, 0, w, 0);
    for (size_t i = 0; i < y16.size(); ++i) ASSERT_LE(std::fabs(y16[i] - e16[i]), 1.0) << i;  // 16-bit multiplier
    TestWeights w4 = random_i4(16, k, rng);
    matmul<int8_t, int8_t>(x.data(), 2, 3, w4.view(true), 0, y.data());
    auto e4 = matmul_double<int8_t, int8_t>(x, 2, 3, w4, 0);
    for (size_t i = 0; i < y.size(); ++i) ASSERT_LE(std::fabs(y[i] - e4[i]), 1.0);
  }
}

// Quantises rows of a named shape's synthetic tensor like the quantiser (int8 per row).
TestWeights synthetic_rows_i8(const std::string& shape, slm::llama2::Tensor t, int layer, int64_t row0, int64_t n, double out_mult) {
  auto c = slm::llama2::shape_config(shape);
  auto s = slm::llama2::tensor_shape(c, t);
  std::vector<float> f(static_cast<size_t>(n * s.cols));
  slm::llama2::synthetic_rows(c, 1, t, layer, row0, n, f.data());
  TestWeights w;
  w.n = n;
  w.k = s.cols;
  w.data.resize(f.size());
  w.row_sum.assign(static_cast<size_t>(n), 0);
  for (int64_t j = 0; j < n; ++j) {
    double amax = 0;
    for (int64_t i = 0; i < w.k; ++i) amax = std::max(amax, std::fabs(double(f[j * w.k + i])));
    for (int64_t i = 0; i < w.k; ++i) {
      w.data[j * w.k + i] = static_cast<int8_t>(std::lround(f[j * w.k + i] / amax * 127));
      w.row_sum[j] += w.data[j * w.k + i];
    }
    w.requant.push_back(quantize_multiplier(out_mult, "t"));
  }
  return w;
}

TEST(GoldenMatmul, LargestShapesLlama2_7bRowsAndFullVocabClassifier) {
  std::mt19937_64 rng(99);
  // llama2-7b w1 (11008 x 4096) rows 0..7 and w2 (4096 x 11008) rows 4088..4095, int16 acts.
  for (auto [t, row0] : {std::pair{slm::llama2::Tensor::w1, int64_t{0}}, std::pair{slm::llama2::Tensor::w2, int64_t{4088}}}) {
    TestWeights w = synthetic_rows_i8("llama2-7b", t, 31, row0, 8, 1e-6);
    auto x = random_vec<int16_t>(static_cast<size_t>(2 * w.k), rng);
    std::vector<int16_t> a(16), b(16);
    matmul<int16_t, int16_t>(x.data(), 2, 0, w.view(true), 0, a.data());
    matmul_ref<int16_t, int16_t>(x.data(), 2, 0, w.view(false), 0, b.data());
    ASSERT_EQ(a, b);
    auto e = matmul_double<int16_t, int16_t>(x, 2, 0, w, 0);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_LE(std::fabs(a[i] - e[i]), 1.0);
  }
  // stories15M classifier: all 32000 rows, 3 tokens, int8 -> int16 logits.
  TestWeights cls = synthetic_rows_i8("stories15M", slm::llama2::Tensor::token_embedding, -1, 0, 32000, 3e-3);
  auto x = random_vec<int8_t>(static_cast<size_t>(3 * cls.k), rng);
  std::vector<int16_t> a(3 * 32000), b(3 * 32000);
  matmul<int8_t, int16_t>(x.data(), 3, -5, cls.view(true), 0, a.data());
  matmul_ref<int8_t, int16_t>(x.data(), 3, -5, cls.view(false), 0, b.data());
  ASSERT_EQ(a, b);
  auto e = matmul_double<int8_t, int16_t>(x, 3, -5, cls, 0);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_LE(std::fabs(a[i] - e[i]), 0.5 + 1e-9);
}

TEST(GoldenRmsNorm, HandComputed) {
  // d = [3, -3, 3, -3]: ms = 9, rms = 3, gain 100 (shift 0): y = d / 3 * 100 = +-100.
  const std::vector<int8_t> x = {3, -3, 3, -3};
  const std::vector<int16_t> g(4, 100);
  RmsNormParams p;
  p.gain = g.data();
  std::vector<int8_t> y(4);
  rmsnorm<int8_t>(x.data(), 1, 4, p, y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{100, -100, 100, -100}));
  // zero points: x_zp 10 shifts the input, y_zp -20 the output; gain 200 saturates.
  const std::vector<int8_t> xz = {13, 7, 13, 7};
  const std::vector<int16_t> g2(4, 200);
  p.x_zp = 10;
  p.y_zp = -20;
  p.gain = g2.data();
  rmsnorm<int8_t>(xz.data(), 1, 4, p, y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{127, -128, 127, -128}));
  // all-zero input: ms clamps to 1, output = zp
  const std::vector<int8_t> z(4, 10);
  rmsnorm<int8_t>(z.data(), 1, 4, p, y.data());
  EXPECT_EQ(y, (std::vector<int8_t>(4, -20)));
}

template <typename T>
void rmsnorm_vs_double(int64_t n, int32_t zp, int32_t yzp, double gscale) {
  std::mt19937_64 rng(n);
  std::normal_distribution<double> nd(0, std::numeric_limits<T>::max() / 4.0);
  std::vector<T> x(static_cast<size_t>(2 * n));
  for (auto& v : x) v = static_cast<T>(std::clamp<double>(std::round(nd(rng)) + zp, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  std::uniform_real_distribution<double> gd(0.5, 1.5);
  std::vector<double> G(static_cast<size_t>(n));
  double gmax = 0;
  for (auto& v : G) gmax = std::max(gmax, v = gd(rng) * gscale);
  const int shift = static_cast<int>(std::floor(std::log2(32767.0 / gmax)));
  std::vector<int16_t> gq(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) gq[i] = static_cast<int16_t>(std::lround(std::ldexp(G[i], shift)));
  RmsNormParams p{zp, yzp, 0, gq.data(), shift};
  std::vector<T> y(x.size());
  rmsnorm<T>(x.data(), 2, n, p, y.data());
  for (int64_t r = 0; r < 2; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += std::pow(x[r * n + i] - zp, 2);
    const double rms = std::sqrt(ss / n);
    for (int64_t i = 0; i < n; ++i) {
      double e = std::clamp<double>((x[r * n + i] - zp) / rms * G[i] + yzp, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
      // 0.5 rounding + int16 gain quantisation (relative 2^-15) + inverse-rms rounding
      ASSERT_LE(std::fabs(y[r * n + i] - e), 1.0 + std::fabs(e) * std::ldexp(1.0, -14)) << "n=" << n << " i=" << i << " zp=" << zp << " y=" << int(y[r * n + i]) << " e=" << e << " G=" << G[i] << " shift=" << shift << " rms=" << rms;
    }
  }
}

TEST(GoldenRmsNorm, WithinOneLsbOfDoubleModelOddSizes) {
  rmsnorm_vs_double<int8_t>(172, -7, 5, 30.0);
  rmsnorm_vs_double<int8_t>(64, 0, 0, 40.0);
  rmsnorm_vs_double<int16_t>(172, 0, 0, 8000.0);
  rmsnorm_vs_double<int16_t>(4096, 0, 0, 8000.0);
}

TEST(GoldenSoftmax, HandComputedUniformAndSingle) {
  const auto lut = build_exp_lut();
  const std::vector<int32_t> s(4, 123);
  std::vector<int8_t> p8(4);
  std::vector<int16_t> p16(4);
  // pos0 = 3, m = 1: one row of 4 equal scores -> 1/4 each: int8 64 - 128, int16 8192.
  softmax<int8_t>(s.data(), 1, 3, 1, lut.data(), p8.data());
  softmax<int16_t>(s.data(), 1, 3, 1, lut.data(), p16.data());
  EXPECT_EQ(p8, (std::vector<int8_t>(4, -64)));
  EXPECT_EQ(p16, (std::vector<int16_t>(4, 8192)));
  // a single position: probability 1 saturates to 127 (255/256) and 32767.
  softmax<int8_t>(s.data(), 1, 0, 1, lut.data(), p8.data());
  softmax<int16_t>(s.data(), 1, 0, 1, lut.data(), p16.data());
  EXPECT_EQ(p8[0], 127);
  EXPECT_EQ(p16[0], 32767);
}

TEST(GoldenSoftmax, CausalMaskAndDoubleModel) {
  const auto lut = build_exp_lut();
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int32_t> d(-8 << kScoreFracBits, 8 << kScoreFracBits);
  const int pos0 = 40, m = 3, H = 2, T = pos0 + m;
  std::vector<int32_t> s(static_cast<size_t>(m * H * T));
  for (auto& v : s) v = d(rng);
  std::vector<int8_t> p8(s.size());
  std::vector<int16_t> p16(s.size());
  softmax<int8_t>(s.data(), m, pos0, H, lut.data(), p8.data());
  softmax<int16_t>(s.data(), m, pos0, H, lut.data(), p16.data());
  for (int r = 0; r < m; ++r)
    for (int h = 0; h < H; ++h) {
      const int64_t base = (int64_t{r} * H + h) * T, len = pos0 + r + 1;
      double mx = -1e30, sum = 0;
      for (int64_t t = 0; t < len; ++t) mx = std::max(mx, s[base + t] / 1024.0);
      for (int64_t t = 0; t < len; ++t) sum += std::exp(s[base + t] / 1024.0 - mx);
      for (int64_t t = 0; t < T; ++t) {
        if (t >= len) {
          EXPECT_EQ(p8[base + t], -128);
          EXPECT_EQ(p16[base + t], 0);
          continue;
        }
        const double e = std::exp(s[base + t] / 1024.0 - mx) / sum;
        ASSERT_LE(std::fabs((p8[base + t] + 128) / 256.0 - e), 1.0 / 256 + 1e-3);
        ASSERT_LE(std::fabs(p16[base + t] / 32768.0 - e), 1e-3);
      }
    }
}

TEST(GoldenRope, WithinOneLsbOfDoubleRotationWithZeroPoints) {
  slm::llama2::ModelConfig c = slm::llama2::shape_config("stories260K");
  std::vector<int16_t> cs, sn;
  build_rope_tables(c, cs, sn);
  const int hs = c.head_size(), H = c.n_heads, pos0 = 100, m = 2;
  const double xs = 0.05, ys = 0.06;
  RopeParams p{-3, 4, quantize_multiplier(xs / 32767.0 / ys, "t"), cs.data(), sn.data()};
  std::mt19937_64 rng(8);
  auto x = random_vec<int8_t>(static_cast<size_t>(m) * H * hs, rng);
  std::vector<int8_t> y(x.size());
  rope<int8_t>(x.data(), m, H, hs, pos0, p, y.data());
  for (int r = 0; r < m; ++r)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < hs / 2; ++i) {
        const double a = (pos0 + r) * std::pow(10000.0, -2.0 * i / hs);
        const int64_t b = (int64_t{r} * H + h) * hs + 2 * i;
        const double d0 = (x[b] + 3) * xs, d1 = (x[b + 1] + 3) * xs;
        const double e0 = std::clamp((d0 * std::cos(a) - d1 * std::sin(a)) / ys + 4, -128.0, 127.0);
        const double e1 = std::clamp((d0 * std::sin(a) + d1 * std::cos(a)) / ys + 4, -128.0, 127.0);
        ASSERT_LE(std::fabs(y[b] - e0), 1.0);
        ASSERT_LE(std::fabs(y[b + 1] - e1), 1.0);
      }
}

TEST(GoldenLut, SiluInt8ExactAndInt16Interpolated) {
  const ActQ xq{0.05, -10}, yq{0.04, -60};
  const auto t8 = build_silu_lut_i8(xq, yq);
  std::vector<int8_t> x8(256), y8(256);
  for (int i = 0; i < 256; ++i) x8[i] = static_cast<int8_t>(i - 128);
  lut<int8_t>(x8.data(), 256, t8.data(), y8.data());
  for (int i = 0; i < 256; ++i) {
    const double r = (x8[i] + 10) * 0.05;
    EXPECT_EQ(y8[i], std::clamp(std::round(r / (1 + std::exp(-r)) / 0.04) - 60, -128.0, 127.0));
  }
  const ActQ x16{8.0 / 32767, 0}, y16{8.0 / 32767, 0};
  const auto t16 = build_silu_lut_i16(x16, y16);
  for (int v = -32768; v <= 32767; v += 37) {
    const int16_t xi = static_cast<int16_t>(v);
    int16_t yi = 0;
    lut<int16_t>(&xi, 1, t16.data(), &yi);
    const double r = v * x16.scale;
    ASSERT_LE(std::fabs(yi - r / (1 + std::exp(-r)) / y16.scale), 2.0) << v;
  }
}

TEST(GoldenElementwise, AddHandSaturationAndDouble) {
  // equal scales, zero points 0: plain sum
  AddParams p;
  p.left_shift = 20;
  p.a_mul = p.b_mul = quantize_multiplier(0.5, "t");
  p.y_mul = quantize_multiplier(2.0 / std::ldexp(1.0, 20), "t");
  const std::vector<int8_t> a = {10, 100, -100, -5}, b = {20, 100, -100, 3};
  std::vector<int8_t> y(4);
  add<int8_t>(a.data(), b.data(), 4, p, y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{30, 127, -128, -2}));
  // different scales and zero points vs double
  const double sa = 0.03, sb = 0.07, sy = 0.08;
  const int za = 5, zb = -9, zy = 3;
  const double tm = 2 * std::max(sa, sb);
  AddParams q{za, zb, zy, 20, quantize_multiplier(sa / tm, "t"), quantize_multiplier(sb / tm, "t"),
              quantize_multiplier(tm / (std::ldexp(1.0, 20) * sy), "t")};
  std::mt19937_64 rng(2);
  auto xa = random_vec<int8_t>(1000, rng), xb = random_vec<int8_t>(1000, rng);
  std::vector<int8_t> out(1000);
  add<int8_t>(xa.data(), xb.data(), 1000, q, out.data());
  for (int i = 0; i < 1000; ++i) {
    double e = std::clamp(((xa[i] - za) * sa + (xb[i] - zb) * sb) / sy + zy, -128.0, 127.0);
    ASSERT_LE(std::fabs(out[i] - e), 1.0);
  }
  // int16, left shift 15
  AddParams r{0, 0, 0, 15, quantize_multiplier(sa / tm, "t"), quantize_multiplier(sb / tm, "t"),
              quantize_multiplier(tm / (std::ldexp(1.0, 15) * sy), "t")};
  auto ya = random_vec<int16_t>(1000, rng), yb = random_vec<int16_t>(1000, rng);
  std::vector<int16_t> o16(1000);
  add<int16_t>(ya.data(), yb.data(), 1000, r, o16.data());
  for (int i = 0; i < 1000; ++i) {
    double e = std::clamp((ya[i] * sa + yb[i] * sb) / sy, -32768.0, 32767.0);
    ASSERT_LE(std::fabs(o16[i] - e), 1.0);
  }
}

TEST(GoldenElementwise, MulHandAndDouble) {
  MulParams p{2, 0, 1, quantize_multiplier(0.5, "t")};
  const std::vector<int8_t> a = {12, -8, 127}, b = {-3, 5, 127};
  std::vector<int8_t> y(3);
  mul<int8_t>(a.data(), b.data(), 3, p, y.data());
  // (10 * -3) / 2 + 1 = -14; (-10 * 5) / 2 + 1 = -24; 125 * 127 / 2 saturates
  EXPECT_EQ(y, (std::vector<int8_t>{-14, -24, 127}));
  std::mt19937_64 rng(6);
  auto x = random_vec<int16_t>(1000, rng), z = random_vec<int16_t>(1000, rng);
  const double m = 3.1e-5;
  MulParams q{0, 0, 0, quantize_multiplier(m, "t")};
  std::vector<int16_t> o(1000);
  mul<int16_t>(x.data(), z.data(), 1000, q, o.data());
  for (int i = 0; i < 1000; ++i) ASSERT_LE(std::fabs(o[i] - std::clamp(double(x[i]) * z[i] * m, -32768.0, 32767.0)), 1.0);
}

template <typename T>
void attention_vs_double() {
  std::mt19937_64 rng(sizeof(T));
  const int H = 4, KVH = 2, hs = 8, pos0 = 5, m = 2, T_ = pos0 + m, kvd = KVH * hs;
  auto q = random_vec<T>(static_cast<size_t>(m) * H * hs, rng);
  auto kc = random_vec<T>(static_cast<size_t>(T_) * kvd, rng), vc = random_vec<T>(static_cast<size_t>(T_) * kvd, rng);
  const bool a8 = std::is_same_v<T, int8_t>;
  const int qz = a8 ? 3 : 0, kz = a8 ? -4 : 0, vz = a8 ? 7 : 0;
  const double smul = a8 ? 0.02 : 2e-6;
  ScoreParams sp{qz, kz, quantize_multiplier(smul, "t")};
  std::vector<int32_t> s(static_cast<size_t>(m * H * T_));
  attn_scores<T>(q.data(), m, pos0, kc.data(), H, KVH, hs, sp, s.data());
  auto p = random_vec<T>(s.size(), rng);
  const int pz = a8 ? -128 : 0;
  const double vmul = a8 ? 1e-3 : 3e-6;
  AttnValueParams vp{pz, vz, 2, quantize_multiplier(vmul, "t")};
  std::vector<T> y(static_cast<size_t>(m * H * hs));
  attn_values<T>(p.data(), m, pos0, vc.data(), H, KVH, hs, vp, y.data());
  for (int r = 0; r < m; ++r)
    for (int h = 0; h < H; ++h) {
      const int kh = h / (H / KVH);
      for (int t = 0; t < T_; ++t) {
        const int64_t si = (int64_t{r} * H + h) * T_ + t;
        if (t > pos0 + r) { EXPECT_EQ(s[si], 0); continue; }
        double acc = 0;
        for (int i = 0; i < hs; ++i) acc += double(q[(r * H + h) * hs + i] - qz) * (kc[t * kvd + kh * hs + i] - kz);
        ASSERT_LE(std::fabs(s[si] - acc * smul), 1.0 + std::fabs(acc * smul) * std::ldexp(1.0, -14));
      }
      for (int i = 0; i < hs; ++i) {
        double acc = 0;
        for (int t = 0; t <= pos0 + r; ++t) acc += double(p[(int64_t{r} * H + h) * T_ + t] - pz) * (vc[t * kvd + kh * hs + i] - vz);
        const double e = std::clamp(acc * vmul + 2, double(std::numeric_limits<T>::min()), double(std::numeric_limits<T>::max()));
        ASSERT_LE(std::fabs(y[(r * H + h) * hs + i] - e), 1.0);
      }
    }
}

TEST(GoldenAttention, ScoresAndValuesGqaCausalVsDouble) {
  attention_vs_double<int8_t>();
  attention_vs_double<int16_t>();
}

TEST(GoldenMisc, EmbedAndArgmaxTies) {
  const std::vector<int8_t> table = {1, -2, 3, 100, -100, 50};  // vocab 2, dim 3
  const std::vector<QMul> rm = {QMul{1 << 30, 30}, QMul{1 << 30, 31}};  // x1, x0.5
  EmbedParams p{table.data(), rm.data(), 2, 3, -1};
  const std::vector<int32_t> toks = {1, 0};
  std::vector<int8_t> y(6);
  embed<int8_t>(toks.data(), 2, p, y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{49, -51, 24, 0, -3, 2}));  // 50 - 1, -50 - 1, 25 - 1; 1 - 1, -2 - 1, 3 - 1
  const std::vector<int16_t> l = {3, 9, 9, -1, 9};
  int32_t idx = -1;
  argmax(l.data(), 1, 5, &idx);
  EXPECT_EQ(idx, 1);
}

}  // namespace
