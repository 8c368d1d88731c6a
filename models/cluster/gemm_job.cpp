// See gemm_job.h.
#include "models/cluster/gemm_job.h"

#include <cstring>

#include "workloads/common/error.h"
#include "workloads/quant/golden.h"

namespace slm::cluster {

GemmLayout::GemmLayout(const GemmTensors& g) {
  auto up = [](uint64_t v) { return static_cast<uint32_t>((v + 63) & ~uint64_t{63}); };
  x = 0x100;
  w = x + up(static_cast<uint64_t>(g.m) * g.k);
  rq = w + up(static_cast<uint64_t>(g.n) * g.k);
  y = rq + up(static_cast<uint64_t>(g.n) * 8);
  rs = y + up(static_cast<uint64_t>(g.m) * g.n);
  mult = rs + up(static_cast<uint64_t>(g.n) * 4);
  shift = mult + up(static_cast<uint64_t>(g.n) * 4);
  end = shift + up(static_cast<uint64_t>(g.n));
}

GemmLayout write_gemm_job(Cluster& cl, const GemmTensors& g, uint32_t op, uint32_t l1_budget, uint32_t repeat,
                          bool row_sums) {
  const GemmLayout L(g);
  uint8_t* io = cl.host(kIoBase, L.end);  // throws when the tensors do not fit in L2
  const uint32_t job[16] = {kJobMagic, op, static_cast<uint32_t>(g.m), static_cast<uint32_t>(g.n), static_cast<uint32_t>(g.k),
                            static_cast<uint32_t>(g.x_zp), static_cast<uint32_t>(g.y_zp), l1_budget, L.x, L.w, L.rq, L.y,
                            repeat, 0, 0, row_sums ? L.rs : 0u};
  std::memcpy(io, job, sizeof job);
  std::memcpy(io + L.x, g.x.data(), g.x.size());
  std::memcpy(io + L.w, g.w.data(), g.w.size());
  std::memcpy(io + L.rq, g.rq.data(), g.rq.size() * sizeof(quant::QMul));
  std::memcpy(io + L.rs, g.row_sum.data(), g.row_sum.size() * 4);
  std::memset(io + L.y, 0x5a, static_cast<size_t>(g.m) * g.n);
  return L;
}

GemmLayout write_neureka_gemm_job(Cluster& cl, const GemmTensors& g, uint32_t l1_budget, bool weights_in_wmem) {
  if (!cl.config().neureka) throw err("cluster: an N-EUREKA GEMM needs neureka.enabled: 1 in the cluster config");
  const GemmLayout L = write_gemm_job(cl, g, kGemmNeureka, l1_budget, weights_in_wmem ? 1u : 0u, false);
  uint8_t* io = cl.host(kIoBase, L.end);
  const uint32_t w_off = 0;  // in the weight memory
  const uint32_t words[3] = {weights_in_wmem ? w_off : L.w, L.mult, L.shift};
  std::memcpy(io + 9 * 4, &words[0], 4);
  std::memcpy(io + 13 * 4, &words[1], 8);
  for (size_t j = 0; j < g.rq.size(); ++j) {
    const int32_t m = g.rq[j].m;
    const auto s = static_cast<uint8_t>(g.rq[j].shift);
    std::memcpy(io + L.mult + 4 * j, &m, 4);
    io[L.shift + j] = s;
  }
  if (weights_in_wmem) {
    if (cl.config().wmem_size_bytes < g.w.size())
      throw err("cluster: the weights (", g.w.size(), " B) do not fit in the weight memory (wmem.size_bytes = ",
                cl.config().wmem_size_bytes, ")");
    std::memcpy(cl.host(kWmemBase + w_off, static_cast<uint32_t>(g.w.size())), g.w.data(), g.w.size());
  }
  return L;
}

std::vector<int8_t> read_gemm_output(Cluster& cl, const GemmTensors& g) {
  const GemmLayout L(g);
  const size_t n = static_cast<size_t>(g.m) * g.n;
  const uint8_t* y = cl.host(kIoBase + L.y, static_cast<uint32_t>(n));
  return std::vector<int8_t>(y, y + n);
}

std::vector<int8_t> golden_gemm(const GemmTensors& g) {
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

}  // namespace slm::cluster
