// Named shapes (published parameter counts), shape files, synthetic weights.
#include <cmath>
#include <cstring>

#include "tests/workloads/llama2/common.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"
#include "workloads/llama2/shapes.h"

namespace slm::llama2 {
namespace {

using test::temp_dir;
using test::write_bytes;

// Published sizes: llama2.c README (stories*), Deeploy microLlama ONNX (524,288 matmul weights,
// anchors C3), TinyLlama model card (1.1B), Llama 2 paper (7B: 6.74B in Meta's model card),
// Phi-3 technical report (3.8B).
TEST(Shapes, ParamCountsMatchPublishedSizes) {
  const struct { const char* name; double published; double tol; } cases[] = {
      {"stories15M", 15e6, 0.02},        {"stories42M", 42e6, 0.02},
      {"stories110M", 110e6, 0.01},      {"tinyllama-1.1b", 1.1e9, 0.01},
      {"llama2-7b", 6.74e9, 0.001},      {"phi3-mini", 3.8e9, 0.01}};
  for (const auto& c : cases) {
    const double n = static_cast<double>(shape_config(c.name).n_params());
    EXPECT_NEAR(n / c.published, 1.0, c.tol) << c.name << " n_params " << n;
  }
  // exact counts derived by hand from the shapes (dim, hidden, layers, heads, vocab)
  EXPECT_EQ(shape_config("stories15M").n_params(), 15191712u);
  const ModelConfig micro = shape_config("microllama");
  EXPECT_EQ(micro.n_params() - (2 * 8 * 64 + 64), 524288u);  // matmul weights only
  EXPECT_FALSE(micro.has_vocab());
  EXPECT_EQ(micro.head_size(), 4);
}

TEST(Shapes, Stories260KMatchesTheRealCheckpointHeader) {
  SLM_REQUIRE_SHARED("stories260K.bin");
  const ModelConfig real = resolve_config(test::model_path("stories260K.bin"));
  const ModelConfig named = shape_config("stories260K");
  EXPECT_EQ(real.dim, named.dim);
  EXPECT_EQ(real.hidden_dim, named.hidden_dim);
  EXPECT_EQ(real.n_layers, named.n_layers);
  EXPECT_EQ(real.n_heads, named.n_heads);
  EXPECT_EQ(real.n_kv_heads, named.n_kv_heads);
  EXPECT_EQ(real.vocab_size, named.vocab_size);
  EXPECT_EQ(real.seq_len, named.seq_len);
  EXPECT_EQ(real.shared_classifier, named.shared_classifier);
}

TEST(Shapes, UnknownNameListsKnownOnes) {
  try {
    shape_config("stories16M");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("stories15M"), std::string::npos) << e.what();
  }
}

TEST(Shapes, YamlAndJsonShapeFiles) {
  const auto d = temp_dir();
  write_bytes(d / "tiny.yaml", "dim: 32\nhidden_dim: 96\nn_layers: 2\nn_heads: 4\n"
                               "n_kv_heads: 2\nvocab_size: 100\nseq_len: 16\n");
  const ModelConfig y = resolve_config((d / "tiny.yaml").string());
  EXPECT_EQ(y.dim, 32);
  EXPECT_EQ(y.kv_dim(), 16);
  EXPECT_EQ(y.name, "tiny");
  write_bytes(d / "long.json", R"({"base": "stories15M", "seq_len": 1024, "name": "s15-1k"})");
  const ModelConfig j = resolve_config((d / "long.json").string());
  EXPECT_EQ(j.dim, 288);
  EXPECT_EQ(j.seq_len, 1024);
  EXPECT_EQ(j.name, "s15-1k");
  const Model m = load_model((d / "tiny.yaml").string(), 5);  // usable wherever a checkpoint is
  EXPECT_EQ(m.weights.wk.size(), 2u * 16 * 32);
}

TEST(Shapes, BadShapeFilesAreRefused) {
  const auto d = temp_dir();
  const struct { const char* file; const char* text; const char* expect; } cases[] = {
      {"typo.yaml", "dim: 32\nhiden_dim: 96\n", "unknown key 'hiden_dim'"},
      {"bad.yaml", "dim: lots\n", "key 'dim' has bad value 'lots'"},
      {"odd.yaml", "base: stories15M\nn_heads: 7\n", "not a multiple of n_heads"},
      {"zero.json", R"({"base": "stories15M", "n_layers": 0})", "n_layers = 0"},
      {"list.yaml", "- 1\n- 2\n", "mapping"},
  };
  for (const auto& c : cases) {
    write_bytes(d / c.file, c.text);
    try {
      resolve_config((d / c.file).string());
      ADD_FAILURE() << c.file << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.file), std::string::npos) << e.what();
    }
  }
}

