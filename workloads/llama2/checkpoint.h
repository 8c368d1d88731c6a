// llama2.c checkpoint files (legacy "version 0", float32), read and written.
//
// Layout (karpathy/llama2.c run.c, export.py legacy_export):
//   int32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len  (28 bytes)
//   float32 token_embedding (vocab, dim), rms_att (L, dim), wq (L, dim, dim),
//           wk (L, kv_dim, dim), wv (L, kv_dim, dim), wo (L, dim, dim), rms_ffn (L, dim),
//           w1 (L, hidden, dim), w2 (L, dim, hidden), w3 (L, hidden, dim), rms_final (dim),
//           freq_cis_real (seq_len, head_size/2), freq_cis_imag (same)   -- skipped on load
//           wcls (vocab, dim)   -- only when the header's vocab_size is negative
// Host byte order (little-endian on every supported host). Not handled: the versioned
// (magic "ak42") float or Q8_0 exports; those belong to workloads/quant.
// Every bad input (missing, truncated, absurd header, size mismatch) is an slm::Error
// raised before any weight allocation.
#pragma once
#include <cstdint>
#include <string>

#include "workloads/llama2/model.h"

namespace slm::llama2 {

inline constexpr uint64_t kCheckpointHeaderBytes = 7 * 4;

// Exact file size a valid checkpoint of this shape has (header + all float tensors).
uint64_t checkpoint_bytes(const ModelConfig& c);

// Reads and validates the header and the file size only (cheap). name = path.
ModelConfig read_checkpoint_config(const std::string& path);

// Reads the whole checkpoint into float vectors.
Model load_checkpoint(const std::string& path);

// Writes m in the same format (freq_cis tables written as llama2.c's export computes them:
// cos/sin of pos * theta^(-2i/head_size)). Used by tests and tools.
void write_checkpoint(const Model& m, const std::string& path);

}  // namespace slm::llama2
