// NpuEngine: runs ops on an Ethos-U85-class NPU (models/npu/ethos_u85.h) the way a host
// driver does: the mapper (sim/mapper) lowers each run of ops to a command stream, which is
// stored with the model (as Vela's output is); the host CPU programs the NPU's registers
// through the bus (region bases, REGIONCFG, QBASE, QSIZE, CMD), the NPU fetches and executes
// the stream on the data in simulated memory, raises its interrupt, and the host
// acknowledges it. Each op completes when its last NPU operation has written its output.
// A command-stream fault of the NPU is an slm::Error naming the command, the word and the
// cause. Per op, the CSV carries Vela's --verbose-performance figures (docs/npu.md).
#pragma once
#include <memory>

#include "models/cpu/host_cpu.h"
#include "models/npu/ethos_u85.h"
#include "sim/engine/engine.h"
#include "sim/mapper/npu_mapper.h"
#include "sim/platform/platform.h"

namespace slm::engine {

class NpuEngine : public Engine {
 public:
  NpuEngine(platform::Platform& p, quant::Precision prec);
  const std::string& engine_name() const override { return name_; }
  std::string engine_kind() const override { return "ethos-u85"; }
  bool computes_values() const override { return true; }
  bool supports(const trace::Op& op) const override { return mapper_.supports(op); }
  bool fixed_shape() const override { return mapper_.fixed_shape(); }
  void declare(const trace::Op& op, replay::Layout& layout) override { mapper_.declare(op, layout); }
  void finish_declare(replay::Layout& layout, const RunShape& rs) override;
  void load(const quant::QuantModel& qm, replay::Layout& layout) override { mapper_.load(qm, layout); }
  void execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout, const OpDone& done) override;
  uint64_t clock_hz() const override { return npu_->clock().hz(); }
  EthosU85& npu() { return *npu_; }
  // The command stream this engine would run for `ops` (slmsim npu compile).
  std::vector<uint32_t> lower(const StepInfo& step, std::span<const BoundOp> ops, const replay::Layout& layout) const {
    return mapper_.lower(step, ops, layout, regions_).words;
  }

 private:
  std::string name_;
  platform::Platform& p_;
  EthosU85* npu_;
  HostCpu* host_;
  uint64_t regs_base_ = 0;
  mapper::NpuMapper mapper_;
  mapper::Regions regions_;
};

}  // namespace slm::engine
