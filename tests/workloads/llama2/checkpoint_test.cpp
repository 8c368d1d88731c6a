// llama2.c checkpoint reading: real file, round trip, and every kind of bad input.
#include <cstring>

#include "tests/workloads/llama2/common.h"
#include "workloads/common/error.h"
#include "workloads/llama2/checkpoint.h"
#include "workloads/llama2/load.h"
#include "workloads/llama2/shapes.h"

namespace slm::llama2 {
namespace {

using test::read_bytes;
using test::temp_dir;
using test::write_bytes;

TEST(Checkpoint, RealStories260K) {
  SLM_REQUIRE_SHARED("stories260K.bin");
  const std::string path = test::model_path("stories260K.bin");
  const Model m = load_model(path, 0);
  EXPECT_EQ(checkpoint_bytes(m.config), 1056540u);  // SOURCES.md: 28 + 264128 * 4
  EXPECT_EQ(m.config.n_kv_heads, 4);
  EXPECT_TRUE(m.config.shared_classifier);
  EXPECT_EQ(m.weights.wk.size(), 5u * 32 * 64);
  EXPECT_TRUE(m.weights.wcls.empty());
  // last float before the freq_cis tables is rms_final[dim-1]
  const std::string bytes = read_bytes(path);
  const uint64_t off = 28 + 4 * (m.config.n_params() - 1);
  float last = 0;
  std::memcpy(&last, bytes.data() + off, 4);
  EXPECT_EQ(last, m.weights.rms_final.back());
}

TEST(Checkpoint, RoundTripWithSeparateClassifierAndGqa) {
  const auto d = temp_dir();
  write_bytes(d / "s.yaml", "dim: 48\nhidden_dim: 64\nn_layers: 2\nn_heads: 6\nn_kv_heads: 2\n"
                            "vocab_size: 40\nseq_len: 12\nshared_classifier: false\n");
  const Model a = load_model((d / "s.yaml").string(), 11);
  write_checkpoint(a, (d / "s.bin").string());
  int32_t header[7];
  std::memcpy(header, read_bytes(d / "s.bin").data(), sizeof header);
  EXPECT_EQ(header[5], -40);  // negative vocab: separate classifier
  const Model b = load_model((d / "s.bin").string(), 0);
  EXPECT_FALSE(b.config.shared_classifier);
  EXPECT_EQ(a.weights.wcls, b.weights.wcls);
  EXPECT_EQ(a.weights.wv, b.weights.wv);
  EXPECT_EQ(a.weights.rms_final, b.weights.rms_final);
}

std::string header_bytes(std::initializer_list<int32_t> h) {
  std::string s(h.size() * 4, '\0');
  std::memcpy(s.data(), std::data(h), s.size());
  return s;
}

// Each bad file must give an slm::Error whose message names the file and the problem.
void expect_refused(const std::filesystem::path& p, const std::string& fragment) {
  try {
    load_model(p.string(), 0);
    ADD_FAILURE() << p << ": accepted";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find(p.string()), std::string::npos) << w;
    EXPECT_NE(w.find(fragment), std::string::npos) << "want '" << fragment << "' in: " << w;
  }
}

TEST(Checkpoint, BadHeadersAreRefusedBeforeAllocation) {
  const auto d = temp_dir();
  const struct { const char* name; std::string bytes; const char* expect; } cases[] = {
      {"empty.bin", "", "shorter than the 28-byte header"},
      {"short.bin", header_bytes({64, 172, 5}), "shorter than the 28-byte header"},
      {"zero_dim.bin", header_bytes({0, 172, 5, 8, 4, 512, 512}), "dim = 0"},
      {"neg_layers.bin", header_bytes({64, 172, -3, 8, 4, 512, 512}), "n_layers = -3"},
      {"zero_vocab.bin", header_bytes({64, 172, 5, 8, 4, 0, 512}), "vocab_size = 0"},
      {"absurd_dim.bin", header_bytes({1 << 30, 172, 5, 8, 4, 512, 512}), "dim = 1073741824"},
      {"absurd_seq.bin", header_bytes({64, 172, 5, 8, 4, 512, 2000000000}), "seq_len"},
      {"heads.bin", header_bytes({64, 172, 5, 6, 3, 512, 512}), "not a multiple of n_heads"},
      {"kv.bin", header_bytes({64, 172, 5, 8, 3, 512, 512}), "not a multiple of n_kv_heads"},
      {"kv_gt.bin", header_bytes({64, 172, 5, 8, 16, 512, 512}), "n_kv_heads = 16"},
      {"header_only.bin", header_bytes({64, 172, 5, 8, 4, 512, 512}), "disagrees with the header"},
      {"huge_claim.bin", header_bytes({8192, 28672, 80, 64, 8, 32000, 4096}), "truncated?"},
  };
  for (const auto& c : cases) {
    write_bytes(d / c.name, c.bytes);
    expect_refused(d / c.name, c.expect);
  }
  expect_refused(d / "missing.bin", "cannot open");
}

TEST(Checkpoint, SizeMismatchesAreRefused) {
  SLM_REQUIRE_SHARED("stories260K.bin");
  const auto d = temp_dir();
  const std::string good = read_bytes(test::model_path("stories260K.bin"));
  write_bytes(d / "truncated.bin", good.substr(0, good.size() - 4));
  expect_refused(d / "truncated.bin", "file size 1056536 bytes disagrees");
  write_bytes(d / "longer.bin", good + std::string(8, '\0'));
  expect_refused(d / "longer.bin", "file size 1056548 bytes disagrees");
  // flipping the sign of vocab_size claims a separate classifier the file does not contain
  std::string flipped = good;
  const int32_t neg = -512;
  std::memcpy(flipped.data() + 20, &neg, 4);
  write_bytes(d / "flipped.bin", flipped);
  expect_refused(d / "flipped.bin", "disagrees with the header");
}

}  // namespace
}  // namespace slm::llama2
