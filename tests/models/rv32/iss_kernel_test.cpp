// Kernels on the ISS over real stories260K tensors: the C int8 GEMV (plain RV32IMC and the
// XpulpV2 SIMD version) and the requantisation kernel, cross-compiled (build/rv32/kernels.elf)
// and run on the ISS, equal the golden kernels element for element; the same C source built
// natively (slmsim_kernels) equals them too. Weights, requantisation multipliers and zero
// points are those of every w8a8 matmul of the quantised stories260K checkpoint; the input
// vector is real int8 data too (rows of the quantised embedding table). Skipped without the
// checkpoint (a failure under CI=true).
#include <gtest/gtest.h>

#include <cstring>

#include "tests/models/rv32/iss_harness.h"
#include "tests/common/real_models.h"
#include "tests/sim/harness.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/kernels/gemv_i8.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/golden.h"
#include "workloads/quant/quant_model.h"

using namespace slm;
using namespace slm::test;

namespace {
constexpr uint32_t kIo = 0x80800000u;

struct Mm {
  std::string name;
  int32_t n, k, x_zp, y_zp;
  const int8_t* w;
  const quant::QMul* rq;
  const int32_t* row_sum;
};

const quant::QuantModel* model() { return slm::test::stories260k_w8a8(); }

std::vector<Mm> matmuls(const quant::QuantModel& q) {
  std::vector<Mm> out;
  for (auto& [name, o] : q.params.at("ops").items()) {
    if (!o.contains("weight")) continue;
    const quant::Blob& w = q.tensor(o.at("weight").get<std::string>());
    if (w.dtype != "i8" || w.shape.size() != 2) continue;
    Mm m{name, static_cast<int32_t>(w.shape[0]), static_cast<int32_t>(w.shape[1]), o.at("x_zp").get<int32_t>(),
         o.at("y_zp").get<int32_t>(), w.as<int8_t>(), q.tensor(name + ".requant").as<quant::QMul>(),
         q.tensor(name + ".row_sum").as<int32_t>()};
    out.push_back(m);
  }
  return out;
}

// Input vector of length k: consecutive bytes of the quantised embedding table from row `token`.
std::vector<int8_t> input(const quant::QuantModel& q, int32_t k, int token) {
  const quant::Blob& e = q.tensor("embed.table");
  const int8_t* p = e.as<int8_t>() + static_cast<int64_t>(token) * e.shape[1];
  return std::vector<int8_t>(p, p + k);
}

std::vector<int8_t> golden_gemv(const Mm& m, const std::vector<int8_t>& x) {
  quant::golden::WeightView wv;
  wv.n = m.n;
  wv.k = m.k;
  wv.data = m.w;
  wv.row_sum = m.row_sum;
  wv.requant = m.rq;
  std::vector<int8_t> y(m.n);
  quant::golden::matmul<int8_t, int8_t>(x.data(), 1, m.x_zp, wv, m.y_zp, y.data());
  return y;
}

// Runs one kernel job on the ISS; returns y (n bytes).
std::vector<int8_t> run_iss(const std::string& elf, uint32_t op, const Mm& m, const std::vector<int8_t>& x,
                            const std::vector<int32_t>& acc, uint64_t* instructions = nullptr) {
  rv32::Machine mach(rv32::MachineConfig{});
  mach.load(rv32::read_elf(elf));
  uint8_t* io = mach.ram() + (kIo - 0x80000000u);
  const uint32_t off_x = 0x100, off_w = 0x1000, off_rq = off_w + ((m.n * m.k + 63) & ~63u),
                 off_y = off_rq + m.n * 8 + 64, off_acc = off_y + ((m.n + 63) & ~63u);
  const uint32_t job[13] = {0x4b524e4cu, op, static_cast<uint32_t>(m.n), static_cast<uint32_t>(m.k),
                            static_cast<uint32_t>(m.x_zp), static_cast<uint32_t>(m.y_zp), 1, 0,
                            off_x, off_w, off_rq, off_y, off_acc};
  std::memcpy(io, job, sizeof job);
  std::memcpy(io + off_x, x.data(), x.size());
  std::memcpy(io + off_w, m.w, static_cast<size_t>(m.n) * m.k);
  std::memcpy(io + off_rq, m.rq, static_cast<size_t>(m.n) * 8);
  if (!acc.empty()) std::memcpy(io + off_acc, acc.data(), acc.size() * 4);
  std::memset(io + off_y, 0x5a, m.n);
  const auto r = mach.run(500'000'000);
  EXPECT_EQ(r.stop, rv32::Stop::exit) << r.trap.text();
  EXPECT_EQ(r.exit_code, 0);
  if (instructions) *instructions = r.instructions;
  return std::vector<int8_t>(io + off_y, io + off_y + m.n);
}
}  // namespace

