// ComputeEngine: a generic parametric compute block (MAC array + element-wise unit).
//
// Stands in for an NPU / CPU cluster until the detailed models exist, and sits beside
// them as the simple reference. It has no memory ports: operand traffic is the DMA's job
// (sim/replay moves the op's tensors; the engine only computes). Per op (exact):
//   macs > 0 (matmul, attn_scores, attn_values):  ceil(macs / macs_per_cycle_<precision>)
//   otherwise (element-wise ops):                 ceil(elem_ops / elem_ops_per_cycle)
//   cycles = the above + op_overhead_cycles
// The engine executes one op at a time (a Resource): reserve() books it from the first
// clock edge at or after `earliest` it is idle and returns the completion time;
// compute() does the same and waits until then (SC_THREAD only).
// Not modelled: operand memory stalls (the replay moves operands into the engine's buffer
// memory, config `engine.buffer`, before computing), sparsity, pipeline fill between ops
// beyond op_overhead_cycles.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "models/common/clock.h"
#include "models/common/params.h"
#include "models/common/resource.h"
#include "models/common/stats.h"
#include "workloads/quant/quant_model.h"
#include "workloads/trace/op.h"

namespace slm {

// Weight bits x activation bits: the quantised model's precision (workloads/quant).
using Precision = quant::Precision;

class ComputeEngine : public sc_core::sc_module {
 public:
  struct Params {
    uint64_t clock_hz = 100'000'000;
    uint32_t macs_per_cycle_w8a8 = 256;
    uint32_t macs_per_cycle_w8a16 = 128;
    uint32_t macs_per_cycle_w4a8 = 256;
    uint32_t elem_ops_per_cycle = 16;
    uint32_t op_overhead_cycles = 0;
    double mac_pj_w8a8 = 0;    // energy table entries: pJ per MAC / element op
    double mac_pj_w8a16 = 0;
    double mac_pj_w4a8 = 0;
    double elem_op_pj = 0;
    double leakage_mw = 0;

    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events();

  ComputeEngine(sc_core::sc_module_name name, const Params& p, stats::Group& parent);

  // The formula above (pure).
  uint64_t cycles(const trace::Op& op, Precision prec) const;
  // Books the engine for the op at the first idle edge >= earliest; counts; returns done.
  sc_core::sc_time reserve(const trace::Op& op, Precision prec, const sc_core::sc_time& earliest);
  // reserve(op, prec, now) then wait until done. SC_THREAD context only.
  void compute(const trace::Op& op, Precision prec);

  const Params& params() const { return p_; }
  const Clock& clock() const { return clk_; }
  const stats::Group& stats() const { return stats_; }

 private:
  Params p_;
  Clock clk_;
  Resource engine_;

  stats::Group stats_;
  stats::Counter& ops_;
  stats::Counter& busy_cycles_;
  stats::Counter& macs_w8a8_;
  stats::Counter& macs_w8a16_;
  stats::Counter& macs_w4a8_;
  stats::Counter& elem_ops_;
};

}  // namespace slm
