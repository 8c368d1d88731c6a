// See gemm_job.h.
#include "models/cluster/gemm_job.h"

#include <cstring>

#include "workloads/quant/golden.h"

namespace slm::cluster {

GemmLayout::GemmLayout(const GemmTensors& g) {
  auto up = [](uint64_t v) { return static_cast<uint32_t>((v + 63) & ~uint64_t{63}); };
  x = 0x100;
  w = x + up(static_cast<uint64_t>(g.m) * g.k);
  rq = w + up(static_cast<uint64_t>(g.n) * g.k);
  y = rq + up(static_cast<uint64_t>(g.n) * 8);
  rs = y + up(static_cast<uint64_t>(g.m) * g.n);
  end = rs + up(static_cast<uint64_t>(g.n) * 4);
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
