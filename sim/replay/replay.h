// Replay: runs an inference workload's steps on a platform, op by op, through engines.
//
// For each step (one prefill of P tokens, then one decode step per generated token):
//   1. the golden integer model (workloads/quant/int_model.h) computes the step and emits
//      its trace::Op records; the golden bytes of every output are kept (verify.h);
//   2. the step's activations get addresses in the arena (layout.h); the step's external
//      inputs (token ids) are written there;
//   3. each op goes to the engine that runs it (the configured engine, or the host CPU for
//      host work and ops the engine does not support), in runs of consecutive ops;
//      engines read their operands from simulated memory and write their outputs there;
//   4. as each op completes, its outputs are read back from simulated memory and compared
//      with the golden bytes (bit_exact, per engine);
//   5. the host chooses the next token from the logits in simulated memory.
// The tensors an op reads are the ones its producer wrote, so an error propagates as it
// would on the hardware. Faults (--fault) flip bits of simulated memory at a given time.
// Not modelled: overlap of one step with the next (the next token is needed first).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "sim/engine/engine.h"
#include "sim/platform/platform.h"
#include "sim/replay/layout.h"
#include "sim/replay/verify.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/op.h"
#include "workloads/trace/trace_io.h"

namespace slm::replay {

// What happened to one op on the platform.
struct OpRecord {
  uint32_t step = 0;          // step index (0 = prefill)
  trace::Op op;               // the op as the model emitted it
  std::string engine;         // component that ran it
  sc_core::sc_time start, end;
  uint64_t cycles = 0;        // engine cycles
  nlohmann::json detail;      // engine-specific figures (CSV columns)
};

struct StepRecord {
  trace::Phase phase = trace::Phase::decode;
  int pos = 0, n_tokens = 1;
  sc_core::sc_time start, end;
  nlohmann::json counters_at_end;  // stats snapshot (counter values) when the step ended; kept for
                                   // the first and the last step only (null in between)
};

// One bit flip of simulated memory: `memory` offset `offset`, bit `bit`, at time `at`.
struct Fault {
  std::string memory;
  uint64_t offset = 0;
  int bit = 0;
  sc_core::sc_time at = sc_core::SC_ZERO_TIME;
  std::string spec;  // as given ("flash:0x1234:3@10us")
};
// Parses MEMORY:ADDRESS:BIT[@TIME]; ADDRESS is an offset in the memory (0x.. or decimal),
// TIME a duration with a unit ("10 us"). slm::Error naming the part that is wrong.
Fault parse_fault(const std::string& spec, const platform::Platform& p);

// What the host sees after a step: the logits the platform computed (from simulated memory)
// and the token the host's argmax op wrote (-1 if none ran).
struct StepView {
  std::span<const int16_t> logits;
  int32_t argmax = -1;
  int pos = 0;
};
// Chooses the next token (data mode); -1 stops.
using NextTokenFn = std::function<int(const StepView&)>;

// One op's outputs as the golden model computed them and as the engine left them in
// simulated memory (read back after the op, as the bit-exact check reads them). Dense
// row-major bytes in each output's dtype; for kv_write only the step's new rows. Used by the
// Python module (slmsim.capture) to look at any intermediate tensor.
struct OpCapture {
  int step = 0, pos = 0;
  const trace::Op* op = nullptr;
  std::string engine;
  bool engine_computed = false;                      // the engine's datapath computed the values
  const std::vector<std::vector<uint8_t>>* golden = nullptr;
  std::vector<std::vector<uint8_t>> memory;
  // Where the op's inputs are and what the engine reported for it (its inputs can be read
  // from `layout` as the engine read them: the op's consumer has not run yet).
  const Layout* layout = nullptr;
  const std::vector<TensorLoc>* in = nullptr;
  const engine::OpResult* result = nullptr;
  engine::Engine* eng = nullptr;
};
// Selects the ops to capture (step index, op); called in data mode only.
using CaptureFilter = std::function<bool(int step, const trace::Op&)>;
using CaptureFn = std::function<void(const OpCapture&)>;

struct Options {
  std::vector<int32_t> prompt_tokens;  // including BOS; at least one
  // Models without vocabulary (microllama): each step's input rows (hidden states, quantised
  // to l0.x_in) are drawn from a generator seeded with input_seed + the step's position; the
  // prompt's length is the prefill's row count.
  uint64_t input_seed = 0;
  int steps = 32;                      // total positions, as run.c -n (clamped to seq_len)
  bool verify = true;                  // bit-exact check of every op (data mode only)
  NextTokenFn next_token;              // data mode: greedy/sampled choice; shape-only: unused
  std::function<void(int done, int total)> progress;  // called after each step (may be empty)
  std::vector<Fault> faults;
  // Trace replay: the steps come from this reader (one at a time) instead of the model. With
  // a model in data mode, the model computes each step (on the trace's tokens when it has
  // them) and its ops must be the trace's; without one, the trace replays timing-only.
  trace::TraceReader* trace = nullptr;
  int trace_steps = 0;                 // steps in the trace (progress)
  trace::JsonlWriter* trace_out = nullptr;  // writes every replayed step (with its tokens)
  // Keep every op's record and every span (per-op CSV, timeline, tests). false: only counts
  // and per-step records, so that memory stays flat over a long trace.
  bool keep_ops = true;
  CaptureFilter capture_if;            // optional: which ops' outputs to hand to `capture`
  CaptureFn capture;
};

struct Result {
  std::vector<StepRecord> steps;
  std::vector<OpRecord> ops;          // empty unless Options::keep_ops
  std::vector<engine::Span> spans;    // empty unless Options::keep_ops
  uint64_t n_ops = 0;                 // ops simulated
  std::vector<int32_t> tokens;        // every token of the sequence (prompt + generated)
  int n_prompt = 0;
  bool shape_only = false;
  std::vector<Verdict> verdicts;      // one per engine, in engine order
  std::vector<nlohmann::json> faults; // each applied fault: spec, address, tensor, time
  uint64_t ops_checked() const;
  uint64_t ops_mismatched() const;
};

// The engines of a run: the configured one and, if the config names one, the host CPU.
struct Engines {
  std::vector<std::unique_ptr<engine::Engine>> list;   // [0] = engine.compute, [1] = host (if any)
  engine::Engine* main() const { return list.front().get(); }
  engine::Engine* host() const { return list.size() > 1 ? list[1].get() : nullptr; }
  engine::Engine* assign(const trace::Op& op) const;   // slm::Error if no engine runs it
};

// The engines and the layout of a run, prepared before elaboration ends (engines are modules).
struct Setup {
  Engines engines;
  std::unique_ptr<Layout> layout;
};

// Builds the engines and lays out every persistent tensor of a run of `steps` positions
// (placement only: no values). slm::Error on problems (a memory too small names it).
Setup prepare(platform::Platform& p, const llama2::ModelConfig& mc, quant::Precision prec, bool with_values, int steps);
// A first pass over a trace file (streamed: memory of one step plus the first op touching
// each persistent tensor): what the replay needs to lay the run out before it starts.
struct TraceScan {
  trace::TraceHeader header;
  int steps = 0;
  uint64_t ops = 0;
  int positions = 0;                       // max(pos + n_tokens) over the steps
  int n_heads = 1;                         // widest attention op
  int64_t dim = 1;                         // widest rmsnorm / rope row
  std::vector<trace::Op> declare_ops;      // the first op touching each persistent tensor, in order
  std::vector<std::vector<trace::Op>> samples;  // the longest prefill and the last-position step
  std::vector<trace::OpKind> kinds;        // op kinds present
};
TraceScan scan_trace(const std::string& path);
// A ModelConfig as a trace header's `model` object (and back, header_model).
nlohmann::json model_json(const llama2::ModelConfig& c);
// The ModelConfig in a trace header, if it names a complete, valid one (else nullopt).
std::optional<llama2::ModelConfig> header_model(const trace::TraceHeader& h);
// Builds the engines and lays out a trace's run (its positions: the header's `positions`, else
// the scan's). `mc`: the model the values come from (data mode) or the header's model, or
// nullptr for a trace of an arbitrary decoder (everything is derived from its ops).
Setup prepare_trace(platform::Platform& p, const TraceScan& scan, quant::Precision prec, bool with_values,
                    const llama2::ModelConfig* mc);
// Data mode: writes every persistent tensor's values into simulated memory.
void load_values(Setup& s, const quant::QuantModel& qm);
// Validates and normalises `opt` (clamps steps to 1..seq_len). slm::Error on problems.
void check_options(const llama2::ModelConfig& mc, Options& opt);

class Replayer : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Replayer);
  // `opt` must have passed check_options; `setup` must be prepared for opt.steps positions.
  // `model` may be nullptr only for a timing-only trace replay (opt.trace set).
  Replayer(sc_core::sc_module_name name, platform::Platform& p, quant::IntTransformer* model,
           stats::Group& stats_root, Setup setup, Options opt);
  ~Replayer() override;
  const Result& result() const { return res_; }
  bool finished() const { return finished_; }
  const std::string& error() const { return error_; }  // slm::Error raised during simulation
  const Layout& layout() const { return *setup_.layout; }

 private:
  void main_thread();
  void simulate();
  void apply_fault(const Fault& f);

  platform::Platform& p_;
  quant::IntTransformer* model_;
  stats::Group& stats_root_;
  Setup setup_;
  Options opt_;
  Result res_;
  bool finished_ = false;
  std::string error_;
};

}  // namespace slm::replay
