// RMSNorm, residual add and LUT (SiLU) kernels on the cluster (int8, operands in L2, split
// over the cores; RMSNorm reduces partial sums through L1 with barriers) equal golden::rmsnorm,
// golden::add and golden::lut element for element: random tensors and the real stories260K
// parameters, on 1 and 8 cores. A wrong parameter is detected.
#include <gtest/gtest.h>

#include "tests/models/cluster/cluster_harness.h"
#include "tests/common/real_models.h"
#include "tests/sim/harness.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/quant_model.h"
#include "workloads/kernels/cluster/rms_root.h"

using namespace slm;
using namespace slm::test;

namespace {
struct Blob {
  uint32_t off;
  std::vector<uint8_t> bytes;
};
template <typename T>
Blob blob(uint32_t off, const std::vector<T>& v) {
  Blob b{off, std::vector<uint8_t>(v.size() * sizeof(T))};
  std::memcpy(b.bytes.data(), v.data(), b.bytes.size());
  return b;
}

// Runs op with job words 2..12 (m, n, k, x_zp, y_zp, l1, in0, in1, params, out, param) and the blobs; returns n_out bytes at out.
// With `res` the run's result (cycles, per-core barrier waits) is returned there too.
std::vector<int8_t> run_op(uint32_t op, uint32_t cores, const std::array<uint32_t, 11>& words, const std::vector<Blob>& blobs,
                           size_t n_out, cluster::ClusterResult* res = nullptr, std::array<uint32_t, 2>* tiles = nullptr) {
  const auto elf = rv32_program("cluster_kernels");
  cluster::ClusterConfig cfg;
  cfg.cores = cores;
  cluster::Cluster cl(cfg);
  cl.load(rv32::read_elf(elf));
  uint8_t* io = cl.host(kClIo, 0x40000);
  uint32_t job[15] = {kClMagic, op};
  std::copy(words.begin(), words.end(), job + 2);
  std::memcpy(io, job, sizeof job);
  for (const auto& b : blobs) std::memcpy(io + b.off, b.bytes.data(), b.bytes.size());
  std::memset(io + words[9], 0x5a, n_out);
  const auto r = cl.run(500'000'000);
  EXPECT_EQ(r.stop, rv32::Stop::exit) << r.error << r.trap.text();
  EXPECT_EQ(r.exit_code, 0);
  if (res) *res = r;
  if (tiles) std::memcpy(tiles->data(), io + cluster::kJobTileRows * 4, 8);  // words 13, 14 (tiled ops)
  return std::vector<int8_t>(io + words[9], io + words[9] + n_out);
}

constexpr uint32_t kX = 0x100, kB = 0x4000, kP = 0x8000, kY = 0xC000;

// l1: the L1 budget of the tiled kernels (job word 7; 0 = untiled from L2); result: the run's counters.
std::vector<int8_t> cluster_rmsnorm(uint32_t cores, const std::vector<int8_t>& x, int32_t m, int32_t n,
                                    const quant::golden::RmsNormParams& p, const std::vector<int16_t>& gain, uint32_t l1 = 0,
                                    cluster::ClusterResult* result = nullptr) {
  const std::vector<int32_t> par = {static_cast<int32_t>(p.eps_q & 0xffffffff), static_cast<int32_t>(p.eps_q >> 32), p.gain_shift};
  return run_op(20, cores, {uint32_t(m), uint32_t(n), 0, uint32_t(p.x_zp), uint32_t(p.y_zp), l1, kX, kB, kP, kY, 0},
                {blob(kX, x), blob(kB, gain), blob(kP, par)}, x.size(), result);
}
std::vector<int8_t> golden_rmsnorm(const std::vector<int8_t>& x, int32_t m, int32_t n, quant::golden::RmsNormParams p,
                                   const std::vector<int16_t>& gain) {
  p.gain = gain.data();
  std::vector<int8_t> y(x.size());
  quant::golden::rmsnorm<int8_t>(x.data(), m, n, p, y.data());
  return y;
}
std::vector<int8_t> cluster_add(uint32_t cores, const std::vector<int8_t>& a, const std::vector<int8_t>& b,
                                const quant::golden::AddParams& p, uint32_t l1 = 0, cluster::ClusterResult* result = nullptr) {
  const std::vector<int32_t> par = {p.a_zp, p.b_zp, p.y_zp, p.left_shift, p.a_mul.m, p.a_mul.shift,
                                    p.b_mul.m, p.b_mul.shift, p.y_mul.m, p.y_mul.shift};
  return run_op(21, cores, {1, uint32_t(a.size()), 0, 0, 0, l1, kX, kB, kP, kY, 0}, {blob(kX, a), blob(kB, b), blob(kP, par)}, a.size(),
                result);
}
std::vector<int8_t> golden_add(const std::vector<int8_t>& a, const std::vector<int8_t>& b, const quant::golden::AddParams& p) {
  std::vector<int8_t> y(a.size());
  quant::golden::add<int8_t>(a.data(), b.data(), static_cast<int64_t>(a.size()), p, y.data());
  return y;
}
std::vector<int8_t> cluster_lut(uint32_t cores, const std::vector<int8_t>& x, const std::vector<int8_t>& table, uint32_t l1 = 0,
                                cluster::ClusterResult* result = nullptr) {
  return run_op(22, cores, {1, uint32_t(x.size()), 0, 0, 0, l1, kX, kB, 0, kY, 0}, {blob(kX, x), blob(kB, table)}, x.size(), result);
}

std::vector<int8_t> rand_i8(size_t n, std::mt19937& rng) {
  std::vector<int8_t> v(n);
  for (auto& e : v) e = static_cast<int8_t>(rng());
  return v;
}

const quant::QuantModel* model() { return slm::test::stories260k_w8a8(); }
quant::golden::RmsNormParams rms_params(const quant::QuantModel& q, const std::string& op) {
  const auto& j = q.op(op);
  quant::golden::RmsNormParams p;
  p.x_zp = j.at("x_zp").get<int32_t>();
  p.y_zp = j.at("y_zp").get<int32_t>();
  p.eps_q = j.at("eps_q").get<int64_t>();
  p.gain_shift = j.at("gain_shift").get<int32_t>();
  return p;
}
}  // namespace

TEST(ClusterOps, RandomRmsNormAddLutEqualGoldenOn1And8Cores) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(11);
  const int32_t m = 3, n = 100;
  const auto x = rand_i8(size_t(m) * n, rng);
  std::vector<int16_t> gain(n);
  for (auto& g : gain) g = static_cast<int16_t>(8000 + rng() % 20000);
  quant::golden::RmsNormParams rp;
  rp.x_zp = -5;
  rp.y_zp = 3;
  rp.eps_q = 2;
  rp.gain_shift = 8;
  const auto gr = golden_rmsnorm(x, m, n, rp, gain);
  EXPECT_GE(distinct(gr), 50u);
  quant::golden::AddParams ap;
  ap.a_zp = 7, ap.b_zp = -20, ap.y_zp = -3, ap.left_shift = 20;
  ap.a_mul = {1518500250, 31}, ap.b_mul = {1073741824, 31}, ap.y_mul = {1288490189, 51};  // about 0.6 x 2^-20: outputs spread over int8
  const auto a = rand_i8(257, rng), b = rand_i8(257, rng);
  const auto ga = golden_add(a, b, ap);
  EXPECT_GE(distinct(ga), 50u);
  const auto table = rand_i8(256, rng);
  const auto gl = [&] { std::vector<int8_t> y(a.size()); quant::golden::lut<int8_t>(a.data(), int64_t(a.size()), table.data(), y.data()); return y; }();
  for (uint32_t cores : {1u, 8u}) {
    EXPECT_EQ(cluster_rmsnorm(cores, x, m, n, rp, gain), gr) << cores << " cores";
    EXPECT_EQ(cluster_add(cores, a, b, ap), ga) << cores << " cores";
    EXPECT_EQ(cluster_lut(cores, a, table), gl) << cores << " cores";
  }
  // The comparison can fail: a gain shift off by one changes the RMSNorm output.
  auto wrong = rp;
  wrong.gain_shift += 1;
  EXPECT_NE(cluster_rmsnorm(8, x, m, n, wrong, gain), gr);
}