TEST(Synthetic, DeterministicAndSeedDependent) {
  const ModelConfig c = shape_config("stories260K");
  const Model a = make_synthetic(c, 7), b = make_synthetic(c, 7), o = make_synthetic(c, 8);
  EXPECT_EQ(a.weights.wq, b.weights.wq);
  EXPECT_EQ(a.weights.token_embedding, b.weights.token_embedding);
  EXPECT_NE(a.weights.wq, o.weights.wq);
  std::vector<float> row(c.dim);  // layer 2, row 5 of wq, generated alone
  synthetic_rows(c, 7, Tensor::wq, 2, 5, 1, row.data());
  EXPECT_EQ(0, std::memcmp(row.data(), a.weights.wq.data() + (2 * c.dim + 5) * c.dim,
                           row.size() * sizeof(float)));
}

TEST(Synthetic, RowsDoNotDependOnChunking) {
  const ModelConfig c = shape_config("stories15M");
  const int64_t rows = c.hidden_dim, cols = c.dim;
  std::vector<float> whole(rows * cols), parts(rows * cols);
  synthetic_rows(c, 3, Tensor::w1, 4, 0, rows, whole.data());
  int64_t r = 0;
  for (const int64_t n : {1, 2, 5, 100, 300}) {
    synthetic_rows(c, 3, Tensor::w1, 4, r, n, parts.data() + r * cols);
    r += n;
  }
  synthetic_rows(c, 3, Tensor::w1, 4, r, rows - r, parts.data() + r * cols);
  EXPECT_EQ(whole, parts);
  // and the materialised model holds exactly these rows
  const Model m = make_synthetic(c, 3);
  EXPECT_EQ(0, std::memcmp(whole.data(), m.weights.w1.data() + 4 * rows * cols,
                           whole.size() * sizeof(float)));
}

double mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s / v.size();
}
double stddev(const std::vector<float>& v) {
  const double m = mean(v);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}

TEST(Synthetic, RealisticScale) {
  const ModelConfig c = shape_config("stories15M");
  const Model m = make_synthetic(c, 1);
  EXPECT_NEAR(stddev(m.weights.wq) * std::sqrt(c.dim), 1.0, 0.01);
  EXPECT_NEAR(stddev(m.weights.w2) * std::sqrt(c.hidden_dim), 1.0, 0.01);
  EXPECT_NEAR(stddev(m.weights.token_embedding) * std::sqrt(c.dim), 3.0, 0.03);
  EXPECT_NEAR(mean(m.weights.rms_att), 1.0, 0.01);
  EXPECT_NEAR(stddev(m.weights.rms_att), 0.05, 0.005);
  EXPECT_NEAR(mean(m.weights.wq), 0.0, 1e-3);
}

TEST(Synthetic, HugeShapesByRowsOnly) {
  const ModelConfig c = resolve_config("llama2-7b");
  EXPECT_THROW(make_synthetic(c, 1), Error);  // 27 GB of floats: refused, nothing allocated
  std::vector<float> row(c.hidden_dim);
  synthetic_rows(c, 1, Tensor::w2, 31, c.dim - 1, 1, row.data());  // last row of the last layer
  EXPECT_NEAR(stddev(row) * std::sqrt(c.hidden_dim), 1.0, 0.05);
  EXPECT_THROW(synthetic_rows(c, 1, Tensor::w2, 32, 0, 1, row.data()), Error);
  EXPECT_THROW(synthetic_rows(c, 1, Tensor::w2, 0, c.dim, 1, row.data()), Error);
  EXPECT_THROW(synthetic_rows(c, 1, Tensor::wcls, 0, 0, 1, row.data()), Error);
}

}  // namespace
}  // namespace slm::llama2
