// Named shapes, shape files and synthetic weights (see shapes.h for the recipe).
#include "workloads/llama2/shapes.h"

#include <cmath>
#include <filesystem>
#include <map>

#include <yaml-cpp/yaml.h>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::llama2 {

const char* to_string(Tensor t) {
  switch (t) {
    case Tensor::token_embedding: return "token_embedding";
    case Tensor::rms_att: return "rms_att";
    case Tensor::wq: return "wq";
    case Tensor::wk: return "wk";
    case Tensor::wv: return "wv";
    case Tensor::wo: return "wo";
    case Tensor::rms_ffn: return "rms_ffn";
    case Tensor::w1: return "w1";
    case Tensor::w2: return "w2";
    case Tensor::w3: return "w3";
    case Tensor::rms_final: return "rms_final";
    case Tensor::wcls: return "wcls";
  }
  return "?";
}

bool is_per_layer(Tensor t) {
  return t != Tensor::token_embedding && t != Tensor::rms_final && t != Tensor::wcls;
}

TensorShape tensor_shape(const ModelConfig& c, Tensor t) {
  const int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), v = c.vocab_size;
  switch (t) {
    case Tensor::token_embedding: return {v, d};
    case Tensor::rms_att: return {1, d};
    case Tensor::wq: return {d, d};
    case Tensor::wk: return {kv, d};
    case Tensor::wv: return {kv, d};
    case Tensor::wo: return {d, d};
    case Tensor::rms_ffn: return {1, d};
    case Tensor::w1: return {h, d};
    case Tensor::w2: return {d, h};
    case Tensor::w3: return {h, d};
    case Tensor::rms_final: return {1, d};
    case Tensor::wcls: return {(c.has_vocab() && !c.shared_classifier) ? v : 0, d};
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Named shapes. Sources: docs/models.md (llama2.c README + model.py hidden_dim rule for
// stories*, Deeploy microLlama ONNX for microllama, Hugging Face config.json for the rest).

namespace {
struct NamedShape {
  const char* name;
  int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
  bool shared_classifier;
};
constexpr NamedShape kShapes[] = {
    {"stories260K", 64, 172, 5, 8, 4, 512, 512, true},
    {"stories15M", 288, 768, 6, 6, 6, 32000, 256, true},
    {"stories42M", 512, 1376, 8, 8, 8, 32000, 1024, true},
    {"stories110M", 768, 2048, 12, 12, 12, 32000, 1024, true},
    {"microllama", 64, 256, 8, 16, 16, 0, 512, true},
    {"tinyllama-1.1b", 2048, 5632, 22, 32, 4, 32000, 2048, false},
    {"llama2-7b", 4096, 11008, 32, 32, 32, 32000, 4096, false},
    {"phi3-mini", 3072, 8192, 32, 32, 32, 32064, 4096, false},
};
}  // namespace

const std::vector<std::string>& shape_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : kShapes) n.emplace_back(s.name);
    return n;
  }();
  return names;
}

bool is_shape_name(const std::string& name) {
  for (const auto& s : kShapes)
    if (name == s.name) return true;
  return false;
}

ModelConfig shape_config(const std::string& name) {
  for (const auto& s : kShapes) {
    if (name != s.name) continue;
    ModelConfig c;
    c.dim = s.dim;
    c.hidden_dim = s.hidden_dim;
    c.n_layers = s.n_layers;
    c.n_heads = s.n_heads;
    c.n_kv_heads = s.n_kv_heads;
    c.vocab_size = s.vocab_size;
    c.seq_len = s.seq_len;
    c.shared_classifier = s.shared_classifier;
    c.name = s.name;
    return c;
  }
  std::string known;
  for (const auto& n : shape_names()) known += (known.empty() ? "" : ", ") + n;
  throw err("unknown shape name '", name, "' (known: ", known, ")");
}

// ---------------------------------------------------------------------------------------
// Shape files

namespace {
std::string at(const std::string& path, const YAML::Node& n) {
  return path + ":" + std::to_string(n.Mark().line + 1);
}

template <typename T>
T scalar(const std::string& path, const std::string& key, const YAML::Node& v) {
  if (!v.IsScalar()) throw err(at(path, v), ": key '", key, "' must be a scalar");
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    throw err(at(path, v), ": key '", key, "' has bad value '", v.Scalar(), "'");
  }
}
}  // namespace

ModelConfig read_shape_file(const std::string& path) {
  YAML::Node root;
  const std::string text = io::read_text_file(path, io::kMaxShapeFileBytes, "shape file");
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw err(path, ":", e.mark.line + 1, ": not valid YAML/JSON: ", e.msg);
  }
  if (!root.IsMap()) throw err(path, ": a shape file must be a mapping of keys to values");
  ModelConfig c;
  bool has_kv = false;
  if (const auto base = root["base"]) c = shape_config(scalar<std::string>(path, "base", base));
  c.name = std::filesystem::path(path).stem().string();
  const std::map<std::string, int*> ints = {
      {"dim", &c.dim},           {"hidden_dim", &c.hidden_dim}, {"n_layers", &c.n_layers},
      {"n_heads", &c.n_heads},   {"n_kv_heads", &c.n_kv_heads}, {"vocab_size", &c.vocab_size},
      {"seq_len", &c.seq_len}};
  for (const auto& kv : root) {
    const auto key = scalar<std::string>(path, "key", kv.first);
    if (key == "base") continue;
    if (auto it = ints.find(key); it != ints.end()) {
      *it->second = scalar<int>(path, key, kv.second);
      has_kv |= key == "n_kv_heads";
    } else if (key == "shared_classifier") {
      c.shared_classifier = scalar<bool>(path, key, kv.second);
    } else if (key == "norm_eps") {
      c.norm_eps = scalar<float>(path, key, kv.second);
    } else if (key == "rope_theta") {
      c.rope_theta = scalar<float>(path, key, kv.second);
    } else if (key == "name") {
      c.name = scalar<std::string>(path, key, kv.second);
    } else {
      throw err(at(path, kv.first), ": unknown key '", key,
                "' (known: base, name, dim, hidden_dim, n_layers, n_heads, n_kv_heads, "
                "vocab_size, seq_len, shared_classifier, norm_eps, rope_theta)");
    }
  }
  if (!has_kv && !root["base"]) c.n_kv_heads = c.n_heads;
  validate_config(c, path);
  return c;
}