TEST(ClusterOps, Stories260KNormsResidualAndSiluEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto* q = model();
  if (!q) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  const int32_t dim = q->config.dim;
  const quant::Blob& e = q->tensor("embed.table");
  std::vector<int8_t> x(e.as<int8_t>() + 7 * e.shape[1], e.as<int8_t>() + 7 * e.shape[1] + dim);
  std::vector<int8_t> x2(e.as<int8_t>() + 9 * e.shape[1], e.as<int8_t>() + 9 * e.shape[1] + dim);
  for (const std::string op : {"l0.att_norm", "l0.ffn_norm", "final.rmsnorm"}) {
    const auto p = rms_params(*q, op);
    const int16_t* g = q->tensor(op + ".gain").as<int16_t>();
    const std::vector<int16_t> gain(g, g + dim);
    const auto gold = golden_rmsnorm(x, 1, dim, p, gain);
    EXPECT_GE(distinct(gold), 5u) << op;
    for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_rmsnorm(cores, x, 1, dim, p, gain), gold) << op << " " << cores;
  }
  for (const std::string op : {"l0.add_att", "l0.add_ffn"}) {
    const auto& j = q->op(op);
    quant::golden::AddParams p;
    p.a_zp = j.at("a_zp").get<int32_t>();
    p.b_zp = j.at("b_zp").get<int32_t>();
    p.y_zp = j.at("y_zp").get<int32_t>();
    p.left_shift = j.at("left_shift").get<int32_t>();
    p.a_mul = quant::qmul_from_json(j.at("a_mul"), op);
    p.b_mul = quant::qmul_from_json(j.at("b_mul"), op);
    p.y_mul = quant::qmul_from_json(j.at("y_mul"), op);
    const auto gold = golden_add(x, x2, p);
    EXPECT_GE(distinct(gold), 5u) << op;
    for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_add(cores, x, x2, p), gold) << op << " " << cores;
  }
  const int8_t* t = q->tensor("l0.silu.lut").as<int8_t>();
  const std::vector<int8_t> table(t, t + 256);
  std::vector<int8_t> gold(x.size());
  quant::golden::lut<int8_t>(x.data(), int64_t(x.size()), table.data(), gold.data());
  for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_lut(cores, x, table), gold) << cores;
}

namespace {
std::vector<int8_t> cluster_softmax(uint32_t cores, const std::vector<int32_t>& s, int32_t m, int32_t nh, int32_t pos0,
                                    const std::vector<int32_t>& lut, cluster::ClusterResult* res = nullptr, uint32_t l1 = 0,
                                    uint32_t tiled = 0, std::array<uint32_t, 2>* tiles = nullptr) {
  return run_op(23, cores, {uint32_t(m), uint32_t(nh), uint32_t(pos0), 0, 0, l1, kX, kB, 0, kY, tiled}, {blob(kX, s), blob(kB, lut)},
                s.size(), res, tiles);
}
std::vector<int8_t> cluster_rope(uint32_t cores, const std::vector<int8_t>& x, int32_t m, int32_t nh, int32_t hs, int32_t pos0,
                                 const quant::golden::RopeParams& p, const std::vector<int16_t>& cs, const std::vector<int16_t>& sn,
                                 uint32_t l1 = 0, cluster::ClusterResult* result = nullptr) {
  constexpr uint32_t kSin = 0x10000;
  const std::vector<int32_t> par = {p.mul.m, p.mul.shift, static_cast<int32_t>(kSin), static_cast<int32_t>(l1)};
  return run_op(24, cores, {uint32_t(m), uint32_t(nh), uint32_t(hs), uint32_t(p.x_zp), uint32_t(p.y_zp), uint32_t(pos0), kX, kB, kP, kY, 0},
                {blob(kX, x), blob(kB, cs), blob(kP, par), blob(kSin, sn)}, x.size(), result);
}
std::vector<int8_t> golden_rope(const std::vector<int8_t>& x, int32_t m, int32_t nh, int32_t hs, int32_t pos0,
                                quant::golden::RopeParams p, const std::vector<int16_t>& cs, const std::vector<int16_t>& sn) {
  p.cos_q15 = cs.data();
  p.sin_q15 = sn.data();
  std::vector<int8_t> y(x.size());
  quant::golden::rope<int8_t>(x.data(), m, nh, hs, pos0, p, y.data());
  return y;
}
}  // namespace

TEST(ClusterOps, SoftmaxAndRopeEqualGoldenOn1And8Cores) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(5);
  // Softmax: 3 rows in flight after 5 cached positions, 4 heads; scores in Q10 over about +-8.
  const int32_t m = 3, nh = 4, pos0 = 5, tt = pos0 + m;
  std::vector<int32_t> s(size_t(m) * nh * tt);
  for (auto& v : s) v = static_cast<int32_t>(rng() % 16000) - 8000;
  const auto lut = quant::build_exp_lut();
  std::vector<int8_t> gs(s.size());
  quant::golden::softmax<int8_t>(s.data(), m, pos0, nh, lut.data(), gs.data());
  EXPECT_GE(distinct(gs), 20u);
  // RoPE: 2 rows, 4 heads of 8, positions 3 and 4; Q15 tables of 16 positions.
  const int32_t rm = 2, rh = 4, hs = 8, rpos = 3, seq = 16;
  std::vector<int16_t> cs(size_t(seq) * hs / 2), sn(cs.size());
  for (int t = 0; t < seq; ++t)
    for (int i = 0; i < hs / 2; ++i) {
      const double a = t / std::pow(10000.0, 2.0 * i / hs);
      cs[size_t(t) * hs / 2 + i] = static_cast<int16_t>(std::lround(std::cos(a) * 32767));
      sn[size_t(t) * hs / 2 + i] = static_cast<int16_t>(std::lround(std::sin(a) * 32767));
    }
  quant::golden::RopeParams rp;
  rp.x_zp = 4, rp.y_zp = -2, rp.mul = {1 << 30, 45};  // 2^-15: y about d
  const auto x = rand_i8(size_t(rm) * rh * hs, rng);
  const auto gr = golden_rope(x, rm, rh, hs, rpos, rp, cs, sn);
  EXPECT_GE(distinct(gr), 20u);
  for (uint32_t cores : {1u, 8u}) {
    EXPECT_EQ(cluster_softmax(cores, s, m, nh, pos0, lut), gs) << cores << " cores";
    EXPECT_EQ(cluster_rope(cores, x, rm, rh, hs, rpos, rp, cs, sn), gr) << cores << " cores";
  }
  // Can fail: another position gives other rotations.
  EXPECT_NE(cluster_rope(8, x, rm, rh, hs, rpos + 1, rp, cs, sn), gr);
}

TEST(ClusterOps, Stories260KRopeAndSoftmaxEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto* q = model();
  if (!q) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  const auto& c = q->config;
  const int32_t hs = c.dim / c.n_heads, half = hs / 2;
  const quant::Blob& e = q->tensor("embed.table");
  const std::vector<int8_t> x(e.as<int8_t>() + 7 * e.shape[1], e.as<int8_t>() + 7 * e.shape[1] + c.dim);
  const int16_t* tc = q->tensor("rope.cos").as<int16_t>();
  const int16_t* ts = q->tensor("rope.sin").as<int16_t>();
  const std::vector<int16_t> cs(tc, tc + size_t(c.seq_len) * half), sn(ts, ts + size_t(c.seq_len) * half);
  for (const std::string op : {"l0.rope_q", "l0.rope_k"}) {
    const auto& j = q->op(op);
    quant::golden::RopeParams p;
    p.x_zp = j.at("x_zp").get<int32_t>();
    p.y_zp = j.at("y_zp").get<int32_t>();
    p.mul = quant::qmul_from_json(j.at("mul"), op);
    const auto gold = golden_rope(x, 1, c.n_heads, hs, 37, p, cs, sn);
    EXPECT_GE(distinct(gold), 5u) << op;
    for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_rope(cores, x, 1, c.n_heads, hs, 37, p, cs, sn), gold) << op << " " << cores;
  }
  // Softmax with the model's exp LUT over 40 cached positions, scores from the embedding bytes.
  const quant::Blob& lb = q->tensor("softmax.exp_lut");
  const std::vector<int32_t> lut(lb.as<int32_t>(), lb.as<int32_t>() + quant::golden::kExpLutSteps + 1);
  const int32_t pos0 = 40, tt = pos0 + 1;
  std::vector<int32_t> s(size_t(c.n_heads) * tt);
  for (size_t i = 0; i < s.size(); ++i) s[i] = int32_t{e.as<int8_t>()[i]} * 40;
  std::vector<int8_t> gold(s.size());
  quant::golden::softmax<int8_t>(s.data(), 1, pos0, c.n_heads, lut.data(), gold.data());
  EXPECT_GE(distinct(gold), 5u);
  for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_softmax(cores, s, 1, c.n_heads, pos0, lut), gold) << cores;
}

