// Generic compute engine: see compute_engine.h for the cycle formula.
#include "models/compute/compute_engine.h"

#include "workloads/common/error.h"

namespace slm {
using sc_core::sc_time;
using params::Field;
using params::Unit;

void ComputeEngine::Params::describe(params::Visitor& v, Params& p) {
  v.field(Field{"clock_hz", Unit::hz, "engine clock", false, 1, 1e12}, p.clock_hz);
  v.field(Field{"macs_per_cycle_w8a8", Unit::none, "int8 x int8 MACs per cycle", false, 1, 1 << 20},
          p.macs_per_cycle_w8a8);
  v.field(Field{"macs_per_cycle_w8a16", Unit::none, "int8 weight x int16 activation MACs per cycle", false, 1,
                1 << 20},
          p.macs_per_cycle_w8a16);
  v.field(Field{"macs_per_cycle_w4a8", Unit::none, "int4 weight x int8 activation MACs per cycle", false, 1,
                1 << 20},
          p.macs_per_cycle_w4a8);
  v.field(Field{"elem_ops_per_cycle", Unit::none, "element-wise operations per cycle", false, 1, 1 << 20},
          p.elem_ops_per_cycle);
  v.field(Field{"op_overhead_cycles", Unit::cycles, "fixed cycles per op (setup, drain)", false, 0, 1e9},
          p.op_overhead_cycles);
  v.field(Field{"mac_pj_w8a8", Unit::pj, "energy per w8a8 MAC"}, p.mac_pj_w8a8);
  v.field(Field{"mac_pj_w8a16", Unit::pj, "energy per w8a16 MAC"}, p.mac_pj_w8a16);
  v.field(Field{"mac_pj_w4a8", Unit::pj, "energy per w4a8 MAC"}, p.mac_pj_w4a8);
  v.field(Field{"elem_op_pj", Unit::pj, "energy per element-wise operation"}, p.elem_op_pj);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void ComputeEngine::Params::validate(const std::string& who) const {
  if (clock_hz == 0) throw slm::err(who, ": field clock_hz = 0: must be >= 1");
  if (macs_per_cycle_w8a8 == 0) throw slm::err(who, ": field macs_per_cycle_w8a8 = 0: must be >= 1");
  if (macs_per_cycle_w8a16 == 0) throw slm::err(who, ": field macs_per_cycle_w8a16 = 0: must be >= 1");
  if (macs_per_cycle_w4a8 == 0) throw slm::err(who, ": field macs_per_cycle_w4a8 = 0: must be >= 1");
  if (elem_ops_per_cycle == 0) throw slm::err(who, ": field elem_ops_per_cycle = 0: must be >= 1");
  if (mac_pj_w8a8 < 0 || mac_pj_w8a16 < 0 || mac_pj_w4a8 < 0 || elem_op_pj < 0 || leakage_mw < 0)
    throw slm::err(who, ": energy fields must be >= 0");
}

std::vector<params::EnergyEvent> ComputeEngine::energy_events() {
  return {{"mac_pj_w8a8", "macs_w8a8", "w8a8 MACs x energy per MAC"},
          {"mac_pj_w8a16", "macs_w8a16", "w8a16 MACs x energy per MAC"},
          {"mac_pj_w4a8", "macs_w4a8", "w4a8 MACs x energy per MAC"},
          {"elem_op_pj", "elem_ops", "element-wise ops x energy per op"}};
}

ComputeEngine::ComputeEngine(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      p_(p),
      clk_((p.validate(this->name()), p.clock_hz)),
      stats_(basename(), &parent),
      ops_(stats_.counter("ops", "ops", "operations executed")),
      busy_cycles_(stats_.counter("busy_cycles", "cycles", "cycles executing operations")),
      macs_w8a8_(stats_.counter("macs_w8a8", "MACs", "int8 x int8 multiply-accumulates")),
      macs_w8a16_(stats_.counter("macs_w8a16", "MACs", "int8 x int16 multiply-accumulates")),
      macs_w4a8_(stats_.counter("macs_w4a8", "MACs", "int4 x int8 multiply-accumulates")),
      elem_ops_(stats_.counter("elem_ops", "ops", "element-wise operations")) {
  const double hz = double(p_.clock_hz);
  auto& busy = busy_cycles_;
  stats_.formula("utilisation", "ratio", "busy_cycles / simulated cycles",
                 [&busy, hz](double s) { return s > 0 ? double(busy.value) / (s * hz) : 0.0; });
}

uint64_t ComputeEngine::cycles(const trace::Op& op, Precision prec) const {
  auto ceil_div = [](uint64_t a, uint64_t b) { return (a + b - 1) / b; };
  uint64_t c = 0;
  if (op.macs > 0) {
    const uint32_t mpc = prec == Precision::w8a8    ? p_.macs_per_cycle_w8a8
                         : prec == Precision::w8a16 ? p_.macs_per_cycle_w8a16
                                                    : p_.macs_per_cycle_w4a8;
    c = ceil_div(op.macs, mpc);
  } else {
    c = ceil_div(op.elem_ops, p_.elem_ops_per_cycle);
  }
  return c + p_.op_overhead_cycles;
}

sc_time ComputeEngine::reserve(const trace::Op& op, Precision prec, const sc_time& earliest) {
  const uint64_t n = cycles(op, prec);
  const sc_time start = engine_.reserve(clk_.next_edge(earliest), clk_.cycles(n));
  ++ops_;
  busy_cycles_ += n;
  (prec == Precision::w8a8 ? macs_w8a8_ : prec == Precision::w8a16 ? macs_w8a16_ : macs_w4a8_) += op.macs;
  elem_ops_ += op.elem_ops;
  return start + clk_.cycles(n);
}

void ComputeEngine::compute(const trace::Op& op, Precision prec) {
  const sc_time done = reserve(op, prec, sc_core::sc_time_stamp());
  sc_core::wait(done - sc_core::sc_time_stamp());
}

}  // namespace slm
