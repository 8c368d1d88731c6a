// The integer-only transformer: one forward step (prefill of P tokens as ONE step with
// m = P, or one decode step with m = 1) computed with the golden kernels, emitting one
// trace::Op per kernel call in execution order (docs/trace-format.md).
//
// Modes: data mode (from a QuantModel: computes every tensor bit-exactly) and shape-only
// mode (from a ModelConfig + precision: emits the same Op records, without weights,
// data or quantisation parameters, for shapes too large to materialise: llama2-7b,
// phi3-mini). Prefill computes the final norm and classifier for the last token only.
// Host side (not integer): dequantised logits for sampling and KL (logits() * scale).
// Not modelled: batching of independent sequences, speculative decoding, sliding windows.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "workloads/quant/golden.h"
#include "workloads/quant/quant_model.h"
#include "workloads/trace/op.h"

namespace slm::quant {

class IntTransformer {
 public:
  // max_positions: the positions a run will use (KV cache rows; 0 or > seq_len = seq_len).
  // The KV cache is sized to them, not to the model's seq_len, and checked against the
  // host-memory budget (workloads/common/io.h) before it is allocated.
  explicit IntTransformer(const QuantModel& qm, int max_positions = 0);             // data mode
  IntTransformer(const llama2::ModelConfig& c, Precision p, int max_positions = 0);  // shape-only mode
  ~IntTransformer();

  const llama2::ModelConfig& config() const { return cfg_; }
  Precision precision() const { return prec_; }
  bool shape_only() const { return qm_ == nullptr; }
  int max_positions() const { return ctx_; }
  // Host bytes of the step buffers for a step of m tokens (estimate for the budget).
  uint64_t step_buffer_bytes(int m) const;

  // One step over tokens (m = tokens.size() >= 1) at positions pos0 .. pos0+m-1.
  // phase defaults to prefill when m > 1. slm::Error on bad tokens / positions.
  void forward(std::span<const int32_t> tokens, int pos0, trace::OpSink* sink = nullptr);
  void forward(std::span<const int32_t> tokens, int pos0, trace::Phase phase, trace::OpSink* sink);
  // Models without vocabulary (microllama): m input rows already quantised to the
  // l0.x_in activation (int8 or int16 by precision, (m, dim)); x = nullptr in
  // shape-only mode.
  void forward_vectors(const void* x, int m, int pos0, trace::OpSink* sink = nullptr);

  // Data mode, after a step: int16 logits (vocab) of the last token; their real scale.
  const int16_t* logits() const;
  double logit_scale() const;
  std::vector<float> dequantized_logits() const;  // host side: logits * scale
  // Data mode, models without vocabulary: final normalised hidden state of the last token
  // (dim values of the activation dtype) and its quantisation.
  const void* output() const;

 private:
  struct Layer;
  struct Bufs;
  template <typename T>
  void run(const int32_t* tokens, const T* x_in, int m, int pos0, trace::Phase phase, trace::OpSink* sink);
  void check_step(int m, int pos0) const;
  void bind_params();
  template <typename T>
  void bind_layer(const QuantModel& q, const std::string& prefix, Layer& L);

  llama2::ModelConfig cfg_;
  Precision prec_;
  int ctx_ = 0;  // positions the KV cache holds
  const QuantModel* qm_ = nullptr;
  std::vector<Layer> layers_;
  std::unique_ptr<Bufs> b_;
  golden::EmbedParams embed_;
  golden::RmsNormParams final_norm_;
  golden::WeightView cls_;
  int32_t cls_x_zp_ = 0;
  const int16_t* rope_cos_ = nullptr;
  const int16_t* rope_sin_ = nullptr;
  const int32_t* exp_lut_ = nullptr;
};

// Recomputes any op from its operands with the golden kernels (the replay engine's
// bit-exact check): reads the scalar parameters from op.quant and the arrays from
// operands.in (matching op.inputs), writes op.outputs[i] to out[i] (dense, the
// output's dtype and shape; for kv_write, out = {kcache, vcache} of the layer).
// pos0 = the step's first position. slm::Error when the op lacks what it needs.
void golden_execute(const trace::Op& op, const trace::OpOperands& operands, int pos0,
                    const std::vector<void*>& out);

// next-token function for llama2::generate: runs one decode step of `model` and returns
// dequantised logits (greedy argmax on them == argmax on the integer logits).
std::function<const float*(int token, int pos)> int_step_fn(IntTransformer& model);

}  // namespace slm::quant
