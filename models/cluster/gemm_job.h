// The int8 GEMM/GEMV job of the cluster kernels (workloads/kernels/cluster/cluster_rt.h): its
// tensors, their layout in L2's I/O window, the job words, and the golden result to compare the
// kernel's output with. Used by `slmsim cluster` and the cluster tests.
#pragma once
#include <cstdint>
#include <vector>

#include "models/cluster/cluster.h"
#include "workloads/quant/fixedpoint.h"

namespace slm::cluster {

inline constexpr uint32_t kIoBase = 0x1C140000u;    // CL_IO_BASE: the job words, then the tensors
inline constexpr uint32_t kJobMagic = 0x54534c43u;  // "CLST"
// Job words 13 and 14: what the tiled kernel reports (rows per tile, tiles).
inline constexpr uint32_t kJobTileRows = 13, kJobTiles = 14;
enum GemmOp : uint32_t { kGemmUntiled = 1, kGemmTiled = 2, kGemmPlain = 3, kGemmNeureka = 4 };

struct GemmTensors {
  int32_t m = 1, n = 0, k = 0, x_zp = 0, y_zp = 0;
  std::vector<int8_t> x, w;         // (m, k), (n, k)
  std::vector<quant::QMul> rq;      // (n)
  std::vector<int32_t> row_sum;     // (n)
};

// Byte offsets inside the I/O window (all 64-byte aligned); mult and shift: the requantisation
// in N-EUREKA's layout (int32 multipliers, uint8 shifts per output channel).
struct GemmLayout {
  uint32_t x, w, rq, y, rs, mult, shift, end;
  explicit GemmLayout(const GemmTensors& g);
};

// Writes the job words and the tensors at kIoBase (the output is filled with 0x5a so that a
// kernel that writes nothing cannot pass); with row_sums = false the kernel computes them
// itself (1-row path). slm::Error when the tensors do not fit in L2.
GemmLayout write_gemm_job(Cluster& cl, const GemmTensors& g, uint32_t op, uint32_t l1_budget, uint32_t repeat = 0,
                          bool row_sums = true);
// The same job for N-EUREKA (op kGemmNeureka): also the multipliers and shifts in its layout;
// weights_in_wmem: the weights are (also) written at the start of the weight memory and the
// engine reads them through its direct port. slm::Error when the cluster has no N-EUREKA, or
// no weight memory large enough.
GemmLayout write_neureka_gemm_job(Cluster& cl, const GemmTensors& g, uint32_t l1_budget, bool weights_in_wmem);
// The kernel's output, read back from the cluster's L2.
std::vector<int8_t> read_gemm_output(Cluster& cl, const GemmTensors& g);
// golden::matmul on the same tensors.
std::vector<int8_t> golden_gemm(const GemmTensors& g);

}  // namespace slm::cluster
