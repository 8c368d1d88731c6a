// HostEngine: ops run on the host CPU model (models/cpu/host_cpu.h): the embedding lookup,
// the token choice, and any op the accelerator does not support.
//
// Per op: the host reads the operands it needs through the bus (for the embedding, only the
// rows of the step's tokens), the golden kernels compute the values from those bytes, the
// core is busy for the cost table's cycles, and the outputs are written back through the
// bus. cycles = op_overhead_cycles + elements x cycles/element (embed, argmax), MACs x
// mac_cycles (ops with MACs) or element ops x elem_cycles (others).
#pragma once
#include "models/cpu/host_cpu.h"
#include "sim/engine/engine.h"
#include "sim/platform/platform.h"

namespace slm::engine {

class HostEngine : public Engine {
 public:
  HostEngine(platform::Platform& p, const std::string& host);
  const std::string& engine_name() const override { return name_; }
  std::string engine_kind() const override { return "host"; }
  bool computes_values() const override { return false; }
  bool supports(const trace::Op&) const override { return true; }
  void declare(const trace::Op& op, replay::Layout& layout) override;
  void load(const quant::QuantModel& qm, replay::Layout& layout) override;
  void execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout, const OpDone& done) override;
  uint64_t clock_hz() const override { return cpu_->clock().hz(); }
  // The cost table's cycles for one op (pure).
  uint64_t cycles(const trace::Op& op) const;
  HostCpu& cpu() { return *cpu_; }

 private:
  std::string name_;
  HostCpu* cpu_;
  std::vector<std::string> declared_;
};

}  // namespace slm::engine