namespace {
struct Attn {
  int32_t m, nh, nkv, hs, pos0;
};
std::vector<int32_t> cluster_scores(uint32_t cores, const Attn& a, const std::vector<int8_t>& q, const std::vector<int8_t>& k,
                                    const quant::golden::ScoreParams& p, cluster::ClusterResult* res = nullptr, uint32_t l1 = 0,
                                    std::array<uint32_t, 2>* tiles = nullptr) {
  const std::vector<int32_t> par = {p.q_zp, p.k_zp, 0, p.mul.m, p.mul.shift};
  const size_t n = size_t(a.m) * a.nh * (a.pos0 + a.m);
  const auto bytes = run_op(25, cores, {uint32_t(a.m), uint32_t(a.nh), uint32_t(a.hs), uint32_t(a.pos0), uint32_t(a.nkv), l1, kX, kB, kP, kY, l1 ? 1u : 0u},
                            {blob(kX, q), blob(kB, k), blob(kP, par)}, n * 4, res, tiles);
  std::vector<int32_t> s(n);
  std::memcpy(s.data(), bytes.data(), n * 4);
  return s;
}
std::vector<int8_t> cluster_values(uint32_t cores, const Attn& a, const std::vector<int8_t>& p, const std::vector<int8_t>& v,
                                   const quant::golden::AttnValueParams& q, cluster::ClusterResult* res = nullptr, uint32_t l1 = 0,
                                   std::array<uint32_t, 2>* tiles = nullptr) {
  const std::vector<int32_t> par = {q.p_zp, q.v_zp, q.y_zp, q.mul.m, q.mul.shift};
  return run_op(26, cores, {uint32_t(a.m), uint32_t(a.nh), uint32_t(a.hs), uint32_t(a.pos0), uint32_t(a.nkv), l1, kX, kB, kP, kY, l1 ? 1u : 0u},
                {blob(kX, p), blob(kB, v), blob(kP, par)}, size_t(a.m) * a.nh * a.hs, res, tiles);
}
std::vector<int8_t> cluster_mul(uint32_t cores, const std::vector<int8_t>& a, const std::vector<int8_t>& b, const quant::golden::MulParams& p,
                                uint32_t l1 = 0, cluster::ClusterResult* result = nullptr) {
  const std::vector<int32_t> par = {p.a_zp, p.b_zp, p.y_zp, p.mul.m, p.mul.shift};
  return run_op(27, cores, {1, uint32_t(a.size()), 0, 0, 0, l1, kX, kB, kP, kY, 0}, {blob(kX, a), blob(kB, b), blob(kP, par)}, a.size(),
                result);
}
// The golden chain of one attention: scores, their softmax (with `lut`), the values.
struct GoldenAttention {
  std::vector<int32_t> scores;
  std::vector<int8_t> probs, values;
};
GoldenAttention golden_attention(const Attn& a, const std::vector<int8_t>& q, const std::vector<int8_t>& k, const std::vector<int8_t>& v,
                                 const quant::golden::ScoreParams& sp, const quant::golden::AttnValueParams& vp,
                                 const std::vector<int32_t>& lut) {
  GoldenAttention g;
  g.scores.resize(size_t(a.m) * a.nh * (a.pos0 + a.m));
  quant::golden::attn_scores<int8_t>(q.data(), a.m, a.pos0, k.data(), a.nh, a.nkv, a.hs, sp, g.scores.data());
  g.probs.resize(g.scores.size());
  quant::golden::softmax<int8_t>(g.scores.data(), a.m, a.pos0, a.nh, lut.data(), g.probs.data());
  g.values.resize(size_t(a.m) * a.nh * a.hs);
  quant::golden::attn_values<int8_t>(g.probs.data(), a.m, a.pos0, v.data(), a.nh, a.nkv, a.hs, vp, g.values.data());
  return g;
}
void check_attention(const Attn& a, const std::vector<int8_t>& q, const std::vector<int8_t>& k, const std::vector<int8_t>& v,
                     const quant::golden::ScoreParams& sp, const quant::golden::AttnValueParams& vp, const std::string& what) {
  // Probabilities: the golden softmax of the scores (with the default exp LUT).
  const auto [gs, p, gv] = golden_attention(a, q, k, v, sp, vp, quant::build_exp_lut());
  EXPECT_GE(std::set<int32_t>(gs.begin(), gs.end()).size(), 5u) << what;
  EXPECT_GE(distinct(gv), 5u) << what;
  for (uint32_t cores : {1u, 8u})
    for (uint32_t l1 : {0u, 64000u}) {  // untiled from L2; tiled through L1 (one tile)
      EXPECT_EQ(cluster_scores(cores, a, q, k, sp, nullptr, l1), gs) << what << " scores, " << cores << " cores, L1 " << l1;
      EXPECT_EQ(cluster_values(cores, a, p, v, vp, nullptr, l1), gv) << what << " values, " << cores << " cores, L1 " << l1;
    }
}
}  // namespace

TEST(ClusterOps, AttentionAndMulEqualGoldenOn1And8Cores) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(8);
  const Attn a{2, 4, 2, 8, 5};  // grouped-query: 2 query heads per kv head
  const auto q = rand_i8(size_t(a.m) * a.nh * a.hs, rng);
  const auto k = rand_i8(size_t(a.pos0 + a.m) * a.nkv * a.hs, rng), v = rand_i8(k.size(), rng);
  check_attention(a, q, k, v, {3, -7, {1717986918, 35}}, {-128, 5, -1, {1 << 30, 38}}, "random");
  quant::golden::MulParams mp{6, -9, 2, {1 << 30, 37}};
  const auto x = rand_i8(300, rng), y = rand_i8(300, rng);
  std::vector<int8_t> gm(x.size());
  quant::golden::mul<int8_t>(x.data(), y.data(), int64_t(x.size()), mp, gm.data());
  EXPECT_GE(distinct(gm), 50u);
  for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_mul(cores, x, y, mp), gm) << cores;
  mp.b_zp += 1;
  EXPECT_NE(cluster_mul(8, x, y, mp), gm) << "a wrong zero point is detected";
}

TEST(ClusterOps, Stories260KAttentionAndMulParametersEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto* qm = model();
  if (!qm) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  const auto& c = qm->config;
  const Attn a{1, c.n_heads, c.n_kv_heads, c.dim / c.n_heads, 20};
  const quant::Blob& e = qm->tensor("embed.table");
  const int8_t* eb = e.as<int8_t>();  // real int8 bytes as q, K and V
  const std::vector<int8_t> q(eb, eb + size_t(a.nh) * a.hs);
  const std::vector<int8_t> k(eb + 1000, eb + 1000 + size_t(a.pos0 + 1) * a.nkv * a.hs);
  const std::vector<int8_t> v(eb + 5000, eb + 5000 + k.size());
  const auto& js = qm->op("l0.attn_scores");
  const auto& jv = qm->op("l0.attn_values");
  const quant::golden::ScoreParams sp{js.at("q_zp").get<int32_t>(), js.at("k_zp").get<int32_t>(), quant::qmul_from_json(js.at("mul"), "scores")};
  const quant::golden::AttnValueParams vp{jv.at("p_zp").get<int32_t>(), jv.at("v_zp").get<int32_t>(), jv.at("y_zp").get<int32_t>(),
                                          quant::qmul_from_json(jv.at("mul"), "values")};
  check_attention(a, q, k, v, sp, vp, "stories260K l0");
  const auto& jm = qm->op("l0.mul");
  const quant::golden::MulParams mp{jm.at("a_zp").get<int32_t>(), jm.at("b_zp").get<int32_t>(), jm.at("y_zp").get<int32_t>(),
                                    quant::qmul_from_json(jm.at("mul"), "mul")};
  const std::vector<int8_t> x(eb, eb + 172), y(eb + 300, eb + 472);
  std::vector<int8_t> gm(x.size());
  quant::golden::mul<int8_t>(x.data(), y.data(), int64_t(x.size()), mp, gm.data());
  for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_mul(cores, x, y, mp), gm) << cores;
}

namespace {
uint64_t barrier_waits(const cluster::ClusterResult& r) {
  uint64_t w = 0;
  for (const auto& c : r.cores) w += c.barrier_wait_cycles;
  return w;
}
}  // namespace

// A causal prefill (16 tokens, 8 heads, nothing cached) on 8 cores: row (token r, head h) has
// r + 1 entries, so a contiguous split of the 128 rows by core (2 tokens each) would give core c
// work proportional to 8 (4c + 3): the mean core idles 1 - 17/31 = 45 % of the run at the closing
// barrier. The snake assignment gives every core one head of every token (equal work), so the
// barrier waits summed over the cores must stay below 5 % of cores x cycles (a bound the
// contiguous split misses by 9x). Outputs bit-exact with golden.
TEST(ClusterOps, CausalRowsAreBalancedOverTheCores) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(21);
  const Attn a{16, 8, 4, 4, 0};  // microLlama-like heads of 4, 2 query heads per kv head
  const int32_t tt = a.pos0 + a.m;
  const auto q = rand_i8(size_t(a.m) * a.nh * a.hs, rng);
  const auto k = rand_i8(size_t(tt) * a.nkv * a.hs, rng), v = rand_i8(k.size(), rng);
  const quant::golden::ScoreParams sp{3, -7, {1717986918, 35}};
  const quant::golden::AttnValueParams vp{-128, 5, -1, {1 << 30, 38}};
  const auto lut = quant::build_exp_lut();
  const auto [gs, p, gv] = golden_attention(a, q, k, v, sp, vp, lut);
  EXPECT_GE(distinct(p), 20u);
  EXPECT_GE(distinct(gv), 5u);
  cluster::ClusterResult rs, rp, rv;
  EXPECT_EQ(cluster_scores(8, a, q, k, sp, &rs), gs);
  EXPECT_EQ(cluster_softmax(8, gs, a.m, a.nh, a.pos0, lut, &rp), p);
  EXPECT_EQ(cluster_values(8, a, p, v, vp, &rv), gv);
  for (const auto* r : {&rs, &rp, &rv}) {
    ASSERT_EQ(r->cores.size(), 8u);
    EXPECT_LT(double(barrier_waits(*r)), 0.05 * 8 * double(r->cycles)) << "cycles " << r->cycles;
  }
}

