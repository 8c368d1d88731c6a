// Float reference: greedy text of stories260K, observer protocol, microllama input path.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "tests/workloads/llama2/common.h"
#include "workloads/common/error.h"
#include "workloads/llama2/float_model.h"
#include "workloads/llama2/generate.h"
#include "workloads/llama2/load.h"

namespace slm::llama2 {
namespace {

std::string collapse_spaces(const std::string& s) {
  std::istringstream in(s);
  std::string w, out;
  while (in >> w) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string generate_to_string(const Model& m, const Tokenizer& tok, float temp, float topp,
                               uint64_t seed, int steps, const std::string& prompt) {
  FloatTransformer fwd(m);
  Sampler sampler(m.config.vocab_size, temp, topp, seed);
  std::FILE* f = std::tmpfile();
  generate(tok, sampler, m.config.seq_len, [&](int t, int p) { return fwd.forward(t, p); },
           prompt, steps, f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s.push_back(static_cast<char>(c));
  std::fclose(f);
  return s;
}

TEST(FloatModel, GreedyStories260KMatchesPublishedText) {
  SLM_REQUIRE_SHARED("stories260K.bin");
  SLM_REQUIRE_SHARED("tok512.bin");
  const Model m = load_model(test::model_path("stories260K.bin"));
  const Tokenizer tok(test::model_path("tok512.bin"), m.config.vocab_size);
  // SOURCES.md / llama2.c doc/stories260K.md: run stories260K.bin -z tok512.bin -t 0 -n 80
  const std::string expected =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
      "park. One day, she saw a big, red ball. She wanted to play with it, but it was too high. "
      "Lily's mom said, \"Lily, let's go to";
  EXPECT_EQ(collapse_spaces(generate_to_string(m, tok, 0.0f, 0.9f, 1, 80, "")), expected);
}

struct Recorder : ActivationObserver {
  std::vector<std::pair<std::string, int>> seen;
  std::vector<size_t> sizes;
  bool finite = true;
  void observe(const char* name, int layer, const float* data, size_t n) override {
    seen.emplace_back(name, layer);
    sizes.push_back(n);
    for (size_t i = 0; i < n; ++i) finite &= std::isfinite(data[i]);
  }
};

TEST(FloatModel, ObserverSeesEveryTensorInOrderWithoutChangingResults) {
  const Model m = load_model("stories260K", 3);  // synthetic, GQA (8 heads, 4 kv heads)
  const ModelConfig& c = m.config;
  FloatTransformer plain(m), watched(m);
  Recorder rec;
  std::vector<float> a, b;
  for (int pos = 0; pos < 3; ++pos) {
    const float* la = plain.forward(10 + pos, pos);
    a.assign(la, la + c.vocab_size);
    rec = Recorder{};
    const float* lb = watched.forward(10 + pos, pos, &rec);
    b.assign(lb, lb + c.vocab_size);
    EXPECT_EQ(a, b) << "observing changed the logits at pos " << pos;
  }
  const char* per_layer[] = {"x_in",  "att_norm",   "q",         "k",       "v",
                             "q_rope", "k_rope",    "att_scores", "att_probs", "att_out",
                             "wo_out", "x_mid",     "ffn_norm",  "h1",      "h3",
                             "silu",  "gated",      "w2_out"};
  const size_t n_per = std::size(per_layer);
  ASSERT_EQ(rec.seen.size(), n_per * c.n_layers + 3);
  for (int l = 0; l < c.n_layers; ++l)
    for (size_t i = 0; i < n_per; ++i)
      EXPECT_EQ(rec.seen[l * n_per + i], std::make_pair(std::string(per_layer[i]), l));
  EXPECT_EQ(rec.seen[n_per * c.n_layers + 2], std::make_pair(std::string("logits"), -1));
  EXPECT_EQ(rec.sizes[3], static_cast<size_t>(c.kv_dim()));                 // k
  EXPECT_EQ(rec.sizes[7], static_cast<size_t>(c.n_heads * 3));              // scores at pos 2
  EXPECT_EQ(rec.sizes[13], static_cast<size_t>(c.hidden_dim));              // h1
  EXPECT_TRUE(rec.finite);
  // non-degenerate synthetic logits: not constant, moderate spread
  const auto [mn, mx] = std::minmax_element(b.begin(), b.end());
  EXPECT_GT(*mx - *mn, 1.0f);
  EXPECT_LT(*mx - *mn, 100.0f);
}

TEST(FloatModel, MicrollamaTakesEmbeddingsAndReturnsHiddenState) {
  const Model m = load_model("microllama", 1);
  FloatTransformer f(m);
  EXPECT_THROW(f.forward(0, 0), Error);  // no token embedding
  std::vector<float> x(m.config.dim, 0.5f);
  Recorder rec;
  const float* h = f.forward_embedding(x.data(), 0, &rec);
  EXPECT_EQ(rec.seen.back(), std::make_pair(std::string("final_norm"), -1));
  double ss = 0;
  for (int i = 0; i < m.config.dim; ++i) ss += double(h[i]) * h[i];
  EXPECT_NEAR(std::sqrt(ss / m.config.dim), 1.0, 0.2);  // RMS-normalised, gains near 1
}

TEST(FloatModel, BadTokenOrPositionIsRefused) {
  const Model m = load_model("stories260K", 1);
  FloatTransformer f(m);
  EXPECT_THROW(f.forward(512, 0), Error);
  EXPECT_THROW(f.forward(-1, 0), Error);
  EXPECT_THROW(f.forward(0, 512), Error);
  EXPECT_THROW(f.forward(0, -1), Error);
}

TEST(FloatModel, SamplerIsDeterministicPerSeed) {
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i) logits[i] = std::sin(i * 0.37f) * 2.0f;
  auto draw = [&](uint64_t seed, float topp) {
    Sampler s(100, 1.0f, topp, seed);
    std::vector<int> out;
    for (int k = 0; k < 50; ++k) {
      std::vector<float> l = logits;
      out.push_back(s.sample(l.data()));
    }
    return out;
  };
  EXPECT_EQ(draw(42, 0.9f), draw(42, 0.9f));
  EXPECT_NE(draw(42, 0.9f), draw(43, 0.9f));
  EXPECT_NE(draw(42, 0.9f), draw(42, 0.0f));
  EXPECT_THROW(Sampler(100, 1.0f, 0.9f, 0), Error);
  EXPECT_THROW(Sampler(100, -1.0f, 0.9f, 1), Error);
  EXPECT_THROW(Sampler(100, 1.0f, 1.5f, 1), Error);
}

}  // namespace
}  // namespace slm::llama2
