// `slmsim run` on a model without vocabulary (Deeploy's microllama, anchors C3): hidden states
// in (seeded rows), hidden states out; prefill of N rows then autoregressive steps, timed as
// tokens/s; values computed by the engine and checked (and the check can fail); deterministic;
// text-only options refused.
#include <string>

#include <gtest/gtest.h>

#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "tests/common/cli.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"

namespace slm {
namespace {

replay::SessionOptions micro(const std::string& config, int prefill, int steps) {
  replay::SessionOptions o;
  o.config = config;
  o.model = "microllama";
  o.steps = steps;
  o.prefill_tokens = prefill;
  o.calibration = {2, 16, 1'000'000};
  return o;
}

TEST(NoVocabRun, GenericEnginePrefillAndDecodeSteps) {
  const auto rep = replay::run_session(micro(test::source_dir() + "/configs/mcu-siracusa-generic.yaml", 4, 7));
  EXPECT_EQ(rep["bit_exact"], true);
  EXPECT_EQ(rep["workload"]["prompt_tokens"], 4) << rep["workload"].dump();
  EXPECT_EQ(rep["decode"]["tokens"], 3) << rep["decode"].dump();
  EXPECT_GT(rep["decode"]["tokens_per_s"].get<double>(), 0.0);
  EXPECT_EQ(rep["text"], "");
}

TEST(NoVocabRun, NpuComputesTheValuesAndIsDeterministic) {
  const auto o = micro(test::fixture("tiny-npu.yaml"), 2, 4);
  const auto a = replay::run_session(o);
  EXPECT_EQ(a["bit_exact"], true);
  ASSERT_TRUE(a["engines"].is_array());
  bool npu_computed = false;
  for (const auto& e : a["engines"])
    if (e["engine"] == "npu" && e["ops_checked"].get<int>() > 0 && e["values_computed_by"] != "golden kernels") npu_computed = true;
  EXPECT_TRUE(npu_computed) << a["engines"].dump();
  const auto b = replay::run_session(o);
  EXPECT_EQ(a["decode"], b["decode"]);
  EXPECT_EQ(a["prefill"], b["prefill"]);
}

TEST(NoVocabRun, AFlippedWeightBitFailsTheCheck) {
  auto o = micro(test::fixture("tiny-npu.yaml"), 2, 4);
  {
    platform::register_types();
    const config::PlatformConfig cfg = config::load_platform(o.config);
    sim_reset_kernel();
    stats::Group root("soc");
    platform::Platform plat(cfg, root);
    const replay::Setup s = replay::prepare(plat, llama2::resolve_config("microllama"), quant::precision_from_string("w8a16"),
                                            false, o.steps);
    const replay::Region& reg = s.layout->region("npu.l0.wq.stream");
    o.faults = {reg.memory + ":" + std::to_string(reg.addr - plat.base(reg.memory) + 24 + 64 * 10 + 5) + ":4"};
  }
  o.precision = "w8a16";
  const auto rep = replay::run_session(o);
  EXPECT_EQ(rep["bit_exact"], false);
  ASSERT_TRUE(rep.contains("first_mismatch"));
  EXPECT_EQ(rep["first_mismatch"]["op"], "l0.wq");
}

TEST(NoVocabRun, TextOptionsAreRefused) {
  auto o = micro(test::source_dir() + "/configs/mcu-siracusa.yaml", 2, 4);
  o.prompt = "Once";
  try {
    replay::run_session(o);
    FAIL() << "accepted --prompt for a model without vocabulary";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--prefill-tokens"), std::string::npos) << e.what();
  }
  const auto r = test::run_slmsim("run --config '" + test::source_dir() + "/configs/mcu-siracusa.yaml' --model microllama --tokenizer x --steps 3");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("no vocabulary"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace slm
