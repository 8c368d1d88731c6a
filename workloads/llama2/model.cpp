// ModelConfig helpers: parameter count and header validation (see model.h).
#include "workloads/llama2/model.h"

#include "workloads/common/error.h"

namespace slm::llama2 {

uint64_t ModelConfig::n_params() const {
  const uint64_t d = dim, h = hidden_dim, L = n_layers, kv = kv_dim(), v = vocab_size;
  const uint64_t per_layer = 2 * d            // rms_att, rms_ffn
                             + d * d + 2 * kv * d + d * d  // wq, wk, wv, wo
                             + 3 * d * h;     // w1, w2, w3
  const uint64_t classifier = (has_vocab() && !shared_classifier) ? v * d : 0;
  return v * d + L * per_layer + d + classifier;
}

namespace {
void check_range(const std::string& where, const char* field, int64_t value, int64_t lo,
                 int64_t hi) {
  if (value < lo || value > hi)
    throw err(where, ": field ", field, " = ", value, ": must be in [", lo, ", ", hi, "]");
}
}  // namespace

void validate_config(const ModelConfig& c, const std::string& where) {
  check_range(where, "dim", c.dim, 2, kMaxDim);
  check_range(where, "hidden_dim", c.hidden_dim, 1, kMaxHiddenDim);
  check_range(where, "n_layers", c.n_layers, 1, kMaxLayers);
  check_range(where, "n_heads", c.n_heads, 1, c.dim);
  check_range(where, "n_kv_heads", c.n_kv_heads, 1, c.n_heads);
  check_range(where, "vocab_size", c.vocab_size, 0, kMaxVocab);
  check_range(where, "seq_len", c.seq_len, 1, kMaxSeqLen);
  if (c.dim % c.n_heads != 0)
    throw err(where, ": dim = ", c.dim, " is not a multiple of n_heads = ", c.n_heads);
  if (c.n_heads % c.n_kv_heads != 0)
    throw err(where, ": n_heads = ", c.n_heads, " is not a multiple of n_kv_heads = ",
              c.n_kv_heads);
  if (c.head_size() % 2 != 0)
    throw err(where, ": head size dim/n_heads = ", c.head_size(), " must be even (RoPE pairs)");
  if (!(c.norm_eps > 0.0f && c.norm_eps < 1.0f))
    throw err(where, ": field norm_eps = ", c.norm_eps, ": must be in (0, 1)");
  if (!(c.rope_theta > 1.0f && c.rope_theta < 1e9f))
    throw err(where, ": field rope_theta = ", c.rope_theta, ": must be in (1, 1e9)");
}

}  // namespace slm::llama2