// ---------------------------------------------------------------------------------------
// Synthetic weights

namespace {
constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;  // splitmix64 increment

uint64_t mix64(uint64_t z) {  // splitmix64 output function
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t row_key(uint64_t seed, Tensor t, int layer, int64_t row) {
  uint64_t k = mix64(seed + kGamma);
  k = mix64(k ^ (static_cast<uint64_t>(t) + 1) * 0xD1B54A32D192ED03ull);
  k = mix64(k ^ static_cast<uint64_t>(layer + 1) * 0xABC98388FB8FAC03ull);
  return mix64(k ^ static_cast<uint64_t>(row) * 0x8CB92BA72F3D8DD7ull);
}

// Irwin-Hall(4) from the four 16-bit fields of `bits`, centred, unit variance.
double unit_normalish(uint64_t bits) {
  const int64_t s = static_cast<int64_t>(bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) +
                    ((bits >> 32) & 0xFFFF) + ((bits >> 48) & 0xFFFF);
  // each field u_i = (f_i + 0.5) / 65536, sum - 2, times sqrt(3) for variance 1
  constexpr double kScale = 1.7320508075688772 / 65536.0;
  return static_cast<double>(s + 2 - 131072) * kScale;
}

bool is_gain(Tensor t) {
  return t == Tensor::rms_att || t == Tensor::rms_ffn || t == Tensor::rms_final;
}

double tensor_std(const ModelConfig& c, Tensor t) {
  switch (t) {
    case Tensor::token_embedding:
    case Tensor::wcls: return 3.0 / std::sqrt(static_cast<double>(c.dim));
    case Tensor::w2: return 1.0 / std::sqrt(static_cast<double>(c.hidden_dim));
    default: return 1.0 / std::sqrt(static_cast<double>(c.dim));  // fan_in = dim
  }
}
}  // namespace

void synthetic_rows(const ModelConfig& c, uint64_t seed, Tensor which, int layer, int64_t row0,
                    int64_t nrows, float* out) {
  const TensorShape s = tensor_shape(c, which);
  if (is_per_layer(which) ? (layer < 0 || layer >= c.n_layers) : layer != -1)
    throw err("synthetic_rows: tensor ", to_string(which), " has no layer ", layer);
  if (row0 < 0 || nrows < 0 || row0 + nrows > s.rows)
    throw err("synthetic_rows: rows [", row0, ", ", row0 + nrows, ") outside tensor ",
              to_string(which), " of ", s.rows, " rows");
  const double sd = tensor_std(c, which);
  for (int64_t r = 0; r < nrows; ++r) {
    const uint64_t key = row_key(seed, which, layer, row0 + r);
    float* o = out + r * s.cols;
    for (int64_t j = 0; j < s.cols; ++j) {
      const double z = unit_normalish(mix64(key + static_cast<uint64_t>(j + 1) * kGamma));
      o[j] = static_cast<float>(is_gain(which) ? 1.0 + 0.05 * z : sd * z);
    }
  }
}

namespace {
void fill(const ModelConfig& c, uint64_t seed, Tensor t, std::vector<float>& v) {
  const TensorShape s = tensor_shape(c, t);
  const int64_t per = s.rows * s.cols;
  if (per == 0) return;
  const int layers = is_per_layer(t) ? c.n_layers : 1;
  v.resize(static_cast<size_t>(per) * layers);
  for (int l = 0; l < layers; ++l)
    synthetic_rows(c, seed, t, is_per_layer(t) ? l : -1, 0, s.rows, v.data() + l * per);
}
}  // namespace

Model make_synthetic(const ModelConfig& c, uint64_t seed) {
  validate_config(c, c.name.empty() ? "synthetic shape" : c.name);
  const uint64_t bytes = c.n_params() * 4;
  if (bytes > kMaxSyntheticBytes)
    throw err(c.name, ": float weights would take ", bytes, " bytes (> ", kMaxSyntheticBytes,
              "); too large to materialise: use synthetic_rows() or resolve_config()");
  io::check_host_memory(bytes, c.name + ": synthetic fp32 weights");
  Model m;
  m.config = c;
  FloatWeights& w = m.weights;
  fill(c, seed, Tensor::token_embedding, w.token_embedding);
  fill(c, seed, Tensor::rms_att, w.rms_att);
  fill(c, seed, Tensor::wq, w.wq);
  fill(c, seed, Tensor::wk, w.wk);
  fill(c, seed, Tensor::wv, w.wv);
  fill(c, seed, Tensor::wo, w.wo);
  fill(c, seed, Tensor::rms_ffn, w.rms_ffn);
  fill(c, seed, Tensor::w1, w.w1);
  fill(c, seed, Tensor::w2, w.w2);
  fill(c, seed, Tensor::w3, w.w3);
  fill(c, seed, Tensor::rms_final, w.rms_final);
  fill(c, seed, Tensor::wcls, w.wcls);
  return m;
}

}  // namespace slm::llama2
