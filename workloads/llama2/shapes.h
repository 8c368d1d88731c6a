// Named model shapes and deterministic synthetic weights.
//
// Computes: the published shapes of the llama2.c "stories" models, Deeploy's microllama,
// TinyLlama-1.1B, Llama-2-7B and Phi-3-mini (sources in docs/models.md), shapes read from
// a small YAML/JSON file, and seeded float weights of realistic scale for any shape.
// Does not model: trained weights (text from synthetic weights is gibberish; use
// stories260K.bin for text quality), Phi-3's fused qkv/gate_up layout (same counts), or
// microllama's iHardswish gate (the float reference uses SiLU for every shape).
//
// Synthetic weights are a pure function of (seed, tensor, layer, row, column): each row
// is a splitmix64 stream keyed by (seed, tensor, layer, row); element j is an Irwin-Hall
// sum of four 16-bit uniforms taken from the j-th 64-bit output, centred and scaled to
// unit variance (range +-3.46). Integer arithmetic plus one double multiply: identical
// bits on every platform, and any rows can be generated without the rest of the model.
//   matrices wq wk wv wo w1 w3 w2:  N(0, 1/sqrt(fan_in))      (unit-variance outputs)
//   token_embedding / wcls:         N(0, 3/sqrt(dim))         (logit std ~3 after final norm)
//   rms_att / rms_ffn / rms_final:  1 + 0.05 * N(0, 1)        (gains near 1)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/llama2/model.h"

namespace slm::llama2 {

// Every tensor family of FloatWeights.
enum class Tensor : uint8_t {
  token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, wcls
};
const char* to_string(Tensor);
inline constexpr Tensor kAllTensors[] = {Tensor::token_embedding, Tensor::rms_att, Tensor::wq,
                                         Tensor::wk, Tensor::wv, Tensor::wo, Tensor::rms_ffn,
                                         Tensor::w1, Tensor::w2, Tensor::w3, Tensor::rms_final,
                                         Tensor::wcls};

// Shape of one tensor of one layer: rows x cols (row-major, out x in for matrices).
// Per-layer tensors (rms_att .. w3) have this shape per layer; the others have layer -1.
// rows == 0 when the tensor does not exist (no vocab, or shared classifier for wcls).
struct TensorShape {
  int64_t rows = 0;
  int64_t cols = 0;
};
TensorShape tensor_shape(const ModelConfig& c, Tensor t);
bool is_per_layer(Tensor t);

// Known shape names, in the order listed in docs/models.md.
const std::vector<std::string>& shape_names();
bool is_shape_name(const std::string& name);
// The published configuration of a named shape (name field set). Throws slm::Error for
// unknown names, listing the known ones.
ModelConfig shape_config(const std::string& name);
// Reads a .yaml/.yml/.json shape file: keys dim, hidden_dim, n_layers, n_heads,
// n_kv_heads (default n_heads), vocab_size, seq_len, shared_classifier (default true),
// norm_eps, rope_theta, name, and optionally `base: <shape name>` whose values the other
// keys override. Unknown keys and bad values are slm::Error naming file, line and key.
ModelConfig read_shape_file(const std::string& path);

// Writes rows [row0, row0 + nrows) of tensor `which` (of `layer` for per-layer tensors,
// else layer must be -1) into out (nrows * cols floats). Independent of chunking.
// Throws slm::Error on an out-of-range tensor/layer/row request.
void synthetic_rows(const ModelConfig& c, uint64_t seed, Tensor which, int layer, int64_t row0,
                    int64_t nrows, float* out);

// Materialises the whole model through synthetic_rows. Refuses (slm::Error) when the
// float weights would exceed kMaxSyntheticBytes.
inline constexpr uint64_t kMaxSyntheticBytes = 8ull << 30;
Model make_synthetic(const ModelConfig& c, uint64_t seed);

}  // namespace slm::llama2
