// The int8 GEMM/GEMV kernels of workloads/kernels/cluster run on the simulated cluster and
// their outputs, read back from L2, equal golden::matmul element for element: random
// tensors and the real stories260K matmuls, 1 and 8 cores, untiled from L2 (XpulpV2 and
// plain C) and tiled through L1 with double-buffered DMA. A flipped weight bit is detected.
#include <gtest/gtest.h>

#include "tests/models/cluster/cluster_harness.h"
#include "tests/common/real_models.h"
#include "tests/sim/harness.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/quant_model.h"

using namespace slm;
using namespace slm::test;

namespace {
std::string kernels() { return rv32_program("cluster_kernels"); }

const quant::QuantModel* model() { return slm::test::stories260k_w8a8(); }

// Every w8a8 matmul of layer 0 and the classifier, with real int8 inputs (embedding rows).
std::vector<std::pair<std::string, Gemm>> real_gemms(const quant::QuantModel& q, int32_t m) {
  std::vector<std::pair<std::string, Gemm>> out;
  const quant::Blob& e = q.tensor("embed.table");
  for (auto& [name, o] : q.params.at("ops").items()) {
    if (!o.contains("weight")) continue;
    if (name.rfind("l0.", 0) != 0 && name.find("cls") == std::string::npos && name.find("logits") == std::string::npos) continue;
    const quant::Blob& w = q.tensor(o.at("weight").get<std::string>());
    if (w.dtype != "i8" || w.shape.size() != 2) continue;
    Gemm g;
    g.m = m;
    g.n = static_cast<int32_t>(w.shape[0]);
    g.k = static_cast<int32_t>(w.shape[1]);
    g.x_zp = o.at("x_zp").get<int32_t>();
    g.y_zp = o.at("y_zp").get<int32_t>();
    g.w.assign(w.as<int8_t>(), w.as<int8_t>() + static_cast<size_t>(g.n) * g.k);
    const auto* rq = q.tensor(name + ".requant").as<quant::QMul>();
    g.rq.assign(rq, rq + g.n);
    const auto* rs = q.tensor(name + ".row_sum").as<int32_t>();
    g.row_sum.assign(rs, rs + g.n);
    for (int32_t i = 0; i < m; ++i) {  // token rows 7, 8, ... of the embedding table, first k bytes
      const int8_t* p = e.as<int8_t>() + static_cast<int64_t>(7 + i) * e.shape[1];
      for (int32_t j = 0; j < g.k; ++j) g.x.push_back(p[j % e.shape[1]]);
    }
    out.emplace_back(name, std::move(g));
  }
  return out;
}
}  // namespace

TEST(ClusterGemm, RandomEqualsGoldenOn1And8CoresAllVariants) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  struct Shape { int32_t m, n, k; };
  // GEMV and small GEMMs; n not a multiple of the cores, k multiple of 4 (SIMD) and not (plain C fallback).
  for (const Shape s : {Shape{1, 64, 64}, Shape{1, 256, 64}, Shape{1, 37, 36}, Shape{3, 50, 64}, Shape{1, 16, 30}}) {
    const Gemm g = random_gemm(s.m, s.n, s.k, 1000u + static_cast<uint32_t>(s.n * 7 + s.k));
    const auto gold = golden_gemm(g);
    EXPECT_GE(distinct(gold), std::min<size_t>(gold.size() / 3, 20)) << "test data: outputs must not all saturate";
    for (uint32_t cores : {1u, 8u})
      for (uint32_t op : {1u, 2u, 3u})
        for (bool rs : {true, false}) {  // 4-row SIMD path with the row sums, 1-row path without
          const auto run = run_cluster_gemm(elf, g, op, cores, 4096, {}, false, rs);  // small L1 budget: several tiles
          EXPECT_EQ(run.y, gold) << "m " << s.m << " n " << s.n << " k " << s.k << " op " << op << " cores " << cores << " row sums " << rs;
          if (op == 2) EXPECT_GE(run.tiles, 1u);
        }
  }
}

TEST(ClusterGemm, TiledUsesSeveralTilesAndFitsL1) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const Gemm g = random_gemm(1, 256, 64, 5);
  const auto gold = golden_gemm(g);
  // Budget 4096 B: x 64 + y 256 + 2 x R x (64 + 8 + 4) <= 4096 -> R = 24 (a multiple of 8 cores).
  const auto run = run_cluster_gemm(elf, g, 2, 8, 4096);
  EXPECT_EQ(run.y, gold);
  EXPECT_EQ(run.tile_rows, 24u);
  EXPECT_EQ(run.tiles, 11u);  // ceil(256 / 24)
  EXPECT_EQ(run.r.dma.transfers, 1u + 3u * 11u + 1u);  // x, (w, row sums, rq) per tile, y out
  // Without the row sums: 2 x R x (64 + 8) -> R = 26, rounded down to 24; (w, rq) per tile.
  const auto run2 = run_cluster_gemm(elf, g, 2, 8, 4096, {}, false, false);
  EXPECT_EQ(run2.y, gold);
  EXPECT_EQ(run2.tile_rows, 24u);
  EXPECT_EQ(run2.r.dma.transfers, 1u + 2u * 11u + 1u);
  // Untiled, 32 rows per core: 4 rows per pass over x retire fewer instructions and take fewer cycles.
  const auto u4 = run_cluster_gemm(elf, g, 1, 8, 0, {}, false, true), u1 = run_cluster_gemm(elf, g, 1, 8, 0, {}, false, false);
  EXPECT_EQ(u4.y, gold);
  EXPECT_EQ(u1.y, gold);
  EXPECT_LT(u4.r.instructions * 10, u1.r.instructions * 8) << u4.r.instructions << " vs " << u1.r.instructions;  // K = 64: per-row requantisation weighs too
  EXPECT_LT(u4.r.cycles, u1.r.cycles);
  // A budget too small for one row is refused with exit code 3, not silent garbage.
  cluster::ClusterConfig cfg;
  cfg.cores = 8;
  cluster::Cluster cl(cfg);
  cl.load(rv32::read_elf(elf));
  ASSERT_EQ(g.m, 1);
  ASSERT_EQ(g.n, 256);
  cluster::write_gemm_job(cl, g, cluster::kGemmTiled, 300, 0, false);
  const auto r = cl.run(100'000'000);
  EXPECT_EQ(r.stop, rv32::Stop::exit);
  EXPECT_EQ(r.exit_code, 3);
}