// The softmax's exact 32-bit path (docs in cluster_kernels.c), in every L1 configuration: no
// scratch (e computed twice), a scratch shorter than the rows (e kept for the first entries,
// recomputed beyond), the whole rows in the scratch, and the LUT copied into L1 (the tiled mode);
// 1 and 8 cores; the 64-bit fallback for a table that is not a valid exp LUT (a random one),
// which the fast path would get wrong. All bit-exact with golden.
TEST(ClusterOps, SoftmaxFastPathAndFallbackEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(31);
  const int32_t m = 4, nh = 3, pos0 = 37, tt = pos0 + m;
  std::vector<int32_t> s(size_t(m) * nh * tt);
  for (auto& v : s) v = static_cast<int32_t>(rng() % 12000) - 6000;
  s[5] = INT32_MIN, s[6] = INT32_MAX;  // max - s beyond int32 in row 0: clamped as golden does
  const auto lut = quant::build_exp_lut();
  std::vector<int8_t> gs(s.size());
  quant::golden::softmax<int8_t>(s.data(), m, pos0, nh, lut.data(), gs.data());
  EXPECT_GE(distinct(gs), 30u);
  // budget 64 + 8 x 4 x 16 B: 16 entries of scratch per core with 8 cores (rows 38..41 long)
  for (uint32_t cores : {1u, 8u})
    for (uint32_t l1 : {0u, 64u + 8u * 4u * 16u, 64000u})
      for (uint32_t to_l1 : {0u, 1u}) EXPECT_EQ(cluster_softmax(cores, s, m, nh, pos0, lut, nullptr, l1, to_l1), gs) << cores << " " << l1 << " " << to_l1;
  // Not an exp LUT (random int32 with entries up to 2^30): only the 64-bit path is exact.
  std::vector<int32_t> bad(lut.size());
  for (auto& v : bad) v = static_cast<int32_t>(rng() % (1u << 30));
  std::vector<int8_t> gb(s.size());
  quant::golden::softmax<int8_t>(s.data(), m, pos0, nh, bad.data(), gb.data());
  EXPECT_NE(gb, gs);
  for (uint32_t cores : {1u, 8u}) EXPECT_EQ(cluster_softmax(cores, s, m, nh, pos0, bad, nullptr, 64000, 1), gb) << cores;
}

// Attention's 32-bit SIMD paths: heads of 4 (one packed word) and 12 (three), a query zero point
// of -128 (-zq = 128 does not fit a lane: two dot products), a requantisation shift below 33 (the
// 64-bit requantisation) and above; 1 and 8 cores; bit-exact with golden.
TEST(ClusterOps, AttentionSimdPathsEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(41);
  for (const Attn a : {Attn{3, 4, 2, 4, 6}, Attn{2, 2, 1, 12, 9}}) {
    const auto q = rand_i8(size_t(a.m) * a.nh * a.hs, rng);
    const auto k = rand_i8(size_t(a.pos0 + a.m) * a.nkv * a.hs, rng), v = rand_i8(k.size(), rng);
    check_attention(a, q, k, v, {-128, 9, {1717986918, 36}}, {-128, 5, 4, {1 << 30, 38}}, "zq -128, hs " + std::to_string(a.hs));
    check_attention(a, q, k, v, {17, -3, {1073741824, 32}}, {100, 3, -5, {1 << 22, 32}}, "shift 32, hs " + std::to_string(a.hs));
    // Shift 13 (scores = acc 2^17: |acc| >= 2^14 saturates): acc 2^20 fits 32 bits only for |acc| < 2^11, so
    // the requantisation takes the 32-bit and the 64-bit route by value (rq_fast).
    const quant::golden::ScoreParams sp{5, -2, {1 << 30, 13}};
    std::vector<int32_t> gs(size_t(a.m) * a.nh * (a.pos0 + a.m));
    quant::golden::attn_scores<int8_t>(q.data(), a.m, a.pos0, k.data(), a.nh, a.nkv, a.hs, sp, gs.data());
    EXPECT_GE(std::count(gs.begin(), gs.end(), INT32_MAX) + std::count(gs.begin(), gs.end(), INT32_MIN), 1);
    EXPECT_GE(std::set<int32_t>(gs.begin(), gs.end()).size(), 10u);
    for (uint32_t cores : {1u, 8u})
      for (uint32_t l1 : {0u, 64000u}) EXPECT_EQ(cluster_scores(cores, a, q, k, sp, nullptr, l1), gs) << "shift 13, hs " << a.hs;
  }
}

// The tiled kernels with several tiles at a small L1 budget (16 tokens after 5 cached, 8 heads of
// 4 on 4 KV heads: kv_dim 16 B, 21 cache rows, 128 rows of 21 scores), tile counts by hand:
//  - scores: two tiles of all 21 cache rows take 16 + 2 x 21 x 16 = 688 B, plus 2 x 21 x 4 B of
//    scores per row of the block: at 4500 B, 22 rows; on 8 cores rounded down to 16: 8 blocks of
//    one tile, each one transfer in (cache rows) and one out (scores): 16 transfers; on 1 core 22:
//    6 blocks, 12 transfers. At 1500 B: 4 rows, fewer than the 8 cores: blocks of 8 rows with
//    T = (1500 - 16) / (2 (16 + 8 x 4)) = 15 cache rows; block b (one token) has b + 6 entries: 10
//    blocks of one tile and 6 of two, 22 tiles, 44 transfers (1 core: 4 rows, T = 21, 32 tiles);
//  - values: accumulators 20 B and p 2 x 21 B per row: at 1000 B, (1000 - 688) / 62 = 5 rows; on
//    8 cores blocks of 8 rows with T = (1000 - 160 - 16) / (2 (16 + 8)) = 17: 12 blocks of one
//    tile, 4 of two, 20 tiles, each cache rows and p in: 40 transfers (1 core: 5 rows, T = 21, 26
//    blocks, 52 transfers);
//  - softmax at 3200 B: after 64 B of flags and the 1028-B LUT, (3200 - 1100) / (2 x (84 + 21))
//    = 10 rows, on 8 cores rounded down to R = 8 rows a block (16 blocks, 16 transfers in and 16
//    out); on 1 core R = 10, ceil(128 / 10) = 13 blocks, 26 transfers.
// Every output bit-exact with golden, on 1 and 8 cores.
TEST(ClusterOps, TiledAttentionAndSoftmaxWithSeveralTilesEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(51);
  const Attn a{16, 8, 4, 4, 5};
  const int32_t tt = a.pos0 + a.m;
  const auto q = rand_i8(size_t(a.m) * a.nh * a.hs, rng);
  const auto k = rand_i8(size_t(tt) * a.nkv * a.hs, rng), v = rand_i8(k.size(), rng);
  const quant::golden::ScoreParams sp{-3, 6, {1717986918, 36}};
  const quant::golden::AttnValueParams vp{-128, 2, 3, {1 << 30, 39}};
  const auto lut = quant::build_exp_lut();
  const auto [gs, p, gv] = golden_attention(a, q, k, v, sp, vp, lut);
  EXPECT_GE(distinct(p), 20u);
  EXPECT_GE(distinct(gv), 10u);
  for (uint32_t cores : {1u, 8u}) {
    cluster::ClusterResult r;
    std::array<uint32_t, 2> tiles{};
    const bool c8 = cores == 8;
    // Scores (128 rows, 21 cache rows of 16 B, 4-B scores; q of a block in L1, 2 x 4 B a row):
    // 4500 B: whole cache rows, bl = (4500 - 16 - 8 - 2 x 21 x 16) / (2 x 4 + 2 x 21 x 4) = 21 rows
    // (16 on 8 cores); 8 or 7 blocks of one tile; DMA: q, K in and scores out per block.
    EXPECT_EQ(cluster_scores(cores, a, q, k, sp, &r, 4500, &tiles), gs) << cores;
    EXPECT_EQ(tiles, (std::array<uint32_t, 2>{21, c8 ? 8u : 7u}));
    EXPECT_EQ(r.dma.transfers, c8 ? 24u : 21u);
    // q and the masked zeros move by DMA: the cores store nothing to L2 but core 0's job words 13
    // and 14, and load only the job and parameter words (32 here; q from L2 added 5 loads a row,
    // 80 per core on 8 cores, and the zeros 448 stores per core).
    uint64_t l2_stores = 0;
    for (const auto& c : r.cores) {
      l2_stores += c.l2_accesses - c.l2_loads;
      EXPECT_LE(c.l2_loads, 40u);
    }
    EXPECT_EQ(l2_stores, 2u);
    // 1500 B: 4 rows of whole cache rows: enough on 1 core (32 blocks of one tile, 3 transfers
    // each); on 8 cores blocks of 8 rows (one token) with T = (1500 - 16 - 2 x 32) / (2 x (16 + 8 x
    // 4)) = 14: two tiles a block over the 21 entries (32 out); K rows for tokens 0-8 (up to 14
    // cache rows) in one tile, 9-15 in two (23 in); q once per block (16): 71 transfers.
    EXPECT_EQ(cluster_scores(cores, a, q, k, sp, &r, 1500, &tiles), gs) << cores;
    EXPECT_EQ(tiles, (std::array<uint32_t, 2>{c8 ? 14u : 21u, 32u}));
    EXPECT_EQ(r.dma.transfers, c8 ? 71u : 96u);
    uint64_t stores_1500 = 0;  // the masked entries go back by DMA: no core stores to L2 (but job words)
    for (const auto& c : r.cores) stores_1500 += c.l2_accesses - c.l2_loads;
    EXPECT_EQ(stores_1500, 2u);
    EXPECT_EQ(cluster_values(cores, a, p, v, vp, &r, 1000, &tiles), gv) << cores;
    EXPECT_EQ(tiles, (std::array<uint32_t, 2>{c8 ? 17u : 21u, c8 ? 20u : 26u}));
    EXPECT_EQ(r.dma.transfers, c8 ? 40u : 52u);
    EXPECT_EQ(cluster_softmax(cores, gs, a.m, a.nh, a.pos0, lut, &r, 3200, 1, &tiles), p) << cores;
    EXPECT_EQ(tiles, cores == 8 ? (std::array<uint32_t, 2>{8, 16}) : (std::array<uint32_t, 2>{10, 13}));
    EXPECT_EQ(r.dma.transfers, cores == 8 ? 32u : 26u);
    EXPECT_EQ(r.dma.bytes, uint64_t(a.m) * a.nh * tt * 5);  // every score in, every probability out, once
  }
  // The untiled kernels move nothing by DMA.
  cluster::ClusterResult r;
  EXPECT_EQ(cluster_values(8, a, p, v, vp, &r, 0), gv);
  EXPECT_EQ(r.dma.transfers, 0u);
}