TEST(Rv32Kernels, GemvPlainAndXpulpEqualGoldenOnStories260K) {
  const auto elf = rv32_program("kernels");
  SKIP_IF_EMPTY(elf, "kernels.elf");
  const auto* q = model();
  if (!q) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  const auto mms = matmuls(*q);
  ASSERT_GE(mms.size(), 7u);  // wq wk wv wo w1 w2 w3 per layer (+ classifier)
  int checked = 0;
  for (const auto& m : mms) {
    if (m.name.rfind("l0.", 0) != 0 && m.name.find("cls") == std::string::npos && m.name.find("logits") == std::string::npos) continue;
    const auto x = input(*q, m.k, 7);
    const auto gold = golden_gemv(m, x);
    std::vector<int8_t> native(m.n);
    slm_gemv_i8(x.data(), m.x_zp, m.w, m.n, m.k, reinterpret_cast<const slm_qmul*>(m.rq), m.y_zp, native.data());
    EXPECT_EQ(native, gold) << m.name << ": native C kernel";
    uint64_t n_plain = 0, n_xpulp = 0;
    EXPECT_EQ(run_iss(elf, 1, m, x, {}, &n_plain), gold) << m.name << ": RV32IMC kernel on the ISS";
    if (m.k % 4 == 0) {
      EXPECT_EQ(run_iss(elf, 2, m, x, {}, &n_xpulp), gold) << m.name << ": Xpulp kernel on the ISS";
      EXPECT_LT(n_xpulp, n_plain) << m.name;  // SIMD retires fewer instructions
    }
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

TEST(Rv32Kernels, RequantEqualsGolden) {
  const auto elf = rv32_program("kernels");
  SKIP_IF_EMPTY(elf, "kernels.elf");
  const auto* q = model();
  if (!q) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  for (const auto& m : matmuls(*q)) {
    if (m.name.rfind("l0.", 0) != 0) continue;
    const auto x = input(*q, m.k, 11);
    std::vector<int32_t> acc(m.n);
    std::vector<int8_t> gold(m.n);
    for (int32_t j = 0; j < m.n; ++j) {
      int32_t a = 0;
      for (int32_t i = 0; i < m.k; ++i) a += (int32_t{x[i]} - m.x_zp) * m.w[static_cast<int64_t>(j) * m.k + i];
      acc[j] = a * 37;  // wider accumulators than a single dot product: exercises saturation
      gold[j] = quant::saturate<int8_t>(quant::requant32(acc[j], m.rq[j]) + m.y_zp);
    }
    EXPECT_EQ(run_iss(elf, 3, m, x, acc), gold) << m.name;
  }
}

TEST(Rv32Kernels, ComparisonCanFail) {
  // A wrong zero point must change the output: the element-for-element check is not vacuous.
  const auto* q = model();
  if (!q) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  auto m = matmuls(*q).front();
  const auto x = input(*q, m.k, 7);
  const auto gold = golden_gemv(m, x);
  std::vector<int8_t> native(m.n);
  slm_gemv_i8(x.data(), m.x_zp + 1, m.w, m.n, m.k, reinterpret_cast<const slm_qmul*>(m.rq), m.y_zp, native.data());
  EXPECT_NE(native, gold);
}