// A 64-token GEMM (microLlama's w1 in a prefill) with 8000 B of L1: x and y of all tokens do
// not fit, so the tokens go in blocks: 16 rows (64 -> 32 -> 16: x 1024 + y 4096 leave room for
// 2 x 18 weight rows of 64 + 8 + 4 bytes), R = 16 on 8 cores (18 on 1), weights again per block.
TEST(ClusterGemm, TiledTakesTheTokensInBlocksWhenXAndYDoNotFit) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const Gemm g = random_gemm(64, 256, 64, 9);
  const auto gold = golden_gemm(g);
  EXPECT_GE(distinct(gold), 50u);
  const auto r8 = run_cluster_gemm(elf, g, 2, 8, 8000);
  EXPECT_EQ(r8.y, gold);
  EXPECT_EQ(r8.tile_rows, 16u);
  EXPECT_EQ(r8.tiles, 4u * 16u);                              // 4 blocks x ceil(256 / 16)
  EXPECT_EQ(r8.r.dma.transfers, 4u * (1u + 3u * 16u + 1u));  // per block: x, (w, row sums, rq) per tile, y out
  const auto r1 = run_cluster_gemm(elf, g, 2, 1, 8000);
  EXPECT_EQ(r1.y, gold);
  EXPECT_EQ(r1.tile_rows, 18u);
  EXPECT_EQ(r1.tiles, 4u * 15u);
  // With room for all the tokens: one block, one tile, the same output.
  const auto big = run_cluster_gemm(elf, g, 2, 8, 64000);
  EXPECT_EQ(big.y, gold);
  EXPECT_EQ(big.tiles, 1u);
  EXPECT_LT(big.r.cycles, r8.r.cycles);
}

TEST(ClusterGemm, Stories260KEqualsGoldenOn1And8Cores) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const auto* q = model();
  if (!q) GTEST_SKIP() << "../shared/models/stories260K.bin not found";
  int checked = 0;
  for (const auto& [name, g] : real_gemms(*q, 1)) {
    const auto gold = golden_gemm(g);
    EXPECT_GE(distinct(gold), 3u) << name;
    for (uint32_t cores : {1u, 8u})
      for (uint32_t op : {1u, 2u}) EXPECT_EQ(run_cluster_gemm(elf, g, op, cores).y, gold) << name << " op " << op << " cores " << cores;
    ++checked;
  }
  EXPECT_GE(checked, 7);  // wq wk wv wo w1 w2 w3 (+ classifier)
  // A 4-token GEMM (prefill-like) on one of them, tiled.
  const auto gm = real_gemms(*q, 4);
  ASSERT_FALSE(gm.empty());
  EXPECT_EQ(run_cluster_gemm(elf, gm[0].second, 2, 8, 8000).y, golden_gemm(gm[0].second)) << gm[0].first;
}

TEST(ClusterGemm, FlippedWeightBitIsDetected) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const Gemm g = random_gemm(1, 64, 64, 9);
  const auto gold = golden_gemm(g);
  for (uint32_t op : {1u, 2u}) {
    const auto bad = run_cluster_gemm(elf, g, op, 8, 64000, {}, /*corrupt=*/true);
    EXPECT_NE(bad.y, gold) << "op " << op;
    int diff = 0;
    for (size_t i = 0; i < gold.size(); ++i) diff += bad.y[i] != gold[i];
    EXPECT_EQ(diff, 1) << "one weight feeds exactly one output of a GEMV";
  }
}

TEST(ClusterGemm, SameCyclesOnRepeatedRunsAndEightCoresAreFaster) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const Gemm g = random_gemm(1, 256, 64, 3);
  for (uint32_t op : {1u, 2u}) {
    const auto a = run_cluster_gemm(elf, g, op, 8), b = run_cluster_gemm(elf, g, op, 8);
    EXPECT_EQ(a.r.cycles, b.r.cycles);
    EXPECT_EQ(a.r.instructions, b.r.instructions);
    for (size_t c = 0; c < a.r.cores.size(); ++c) {
      EXPECT_EQ(a.r.cores[c].cycles, b.r.cores[c].cycles);
      EXPECT_EQ(a.r.cores[c].bank_stall_cycles, b.r.cores[c].bank_stall_cycles);
    }
    const auto one = run_cluster_gemm(elf, g, op, 1);
    // Untiled: every core streams its own rows, at least 4x. Tiled (one tile here): the 16 KiB of
    // weights arrive by one serial DMA (2,048 beats at 8 B/cycle) before any core computes: 3x.
    EXPECT_LT(a.r.cycles * (op == 1 ? 4 : 3), one.r.cycles) << "op " << op << ": 8 cores faster than 1";
  }
}