// The tiled element-wise kernels (job word 7 = L1 budget): operands streamed through L1 by the
// DMA in several double-buffered tiles equal golden on 1 and 8 cores, with the DMA transfers
// counted by hand (the tile size follows from the budget); a budget below one unit is exit code 3.
TEST(ClusterOps, TiledRmsNormAddLutMulCopyEqualGoldenInSeveralTiles) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(21);
  const int32_t m = 3, n = 100;
  const auto x = rand_i8(size_t(m) * n, rng);
  std::vector<int16_t> gain(n);
  for (auto& g : gain) g = static_cast<int16_t>(8000 + rng() % 20000);
  quant::golden::RmsNormParams rp;
  rp.x_zp = 4, rp.y_zp = -2, rp.eps_q = 2, rp.gain_shift = 8;
  quant::golden::AddParams ap;
  ap.a_zp = 7, ap.b_zp = -20, ap.y_zp = -3, ap.left_shift = 20;
  ap.a_mul = {1518500250, 31}, ap.b_mul = {1073741824, 31}, ap.y_mul = {1288490189, 51};
  quant::golden::MulParams mp{6, -9, 2, {1 << 30, 37}};
  const auto a = rand_i8(257, rng), b = rand_i8(257, rng), table = rand_i8(256, rng);
  std::vector<int8_t> gl(a.size()), gm(a.size());
  quant::golden::lut<int8_t>(a.data(), int64_t(a.size()), table.data(), gl.data());
  quant::golden::mul<int8_t>(a.data(), b.data(), int64_t(a.size()), mp, gm.data());
  const auto gr = golden_rmsnorm(x, m, n, rp, gain);
  const auto ga = golden_add(a, b, ap);
  std::vector<int16_t> rcs(16 * 4), rsn(rcs.size());
  for (int t = 0; t < 16; ++t)
    for (int i = 0; i < 4; ++i) {
      const double ang = t / std::pow(10000.0, 2.0 * i / 8);
      rcs[size_t(t) * 4 + i] = static_cast<int16_t>(std::lround(std::cos(ang) * 32767));
      rsn[size_t(t) * 4 + i] = static_cast<int16_t>(std::lround(std::sin(ang) * 32767));
    }
  quant::golden::RopeParams rpp;
  rpp.x_zp = 4, rpp.y_zp = -2, rpp.mul = {1 << 30, 45};
  const auto rx = rand_i8(5 * 4 * 8, rng);
  const auto grope = golden_rope(rx, 5, 4, 8, 3, rpp, rcs, rsn);
  EXPECT_GE(distinct(grope), 20u);
  for (uint32_t cores : {1u, 8u}) {
    SCOPED_TRACE(std::to_string(cores) + " cores");
    cluster::ClusterResult r;
    // RMSNorm: partial sums (64 B) and the gain (200 B) fixed, then one row of x and y twice
    // (400 B): 3 tiles of 1 row; DMA: the gain, 3 in, 3 out.
    EXPECT_EQ(cluster_rmsnorm(cores, x, m, n, rp, gain, 264 + 400, &r), gr);
    EXPECT_EQ(r.dma.transfers, 7u);
    // add and MUL: a, b and y twice per element: 120 B -> 20 elements per tile, 13 tiles of the
    // 257; DMA: 2 x 13 in, 13 out.
    EXPECT_EQ(cluster_add(cores, a, b, ap, 120, &r), ga);
    EXPECT_EQ(r.dma.transfers, 39u);
    EXPECT_EQ(cluster_mul(cores, a, b, mp, 120, &r), gm);
    EXPECT_EQ(r.dma.transfers, 39u);
    // LUT: the table (256 B) once, then x and y twice per element: 80 B -> 20 per tile.
    EXPECT_EQ(cluster_lut(cores, a, table, 256 + 80, &r), gl);
    EXPECT_EQ(r.dma.transfers, 27u);
    // Copy (the KV-cache write): DMA only, one buffer twice: 40 B -> 20 bytes per tile.
    const auto copied = run_op(28, cores, {1, uint32_t(a.size()), 0, 0, 0, 40, kX, 0, 0, kY, 0}, {blob(kX, a)}, a.size(), &r);
    EXPECT_EQ(copied, a);
    EXPECT_EQ(r.dma.transfers, 26u);
    // RoPE: 5 tokens of 4 heads x 8 at positions 3..7; the tokens' cos and sin rows (2 x 40 B)
    // once, then x and y of 2 tokens (2 x 32 B) twice: 3 tiles; DMA: 2 + 3 in + 3 out.
    EXPECT_EQ(cluster_rope(cores, rx, 5, 4, 8, 3, rpp, rcs, rsn, 80 + 256, &r), grope);
    EXPECT_EQ(r.dma.transfers, 8u);
    // One tile when everything fits; the same bits as the untiled kernels.
    EXPECT_EQ(cluster_add(cores, a, b, ap, 64000, &r), ga);
    EXPECT_EQ(r.dma.transfers, 3u);
  }
  // Tiled runs read their operands through the DMA, not from L2: a wrong parameter still shows.
  mp.b_zp += 1;
  EXPECT_NE(cluster_mul(8, a, b, mp, 120), gm);
}

TEST(ClusterOps, TiledKernelsRefuseABudgetBelowOneUnit) {
  const auto elf = rv32_program("cluster_kernels");
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  for (uint32_t op : {20u, 21u, 22u, 24u, 27u, 28u}) {
    cluster::Cluster cl(cluster::ClusterConfig{});
    cl.load(rv32::read_elf(elf));
    // budget 4: not even the RMSNorm's partial sums, one add element (6 B) or the LUT's table
    const uint32_t job[14] = {kClMagic, op, 1, 64, 0, 0, 0, 4, kX, kB, kP, kY, 0, 0};
    std::memcpy(cl.host(kClIo, sizeof job), job, sizeof job);
    if (op == 24) {  // RoPE: 1 token, 2 heads of 2; its budget (4) is in its params (word 7 is pos0)
      const int32_t par[4] = {1 << 30, 45, int32_t(kB), 4};
      const uint32_t rope[3] = {1, 2, 2};  // m, n_heads, head_size
      std::memcpy(cl.host(kClIo + 8, sizeof rope), rope, sizeof rope);
      std::memcpy(cl.host(kClIo + kP, sizeof par), par, sizeof par);
    }
    const auto r = cl.run(10'000'000);
    ASSERT_EQ(r.stop, rv32::Stop::exit) << op << " " << r.error;
    EXPECT_EQ(r.exit_code, op == 28 ? 0 : 3) << "op " << op;  // the copy streams 1 byte twice in 4 B
  }
}

