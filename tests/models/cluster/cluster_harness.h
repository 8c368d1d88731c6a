// Helpers for the cluster tests: run cluster_kernels.elf with a job in L2's I/O window and
// the golden GEMM to compare against.
#pragma once
#include <cmath>
#include <cstring>
#include <set>
#include <random>
#include <vector>

#include "models/cluster/cluster.h"
#include "models/cluster/gemm_job.h"
#include "tests/models/rv32/iss_harness.h"
#include "workloads/quant/golden.h"

namespace slm::test {

inline constexpr uint32_t kClIo = cluster::kIoBase;
inline constexpr uint32_t kClMagic = cluster::kJobMagic;
using Gemm = cluster::GemmTensors;
using cluster::golden_gemm;

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

// A raw program at the start of L2, run by every core.
inline rv32::ElfImage raw(const std::vector<uint32_t>& words) {
  rv32::ElfImage e;
  e.name = "raw";
  e.entry = cluster::kL2Base;
  rv32::ElfSegment s;
  s.addr = cluster::kL2Base;
  s.data.resize(words.size() * 4);
  std::memcpy(s.data.data(), words.data(), s.data.size());
  s.mem_size = static_cast<uint32_t>(s.data.size());
  s.exec = true;
  e.segments.push_back(s);
  return e;
}
inline uint32_t lw(uint32_t rd, uint32_t rs, int32_t off) { return i_type(off, rs, 2, rd, 0x03); }
inline uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t off) { return s_type(off, rs2, rs1, 2, 0x23); }

// Number of distinct values (a test on outputs that all saturate would prove little).
inline size_t distinct(const std::vector<int8_t>& v) { return std::set<int8_t>(v.begin(), v.end()).size(); }

struct GemmRun {
  std::vector<int8_t> y;
  cluster::ClusterResult r;
  uint32_t tile_rows = 0, tiles = 0;
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
  const cluster::GemmLayout L = cluster::write_gemm_job(cl, g, op, l1_budget, 0, row_sums);
  uint8_t* io = cl.host(kClIo, L.end);
  if (corrupt) io[L.w + g.w.size() / 2] ^= 0x10;
  GemmRun out;
  out.r = cl.run(4'000'000'000ull);
  EXPECT_EQ(out.r.stop, rv32::Stop::exit) << out.r.trap.text() << " " << out.r.error;
  EXPECT_EQ(out.r.exit_code, 0);
  uint32_t w13, w14;
  std::memcpy(&w13, io + cluster::kJobTileRows * 4, 4);
  std::memcpy(&w14, io + cluster::kJobTiles * 4, 4);
  out.tile_rows = w13;
  out.tiles = w14;
  out.y = cluster::read_gemm_output(cl, g);
  return out;
}

}  // namespace slm::test
