#include "sim/engine/host_engine.h"

#include <algorithm>
#include <cmath>

#include "sim/engine/generic_engine.h"
#include "sim/engine/golden_exec.h"

namespace slm::engine {

using trace::OpKind;

HostEngine::HostEngine(platform::Platform& p, const std::string& host)
    : name_(host), cpu_(&p.get<HostCpu>(host, "host CPU")) {}

void HostEngine::declare(const trace::Op& op, replay::Layout& layout) {
  // The host reads its operands where they are: nothing is streamed, so the per-channel
  // parameters of an op with weights sit with its weights as for the other engines.
  declare_raw(op, layout, declared_);
}
void HostEngine::load(const quant::QuantModel& qm, replay::Layout& layout) { load_raw(qm, layout, declared_); }

uint64_t HostEngine::cycles(const trace::Op& op) const {
  const auto& p = cpu_->params();
  double c = 0;
  switch (op.kind) {
    case OpKind::embed: c = double(op.m * op.n) * p.embed_cycles_per_element; break;
    case OpKind::argmax: c = double(op.m * op.n) * p.argmax_cycles_per_element; break;
    default: c = op.macs ? double(op.macs) * p.mac_cycles : double(op.elem_ops) * p.elem_cycles; break;
  }
  return p.op_overhead_cycles + static_cast<uint64_t>(std::ceil(c));
}

void HostEngine::execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout,
                         const OpDone& done) {
  const bool data = !layout.options().shape_only;
  for (size_t j = 0; j < ops.size(); ++j) {
    const BoundOp& b = ops[j];
    OpResult res;
    res.start = sc_core::sc_time_stamp();
    const uint64_t r0 = cpu_->stats().find("bytes_read")->value;
    // Operands through the bus (timed), values from those bytes.
    auto timed_read = [&](uint64_t a, void* d, uint64_t n) { cpu_->read(a, d, n); };
    std::vector<std::vector<uint8_t>> out;
    if (data) {
      out = golden_on_memory(b, step.pos0, timed_read);
    } else if (b.op->kind == OpKind::embed && b.in.size() >= 3) {
      // Shape-only: the traffic of the gather, at the rows of the step's tokens when they are
      // known (a trace with tokens), else rows 0, 1, ...
      std::vector<uint8_t> scratch(std::max<uint64_t>(b.in[0].bytes(), uint64_t(b.op->n)));
      if (b.in[0].bytes()) cpu_->read(b.in[0].addr, scratch.data(), b.in[0].bytes());
      const int64_t vocab = b.op->inputs.at(1).shape.at(0);
      for (int64_t r = 0; r < b.op->m; ++r) {
        int64_t t = r < static_cast<int64_t>(step.tokens.size()) ? step.tokens[static_cast<size_t>(r)] : r;
        if (t < 0 || t >= vocab) t = r % std::max<int64_t>(vocab, 1);
        cpu_->read(b.in[1].addr + static_cast<uint64_t>(t * b.op->n), scratch.data(), static_cast<uint64_t>(b.op->n));
        cpu_->read(b.in[2].addr + static_cast<uint64_t>(t) * 8, scratch.data(), 8);
      }
    } else {  // shape-only: the same traffic without values
      std::vector<uint8_t> scratch;
      for (size_t i = 0; i < b.op->inputs.size(); ++i) {
        const uint64_t n = b.op->kind == OpKind::embed && i > 0 ? b.op->inputs[i].bytes : b.in[i].bytes();
        scratch.resize(n);
        if (n) cpu_->read(b.in[i].addr, scratch.data(), n);
      }
    }
    const uint64_t c = cycles(*b.op);
    cpu_->busy(c);
    for (size_t i = 0; i < b.op->outputs.size(); ++i) {
      std::vector<uint8_t> zeros;
      const uint8_t* bytes = data ? out[i].data() : (zeros.assign(b.out[i].bytes(), 0), zeros.data());
      write_view(b.out[i], bytes, [&](uint64_t a, const void* s, uint64_t n) { cpu_->write(a, s, n); });
    }
    res.end = sc_core::sc_time_stamp();
    res.cycles = c;
    res.detail = {{"host_cycles", c}, {"host_bytes_read", cpu_->stats().find("bytes_read")->value - r0}};
    done(j, res);
  }
}

}  // namespace slm::engine
