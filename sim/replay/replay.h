// Replay: runs an inference workload's steps on a platform, op by op.
//
// For each step (one prefill of P tokens, then one decode step per generated token) the
// integer model (workloads/quant/int_model.h) computes the step with the golden kernels
// and emits its trace::Op records; the recorded step is then replayed on the platform:
//
//   weight stream  (DMA weight_channel): every weight tensor of the step, in op order, is cut
//                  into tiles of tile_bytes and copied from its placed memory into the
//                  engine's buffer memory, two tile slots (double buffering): tile i may start
//                  once the compute of tile i-2 has freed its slot. With prefetch_across_ops
//                  off, the tiles of op j wait until op j's operands are loaded.
//   operand moves  (DMA activation_channel): before an op computes, its non-weight inputs
//                  (activations, KV rows, params) are copied from their placed memories
//                  into the buffer's operand area; after it, its outputs are copied back to
//                  their placed memory (KV rows to kv_cache, logits to output).
//   compute        (compute engine): an op with weights computes tile by tile (the MACs of a
//                  tile are the op's MACs in proportion to its bytes); other ops compute whole.
//
// So for one op with n equal tiles of DMA time D and compute time C (no cross-op prefetch):
//   op time = operand loads + D + (n - 1) * max(D, C) + C + output stores   (docs/timing-model.md)
// The bit-exact check: with `verify`, every op is recomputed from its operands by
// quant::golden_execute and compared bit for bit with the model's result; bit_exact is true
// only if every op checked matched. (Later engines — NPU, RISC-V ISS — compute on their own
// and are compared the same way.)
// Not modelled: host-CPU work between steps (sampling, tokenizer), cache effects on the host,
// overlap of one step with the next (the next token is needed first).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "sim/platform/platform.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/op.h"

namespace slm::replay {

// What happened to one op on the platform.
struct OpRecord {
  uint32_t step = 0;          // step index (0 = prefill)
  trace::Op op;               // the op as the model emitted it
  sc_core::sc_time start, end;               // engine view: first operand load .. last store
  sc_core::sc_time compute_time;             // time the engine computed
  sc_core::sc_time weight_wait;              // time the engine waited for weight tiles
  uint64_t compute_cycles = 0;               // engine cycles
  uint32_t tiles = 0;
};

struct DmaSpan {  // one DMA transfer, for the timeline
  uint32_t channel = 0;
  std::string what;          // "l0.wq tile 3", "l0.x_norm in"
  sc_core::sc_time start, end;
  uint64_t bytes = 0;
};

struct StepRecord {
  trace::Phase phase = trace::Phase::decode;
  int pos = 0, n_tokens = 1;
  sc_core::sc_time start, end;
  nlohmann::json counters_at_end;  // stats snapshot (counter values) when the step ended
};

// Where each named tensor lives in the platform's memories: a bump allocator per memory
// (64-byte aligned), persistent tensors (weights, params, KV cache) placed once; transient
// ones (activations, outputs) are moved through the engine buffer's operand area and their
// placed memory's base. KV caches are sized for the run's positions, not the model's seq_len.
class Placement {
 public:
  // Places every persistent tensor of a step at the last position; slm::Error naming the
  // memory, its config line and the tensor when something does not fit.
  static Placement plan(const platform::Platform& p, const quant::IntTransformer& model, int steps);
  // Places on first sight; with_weights: in the weights memory (per-channel params of an op
  // with weights are stored and streamed with them).
  uint64_t address_of(const trace::TensorRef& t, bool with_weights = false);
  const std::map<std::string, uint64_t>& used() const { return used_; }  // memory -> bytes

 private:
  struct Region { std::string memory; uint64_t addr = 0, bytes = 0; };
  const platform::Platform* p_ = nullptr;
  int steps_ = 0, seq_len_ = 0;
  std::map<std::string, Region> tensors_;
  std::map<std::string, uint64_t> used_;
};

// Chooses the next token from a finished step (data mode); returns -1 to stop.
using NextTokenFn = std::function<int(const quant::IntTransformer&, int pos)>;

struct Options {
  std::vector<int32_t> prompt_tokens;  // including BOS; at least one
  int steps = 32;                      // total positions, as run.c -n (clamped to seq_len)
  bool verify = true;                  // bit-exact check of every op (data mode only)
  NextTokenFn next_token;              // data mode: greedy/sampled choice; shape-only: unused
  std::function<void(int done, int total)> progress;  // called after each step (may be empty)
};

struct Result {
  std::vector<StepRecord> steps;
  std::vector<OpRecord> ops;
  std::vector<DmaSpan> dma;
  std::vector<int32_t> tokens;        // every token of the sequence (prompt + generated)
  int n_prompt = 0;
  uint64_t ops_checked = 0, ops_mismatched = 0;
  std::string first_mismatch;         // op name and position of the first mismatch
  bool shape_only = false;
};

// Validates and normalises `opt` (clamps steps) for this platform and model; call before
// constructing a Replayer. slm::Error on problems.
void check_options(const platform::Platform& p, const quant::IntTransformer& model, Options& opt);

class Replayer : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Replayer);
  // `opt.steps` must already be clamped (1..seq_len) and `place` planned for it.
  Replayer(sc_core::sc_module_name name, platform::Platform& p, quant::IntTransformer& model,
           stats::Group& stats_root, Options opt, Placement place);
  ~Replayer() override;
  const Result& result() const { return res_; }
  bool finished() const { return finished_; }
  const std::string& error() const { return error_; }  // slm::Error raised during simulation

 private:
  struct Tile;
  void main_thread();
  void simulate();
  void weight_thread();
  void run_step(const std::vector<trace::Op>& ops, const std::vector<std::vector<Tile>>& tiles);
  uint64_t operand_slot(uint64_t bytes);
  sc_core::sc_time move(uint32_t channel, uint64_t src, uint64_t dst, uint64_t bytes, const std::string& what);

  platform::Platform& p_;
  quant::IntTransformer& model_;
  stats::Group& stats_root_;
  Options opt_;
  Result res_;
  bool finished_ = false;
  std::string error_;

  Dma* dma_ = nullptr;
  ComputeEngine* engine_ = nullptr;
  Precision prec_;
  uint64_t tile_bytes_ = 0;
  uint64_t buf_base_ = 0, buf_size_ = 0, operand_base_ = 0, operand_size_ = 0, operand_cursor_ = 0;
  Placement place_;

  // Weight stream state (shared between the two threads).
  std::vector<Tile*> queue_;     // tiles of the current step in order
  size_t next_issue_ = 0;        // next tile index the weight thread submits
  size_t freed_ = 0;             // tiles whose compute finished (slots freed)
  int gate_op_ = -1;             // highest op index the consumer has started
  sc_core::sc_event queue_changed_, slot_freed_, op_started_;
};

}  // namespace slm::replay
