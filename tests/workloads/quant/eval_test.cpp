// Quality of the integer model on the real stories260K checkpoint (docs/quality.md).
#include <cstdio>

#include <gtest/gtest.h>

#include "tests/workloads/quant/model_files.h"
#include "workloads/eval/eval.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/calibrate.h"

namespace {

using namespace slm;

// 4 x 257 tokens = 1024 teacher-forced positions; calibration: 8 x 128 tokens, other seeds.
eval::Result run(quant::Precision p) {
  const std::string path = test::shared_model("stories260K.bin");
  llama2::Model m = llama2::load_model(path, 1);
  auto calib = eval::sample_sequences(m, 8, 128, eval::kCalibSeed);
  auto seqs = eval::sample_sequences(m, 4, 257, eval::kEvalSeed);
  quant::QuantModel qm = quant::quantize(m, p, quant::calibrate(m, calib), {});
  eval::Result r = eval::evaluate(m, qm, seqs, calib);
  std::printf("%s: positions %lld top1 %.4f mean KL %.5f max KL %.4f\n", quant::to_string(p),
              static_cast<long long>(r.positions), r.top1(), r.mean_kl, r.max_kl);
  return r;
}

TEST(Eval, W8A16ReachesNinetyPercentTop1OnStories260K) {
  SLM_REQUIRE_MODEL_FILE(test::shared_model("stories260K.bin"));
  eval::Result r = run(quant::Precision::w8a16);
  EXPECT_GE(r.positions, 1000);
  EXPECT_GE(r.top1(), 0.90);
}

// w8a8 and w4a8 are reported, with only sanity bounds (far better than chance, 1/512).
TEST(Eval, W8A8AndW4A8AreReported) {
  SLM_REQUIRE_MODEL_FILE(test::shared_model("stories260K.bin"));
  for (quant::Precision p : {quant::Precision::w8a8, quant::Precision::w4a8}) {
    eval::Result r = run(p);
    EXPECT_GE(r.positions, 1000);
    EXPECT_GT(r.top1(), 0.3);
  }
}

}  // namespace
