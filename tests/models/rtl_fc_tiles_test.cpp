// Real stories260K fully connected tiles through the Verilator RTL of the NPU MAC array:
// captured from a 32-token prefill of the integer model on the real checkpoint
// (../shared/models/stories260K.bin; skipped when absent, FAIL when CI=true), w8a8 and w8a16.
//   - bits: the RTL's outputs equal the golden kernel's (the integer model's own outputs);
//   - cycles: the RTL's cycles per OFM block (marginal: two blocks streamed back to back minus
//     one) against the NPU model's MAC cycles for the same block (models/npu/ethos_u85_arch:
//     choose_block + mac_cycles_per_depth_block), within 2 %. The one difference: the model
//     charges a partial IFM depth block as a full one (K = 172: 3 x 8 = 24 beats); the RTL
//     streams ceil(K/8) = 22 beats. It is asserted exactly: model x ceil(K/8) / (depth blocks x
//     ceil(D/8)). The model follows Vela here, on purpose: Vela's U85 estimator
//     (regor/architecture/ethosu85/ethos_u85_performance.cpp, EstimateMacCyclesPerBlock) clips
//     the IFM block to the IFM shape (min(K, 64) = 64), costs it with ifmBlock.depth / 8 beats
//     and multiplies the block's cycles by ceil(K / ifmBlock.depth): every depth block at the
//     clipped full depth, not rounded per 8 on the last one. The RTL is what an array that
//     streams only live beats takes; whether the hardware pads the last depth block is not public.
//   - decode (batch-1) blocks, the weight decoder binding: see the last test.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/npu/ethos_u85_arch.h"
#include "models/rtl/mac_array_sim.h"
#include "tests/workloads/quant/model_files.h"
#include "workloads/eval/eval.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/calibrate.h"
#include "workloads/quant/int_model.h"

namespace {

// ceil(a / b) for positive integers (an int, so that no integer division sits in a double
// expression).
constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }

using namespace slm;

struct Captured {
  std::string name;
  rtl::FcTile tile;
  std::vector<int32_t> golden;  // the integer model's output (golden kernels)
};

constexpr int kPrefill = 32;
const char* const kOps[] = {"l0.wq", "l0.wk", "l0.wo", "l0.w1", "l0.w2", "l1.w3", "cls"};

class Capture : public trace::OpSink {
 public:
  explicit Capture(bool a16) : a16_(a16) {}
  std::vector<Captured> got;
  void on_op(const trace::Op& op, const trace::OpOperands& o) override {
    if (op.kind != trace::OpKind::matmul) return;
    bool want = false;
    for (const char* n : kOps) want |= op.name == n;
    if (!want) return;
    Captured c;
    c.name = op.name;
    rtl::FcTile& t = c.tile;
    const bool logits = op.name == "cls";
    t.a16 = a16_, t.m = int(op.m), t.n = int(op.n), t.k = int(op.k);
    const size_t xs = size_t(t.m) * t.k, ws = size_t(t.n) * t.k, ys = size_t(t.m) * t.n;
    t.x.resize(xs);
    for (size_t i = 0; i < xs; ++i)
      t.x[i] = a16_ ? static_cast<const int16_t*>(o.in[0])[i] : int16_t{static_cast<const int8_t*>(o.in[0])[i]};
    t.w.assign(static_cast<const int8_t*>(o.in[1]), static_cast<const int8_t*>(o.in[1]) + ws);
    const auto* rq = static_cast<const quant::QMul*>(o.in[2]);
    for (int j = 0; j < t.n; ++j) t.mult.push_back(rq[j].m), t.shift.push_back(rq[j].shift), t.bias.push_back(0);
    t.x_zp = op.quant.value("x_zp", 0);
    t.y_zp = logits ? 0 : op.quant.value("y_zp", 0);
    const bool out16 = a16_ || logits;
    t.act_min = out16 ? -32768 : -128;
    t.act_max = out16 ? 32767 : 127;
    c.golden.resize(ys);
    for (size_t i = 0; i < ys; ++i)
      c.golden[i] = out16 ? static_cast<const int16_t*>(o.out[0])[i] : static_cast<const int8_t*>(o.out[0])[i];
    got.push_back(std::move(c));
  }

 private:
  bool a16_;
};

