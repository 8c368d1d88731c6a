// N-EUREKA neural engine model (Siracusa's "At-MRAM" accelerator, anchors C2): a standalone,
// SystemC-free C++ library that the cluster model drives (docs/neureka.md).
//
// Computed: the 1x1 (pointwise) mode used as a fully connected layer / GEMM, w8a8:
//   y[m, n] = clamp(sat8(requant32(sat32(sum_k (x[m,k] - x_zp) * w[n,k] + bias[n]), q[n]) + y_zp))
// with the golden rounding (workloads/quant/fixedpoint.h); with bias = 0 and clamp [-128, 127]
// this is golden::matmul<int8_t, int8_t> bit for bit. The engine reads every operand from the
// memories it is given, in its own dataflow order, and writes the outputs back; it never calls
// the golden kernels:
//   for each spatial tile (36 rows of M on the 6x6 PEs, GVSoC's 1x1 mode)
//     for each output-channel tile (tp_out = 32 channels)
//       for each input-channel block (tp_in = 32 channels)
//         load the tile's activations (one 32-channel pixel per cycle, padded to 6x6)
//         for each output channel of the tile: fetch its 32 weight bytes (8 bit-planes x 32
//           channels), every PE adds its 32-channel dot product to its int32 accumulator
//       normalisation / quantisation (per-channel shift, multiplier, bias), stream-out.
// The input zero point is folded in the output stage: acc - x_zp * sum_k w[n,k], where the
// engine sums the weights it streamed (the real engine has no input zero point: a driver
// folds it into the bias offline).
//
// Timing (cycles per job, GVSoC's N-EUREKA FSM structure, pulp/neureka/src/neureka_*.cpp;
// parameters in NeurekaConfig, each with its source). S spatial tiles, for tile s the output
// extent h_s x w_s on the 6x6 array; NB = ceil(N / tp_out) output tiles of n_j channels;
// KB = ceil(K / tp_in) input blocks:
//   cycles = job_overhead
//          + sum_s sum_j [ KB * (overhead_ld_1x1 + h_size * w_size * ceil(tp_in / act_bytes_per_cycle)
//                                + overhead_mv + n_j * ceil(tp_in * qw / 8 / weight_bytes_per_cycle))
//                          + norm(n_j) + (h_s - 1) * w_size + w_s + streamout_overhead ]
//          + the stall cycles returned by the memories' cost callbacks
//   norm(n) = (1 + norm_shift_overhead)                         per-channel shifts (one load)
//           + ceil(n * norm_bits / (8 * quant_per_cycle)) + norm_mult_overhead   multipliers
//           + ceil(n / norm_adders) + norm_bias_overhead        bias add + shift, 8 channels/cycle
// Phases run one after the other, as GVSoC's FSM with activation_prefetch off (the prefetch's
// load/compute overlap is not modelled).
// Not modelled: 3x3 / depthwise modes, 16-bit mode, streamin of partial sums, int32 outputs,
// the bit-plane weight layout (weights are read row-major, the same 32 bytes per output
// channel and block), the job register file and double context (the cluster's part).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace slm::neureka {

// Every parameter with its unit and source. [C2] = ../shared/docs/anchors.md C2 (GVSoC
// pulp/neureka/neureka.py / neureka.cpp constructor); [FSM] = GVSoC pulp/neureka/src/neureka_fsm.cpp
// literal latencies; [A] = assumption.
struct NeurekaConfig {
  int tp_in = 32;            // input channels per block (channels)                   [C2]
  int tp_out = 32;           // output channels per tile (channels)                   [C2]
  int h_size = 6;            // PE array rows (pixels)                                [C2]
  int w_size = 6;            // PE array columns (pixels)                             [C2]
  int qw = 8;                // weight bits (bit-planes per weight)                   [C2 qa 8]
  int overhead_ld_1x1 = 19;  // cycles per activation load phase, 1x1 mode            [C2]
  int overhead_mv = 17;      // cycles per matrix-vector phase                        [C2]
  int quant_per_cycle = 4;   // 8-bit normalisation multipliers per cycle             [C2]
  int norm_bits = 32;        // bits per normalisation multiplier (ours are 31-bit QMul.m) [FSM: 32-bit mode]
  int norm_adders = 8;       // bias/shift lanes per cycle (channels)                 [FSM: 8 per bias beat]
  int norm_shift_overhead = 7;  // cycles after the per-channel shift load            [FSM]
  int norm_mult_overhead = 9;   // cycles after the multiplier phase                  [FSM]
  int norm_bias_overhead = 8;   // cycles after the bias/shift phase                  [FSM]
  int streamout_overhead = 3;   // cycles after a tile's stream-out, 1x1 mode         [FSM]
  int job_overhead = 2;         // cycles: start event 1 + JOB_END 1                  [FSM]
  int act_bytes_per_cycle = 32;     // activation stream-in width (B/cycle)           [A: one 32-ch pixel per cycle as GVSoC's loader]
  int weight_bytes_per_cycle = 32;  // weight port width, TCDM or weight memory (B/cycle) [A: one 32-B weight word per MV cycle as GVSoC]
  int out_bytes_per_cycle = 32;     // stream-out width (B/cycle), one pixel of <= 32 channels [A, FSM: one store per pixel]

  // The alternative reading: the FIFO latencies GVSoC's FSM hard-codes instead of the named
  // parameters (6 before + 6 after a 1x1 activation load; 10 before a 1x1 matrix-vector phase).
  static NeurekaConfig gvsoc_fsm_literals() {
    NeurekaConfig c;
    c.overhead_ld_1x1 = 12;
    c.overhead_mv = 10;
    return c;
  }
};

