// `slmsim generate` vs llama2.c run.c, byte for byte (fixtures/README.md), and CLI errors.
#include "tests/workloads/llama2/common.h"

namespace slm::llama2 {
namespace {

using test::read_bytes;
using test::run_slmsim;

std::string model_args() {
  return "--model '" + test::model_path("stories260K.bin") + "' --tokenizer '" +
         test::model_path("tok512.bin") + "'";
}

struct Case {
  const char* fixture;
  const char* args;
};
class GenerateMatchesRunC : public ::testing::TestWithParam<Case> {};

TEST_P(GenerateMatchesRunC, Stdout) {
  SLM_REQUIRE_SHARED("stories260K.bin");
  SLM_REQUIRE_SHARED("tok512.bin");
  const Case c = GetParam();
  const auto r = run_slmsim("generate --precision fp32 " + model_args() + " " + c.args);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string want =
      read_bytes(std::string(SLMSIM_SOURCE_DIR "/tests/workloads/llama2/fixtures/") + c.fixture);
  ASSERT_FALSE(want.empty()) << "missing fixture " << c.fixture;
  EXPECT_EQ(r.out, want);
  EXPECT_NE(r.err.find("achieved tok/s"), std::string::npos);  // stats on stderr only
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, GenerateMatchesRunC,
    ::testing::Values(
        Case{"greedy_n80.txt", "--temperature 0 --steps 80"},
        Case{"greedy_n256_prompt.txt",
             "--temperature 0 --steps 256 --prompt 'Once upon a time, a little dragon'"},
        Case{"greedy_n60_unicode_prompt.txt",
             "--temperature 0 --steps 60 --prompt 'Lily saw a caf\xc3\xa9 \xf0\x9f\x90\x89 dragon'"},
        Case{"topp_t1.0_p0.9_s42_n256.txt", "--temperature 1.0 --topp 0.9 --seed 42 --steps 256"},
        Case{"topp_t1.0_p0.9_s42_n80_prompt.txt",
             "--temperature 1.0 --topp 0.9 --seed 42 --steps 80 --prompt 'Tom had a red ball'"},
        Case{"topp_t0.9_p0.5_s1234_n0.txt", "--temperature 0.9 --topp 0.5 --seed 1234 --steps 0"},
        Case{"mult_t0.8_p0_s7_n80.txt", "--temperature 0.8 --topp 0 --seed 7 --steps 80"}),
    [](const auto& info) {
      std::string n = info.param.fixture;
      n = n.substr(0, n.size() - 4);
      for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(GenerateCli, DefaultSeedIsFixed) {
  SLM_REQUIRE_SHARED("stories260K.bin");
  const auto a = run_slmsim("generate " + model_args() + " --steps 40");
  const auto b = run_slmsim("generate " + model_args() + " --steps 40");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_GT(a.out.size(), 20u);
}

TEST(GenerateCli, BadInputExitsWithStatus2) {
  SLM_REQUIRE_SHARED("stories260K.bin");
  SLM_REQUIRE_SHARED("tokenizer.bin");
  std::string long_prompt;
  for (int i = 0; i < 600; ++i) long_prompt += "dragon ";
  const struct { std::string args; const char* expect; } cases[] = {
      {model_args() + " --prompt '" + long_prompt + "'", "seq_len is 512"},
      {"--model '" + test::model_path("stories260K.bin") + "' --tokenizer '" +
           test::model_path("tokenizer.bin") + "'",
       "larger than the model's"},
      {model_args() + " --precision w3a3", "w3a3"},
      {model_args() + " --seed 0", "--seed 0"},
      {"--model /nonexistent.bin --tokenizer x", "cannot open"},
      {"--model microllama --tokenizer x", "no vocabulary"},
  };
  for (const auto& c : cases) {
    const auto r = run_slmsim("generate " + c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  }
}

TEST(InfoCli, PrintsShapeParamsAndBytes) {
  const auto r = run_slmsim("info --model stories15M");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("params: 15191712"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bytes_fp32: 60766848"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bytes_int4: 7595856"), std::string::npos) << r.out;
  const auto big = run_slmsim("info --model llama2-7b");  // header only: no 27 GB allocation
  ASSERT_EQ(big.status, 0) << big.err;
  EXPECT_NE(big.out.find("n_kv_heads: 32"), std::string::npos);
  SLM_REQUIRE_SHARED("stories260K.bin");
  const auto real = run_slmsim("info " + model_args());
  ASSERT_EQ(real.status, 0) << real.err;
  EXPECT_NE(real.out.find("n_kv_heads: 4"), std::string::npos);
  EXPECT_NE(real.out.find("matches the model"), std::string::npos);
}

}  // namespace
}  // namespace slm::llama2