// The prefill's tiles (decode = false) or those of the decode step that follows it (one
// position: the batch-1 ops, weight-decoder bound on the NPU).
const std::vector<Captured>& tiles(quant::Precision p, bool decode = false) {
  static std::map<std::pair<quant::Precision, bool>, std::vector<Captured>> cache;
  auto it = cache.find({p, decode});
  if (it != cache.end()) return it->second;
  llama2::Model m = llama2::load_model(test::shared_model("stories260K.bin"), 1);
  auto calib = eval::sample_sequences(m, 4, 64, eval::kCalibSeed);
  quant::QuantModel qm = quant::quantize(m, p, quant::calibrate(m, calib), {});
  quant::IntTransformer model(qm);
  auto seq = eval::sample_sequences(m, 1, kPrefill + 1, eval::kEvalSeed);
  std::vector<int32_t> tokens(seq[0].begin(), seq[0].begin() + kPrefill);
  Capture cap(quant::is_a16(p)), dec(quant::is_a16(p));
  model.forward(tokens, 0, &cap);
  const std::vector<int32_t> next{seq[0][kPrefill]};
  model.forward(next, kPrefill, &dec);
  cache.emplace(std::pair{p, true}, std::move(dec.got));
  return cache.emplace(std::pair{p, false}, std::move(cap.got)).first->second, cache.at({p, decode});
}

struct Case { int macs; quant::Precision p; };
class RtlFcTiles : public ::testing::TestWithParam<Case> {};

TEST_P(RtlFcTiles, BitsEqualGoldenOnEveryCapturedOp) {
  SLM_REQUIRE_MODEL_FILE(test::shared_model("stories260K.bin"));
  const auto [macs, p] = GetParam();
  const auto& ts = tiles(p);
  ASSERT_EQ(ts.size(), std::size(kOps)) << "every op kind captured (projection, FFN, classifier)";
  auto a = rtl::make_mac_array(macs);
  for (const Captured& c : ts) {
    const rtl::FcResult r = a->run(c.tile);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < c.golden.size(); ++i)
      if (r.y[i] != c.golden[i] && bad++ == 0) first = i;
    EXPECT_EQ(bad, 0u) << c.name << " (" << c.tile.m << " x " << c.tile.n << " x " << c.tile.k << "): first mismatch at ("
                       << first / c.tile.n << ", " << first % c.tile.n << "): rtl " << r.y[first] << " golden " << c.golden[first];
    // Negative twin: a perturbed expected element is caught.
    std::vector<int32_t> perturbed = c.golden;
    perturbed[perturbed.size() / 2] += 1;
    EXPECT_NE(r.y, perturbed);
  }
}

bool within_2pct(double a, double b) { return std::abs(a - b) <= 0.02 * b; }

