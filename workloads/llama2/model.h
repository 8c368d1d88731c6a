// The llama2.c model family: configuration and float weights.
//
// Layout follows karpathy/llama2.c run.c (legacy "version 0" checkpoints): a 7 x int32
// header, then the float32 tensors in the order listed in FloatWeights. A negative
// vocab_size in the file means the classifier is stored separately (not shared with the
// token embedding). Grouped-query attention: n_kv_heads <= n_heads, n_heads % n_kv_heads == 0.
//
// The same structs describe named synthetic shapes (workloads/llama2/shapes.h), including
// microllama (Deeploy's test model) which has no token embedding and no classifier
// (vocab_size == 0): its input is a dim-sized vector and its output the final hidden state.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slm::llama2 {

struct ModelConfig {
  int dim = 0;          // transformer width
  int hidden_dim = 0;   // FFN inner width
  int n_layers = 0;
  int n_heads = 0;      // query heads
  int n_kv_heads = 0;   // key/value heads (GQA when < n_heads)
  int vocab_size = 0;   // 0 = no embedding table and no classifier (microllama)
  int seq_len = 0;      // maximum context length
  bool shared_classifier = true;  // classifier weights == token embedding table
  float norm_eps = 1e-5f;         // RMSNorm epsilon (llama2.c: 1e-5)
  float rope_theta = 10000.0f;    // RoPE base (llama2.c: 10000)
  std::string name;               // shape name or checkpoint path, for reports

  int head_size() const { return dim / n_heads; }
  int kv_dim() const { return (dim * n_kv_heads) / n_heads; }
  int kv_mul() const { return n_heads / n_kv_heads; }
  bool has_vocab() const { return vocab_size > 0; }
  // Parameter count (weights only, classifier counted once when shared).
  uint64_t n_params() const;
};

// Limits used to refuse absurd headers before any allocation (generous: Llama-2-70B fits).
inline constexpr int kMaxDim = 65536;
inline constexpr int kMaxHiddenDim = 262144;
inline constexpr int kMaxLayers = 1024;
inline constexpr int kMaxVocab = 1 << 20;
inline constexpr int kMaxSeqLen = 1 << 20;

// Throws slm::Error naming `where` and the offending field unless the shape is usable:
// every field in range, dim % n_heads == 0, n_heads % n_kv_heads == 0, even head size.
void validate_config(const ModelConfig& c, const std::string& where);

// Float32 weights, one contiguous vector per tensor family, shapes as in run.c.
struct FloatWeights {
  std::vector<float> token_embedding;  // (vocab_size, dim); empty when !has_vocab
  std::vector<float> rms_att;          // (n_layers, dim)
  std::vector<float> wq;               // (n_layers, dim, dim)          row-major: out x in
  std::vector<float> wk;               // (n_layers, kv_dim, dim)
  std::vector<float> wv;               // (n_layers, kv_dim, dim)
  std::vector<float> wo;               // (n_layers, dim, dim)
  std::vector<float> rms_ffn;          // (n_layers, dim)
  std::vector<float> w1;               // (n_layers, hidden_dim, dim)
  std::vector<float> w2;               // (n_layers, dim, hidden_dim)
  std::vector<float> w3;               // (n_layers, hidden_dim, dim)
  std::vector<float> rms_final;        // (dim)
  std::vector<float> wcls;             // (vocab_size, dim); empty when shared or !has_vocab

  // The classifier matrix actually used (token_embedding when shared).
  const float* classifier(const ModelConfig& c) const {
    return c.shared_classifier ? token_embedding.data() : wcls.data();
  }
};

struct Model {
  ModelConfig config;
  FloatWeights weights;
};

}  // namespace slm::llama2