// ---- The XpulpV2 element-wise kernels (MUL, add, LUT, RMSNorm, RoPE): exact 32-bit paths ----
namespace {
// Random int8 with -128 and 127 in every lane position (every third element, alternating).
std::vector<int8_t> edge_i8(size_t n, std::mt19937& rng) {
  auto v = rand_i8(n, rng);
  for (size_t i = 0; i < n; i += 3) v[i] = (i / 3) % 2 ? 127 : -128;
  return v;
}
// One element-wise op (21 add, 22 LUT, 27 MUL) with its operands at kX + mis, kB + 2 mis and y at
// kY + 3 mis (mis = 1: no operand word-aligned in L2), untiled (l1 = 0) or tiled.
std::vector<int8_t> run_ew(uint32_t op, uint32_t cores, const std::vector<int8_t>& a, const std::vector<int8_t>& b,
                           const std::vector<int32_t>& par, uint32_t l1, uint32_t mis, cluster::ClusterResult* r = nullptr) {
  const uint32_t xa = kX + mis, xb = kB + 2 * mis, xy = kY + 3 * mis;
  std::vector<Blob> blobs = {blob(xa, a), blob(xb, b)};
  if (!par.empty()) blobs.push_back(blob(kP, par));
  return run_op(op, cores, {1, uint32_t(a.size()), 0, 0, 0, l1, xa, xb, par.empty() ? 0 : kP, xy, 0}, blobs, a.size(), r);
}
std::vector<int32_t> add_par(const quant::golden::AddParams& p) {
  return {p.a_zp, p.b_zp, p.y_zp, p.left_shift, p.a_mul.m, p.a_mul.shift, p.b_mul.m, p.b_mul.shift, p.y_mul.m, p.y_mul.shift};
}
std::vector<int32_t> mul_par(const quant::golden::MulParams& p) { return {p.a_zp, p.b_zp, p.y_zp, p.mul.m, p.mul.shift}; }
// Instructions the op retires beyond the bare launch (op 0), all cores.
uint64_t kernel_instructions(uint32_t op, uint32_t cores, const std::vector<int8_t>& a, const std::vector<int8_t>& b,
                             const std::vector<int32_t>& par) {
  cluster::ClusterResult r, r0;
  run_ew(op, cores, a, b, par, 0, 0, &r);
  run_op(0, cores, {1, uint32_t(a.size()), 0, 0, 0, 0, kX, kB, kP, kY, 0}, {}, 0, &r0);
  return r.instructions - r0.instructions;
}
}  // namespace

// MUL: zero points at -128 and 127, multipliers 2^31 - 1, 2^30, negative and 0, shifts at the ends
// of the 32-bit path (18 with products up to 255^2: 65025 x 2^15 < 2^31; 17 with zero points 0:
// 128^2 x 2^16 = 2^30) and beyond it (17 with 255^2, zero points outside int8, y_zp beyond 2^30:
// the 64-bit path), 62; lengths with 1-3 leftover elements and cores without elements; operands
// aligned and not; untiled and tiled (several tiles, one tile); 1 and 8 cores.
TEST(ClusterOps, SimdMulEdgeCasesEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(81);
  const std::vector<quant::golden::MulParams> cases = {
      {-128, -128, -128, {INT32_MAX, 18}}, {127, 127, 127, {1 << 30, 17}},   {0, 0, 0, {1 << 30, 17}},
      {-128, 127, 5, {1518500250, 62}},     {3, -7, -2, {1 << 30, 38}},      {127, -128, 0, {-(1 << 30), 37}},
      {4, 4, 4, {0, 31}},                   {200, 0, 0, {1 << 30, 38}},      {1, 2, (1 << 30) + 1, {1 << 30, 38}}};
  for (const auto& mp : cases) {
    for (size_t n : {5u, 263u}) {
      const auto a = edge_i8(n, rng), b = edge_i8(n, rng);
      std::vector<int8_t> gm(n);
      quant::golden::mul<int8_t>(a.data(), b.data(), int64_t(n), mp, gm.data());
      for (uint32_t cores : {1u, 8u})
        for (uint32_t l1 : {0u, 120u, 64000u})
          for (uint32_t mis : {0u, 1u})
            EXPECT_EQ(run_ew(27, cores, a, b, mul_par(mp), l1, mis), gm)
                << "zp " << mp.a_zp << " " << mp.b_zp << " " << mp.y_zp << " mul " << mp.mul.m << " >> " << mp.mul.shift << ", n " << n
                << ", " << cores << " cores, L1 " << l1 << ", misaligned " << mis;
    }
  }
}

// Residual add: zero points at the limits, the left shift at 20, 23 (the largest the 32-bit path
// takes) and 24 (golden saturates (a - zp) 2^24: the 64-bit path), multipliers 2^31 - 1 with the
// smallest shifts the bounds allow (inputs 31: 255 x 2^22 < 2^31; output 33) and one below (output
// 30: the 64-bit path), shifts 62; lengths and placements as for MUL.
TEST(ClusterOps, SimdAddEdgeCasesEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(82);
  auto ap = [](int32_t az, int32_t bz, int32_t yz, int32_t ls, quant::QMul am, quant::QMul bm, quant::QMul ym) {
    quant::golden::AddParams p;
    p.a_zp = az, p.b_zp = bz, p.y_zp = yz, p.left_shift = ls, p.a_mul = am, p.b_mul = bm, p.y_mul = ym;
    return p;
  };
  const std::vector<quant::golden::AddParams> cases = {
      ap(7, -20, -3, 20, {1518500250, 31}, {1073741824, 31}, {1288490189, 51}),
      ap(-128, 127, 127, 20, {INT32_MAX, 31}, {INT32_MAX, 31}, {INT32_MAX, 33}),
      ap(127, -128, -128, 20, {INT32_MAX, 31}, {INT32_MAX, 31}, {INT32_MAX, 30}),
      ap(-128, -128, 0, 23, {1 << 30, 33}, {INT32_MAX, 40}, {1 << 30, 56}),
      ap(-128, -128, 0, 24, {1 << 30, 33}, {INT32_MAX, 40}, {1 << 30, 56}),
      ap(0, 0, 0, 20, {1 << 30, 62}, {-(1 << 30), 45}, {1 << 30, 62})};
  for (const auto& p : cases) {
    for (size_t n : {5u, 263u}) {
      const auto a = edge_i8(n, rng), b = edge_i8(n, rng);
      const auto ga = golden_add(a, b, p);
      for (uint32_t cores : {1u, 8u})
        for (uint32_t l1 : {0u, 120u, 64000u})
          for (uint32_t mis : {0u, 1u})
            EXPECT_EQ(run_ew(21, cores, a, b, add_par(p), l1, mis), ga)
                << "zp " << p.a_zp << " " << p.b_zp << " " << p.y_zp << " ls " << p.left_shift << " shifts " << p.a_mul.shift << " "
                << p.b_mul.shift << " " << p.y_mul.shift << ", n " << n << ", " << cores << " cores, L1 " << l1 << ", misaligned " << mis;
    }
  }
}

// LUT: every input value, leftovers, placements, tiled and untiled, 1 and 8 cores.
TEST(ClusterOps, SimdLutEdgeCasesEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(83);
  const auto table = rand_i8(256, rng);
  for (size_t n : {3u, 5u, 263u}) {
    auto x = edge_i8(n, rng);
    if (n == 263)
      for (int v = 0; v < 256; ++v) x[size_t(v)] = static_cast<int8_t>(v - 128);
    std::vector<int8_t> gl(n);
    quant::golden::lut<int8_t>(x.data(), int64_t(n), table.data(), gl.data());
    for (uint32_t cores : {1u, 8u})
      for (uint32_t l1 : {0u, 256u + 80u, 64000u})
        for (uint32_t mis : {0u, 1u})
          EXPECT_EQ(run_ew(22, cores, x, table, {}, l1, mis), gl) << "n " << n << ", " << cores << " cores, L1 " << l1 << ", misaligned " << mis;
  }
}