TEST_P(RtlFcTiles, CyclesPerBlockMatchTheNpuModel) {
  SLM_REQUIRE_MODEL_FILE(test::shared_model("stories260K.bin"));
  const auto [macs, p] = GetParam();
  const bool a16 = quant::is_a16(p);
  const int bits = a16 ? 16 : 8, P = a16 ? 2 : 1;
  const npu::Variant& v = npu::variant("ethos-u85-" + std::to_string(macs));
  const npu::Variant& other = npu::variant(macs == 128 ? "ethos-u85-512" : "ethos-u85-128");
  auto a = rtl::make_mac_array(macs);
  const rtl::MacArrayShape& s = a->shape();
  int checked = 0;
  for (const Captured& c : tiles(p)) {
    if (c.tile.m != kPrefill) continue;  // the classifier runs on the last token only (weight-decoder bound)
    const int M = c.tile.m, N = c.tile.n, K = c.tile.k;
    // The model's block for this op (OFM 1 x M x N, as the mapper lays out a prefill FC).
    const npu::BlockConfig cfg = npu::choose_block(v, npu::MacOp::vector_product, 1, M, N, K, bits, false);
    ASSERT_EQ(cfg.ublock.h * cfg.ublock.w, s.ub_hw) << c.name << ": the model's micro-block differs from the RTL's";
    ASSERT_EQ(cfg.ublock.c, s.ub_c) << c.name;
    const int bw = std::min(cfg.ofm_w, M), bc = std::min(cfg.ofm_c, N);
    const int D = std::min(cfg.ifm_depth, K), n_db = (K + cfg.ifm_depth - 1) / cfg.ifm_depth;
    auto model_block = [&](const npu::Variant& var) {
      const npu::BlockConfig k = npu::choose_block(var, npu::MacOp::vector_product, 1, M, N, K, bits, false);
      return double(n_db) * double(npu::mac_cycles_per_depth_block(var, npu::MacOp::vector_product, k, 1, bw, bc, D, bits, false));
    };
    const double model = model_block(v);
    // The RTL: one block, and two blocks back to back (the same weights twice).
    rtl::FcTile one = c.tile, two;
    one.m = bw, one.n = bc;
    one.x.assign(c.tile.x.begin(), c.tile.x.begin() + size_t(bw) * K);
    one.w.assign(c.tile.w.begin(), c.tile.w.begin() + size_t(bc) * K);
    one.bias.resize(size_t(bc)), one.mult.resize(size_t(bc)), one.shift.resize(size_t(bc));
    two = one;
    two.n = 2 * bc;
    two.w.insert(two.w.end(), one.w.begin(), one.w.end());
    for (auto* vec : {&two.mult, &two.shift}) vec->insert(vec->end(), vec->begin(), vec->end());
    two.bias.insert(two.bias.end(), one.bias.begin(), one.bias.end());
    const uint64_t t1 = a->run(one).cycles, t2 = a->run(two).cycles;
    const double rtl = double(t2 - t1);
    const int nu = ((bw + s.ub_hw - 1) / s.ub_hw) * ((bc + s.ub_c - 1) / s.ub_c);
    const int ng = s.ub_hw * s.ub_c / s.out_lanes;
    std::printf("%s %d MACs a%d: block %dx%d K %d: RTL %.0f cycles/block (latency %llu), model %.0f\n", c.name.c_str(), macs,
                bits, bw, bc, K, rtl, static_cast<unsigned long long>(t1), model);
    EXPECT_EQ(rtl, double(nu) * double(ceil_div(K, 8)) * P) << c.name;
    EXPECT_EQ(t1, uint64_t(rtl) + ng + 3) << c.name << ": single-block latency = MAC + pipeline fill/drain";
    // Explained difference: the model's partial depth block costs a full one.
    const double explained = model * double(ceil_div(K, 8)) / (double(n_db) * double(ceil_div(D, 8)));
    EXPECT_EQ(rtl, explained) << c.name;
    if (K % cfg.ifm_depth == 0) {
      EXPECT_TRUE(within_2pct(rtl, model)) << c.name << ": RTL " << rtl << " model " << model;
      // Negative twin: the other MAC configuration's formula is NOT within 2 %.
      EXPECT_FALSE(within_2pct(rtl, model_block(other))) << c.name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 4) << "projections and FFN blocks with whole depth blocks";
}

// Batch-1 decode blocks: one live position, the weight decoder binds. The RTL's input is fed
// by the weight decoder modelled as a ready/valid source of the NPU model's decoder rate
// (weight_decoder_rate for the weights' zero rate: Vela's WeightDecodeCycles); its cycles per
// block against the NPU model's block time in steady state, max(MAC cycles, weight-decoder
// cycles) (the two stages overlap: the decoder runs weight_prefetch_blocks ahead).
TEST_P(RtlFcTiles, DecodeBlocksBoundByTheWeightDecoderMatchTheNpuModel) {
  SLM_REQUIRE_MODEL_FILE(test::shared_model("stories260K.bin"));
  const auto [macs, p] = GetParam();
  const bool a16 = quant::is_a16(p);
  const int bits = a16 ? 16 : 8, P = a16 ? 2 : 1;
  const npu::Variant& v = npu::variant("ethos-u85-" + std::to_string(macs));
  auto a = rtl::make_mac_array(macs);
  const rtl::MacArrayShape& s = a->shape();
  const auto& ts = tiles(p, true);
  ASSERT_EQ(ts.size(), std::size(kOps));
  int within = 0;
  for (const Captured& c : ts) {
    ASSERT_EQ(c.tile.m, 1) << c.name;
    const int N = c.tile.n, K = c.tile.k;
    const npu::BlockConfig cfg = npu::choose_block(v, npu::MacOp::vector_product, 1, 1, N, K, bits, false);
    const int bc = std::min(cfg.ofm_c, N), D = std::min(cfg.ifm_depth, K), n_db = (K + cfg.ifm_depth - 1) / cfg.ifm_depth;
    // The decoder's rate, as the NPU model derives it from the stream's zero rate.
    uint64_t zeros = 0;
    for (int8_t w : c.tile.w) zeros += w == 0;
    const uint32_t zr_q16 = static_cast<uint32_t>(zeros * 65536 / c.tile.w.size());
    const double rate = npu::weight_decoder_rate(v, zr_q16 / 65536.0);
    // The model: MAC and weight-decoder cycles of one block (bc channels, all depth blocks).
    const uint64_t mac = uint64_t(n_db) * npu::mac_cycles_per_depth_block(v, npu::MacOp::vector_product, cfg, 1, 1, bc, D, bits, false);
    uint64_t wd = 0;
    for (int k0 = 0; k0 < K; k0 += cfg.ifm_depth) wd += uint64_t(std::ceil(double(bc) * std::min(cfg.ifm_depth, K - k0) / rate));
    const double model = double(std::max(mac, wd));
    // The RTL: one block and two back to back, the weights at the decoder's rate.
    rtl::FcTile one = c.tile, two;
    one.n = bc;
    one.w.resize(size_t(bc) * K);
    one.bias.resize(size_t(bc)), one.mult.resize(size_t(bc)), one.shift.resize(size_t(bc));
    one.weights_per_cycle = rate;
    two = one;
    two.n = 2 * bc;
    two.w.insert(two.w.end(), one.w.begin(), one.w.end());
    for (auto* vec : {&two.mult, &two.shift}) vec->insert(vec->end(), vec->begin(), vec->end());
    two.bias.insert(two.bias.end(), one.bias.begin(), one.bias.end());
    const rtl::FcResult r1 = a->run(one), r2 = a->run(two);
    const double rtl = double(r2.cycles - r1.cycles);
    EXPECT_GT(r1.starved_cycles, 0u) << c.name << ": the decoder, not the array, sets the pace";
    // Bits are unchanged by the starved input.
    EXPECT_EQ(r1.y, std::vector<int32_t>(c.golden.begin(), c.golden.begin() + bc)) << c.name;
    // The RTL's own bound: the decoder's cycles for the block's weights, or its MAC beats.
    const double wd_rtl = double(bc) * K / rate;  // (the array's MAC beats never bind here)
    const int nu_c = (bc + s.ub_c - 1) / s.ub_c;
    const double mac_rtl = double(nu_c) * double(ceil_div(K, 8)) * P;
    std::printf("%s %d MACs a%d decode: block 1x%d K %d (rate %.0f w/cycle): RTL %.0f cycles/block, model %.0f (MAC %llu, WD %llu)\n",
                c.name.c_str(), macs, bits, bc, K, rate, rtl, model, static_cast<unsigned long long>(mac),
                static_cast<unsigned long long>(wd));
    EXPECT_NEAR(rtl, std::max(wd_rtl, mac_rtl), 1.0) << c.name;
    // Vela's MAC term charges, per IFM depth block and per 16-channel micro-block, a weight-
    // decoder bound of 32 x 16 / (8 x cores) cycles (a rate of 16 x ifm_block_depth / that
    // weights per cycle), and multiplies it by ifm_bits / 8 like the MAC beats. The RTL's
    // decoder delivers only the live weights, once per beat (the array holds them for both
    // int16 passes). Without those charges the model's block time is the RTL's:
    const int wd_bound = 32 * cfg.ublock.c / (8 * v.cores);
    const double vela_mac = double(n_db) * double(std::max(wd_bound, ceil_div(D, 8))) * double(ceil_div(bc, cfg.ublock.c)) * P;
    ASSERT_EQ(double(mac), vela_mac) << c.name;
    const double r_bound = double(cfg.ublock.c) * cfg.ifm_depth / wd_bound;
    const double explained = std::max({double(wd), double(bc) * K / r_bound, mac_rtl});
    EXPECT_TRUE(within_2pct(rtl, explained)) << c.name << ": RTL " << rtl << " explained " << explained;
    if (within_2pct(rtl, model)) {
      ++within;
      continue;
    }
    // The differences, each named: (1) int16 activations: the decoder bound counted twice;
    // (2) N = 172: the partial micro-block (12 of 16 channels) charged as a full one; (3) K = 172:
    // the partial depth block charged as a full one (docs/rtl.md). All make the model slower.
    const bool partial = bc % cfg.ublock.c != 0 || K % cfg.ifm_depth != 0;
    EXPECT_TRUE(a16 || partial) << c.name << ": unexplained difference, RTL " << rtl << " model " << model;
    EXPECT_LT(rtl, model) << c.name;
    if (a16 && !partial && macs == 128) {
      EXPECT_EQ(model, 2 * rtl) << c.name << ": the int16 factor on the decoder bound";
    }
  }
  std::printf("%d MACs a%d: %d of %zu decode blocks within 2 %% of the model\n", macs, bits, within, ts.size());
  if (a16 && macs == 128) {
    EXPECT_EQ(within, 0) << "every block differs by the int16 factor on the decoder bound (negative twin of the others)";
  } else {
    EXPECT_GE(within, 4) << "the full blocks (K = 64, N a multiple of 16) agree";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, RtlFcTiles,
                         ::testing::Values(Case{128, quant::Precision::w8a8}, Case{128, quant::Precision::w8a16},
                                           Case{512, quant::Precision::w8a8}, Case{512, quant::Precision::w8a16}),
                         [](const auto& i) { return std::to_string(i.param.macs) + "_" + quant::to_string(i.param.p); });

}  // namespace
