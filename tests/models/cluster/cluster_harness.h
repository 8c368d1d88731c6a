// Helpers for the cluster tests: run cluster_kernels.elf with a job in L2's I/O window and
// the golden GEMM to compare against.
#pragma once
#include <cmath>
#include <cstring>
#include <set>
#include <random>
#include <vector>

#include "models/cluster/cluster.h"
#include "tests/models/rv32/iss_harness.h"
#include "workloads/quant/golden.h"

namespace slm::test {

inline constexpr uint32_t kClIo = 0x1C140000u;  // CL_IO_BASE (workloads/kernels/cluster/cluster_rt.h)
inline constexpr uint32_t kClMagic = 0x54534c43u;

struct Gemm {
  int32_t m = 1, n = 0, k = 0, x_zp = 0, y_zp = 0;
  std::vector<int8_t> x, w;         // (m, k), (n, k)
  std::vector<quant::QMul> rq;      // (n)
  std::vector<int32_t> row_sum;     // (n)
};

inline Gemm random_gemm(int32_t m, int32_t n, int32_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  Gemm g;
  g.m = m, g.n = n, g.k = k;
  g.x_zp = static_cast<int32_t>(rng() % 256) - 128;
  g.y_zp = static_cast<int32_t>(rng() % 256) - 128;
  g.x.resize(static_cast<size_t>(m) * k);
  g.w.resize(static_cast<size_t>(n) * k);
  for (auto& v : g.x) v = static_cast<int8_t>(rng());
  for (auto& v : g.w) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  for (int32_t j = 0; j < n; ++j) {
    // Multipliers that map the typical accumulator (about sqrt(k) x 74 x 74) onto about +-40,
    // so that outputs spread over int8 and a few saturate.
    const int32_t shift = 30 + static_cast<int32_t>(std::lround(std::log2(std::sqrt(double(k)) * 5500.0 / 40.0 * 1.5))) +
                          static_cast<int32_t>(rng() % 2);
    g.rq.push_back(quant::QMul{static_cast<int32_t>((1u << 30) + rng() % (1u << 30)), shift});
    int32_t s = 0;
    for (int32_t i = 0; i < k; ++i) s += g.w[static_cast<size_t>(j) * k + i];
    g.row_sum.push_back(s);
  }
  return g;
}

// Number of distinct values (a test on outputs that all saturate would prove little).
inline size_t distinct(const std::vector<int8_t>& v) { return std::set<int8_t>(v.begin(), v.end()).size(); }

inline std::vector<int8_t> golden_gemm(const Gemm& g) {
  quant::golden::WeightView wv;
  wv.n = g.n;
  wv.k = g.k;
  wv.data = g.w.data();
  wv.row_sum = g.row_sum.data();
  wv.requant = g.rq.data();
  std::vector<int8_t> y(static_cast<size_t>(g.m) * g.n);
  quant::golden::matmul<int8_t, int8_t>(g.x.data(), g.m, g.x_zp, wv, g.y_zp, y.data());
  return y;
}

struct GemmRun {
  std::vector<int8_t> y;
  cluster::ClusterResult r;
  uint32_t tile_rows = 0, tiles = 0;
};

// Offsets inside the I/O window (all 64-byte aligned).
struct GemmLayout {
  uint32_t x, w, rq, y, rs, end;
  explicit GemmLayout(const Gemm& g) {
    auto up = [](uint64_t v) { return static_cast<uint32_t>((v + 63) & ~uint64_t{63}); };
    x = 0x100;
    w = x + up(static_cast<uint64_t>(g.m) * g.k);
    rq = w + up(static_cast<uint64_t>(g.n) * g.k);
    y = rq + up(static_cast<uint64_t>(g.n) * 8);
    rs = y + up(static_cast<uint64_t>(g.m) * g.n);
    end = rs + up(static_cast<uint64_t>(g.n) * 4);
  }
};

// Runs op (1 untiled Xpulp, 2 tiled, 3 untiled plain) on `cores` cores. `corrupt` flips one
// bit of one weight in L2 after loading (negative test). With `row_sums` the kernel gets the
// weight row sums (4-row SIMD path), without it computes them (1-row path).
inline GemmRun run_cluster_gemm(const std::string& elf, const Gemm& g, uint32_t op, uint32_t cores,
                                uint32_t l1_budget = 64000, cluster::ClusterConfig cfg = {}, bool corrupt = false,
                                bool row_sums = true) {
  cfg.cores = cores;
  cluster::Cluster cl(cfg);
  cl.load(rv32::read_elf(elf));
  const GemmLayout L(g);
  uint8_t* io = cl.host(kClIo, L.end);
  const uint32_t job[16] = {kClMagic, op, static_cast<uint32_t>(g.m), static_cast<uint32_t>(g.n), static_cast<uint32_t>(g.k),
                            static_cast<uint32_t>(g.x_zp), static_cast<uint32_t>(g.y_zp), l1_budget, L.x, L.w, L.rq, L.y, 0, 0, 0,
                            row_sums ? L.rs : 0u};
  std::memcpy(io, job, sizeof job);
  std::memcpy(io + L.x, g.x.data(), g.x.size());
  std::memcpy(io + L.w, g.w.data(), g.w.size());
  std::memcpy(io + L.rq, g.rq.data(), g.rq.size() * 8);
  std::memcpy(io + L.rs, g.row_sum.data(), g.row_sum.size() * 4);
  std::memset(io + L.y, 0x5a, static_cast<size_t>(g.m) * g.n);
  if (corrupt) io[L.w + g.w.size() / 2] ^= 0x10;
  GemmRun out;
  out.r = cl.run(4'000'000'000ull);
  EXPECT_EQ(out.r.stop, rv32::Stop::exit) << out.r.trap.text() << " " << out.r.error;
  EXPECT_EQ(out.r.exit_code, 0);
  uint32_t w13, w14;
  std::memcpy(&w13, io + 13 * 4, 4);
  std::memcpy(&w14, io + 14 * 4, 4);
  out.tile_rows = w13;
  out.tiles = w14;
  out.y.assign(io + L.y, io + L.y + static_cast<size_t>(g.m) * g.n);
  return out;
}

}  // namespace slm::test