// Which port an access goes through (for the cost callback).
enum class Port : uint8_t { tcdm, wmem };
const char* port_name(Port p);

// A byte-addressed memory. read/write return false when [addr, addr + n) is not inside it.
// cost: optional; called once per engine access (port, address, bytes, is_write) and returns
// the stall cycles it adds (0 = the access fits in the engine's own cycle budget), so the
// cluster can charge TCDM bank conflicts or weight-memory bandwidth later.
class Memory {
 public:
  virtual ~Memory() = default;
  virtual uint64_t size() const = 0;  // valid addresses are [base(), base() + size())
  virtual uint64_t base() const { return 0; }
  virtual bool read(uint64_t addr, void* dst, uint64_t n) = 0;
  virtual bool write(uint64_t addr, const void* src, uint64_t n) = 0;
  std::function<uint64_t(Port, uint64_t addr, uint64_t bytes, bool is_write)> cost;
  bool contains(uint64_t addr, uint64_t n) const {
    return addr >= base() && n <= size() && addr - base() <= size() - n;
  }
};

// A plain vector-backed memory (tests, standalone use).
class VectorMemory : public Memory {
 public:
  explicit VectorMemory(uint64_t size, uint64_t base = 0) : bytes_(size), base_(base) {}
  uint64_t size() const override { return bytes_.size(); }
  uint64_t base() const override { return base_; }
  bool read(uint64_t addr, void* dst, uint64_t n) override;
  bool write(uint64_t addr, const void* src, uint64_t n) override;
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  uint64_t base_;
};

enum class Mode : uint8_t { fc_1x1, conv_3x3, depthwise_3x3 };  // only fc_1x1 is modelled

// One job: an (M x K) int8 activation matrix times (N x K) int8 weights -> (M x N) int8.
// Addresses are in the memory the field names; strides in bytes between rows.
struct Job {
  Mode mode = Mode::fc_1x1;
  int64_t m = 0, k = 0, n = 0;
  uint64_t x_addr = 0;    // TCDM: x[r, c] at x_addr + r * x_stride + c
  int64_t x_stride = 0;   // >= k
  uint64_t w_addr = 0;    // weights: w[n, c] at w_addr + n * w_stride + c
  int64_t w_stride = 0;   // >= k
  bool weights_from_wmem = false;  // the direct weight-memory (MRAM) port, else TCDM
  uint64_t y_addr = 0;    // TCDM: y[r, j] at y_addr + r * y_stride + j
  int64_t y_stride = 0;   // >= n
  // Per-output-channel normalisation, in TCDM: int32 multiplier (QMul.m, in [0, 2^31)),
  // uint8 right shift (in [1, 62]), int32 bias (optional: has_bias = false means 0).
  uint64_t mult_addr = 0, shift_addr = 0, bias_addr = 0;
  bool has_bias = false;
  int32_t x_zp = 0, y_zp = 0;      // in [-128, 127]
  int32_t act_min = -128, act_max = 127;  // output clamp, inside [-128, 127], min <= max
  // M rows are laid out as an image of spatial_w pixels per row (row r at (r / w, r % w)),
  // tiled 6x6 on the PE array. 6 fills whole tiles (36 rows); 1 = a column image; values
  // above m mean m (a one-row image).
  int64_t spatial_w = 6;
};

// One timed TCDM access of a job (for the cluster's bank arbitration): at `cycle` of the job's
// stall-free schedule (the formula's phases laid end to end), `bytes` from `addr`. The
// weight-memory port is private to the engine and is not listed.
struct Access {
  uint64_t cycle = 0;
  uint64_t addr = 0;
  uint32_t bytes = 0;
  bool write = false;
};

// Cycles of each phase of a job (sum = total).
struct Timing {
  uint64_t total = 0;
  uint64_t setup = 0, act_load = 0, matrixvec = 0, norm = 0, streamout = 0, stalls = 0;
  uint64_t macs = 0;           // useful MACs (m * n * k)
  uint64_t tcdm_read_bytes = 0, tcdm_write_bytes = 0, wmem_read_bytes = 0;
  uint64_t spatial_tiles = 0, out_tiles = 0, in_blocks = 0;
};

class Neureka {
 public:
  explicit Neureka(NeurekaConfig cfg = {});
  const NeurekaConfig& config() const { return cfg_; }
  // Checks the job against the memories; throws slm::Error naming the field and value.
  void validate(const Job& job, const Memory& tcdm, const Memory* wmem) const;
  // Runs the job: reads operands, computes, writes y; returns its cycles. wmem may be null
  // when the job reads its weights from TCDM. Throws slm::Error on an invalid job (before
  // writing anything) or a failed memory access. tcdm_trace (optional) receives every timed
  // TCDM access with its cycle in the stall-free schedule, in order: activation pixel p of a
  // block at overhead_ld_1x1 + p * ceil(tp_in / act_bytes_per_cycle) after the block starts,
  // weight word o at overhead_mv + o * (weight word cycles) after its matrix-vector phase
  // starts, the shifts at the start of the normalisation, the multipliers after the shift
  // phase, the biases after the multiplier phase, output pixel (a, b) at (a * w_size + b) *
  // ceil(n_j / out_bytes_per_cycle) after the stream-out starts; the schedule ends at the
  // formula's total (tested).
  Timing run(const Job& job, Memory& tcdm, Memory* wmem = nullptr, std::vector<Access>* tcdm_trace = nullptr);
  // The cycles the formula gives for a job, without memory stalls (no memory needed).
  Timing estimate(const Job& job) const;

 private:
  NeurekaConfig cfg_;
};

}  // namespace slm::neureka
