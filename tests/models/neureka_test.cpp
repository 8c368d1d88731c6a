// N-EUREKA model (models/neureka): bit-exact against golden::matmul (random shapes with
// partial blocks, edge values, real stories260K w8a8 tensors), a flipped weight bit caught,
// cycle counts computed by hand from the formula in neureka.h, stalls from the memory cost
// callback, determinism, and rejected jobs.
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/neureka/neureka.h"
#include "tests/workloads/quant/model_files.h"
#include "workloads/common/error.h"
#include "workloads/eval/eval.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/calibrate.h"
#include "workloads/quant/golden.h"
#include "workloads/quant/int_model.h"

namespace {

using namespace slm;
using neureka::Job;
using neureka::Neureka;
using neureka::VectorMemory;

struct Gemm {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int8_t> x, w;          // (m, k), (n, k)
  std::vector<quant::QMul> q;        // (n)
  int32_t x_zp = 0, y_zp = 0;
};

Gemm random_gemm(int64_t m, int64_t k, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> b(-128, 127), wq(-127, 127), zp(-128, 127);
  std::uniform_real_distribution<double> r(1e-5, 2e-3);
  Gemm g{m, k, n, {}, {}, {}, zp(rng), zp(rng)};
  g.x.resize(size_t(m * k)), g.w.resize(size_t(n * k));
  for (auto& v : g.x) v = int8_t(b(rng));
  for (auto& v : g.w) v = int8_t(wq(rng));
  for (int64_t j = 0; j < n; ++j) g.q.push_back(quant::quantize_multiplier(r(rng), "t"));
  return g;
}

std::vector<int8_t> golden_out(const Gemm& g) {
  std::vector<int32_t> rs(size_t(g.n), 0);
  for (int64_t j = 0; j < g.n; ++j)
    for (int64_t c = 0; c < g.k; ++c) rs[size_t(j)] += g.w[size_t(j * g.k + c)];
  quant::golden::WeightView wv;
  wv.format = quant::golden::WFormat::i8, wv.n = g.n, wv.k = g.k, wv.data = g.w.data(), wv.row_sum = rs.data(),
  wv.requant = g.q.data();
  std::vector<int8_t> y(size_t(g.m * g.n));
  quant::golden::matmul<int8_t, int8_t>(g.x.data(), g.m, g.x_zp, wv, g.y_zp, y.data());
  return y;
}

// Lays a GEMM out in a TCDM (and optionally a weight memory), with padded strides.
struct Placed {
  VectorMemory tcdm{1 << 22, 0x10000000};
  VectorMemory wmem{1 << 22, 0x10400000};
  Job job;
};

void place(Placed& p, const Gemm& g, bool from_wmem = false, int64_t pad = 0) {
  Job& j = p.job;
  j.m = g.m, j.k = g.k, j.n = g.n, j.x_zp = g.x_zp, j.y_zp = g.y_zp;
  j.x_stride = g.k + pad, j.w_stride = g.k + 3 * pad, j.y_stride = g.n + 2 * pad;
  uint64_t a = p.tcdm.base() + 64;
  auto alloc = [&](uint64_t bytes) { uint64_t r = a; a += (bytes + 63) / 64 * 64 + 64; return r; };
  j.x_addr = alloc(uint64_t(g.m * j.x_stride));
  j.y_addr = alloc(uint64_t(g.m * j.y_stride));
  j.mult_addr = alloc(uint64_t(4 * g.n));
  j.shift_addr = alloc(uint64_t(g.n));
  j.weights_from_wmem = from_wmem;
  j.w_addr = from_wmem ? p.wmem.base() + 128 : alloc(uint64_t(g.n * j.w_stride));
  VectorMemory& wm = from_wmem ? p.wmem : p.tcdm;
  for (int64_t r = 0; r < g.m; ++r) ASSERT_TRUE(p.tcdm.write(j.x_addr + uint64_t(r * j.x_stride), &g.x[size_t(r * g.k)], uint64_t(g.k)));
  for (int64_t r = 0; r < g.n; ++r) ASSERT_TRUE(wm.write(j.w_addr + uint64_t(r * j.w_stride), &g.w[size_t(r * g.k)], uint64_t(g.k)));
  for (int64_t r = 0; r < g.n; ++r) {
    const uint8_t s = uint8_t(g.q[size_t(r)].shift);
    ASSERT_TRUE(p.tcdm.write(j.mult_addr + 4 * uint64_t(r), &g.q[size_t(r)].m, 4));
    ASSERT_TRUE(p.tcdm.write(j.shift_addr + uint64_t(r), &s, 1));
  }
}

std::vector<int8_t> read_y(Placed& p) {
  const Job& j = p.job;
  std::vector<int8_t> y(size_t(j.m * j.n));
  for (int64_t r = 0; r < j.m; ++r) EXPECT_TRUE(p.tcdm.read(j.y_addr + uint64_t(r * j.y_stride), &y[size_t(r * j.n)], uint64_t(j.n)));
  return y;
}

std::vector<int8_t> engine_out(const Gemm& g, bool from_wmem = false, int64_t pad = 0, int64_t spatial_w = 6,
                               neureka::Timing* t = nullptr) {
  Placed p;
  place(p, g, from_wmem, pad);
  p.job.spatial_w = std::min<int64_t>(spatial_w, g.m);
  Neureka e;
  const neureka::Timing r = e.run(p.job, p.tcdm, &p.wmem);
  if (t) *t = r;
  return read_y(p);
}

// Number of differing elements, and the first one (the comparison's report).
std::string compare(const std::vector<int8_t>& got, const std::vector<int8_t>& want, int64_t n, size_t* bad_out = nullptr) {
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (got[i] != want[i] && bad++ == 0) first = i;
  if (bad_out) *bad_out = bad;
  if (bad == 0) return "bit-exact";
  return std::to_string(bad) + " mismatches, first at (" + std::to_string(first / size_t(n)) + ", " +
         std::to_string(first % size_t(n)) + "): engine " + std::to_string(got[first]) + " golden " +
         std::to_string(want[first]);
}

TEST(Neureka, BitExactOnRandomShapesWithPartialBlocks) {
  const int64_t shapes[][3] = {{1, 64, 64},  {1, 33, 17},  {1, 256, 64}, {5, 100, 70}, {36, 32, 32},
                               {37, 31, 33}, {64, 64, 256}, {64, 256, 64}, {73, 95, 47}, {2, 1, 1}};
  uint32_t seed = 1;
  for (const auto& s : shapes) {
    const Gemm g = random_gemm(s[0], s[1], s[2], seed++);
    const auto want = golden_out(g);
    EXPECT_EQ(compare(engine_out(g), want, g.n), "bit-exact") << s[0] << "x" << s[1] << "x" << s[2];
    // The same bits with padded strides, weights through the weight-memory port, and other
    // spatial layouts of M on the PE array.
    EXPECT_EQ(compare(engine_out(g, true, 5), want, g.n), "bit-exact") << "wmem, padded strides";
    EXPECT_EQ(compare(engine_out(g, false, 0, 1), want, g.n), "bit-exact") << "spatial_w 1";
    EXPECT_EQ(compare(engine_out(g, false, 0, 7), want, g.n), "bit-exact") << "spatial_w 7";
  }
}

TEST(Neureka, BitExactOnEdgeValues) {
  // Saturating accumulators and outputs: extreme activations, weights, zero points, multipliers.
  for (int variant = 0; variant < 6; ++variant) {
    Gemm g = random_gemm(7, 70, 40, 100 + variant);
    const int8_t xv = variant % 2 ? -128 : 127, wv = variant % 3 == 0 ? -128 : 127;
    for (auto& v : g.x) v = xv;
    for (size_t i = 0; i < g.w.size(); ++i) g.w[i] = (i % 5 == 0) ? int8_t(-wv) : wv;
    g.x_zp = variant % 2 ? 127 : -128;
    g.y_zp = variant % 2 ? -128 : 127;
    for (int64_t j = 0; j < g.n; ++j) {
      const int sel = int(j % 5);
      g.q[size_t(j)] = sel == 0   ? quant::QMul{0, 31}                          // zero multiplier
                       : sel == 1 ? quant::QMul{int32_t((1u << 31) - 1), 1}     // largest real
                       : sel == 2 ? quant::QMul{int32_t((1u << 31) - 1), 62}    // smallest shift range end
                       : sel == 3 ? quant::QMul{1 << 30, 1}
                                  : quant::QMul{1 << 30, 40};
    }
    EXPECT_EQ(compare(engine_out(g), golden_out(g), g.n), "bit-exact") << "variant " << variant;
  }
}

TEST(Neureka, RoundingTiesGoUpAsTheGolden) {
  // x * w = +-1, 3, -3 with a multiplier of exactly 0.5 (2^30 * 2^-31): ties go to +inf.
  Gemm g;
  g.m = 4, g.k = 1, g.n = 1;
  g.x = {1, -1, 3, -3};
  g.w = {1};
  g.q = {quant::QMul{1 << 30, 31}};
  const auto want = golden_out(g);
  EXPECT_EQ(want, (std::vector<int8_t>{1, 0, 2, -1}));
  EXPECT_EQ(engine_out(g), want);
}

TEST(Neureka, BiasAndClampInTheOutputStage) {
  Gemm g;
  g.m = 2, g.k = 2, g.n = 2;
  g.x = {10, 20, -5, 7};
  g.w = {1, 2, 3, -1};
  g.q = {quant::QMul{1 << 30, 30}, quant::QMul{1 << 30, 31}};  // x1, x0.5
  g.x_zp = 1, g.y_zp = 3;
  Placed p;
  place(p, g);
  const int32_t bias[2] = {-100, 41};
  p.job.bias_addr = p.job.shift_addr + 256;
  ASSERT_TRUE(p.tcdm.write(p.job.bias_addr, bias, sizeof bias));
  p.job.has_bias = true;
  p.job.act_min = -20, p.job.act_max = 20;
  Neureka().run(p.job, p.tcdm);
  // row 0: (9*1 + 19*2) - 100 = -53 -> -53 + 3 = -50 -> clamp -20;  (9*3 - 19) + 41 = 49 -> 24.5 -> 25 + 3 = 28 -> 20
  // row 1: (-6*1 + 6*2) - 100 = -94 -> -91 -> -20;                   (-18 - 6) + 41 = 17 -> 8.5 -> 9 + 3 = 12
  EXPECT_EQ(read_y(p), (std::vector<int8_t>{-20, 20, -20, 12}));
}

TEST(Neureka, AccumulatorPlusBiasSaturatesToInt32BeforeRequant) {
  // 100 * 100 + (2^31 - 1) saturates to 2^31 - 1 (as golden's sat32): x 2^-24 -> 128, - 100 = 28.
  // A wrapping accumulator would give a large negative value and -128.
  Gemm g;
  g.m = 1, g.k = 1, g.n = 1, g.x = {100}, g.w = {100}, g.y_zp = -100;
  g.q = {quant::QMul{1 << 30, 54}};
  Placed p;
  place(p, g);
  const int32_t bias = 2147483647;
  p.job.bias_addr = p.job.shift_addr + 256;
  ASSERT_TRUE(p.tcdm.write(p.job.bias_addr, &bias, 4));
  p.job.has_bias = true;
  Neureka().run(p.job, p.tcdm);
  EXPECT_EQ(read_y(p), (std::vector<int8_t>{28}));
}

// Real stories260K w8a8 fully connected ops (a 32-token prefill and one decode step of the
// integer model on the real checkpoint): the engine's outputs equal the integer model's.
struct Captured {
  std::string name;
  Gemm g;
  std::vector<int8_t> y;
};

class Capture : public trace::OpSink {
 public:
  std::vector<Captured> got;
  void on_op(const trace::Op& op, const trace::OpOperands& o) override {
    if (op.kind != trace::OpKind::matmul || op.name == "cls") return;  // cls has int16 logits
    Captured c;
    c.name = op.name;
    Gemm& g = c.g;
    g.m = op.m, g.n = op.n, g.k = op.k;
    g.x.assign(static_cast<const int8_t*>(o.in[0]), static_cast<const int8_t*>(o.in[0]) + g.m * g.k);
    g.w.assign(static_cast<const int8_t*>(o.in[1]), static_cast<const int8_t*>(o.in[1]) + g.n * g.k);
    const auto* rq = static_cast<const quant::QMul*>(o.in[2]);
    g.q.assign(rq, rq + g.n);
    g.x_zp = op.quant.value("x_zp", 0), g.y_zp = op.quant.value("y_zp", 0);
    c.y.assign(static_cast<const int8_t*>(o.out[0]), static_cast<const int8_t*>(o.out[0]) + g.m * g.n);
    got.push_back(std::move(c));
  }
};

const std::vector<Captured>& stories_ops(bool decode) {
  static std::map<bool, std::vector<Captured>> cache;
  if (cache.count(decode)) return cache.at(decode);
  llama2::Model m = llama2::load_model(test::shared_model("stories260K.bin"), 1);
  auto calib = eval::sample_sequences(m, 4, 64, eval::kCalibSeed);
  quant::QuantModel qm = quant::quantize(m, quant::Precision::w8a8, quant::calibrate(m, calib), {});
  quant::IntTransformer model(qm);
  auto seq = eval::sample_sequences(m, 1, 33, eval::kEvalSeed);
  std::vector<int32_t> tokens(seq[0].begin(), seq[0].begin() + 32);
  Capture pre, dec;
  model.forward(tokens, 0, &pre);
  model.forward(std::vector<int32_t>{seq[0][32]}, 32, &dec);
  cache[true] = std::move(dec.got);
  cache[false] = std::move(pre.got);
  return cache.at(decode);
}

TEST(Neureka, BitExactOnRealStories260KPrefillAndDecode) {
  SLM_REQUIRE_MODEL_FILE(test::shared_model("stories260K.bin"));
  for (bool decode : {false, true}) {
    const auto& ops = stories_ops(decode);
    ASSERT_GE(ops.size(), 5u * 7u) << "every layer's wq..w3 captured";
    for (const Captured& c : ops) {
      ASSERT_EQ(c.g.m, decode ? 1 : 32);
      EXPECT_EQ(compare(engine_out(c.g, decode), c.y, c.g.n), "bit-exact")
          << c.name << " (" << c.g.m << " x " << c.g.k << " -> " << c.g.n << ")";
    }
  }
}

TEST(Neureka, AFlippedWeightBitInMemoryIsReported) {
  const Gemm g = random_gemm(3, 48, 40, 7);
  const auto want = golden_out(g);
  Placed p;
  place(p, g);
  // Flip bit 6 of weight (n = 33, k = 40): the second output tile, the second input block.
  const uint64_t a = p.job.w_addr + 33 * uint64_t(p.job.w_stride) + 40;
  uint8_t b = 0;
  ASSERT_TRUE(p.tcdm.read(a, &b, 1));
  b ^= 0x40;
  ASSERT_TRUE(p.tcdm.write(a, &b, 1));
  Neureka().run(p.job, p.tcdm);
  size_t bad = 0;
  const std::string verdict = compare(read_y(p), want, g.n, &bad);
  EXPECT_NE(verdict, "bit-exact");
  EXPECT_GE(bad, 1u);
  EXPECT_LE(bad, 3u) << "only column 33 can change";
  EXPECT_NE(verdict.find(", 33): engine"), std::string::npos) << verdict;
}

TEST(Neureka, CyclesMatchTheFormulaByHand) {
  Neureka e;
  auto cyc = [&](int64_t m, int64_t k, int64_t n) {
    Job j;
    j.m = m, j.k = k, j.n = n;
    return e.estimate(j);
  };
  // 1 x 32 x 32: setup 2 + load (19 + 36) + mv (17 + 32) + norm (1+7 + 32+9 + 4+8 = 61)
  //   + streamout (0*6 + 1 + 3) = 171.
  const neureka::Timing t1 = cyc(1, 32, 32);
  EXPECT_EQ(t1.setup, 2u);
  EXPECT_EQ(t1.act_load, 55u);
  EXPECT_EQ(t1.matrixvec, 49u);
  EXPECT_EQ(t1.norm, 61u);
  EXPECT_EQ(t1.streamout, 4u);
  EXPECT_EQ(t1.total, 171u);
  // 1 x 40 x 40: KB 2, NB 2 (32 + 8 channels): tile 0: 2*55 + 2*(17+32) + 61 + 4 = 273;
  //   tile 1: 2*55 + 2*(17+8) + (8 + 8+9 + 1+8 = 34) + 4 = 198; + 2 = 473.
  EXPECT_EQ(cyc(1, 40, 40).total, 473u);
  // 64 x 64 x 64 (spatial_w 6: an 11 x 6 image, tiles 6x6 and 5x6): 4 (tile, out tile) pairs of
  //   2*55 + 2*49 + 61 = 269, streamout 2*(5*6+6+3) + 2*(4*6+6+3) = 144; + 2 = 1222.
  const neureka::Timing t64 = cyc(64, 64, 64);
  EXPECT_EQ(t64.total, 1222u);
  EXPECT_EQ(t64.spatial_tiles, 2u);
  EXPECT_EQ(t64.macs, 64u * 64u * 64u);
  // 7 x 32 x 32 as a column image (spatial_w 1): tiles of 6 x 1 and 1 x 1 pixels, each
  //   55 + 49 + 61, streamout (5*6 + 1 + 3 = 34) and (0 + 1 + 3 = 4): 2 + 2*165 + 38 = 370;
  //   with spatial_w 6 one 2 x 6 tile (the second row has 1 live pixel; the stream-out walks the
  //   tile's extent as GVSoC's): 2 + 165 + (1*6 + 6 + 3) = 182.
  Job col;
  col.m = 7, col.k = 32, col.n = 32, col.spatial_w = 1;
  EXPECT_EQ(e.estimate(col).total, 370u);
  EXPECT_EQ(e.estimate(col).spatial_tiles, 2u);
  col.spatial_w = 6;
  EXPECT_EQ(e.estimate(col).total, 182u);
  // The FSM-literal overheads: 2 + (12 + 36) + (10 + 32) + 61 + 4 = 157.
  Job one;
  one.m = 1, one.k = 32, one.n = 32;
  EXPECT_EQ(Neureka(neureka::NeurekaConfig::gvsoc_fsm_literals()).estimate(one).total, 157u);
  // run() charges exactly estimate() when the memories add no stalls.
  neureka::Timing r;
  engine_out(random_gemm(64, 64, 64, 3), false, 0, 6, &r);
  EXPECT_EQ(r.total, t64.total);
  EXPECT_EQ(r.stalls, 0u);
  EXPECT_EQ(r.tcdm_read_bytes, 2u * 64u * 64u + 2u * 2u * 64u * 32u + 2u * (64u * 4u + 64u)) << "x per out tile, w per spatial tile, norm params";
  EXPECT_EQ(r.tcdm_write_bytes, 64u * 64u);
}

// The access schedule the cluster arbitrates (run's tcdm_trace): cycles by hand for 1 x 40 x 40
// (2 input blocks, 32 + 8 output channels), bytes equal to what the timing counts, cycles in order.
TEST(Neureka, TcdmAccessScheduleByHand) {
  Placed p;
  place(p, random_gemm(1, 40, 40, 5));
  p.job.spatial_w = 1;
  std::vector<neureka::Access> tr;
  const neureka::Timing t = Neureka().run(p.job, p.tcdm, &p.wmem, &tr);
  EXPECT_EQ(t.total, 473u);
  // Out tile 0: block 0 loads pixel 0 at 2 + 19 = 21, its 32 weight words from 2 + 55 + 17 = 74;
  // block 1 starts at 2 + 55 + 49 = 106: pixel at 125, weights from 178; the normalisation at
  // 106 + 104 = 210: shifts at 210, multipliers at 210 + 8 = 218, the stream-out at 210 + 61 = 271.
  ASSERT_GE(tr.size(), 2u * (1 + 32) + 3);
  EXPECT_EQ(tr[0].cycle, 21u);
  EXPECT_EQ(tr[0].bytes, 32u);
  EXPECT_EQ(tr[1].cycle, 74u);
  EXPECT_EQ(tr[32].cycle, 74u + 31u);
  EXPECT_EQ(tr[33].cycle, 125u);
  EXPECT_EQ(tr[33].bytes, 8u);  // k 40: the second block holds 8 channels
  EXPECT_EQ(tr[34].cycle, 178u);
  EXPECT_EQ(tr[66].cycle, 210u);
  EXPECT_EQ(tr[66].addr, p.job.shift_addr);
  EXPECT_EQ(tr[67].cycle, 218u);
  EXPECT_EQ(tr[67].bytes, 128u);
  EXPECT_EQ(tr[68].cycle, 271u);
  EXPECT_TRUE(tr[68].write);
  uint64_t rd = 0, wr = 0;
  for (size_t i = 0; i < tr.size(); ++i) {
    (tr[i].write ? wr : rd) += tr[i].bytes;
    if (i) EXPECT_LE(tr[i - 1].cycle, tr[i].cycle) << i;
    EXPECT_LT(tr[i].cycle, t.total);
  }
  EXPECT_EQ(rd, t.tcdm_read_bytes);
  EXPECT_EQ(wr, t.tcdm_write_bytes);
  // Weights from the weight memory are not in the TCDM schedule.
  Placed q;
  place(q, random_gemm(1, 40, 40, 5), true);
  std::vector<neureka::Access> tq;
  Neureka().run(q.job, q.tcdm, &q.wmem, &tq);
  EXPECT_EQ(tq.size(), tr.size() - 40u * 2u);
}

TEST(Neureka, CostCallbackStallsAreAddedAndDeterministic) {
  const Gemm g = random_gemm(1, 32, 32, 11);
  Placed p;
  place(p, g);
  uint64_t calls = 0;
  p.tcdm.cost = [&](neureka::Port port, uint64_t, uint64_t, bool) {
    EXPECT_EQ(port, neureka::Port::tcdm);
    ++calls;
    return uint64_t{1};
  };
  Neureka e;
  const neureka::Timing a = e.run(p.job, p.tcdm);
  // Accesses: 1 activation pixel + 32 weight words + shifts + multipliers + 1 output pixel.
  EXPECT_EQ(calls, 36u);
  EXPECT_EQ(a.stalls, 36u);
  EXPECT_EQ(a.total, 171u + 36u);
  const neureka::Timing b = e.run(p.job, p.tcdm);
  EXPECT_EQ(b.total, a.total) << "same cycles on a repeated run";
  // Weights through the weight-memory port are charged to that port.
  Placed q;
  place(q, g, true);
  uint64_t wcalls = 0;
  q.wmem.cost = [&](neureka::Port port, uint64_t, uint64_t bytes, bool) {
    EXPECT_EQ(port, neureka::Port::wmem);
    EXPECT_EQ(bytes, 32u);
    ++wcalls;
    return uint64_t{2};
  };
  const neureka::Timing c = e.run(q.job, q.tcdm, &q.wmem);
  EXPECT_EQ(wcalls, 32u);
  EXPECT_EQ(c.stalls, 64u);
  EXPECT_EQ(c.wmem_read_bytes, 32u * 32u);
}

void expect_rejected(Job j, Placed& p, const std::string& needle, bool with_wmem = true) {
  const std::vector<uint8_t> before = p.tcdm.bytes();
  try {
    Neureka().run(j, p.tcdm, with_wmem ? &p.wmem : nullptr);
    ADD_FAILURE() << "accepted a job that should fail with: " << needle;
  } catch (const slm::Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
  EXPECT_EQ(p.tcdm.bytes(), before) << "a rejected job writes nothing (" << needle << ")";
}

TEST(Neureka, RandomJobsAreRunOrRejectedAndWriteOnlyTheirOutput) {
  // Random (mostly invalid) field values: every job either throws slm::Error and leaves the
  // memory untouched, or runs and changes nothing outside its output rows.
  std::mt19937_64 rng(42);
  VectorMemory tcdm(4096, 0x1000), wmem(2048, 0x8000);
  for (auto& b : tcdm.bytes()) b = uint8_t(1 + rng() % 6);  // multipliers > 0, shifts in [1, 6]
  auto pick = [&](std::initializer_list<int64_t> v) { return *(v.begin() + rng() % v.size()); };
  auto bad = [&] { return rng() % 12 == 0; };  // each field is invalid now and then
  int ran = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    Job j;
    j.m = bad() ? pick({0, -1, 300}) : pick({1, 2, 7, 13});
    j.k = bad() ? pick({0, 70000}) : pick({1, 31, 33, 64});
    j.n = bad() ? pick({0, -2}) : pick({1, 5, 33});
    j.x_stride = j.k + (bad() ? -1 : pick({0, 3})), j.w_stride = j.k + (bad() ? -1 : pick({0, 1}));
    j.y_stride = j.n + (bad() ? -1 : pick({0, 2}));
    auto addr = [&](uint64_t good) {
      return bad() ? uint64_t(pick({0x1000, 0x1400, 0x1f00, 0x8000, 0x0, -64})) + rng() % 64 : good;
    };
    j.x_addr = addr(0x1000), j.y_addr = addr(0x1400), j.mult_addr = addr(0x1c00), j.shift_addr = addr(0x1d00);
    j.bias_addr = addr(0x1e00);
    j.has_bias = rng() % 2, j.weights_from_wmem = rng() % 2;
    j.w_addr = addr(j.weights_from_wmem ? 0x8000 : 0x1800);
    j.x_zp = int32_t(bad() ? 300 : pick({0, -128, 127})), j.y_zp = int32_t(bad() ? -129 : pick({0, 5}));
    j.spatial_w = bad() ? 0 : pick({6, 1, 100});
    j.mode = bad() ? neureka::Mode::depthwise_3x3 : neureka::Mode::fc_1x1;
    const std::vector<uint8_t> before = tcdm.bytes();
    try {
      Neureka().run(j, tcdm, bad() ? nullptr : &wmem);
      ++ran;
      for (size_t b = 0; b < before.size(); ++b) {
        const uint64_t a = tcdm.base() + b;
        const bool in_y = a >= j.y_addr && (a - j.y_addr) / uint64_t(j.y_stride) < uint64_t(j.m) &&
                          (a - j.y_addr) % uint64_t(j.y_stride) < uint64_t(j.n);
        if (!in_y) {
          ASSERT_EQ(tcdm.bytes()[b], before[b]) << "job " << i << " wrote outside y at 0x" << std::hex << a;
        }
      }
    } catch (const slm::Error&) {
      ++rejected;
      ASSERT_EQ(tcdm.bytes(), before) << "rejected job " << i << " wrote";
    }
  }
  EXPECT_GT(ran, 300) << "many random jobs are valid";
  EXPECT_GT(rejected, 300) << "many are not";
  std::printf("random jobs: %d ran, %d rejected\n", ran, rejected);
}

TEST(Neureka, InvalidJobsAreRejectedWithClearErrors) {
  const Gemm g = random_gemm(4, 40, 24, 5);
  Placed p;
  place(p, g);
  const Job ok = p.job;
  Job j = ok;
  j.m = 0;
  expect_rejected(j, p, "m = 0");
  j = ok, j.k = 0;
  expect_rejected(j, p, "k = 0");
  j = ok, j.n = -3;
  expect_rejected(j, p, "n = -3");
  j = ok, j.mode = neureka::Mode::conv_3x3;
  expect_rejected(j, p, "mode = conv_3x3: unsupported");
  j = ok, j.x_stride = 39;
  expect_rejected(j, p, "x_stride = 39");
  j = ok, j.x_addr = p.tcdm.base() + p.tcdm.size() - 10;
  expect_rejected(j, p, "x [0x");
  j = ok, j.w_addr = 5;
  expect_rejected(j, p, "outside the TCDM");
  j = ok, j.weights_from_wmem = true;
  expect_rejected(j, p, "no weight memory", false);
  j = ok, j.weights_from_wmem = true, j.w_addr = p.tcdm.base();
  expect_rejected(j, p, "outside the weight memory");
  j = ok, j.y_addr = ok.x_addr + 8;
  expect_rejected(j, p, "overlaps x");
  j = ok, j.y_addr = ok.mult_addr;
  expect_rejected(j, p, "overlaps mult");
  j = ok, j.x_zp = 200;
  expect_rejected(j, p, "x_zp = 200");
  j = ok, j.act_min = 5, j.act_max = 4;
  expect_rejected(j, p, "act_min = 5 > act_max = 4");
  j = ok, j.spatial_w = 0;
  expect_rejected(j, p, "spatial_w = 0");
  // Normalisation parameters read from memory are checked before anything is written.
  const uint8_t bad_shift = 63;
  ASSERT_TRUE(p.tcdm.write(ok.shift_addr + 5, &bad_shift, 1));
  expect_rejected(ok, p, "shift of channel 5 = 63");
  const uint8_t good = 20, zero = 0;
  ASSERT_TRUE(p.tcdm.write(ok.shift_addr + 5, &good, 1));
  ASSERT_TRUE(p.tcdm.write(ok.shift_addr + 6, &zero, 1));
  expect_rejected(ok, p, "shift of channel 6 = 0");
  ASSERT_TRUE(p.tcdm.write(ok.shift_addr + 6, &good, 1));
  const int32_t neg = -1;
  ASSERT_TRUE(p.tcdm.write(ok.mult_addr + 4 * 2, &neg, 4));
  expect_rejected(ok, p, "multiplier of channel 2 = -1");
  // A bad configuration is rejected too.
  neureka::NeurekaConfig c;
  c.tp_in = 0;
  EXPECT_THROW(Neureka{c}, slm::Error);
}

}  // namespace
