// Float32 reference forward pass with llama2.c run.c's exact semantics.
//
// Computes, per token: embedding row (or a caller-given dim vector), then per layer
// RMSNorm -> q,k,v matmuls -> RoPE (theta^(-i/head_size) per pair, cos/sin in float) ->
// KV-cache write -> per-head causal attention with GQA (kv head = h / kv_mul), softmax ->
// wo + residual -> RMSNorm -> w1, w3 -> SiLU(h1) * h3 -> w2 + residual; then final RMSNorm
// and the classifier. Same float operations in the same order as run.c, so logits are
// bit-identical to run.c's on the same host libm (compiled without FMA contraction:
// -ffp-contract=off on this library's llama2 sources).
// Not modelled: batching/prefill parallelism, any quantisation (workloads/quant), threads.
#pragma once
#include <cstddef>
#include <vector>

#include "workloads/llama2/model.h"

namespace slm::llama2 {

// Receives intermediate tensors of one forward step, in this order per layer:
// x_in att_norm q k v q_rope k_rope att_scores att_probs att_out wo_out x_mid ffn_norm
// h1 h3 silu gated w2_out; then with layer -1: x_final final_norm logits (when has_vocab).
// att_scores / att_probs: n_heads * (pos+1) values, head-major.
struct ActivationObserver {
  virtual ~ActivationObserver() = default;
  // name: tensor name above; layer: -1 outside layers; data: n floats (row of this token)
  virtual void observe(const char* name, int layer, const float* data, size_t n) = 0;
};

class FloatTransformer {
 public:
  // Keeps a reference; allocates RunState + KV cache for max_positions positions (0 or
  // more than seq_len = seq_len), checked against the host-memory budget first.
  explicit FloatTransformer(const Model& m, int max_positions = 0);
  const ModelConfig& config() const { return m_.config; }
  // One token at pos: returns logits (vocab_size floats), or the final normalised hidden state
  // (dim) when !has_vocab. Pointer valid until the next call. slm::Error on a bad token/pos.
  const float* forward(int token, int pos, ActivationObserver* obs = nullptr);
  // microllama-style input: a dim-sized embedding vector instead of a token id.
  const float* forward_embedding(const float* x, int pos, ActivationObserver* obs = nullptr);

 private:
  const float* run_layers(int pos, ActivationObserver* obs);
  // Gathers att_ rows 0..pos of every head into scratch_ and reports them.
  void observe_heads(const char* name, int layer, int pos, ActivationObserver* obs);

  const Model& m_;
  int ctx_ = 0;  // positions the KV cache holds
  // RunState, as in run.c
  std::vector<float> x_;            // activation at current time stamp (dim)
  std::vector<float> xb_;           // inside a residual branch (dim)
  std::vector<float> xb2_;          // second branch buffer (dim)
  std::vector<float> hb_;           // ffn hidden (hidden_dim)
  std::vector<float> hb2_;          // ffn hidden (hidden_dim)
  std::vector<float> q_;            // query (dim)
  std::vector<float> att_;          // scores / probabilities (n_heads, seq_len)
  std::vector<float> logits_;       // output logits (vocab_size)
  std::vector<float> key_cache_;    // (layer, seq_len, kv_dim)
  std::vector<float> value_cache_;  // (layer, seq_len, kv_dim)
  std::vector<float> scratch_;      // observer copies (max(hidden_dim, n_heads * seq_len))
};

// The KV cache + RunState bytes FloatTransformer would allocate for this shape.
size_t float_runstate_bytes(const ModelConfig& c, int positions = 0);

}  // namespace slm::llama2