// The element-wise kernels run their hardware-loop bodies: instructions per element on 1 core
// (4096 elements, launch subtracted) within the body's count per 4 elements plus 1/4 for the
// set-up (MUL 51/4, add 83/4, LUT 14/4); the 64-bit path (a shift the 32-bit one does not take)
// exceeds the bound (about 117 instructions per element for the add before this change).
TEST(ClusterOps, SimdElementwiseInstructionsPerElement) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(84);
  const size_t n = 4096;
  const auto a = rand_i8(n, rng), b = rand_i8(n, rng), table = rand_i8(256, rng);
  const quant::golden::MulParams mp{3, -7, -2, {1 << 30, 38}};
  quant::golden::AddParams ap;
  ap.a_zp = 7, ap.b_zp = -20, ap.y_zp = -3, ap.left_shift = 20;
  ap.a_mul = {1518500250, 31}, ap.b_mul = {1073741824, 31}, ap.y_mul = {1288490189, 51};
  const double per_mul = double(kernel_instructions(27, 1, a, b, mul_par(mp))) / n;
  const double per_add = double(kernel_instructions(21, 1, a, b, add_par(ap))) / n;
  const double per_lut = double(kernel_instructions(22, 1, a, table, {})) / n;
  EXPECT_LE(per_mul, 51.0 / 4 + 0.25);
  EXPECT_LE(per_add, 83.0 / 4 + 0.25);
  EXPECT_LE(per_lut, 14.0 / 4 + 0.25);
  auto slow = mp;
  slow.a_zp = 127, slow.b_zp = 127, slow.mul.shift = 17;  // 255^2 x 2^16 >= 2^31: the 64-bit path
  EXPECT_GT(double(kernel_instructions(27, 1, a, b, mul_par(slow))) / n, 51.0 / 4 + 0.25);
  std::printf("instructions per element (1 core): MUL %.2f, add %.2f, LUT %.2f\n", per_mul, per_add, per_lut);
}

// RMSNorm: zero points at -128 and 127, gains at -32768 and 32767, gain shifts at the ends of
// the 32-bit path (-5: |d gain| 2^8 <= 255 x 2^23 < 2^31; 32: shift 62) and beyond (-6, 33:
// the 64-bit path), eps 0 and large enough to clamp ms to 2^32 - 1; rows of 101 (misaligned rows,
// leftovers) and 64; 1, 3 and 9 rows (fewer rows than cores: the row split with partial sums and
// barriers; at least as many: whole rows by core); x misaligned or not; untiled, 1- and 2-row
// tiles and one tile; 1 and 8 cores.
TEST(ClusterOps, SimdRmsNormEdgeCasesEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(85);
  struct Case {
    int32_t x_zp, y_zp, gain_shift;
    int64_t eps_q;
  };
  const std::vector<Case> cases = {{-5, 3, 8, 2},      {-128, 127, -5, 0},  {127, -128, -6, 0},
                                   {0, 0, 32, 1},      {0, 0, 33, 1},       {-128, -128, 8, int64_t{1} << 40}};
  for (const auto& cs : cases)
    for (int32_t n : {101, 64})
      for (int32_t m : {1, 3, 9}) {
        auto x = edge_i8(size_t(m) * n, rng);
        std::vector<int16_t> gain(static_cast<size_t>(n));
        for (auto& g : gain) g = static_cast<int16_t>(rng());
        gain[0] = -32768, gain[1] = 32767;
        quant::golden::RmsNormParams rp;
        rp.x_zp = cs.x_zp, rp.y_zp = cs.y_zp, rp.gain_shift = cs.gain_shift, rp.eps_q = cs.eps_q;
        const auto gr = golden_rmsnorm(x, m, n, rp, gain);
        const std::vector<int32_t> par = {static_cast<int32_t>(rp.eps_q & 0xffffffff), static_cast<int32_t>(rp.eps_q >> 32), rp.gain_shift};
        const uint32_t fixed = 64 + ((uint32_t(n) * 2 + 3) & ~3u);
        for (uint32_t cores : {1u, 8u})
          for (uint32_t l1 : {0u, fixed + 4 * uint32_t(n), fixed + 8 * uint32_t(n), 64000u})
            for (uint32_t mis : {0u, 1u}) {
              const auto y = run_op(20, cores, {uint32_t(m), uint32_t(n), 0, uint32_t(rp.x_zp), uint32_t(rp.y_zp), l1, kX + mis, kB, kP, kY + 3 * mis, 0},
                                    {blob(kX + mis, x), blob(kB, gain), blob(kP, par)}, x.size());
              EXPECT_EQ(y, gr) << "zp " << rp.x_zp << " " << rp.y_zp << " gain shift " << rp.gain_shift << " eps " << rp.eps_q << ", " << m
                               << " x " << n << ", " << cores << " cores, L1 " << l1 << ", misaligned " << mis;
            }
      }
}

// RMSNorm's loops: on 1 core, one row of 4096, instructions per element within the loop bodies
// (3 + 46 per 4 elements) plus 0.5 for the row's mean, root and reciprocal (about 530 here, well below
// 2048 instructions); the 64-bit path (gain shift -6 with zero point -128) exceeds it.
TEST(ClusterOps, SimdRmsNormInstructionsPerElement) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(86);
  const int32_t n = 4096;
  const auto x = rand_i8(size_t(n), rng);
  std::vector<int16_t> gain(static_cast<size_t>(n));
  for (auto& g : gain) g = static_cast<int16_t>(8000 + rng() % 20000);
  auto per_element = [&](int32_t x_zp, int32_t gain_shift) {
    const std::vector<int32_t> par = {2, 0, gain_shift};
    cluster::ClusterResult r, r0;
    run_op(20, 1, {1, uint32_t(n), 0, uint32_t(x_zp), 0, 0, kX, kB, kP, kY, 0}, {blob(kX, x), blob(kB, gain), blob(kP, par)}, x.size(), &r);
    run_op(0, 1, {1, uint32_t(n), 0, 0, 0, 0, kX, kB, kP, kY, 0}, {}, 0, &r0);
    return double(r.instructions - r0.instructions) / n;
  };
  const double fast = per_element(-5, 8);
  EXPECT_LE(fast, 49.0 / 4 + 0.5);
  EXPECT_GT(per_element(-128, -6), 49.0 / 4 + 0.5);
  std::printf("RMSNorm instructions per element (1 core, 1 row of %d): %.2f\n", n, fast);
}

// RoPE: zero points -128/127, cos and sin tables of random int16 (with -32768 and 32767: the
// |v| < 2^24 bound), multipliers 2^31 - 1 with shift 26 (255 x 2^16 x 2^7 < 2^31: the 32-bit
// path's smallest) and 25 (the 64-bit path), 45 and 62; heads of 4, 6 and 8; 3 and 16 heads; 1 and
// 5 tokens after 2 positions; x misaligned or not; untiled, 1-token tiles and one tile; 1 and 8 cores.
TEST(ClusterOps, SimdRopeEdgeCasesEqualGolden) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(87);
  struct Case {
    int32_t x_zp, y_zp;
    quant::QMul mul;
  };
  const std::vector<Case> cases = {{4, -2, {1 << 30, 45}}, {-128, 127, {INT32_MAX, 26}}, {127, -128, {INT32_MAX, 25}}, {0, 0, {1 << 30, 62}}};
  constexpr uint32_t kSin = 0x10000;
  const int32_t pos0 = 2;
  for (const auto& cs : cases)
    for (int32_t hs : {4, 6, 8})
      for (int32_t nh : {3, 16})
        for (int32_t m : {1, 5}) {
          const int32_t half = hs / 2;
          std::vector<int16_t> cosq(size_t(pos0 + m) * half), sinq(cosq.size());
          for (auto& v : cosq) v = static_cast<int16_t>(rng());
          for (auto& v : sinq) v = static_cast<int16_t>(rng());
          cosq[size_t(pos0) * half] = -32768, sinq[size_t(pos0) * half] = 32767;
          const auto x = edge_i8(size_t(m) * nh * hs, rng);
          quant::golden::RopeParams rp;
          rp.x_zp = cs.x_zp, rp.y_zp = cs.y_zp, rp.mul = cs.mul;
          const auto gr = golden_rope(x, m, nh, hs, pos0, rp, cosq, sinq);
          const uint32_t rows = (uint32_t(m * half) * 2 + 3) & ~3u;
          for (uint32_t cores : {1u, 8u})
            for (uint32_t l1 : {0u, 2 * rows + 4 * uint32_t(nh * hs), 64000u})
              for (uint32_t mis : {0u, 1u}) {
                const std::vector<int32_t> par = {rp.mul.m, rp.mul.shift, static_cast<int32_t>(kSin), static_cast<int32_t>(l1)};
                const auto y = run_op(24, cores, {uint32_t(m), uint32_t(nh), uint32_t(hs), uint32_t(rp.x_zp), uint32_t(rp.y_zp), uint32_t(pos0),
                                                  kX + mis, kB, kP, kY + 3 * mis, 0},
                                      {blob(kX + mis, x), blob(kB, cosq), blob(kP, par), blob(kSin, sinq)}, x.size());
                EXPECT_EQ(y, gr) << "zp " << rp.x_zp << " " << rp.y_zp << " mul " << rp.mul.m << " >> " << rp.mul.shift << ", " << m << " x "
                                 << nh << " x " << hs << ", " << cores << " cores, L1 " << l1 << ", misaligned " << mis;
              }
        }
}

