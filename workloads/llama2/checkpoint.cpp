// llama2.c legacy checkpoint reader/writer (see checkpoint.h).
#include "workloads/llama2/checkpoint.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::llama2 {

namespace {
uint64_t freq_cis_floats(const ModelConfig& c) {
  return 2ull * static_cast<uint64_t>(c.seq_len) * (c.head_size() / 2);
}
}  // namespace

uint64_t checkpoint_bytes(const ModelConfig& c) {
  return kCheckpointHeaderBytes + 4 * (c.n_params() + freq_cis_floats(c));
}

ModelConfig read_checkpoint_config(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw err(path, ": cannot open checkpoint");
  int32_t h[7];
  if (!f.read(reinterpret_cast<char*>(h), sizeof h))
    throw err(path, ": truncated checkpoint: shorter than the 28-byte header");
  ModelConfig c;
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  c.shared_classifier = h[5] > 0;  // negative vocab_size: separate classifier follows
  if (h[5] == INT32_MIN || h[5] == 0)
    throw err(path, ": header field vocab_size = ", h[5], ": must be non-zero");
  c.vocab_size = std::abs(h[5]);
  c.seq_len = h[6];
  c.name = path;
  validate_config(c, path + ": header");
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw err(path, ": cannot stat checkpoint: ", ec.message());
  const uint64_t want = checkpoint_bytes(c);
  if (size != want)
    throw err(path, ": file size ", size, " bytes disagrees with the header (dim ", c.dim,
              ", hidden_dim ", c.hidden_dim, ", n_layers ", c.n_layers, ", n_heads ",
              c.n_heads, ", n_kv_heads ", c.n_kv_heads, ", vocab_size ", h[5], ", seq_len ",
              c.seq_len, ") which needs ", want, " bytes",
              size < want ? " (truncated?)" : "");
  return c;
}

namespace {
void read_floats(std::ifstream& f, const std::string& path, const char* what, uint64_t n,
                 std::vector<float>& out) {
  out.resize(n);
  if (!f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n * 4)))
    throw err(path, ": read failed in tensor ", what);
  // NaN or infinite weights would turn every later conversion to integers into garbage.
  for (uint64_t i = 0; i < n; ++i)
    if (!std::isfinite(out[i])) throw err(path, ": tensor ", what, " element ", i, " = ", out[i], ": weights must be finite");
}
}  // namespace

Model load_checkpoint(const std::string& path) {
  Model m;
  m.config = read_checkpoint_config(path);  // size verified: every read below is in bounds
  const ModelConfig& c = m.config;
  io::check_host_memory(checkpoint_bytes(c), path + ": fp32 weights");
  const uint64_t d = c.dim, h = c.hidden_dim, L = c.n_layers, kv = c.kv_dim(),
                 v = c.vocab_size;
  std::ifstream f(path, std::ios::binary);
  f.seekg(kCheckpointHeaderBytes);
  FloatWeights& w = m.weights;
  read_floats(f, path, "token_embedding", v * d, w.token_embedding);
  read_floats(f, path, "rms_att", L * d, w.rms_att);
  read_floats(f, path, "wq", L * d * d, w.wq);
  read_floats(f, path, "wk", L * kv * d, w.wk);
  read_floats(f, path, "wv", L * kv * d, w.wv);
  read_floats(f, path, "wo", L * d * d, w.wo);
  read_floats(f, path, "rms_ffn", L * d, w.rms_ffn);
  read_floats(f, path, "w1", L * h * d, w.w1);
  read_floats(f, path, "w2", L * d * h, w.w2);
  read_floats(f, path, "w3", L * h * d, w.w3);
  read_floats(f, path, "rms_final", d, w.rms_final);
  f.seekg(static_cast<std::streamoff>(4 * freq_cis_floats(c)), std::ios::cur);
  if (!c.shared_classifier) read_floats(f, path, "wcls", v * d, w.wcls);
  return m;
}

namespace {
void write_floats(std::ofstream& f, const std::vector<float>& v) {
  f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
}
}  // namespace

void write_checkpoint(const Model& m, const std::string& path) {
  const ModelConfig& c = m.config;
  if (!c.has_vocab()) throw err(path, ": a model without vocabulary has no llama2.c format");
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw err(path, ": cannot create checkpoint");
  const int32_t h[7] = {c.dim,        c.hidden_dim,
                        c.n_layers,   c.n_heads,
                        c.n_kv_heads, c.shared_classifier ? c.vocab_size : -c.vocab_size,
                        c.seq_len};
  f.write(reinterpret_cast<const char*>(h), sizeof h);
  const FloatWeights& w = m.weights;
  for (const auto* v : {&w.token_embedding, &w.rms_att, &w.wq, &w.wk, &w.wv, &w.wo,
                        &w.rms_ffn, &w.w1, &w.w2, &w.w3, &w.rms_final})
    write_floats(f, *v);
  const int half = c.head_size() / 2;
  std::vector<float> re(static_cast<size_t>(c.seq_len) * half), im(re.size());
  for (int p = 0; p < c.seq_len; ++p)
    for (int i = 0; i < half; ++i) {
      const double freq = std::pow(static_cast<double>(c.rope_theta), -2.0 * i / c.head_size());
      re[static_cast<size_t>(p) * half + i] = static_cast<float>(std::cos(p * freq));
      im[static_cast<size_t>(p) * half + i] = static_cast<float>(std::sin(p * freq));
    }
  write_floats(f, re);
  write_floats(f, im);
  if (!c.shared_classifier) write_floats(f, w.wcls);
  if (!f) throw err(path, ": write failed");
}

}  // namespace slm::llama2
