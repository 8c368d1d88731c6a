// Engine: what executes a step's ops on the platform. The replay (sim/replay) hands each
// engine the ops it runs, with every operand's place in simulated memory; the engine
// computes (or has the golden kernels compute) the outputs from the bytes it reads there,
// writes them back there, and reports each op's timing as it completes.
//
//   declare(op, layout)  before the run: place (and later load) the persistent data the
//                        engine needs for `op` in its own format (raw tensors, encoded
//                        weight streams, tables).
//   load(qm, layout)     data mode: write that data into simulated memory.
//   execute(step, ops)   in an SC_THREAD: run ops in order; call done(i, result) once op i's
//                        outputs are in simulated memory (the replay then reads them back
//                        and compares them with the golden model, bit for bit).
//
// Engines today: the generic parametric engine (values computed by the golden kernels on
// operands read from simulated memory; timing from DMA tiling and a MACs/cycle formula),
// the host CPU (golden kernels, per-element cost table) and the Ethos-U85-class NPU (its own
// datapath, fed by a command stream). The RISC-V cluster plugs in the same way.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "sim/replay/layout.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/op.h"

namespace slm::engine {

// One op of a step, bound to memory: the views of its inputs and outputs (same order as
// Op::inputs / Op::outputs).
struct BoundOp {
  const trace::Op* op = nullptr;
  std::vector<replay::TensorLoc> in, out;
};

struct StepInfo {
  int index = 0;                 // step number (0 = prefill)
  trace::Phase phase = trace::Phase::decode;
  int pos0 = 0, n_tokens = 1;
  std::span<const int32_t> tokens;  // the step's input tokens (host side)
};

// What an engine reports for one op.
struct OpResult {
  sc_core::sc_time start, end;   // first and last activity of the op
  uint64_t cycles = 0;           // engine cycles the op occupied the engine
  nlohmann::json detail = nlohmann::json::object();  // engine-specific per-op figures (CSV columns)
};
using OpDone = std::function<void(size_t i, const OpResult&)>;

// A DMA transfer or command-stream span, for the timeline.
struct Span {
  std::string track;             // "dma.ch0", "npu.weights"
  std::string what;
  sc_core::sc_time start, end;
  uint64_t bytes = 0;
};

// The extent of a run, for engines that size their own buffers after every op is declared:
// the widest attention (heads), the widest normalised row (dim), the attention window
// (score_row: positions, or the model's seq_len in fixed-shape mode) and sample steps that
// are the largest of the run (the longest prefill, the decode step at the last position), so
// an engine can size what it builds per step (e.g. the NPU's command buffer) by lowering them.
struct RunShape {
  int n_heads = 1;
  int64_t dim = 1;
  int64_t score_row = 1;
  std::vector<std::vector<trace::Op>> samples;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const std::string& engine_name() const = 0;  // the component it drives ("npu")
  virtual std::string engine_kind() const = 0;   // "generic", "host", "ethos-u85"
  // false: the values were computed by the golden kernels (on data from simulated memory);
  // the report says so.
  virtual bool computes_values() const = 0;
  virtual bool supports(const trace::Op& op) const = 0;
  virtual void declare(const trace::Op& op, replay::Layout& layout) = 0;
  // After every op is declared (an engine may place its own buffers, sized for the run).
  virtual void finish_declare(replay::Layout&, const RunShape&) {}
  virtual void load(const quant::QuantModel& qm, replay::Layout& layout) = 0;
  virtual void execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout, const OpDone& done) = 0;
  // Spans recorded since the last call (timeline).
  std::vector<Span> take_spans() { return std::move(spans_); }
  // Engine cycles -> clock (for per-op cycle columns).
  virtual uint64_t clock_hz() const = 0;
  // Fixed-shape mode: every step computes the whole context window (KV caches and score
  // rows are laid out for seq_len positions).
  virtual bool fixed_shape() const { return false; }

 protected:
  std::vector<Span> spans_;
};

}  // namespace slm::engine