// RoPE's loop: on 1 core, 64 tokens of 16 heads of 4 (microLlama's q), instructions per element
// within the body's 25 per pair (12.5 per element) plus 1 for the per-token, per-pair set-up
// (cos and sin, pointers, lp.setup: at most 32 instructions per token and pair, whose loop covers
// 16 heads x 2 elements; 27 measured); the 64-bit path
// (shift 25 with zero point -128) exceeds it.
TEST(ClusterOps, SimdRopeInstructionsPerElement) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::mt19937 rng(88);
  const int32_t m = 64, nh = 16, hs = 4, half = 2;
  constexpr uint32_t kSin = 0x10000;
  std::vector<int16_t> cosq(size_t(m) * half), sinq(cosq.size());
  for (auto& v : cosq) v = static_cast<int16_t>(rng());
  for (auto& v : sinq) v = static_cast<int16_t>(rng());
  const auto x = rand_i8(size_t(m) * nh * hs, rng);
  auto per_element = [&](int32_t x_zp, quant::QMul mul) {
    const std::vector<int32_t> par = {mul.m, mul.shift, static_cast<int32_t>(kSin), 0};
    cluster::ClusterResult r, r0;
    run_op(24, 1, {uint32_t(m), uint32_t(nh), uint32_t(hs), uint32_t(x_zp), 0, 0, kX, kB, kP, kY, 0},
           {blob(kX, x), blob(kB, cosq), blob(kP, par), blob(kSin, sinq)}, x.size(), &r);
    run_op(0, 1, {1, 1, 0, 0, 0, 0, kX, kB, kP, kY, 0}, {}, 0, &r0);
    return double(r.instructions - r0.instructions) / double(x.size());
  };
  const double fast = per_element(4, {1 << 30, 45});
  EXPECT_LE(fast, 25.0 / 2 + 1);
  EXPECT_GT(per_element(-128, {INT32_MAX, 25}), 25.0 / 2 + 1);
  std::printf("RoPE instructions per element (1 core, 64 x 16 x 4): %.2f\n", fast);
}

// The real stories260K parameters of every layer take the 32-bit SIMD paths: with them, on 4096
// random elements on 1 core, the kernels stay within the instruction bounds of the tests above
// (which the 64-bit paths exceed) and equal golden.
TEST(ClusterOps, Stories260KParametersTakeTheSimdPaths) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const auto* q = model();
  if (!q) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  std::mt19937 rng(89);
  const size_t n = 4096;
  const auto a = rand_i8(n, rng), b = rand_i8(n, rng);
  for (int l = 0; l < q->config.n_layers; ++l) {
    std::string p = "l";  // "l<layer>." (appended: GCC 12 warns falsely on "l" + std::to_string(l))
    p += std::to_string(l);
    p += '.';
    for (const char* name : {"add_att", "add_ffn"}) {
      const std::string op = p + name;
      const auto& j = q->op(op);
      quant::golden::AddParams ap;
      ap.a_zp = j.at("a_zp").get<int32_t>(), ap.b_zp = j.at("b_zp").get<int32_t>(), ap.y_zp = j.at("y_zp").get<int32_t>();
      ap.left_shift = j.at("left_shift").get<int32_t>();
      ap.a_mul = quant::qmul_from_json(j.at("a_mul"), op), ap.b_mul = quant::qmul_from_json(j.at("b_mul"), op);
      ap.y_mul = quant::qmul_from_json(j.at("y_mul"), op);
      EXPECT_LE(double(kernel_instructions(21, 1, a, b, add_par(ap))) / n, 83.0 / 4 + 0.25) << op;
      EXPECT_EQ(run_ew(21, 1, a, b, add_par(ap), 0, 0), golden_add(a, b, ap)) << op;
    }
    const auto& jm = q->op(p + "mul");
    const quant::golden::MulParams mp{jm.at("a_zp").get<int32_t>(), jm.at("b_zp").get<int32_t>(), jm.at("y_zp").get<int32_t>(),
                                      quant::qmul_from_json(jm.at("mul"), "mul")};
    EXPECT_LE(double(kernel_instructions(27, 1, a, b, mul_par(mp))) / n, 51.0 / 4 + 0.25) << p << "mul";
    std::vector<int8_t> gm(n);
    quant::golden::mul<int8_t>(a.data(), b.data(), int64_t(n), mp, gm.data());
    EXPECT_EQ(run_ew(27, 1, a, b, mul_par(mp), 0, 0), gm) << p << "mul";
    for (const char* name : {"rope_q", "rope_k"}) {
      const std::string op = p + name;
      const auto& j = q->op(op);
      quant::golden::RopeParams rp;
      rp.x_zp = j.at("x_zp").get<int32_t>(), rp.y_zp = j.at("y_zp").get<int32_t>(), rp.mul = quant::qmul_from_json(j.at("mul"), op);
      const int32_t m = 64, nh = 16, hs = 4;  // microLlama's q shape (the parameters are what matter)
      std::vector<int16_t> cosq(size_t(m) * 2), sinq(cosq.size());
      for (auto& v : cosq) v = static_cast<int16_t>(rng());
      for (auto& v : sinq) v = static_cast<int16_t>(rng());
      constexpr uint32_t kSin = 0x10000;
      const std::vector<int32_t> par = {rp.mul.m, rp.mul.shift, static_cast<int32_t>(kSin), 0};
      cluster::ClusterResult r, r0;
      const auto y = run_op(24, 1, {uint32_t(m), uint32_t(nh), uint32_t(hs), uint32_t(rp.x_zp), uint32_t(rp.y_zp), 0, kX, kB, kP, kY, 0},
                            {blob(kX, a), blob(kB, cosq), blob(kP, par), blob(kSin, sinq)}, n, &r);
      run_op(0, 1, {1, 1, 0, 0, 0, 0, kX, kB, kP, kY, 0}, {}, 0, &r0);
      EXPECT_LE(double(r.instructions - r0.instructions) / n, 25.0 / 2 + 1) << op;
      EXPECT_EQ(y, golden_rope(a, m, nh, hs, 0, rp, cosq, sinq)) << op;
    }
  }
  for (const std::string op : {"l0.att_norm", "l0.ffn_norm", "final.rmsnorm"}) {
    const auto rp = rms_params(*q, op);
    const int16_t* g = q->tensor(op + ".gain").as<int16_t>();
    std::vector<int16_t> gain(n);
    for (size_t i = 0; i < n; ++i) gain[i] = g[i % size_t(q->config.dim)];
    const std::vector<int32_t> par = {static_cast<int32_t>(rp.eps_q & 0xffffffff), static_cast<int32_t>(rp.eps_q >> 32), rp.gain_shift};
    cluster::ClusterResult r, r0;
    const auto y = run_op(20, 1, {1, uint32_t(n), 0, uint32_t(rp.x_zp), uint32_t(rp.y_zp), 0, kX, kB, kP, kY, 0},
                          {blob(kX, a), blob(kB, gain), blob(kP, par)}, n, &r);
    run_op(0, 1, {1, uint32_t(n), 0, 0, 0, 0, kX, kB, kP, kY, 0}, {}, 0, &r0);
    EXPECT_LE(double(r.instructions - r0.instructions) / n, 49.0 / 4 + 0.5) << op;
    EXPECT_EQ(y, golden_rmsnorm(a, 1, int32_t(n), rp, gain)) << op;
  }
}

// RMSNorm's root in 32-bit steps (workloads/kernels/cluster/rms_root.h, the C the cluster runs,
// compiled here for the host) equals golden's isqrt64(ms << 32): every ms below 2^20, the
// perfect squares and their neighbours, the top of the range, random values.
TEST(ClusterOps, RmsRootIn32BitStepsEqualsIsqrt64) {
  auto check = [](uint32_t ms) {
    const uint32_t r = slm_isqrt_shl32(ms);
    if (uint64_t{r} != quant::isqrt64(uint64_t{ms} << 32)) {
      ADD_FAILURE() << "ms " << ms << ": " << r << " != " << quant::isqrt64(uint64_t{ms} << 32);
      return false;
    }
    return true;
  };
  for (uint32_t ms = 0; ms < (1u << 20); ++ms)
    if (!check(ms)) return;
  for (uint64_t k = 1; k < 65536; k += 7)
    for (int64_t d : {-1, 0, 1})
      if (!check(static_cast<uint32_t>(k * k + uint64_t(d)))) return;
  for (uint32_t ms : {0xFFFFFFFFu, 0xFFFFFFFEu, 0xFFFE0001u, 0xFFFE0000u, 0x80000000u, 0x7FFFFFFFu})
    if (!check(ms)) return;
  std::mt19937 rng(90);
  for (int i = 0; i < 200000; ++i)
    if (!check(static_cast<uint32_t>(rng()))) return;
}
