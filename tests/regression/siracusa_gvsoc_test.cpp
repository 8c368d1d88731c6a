// GVSoC comparison of the RISC-V cluster engine (docs/siracusa.md, anchors C4): the
// microLlama64 prefill (64 tokens, tiled, L1 budget 64000 B, 8 cores) on
// configs/mcu-siracusa.yaml. The model's cycles must be the ones recorded in
// docs/siracusa/gvsoc_summary.json by scripts/siracusa_gvsoc.py (the documented comparison stays
// the model's: rerun the script when the model changes), every op bit-exact; the ratio to
// GVSoC's 35.3 M cycles is recorded as a test property, not asserted (nothing is fitted to it).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/replay/session.h"
#include "tests/models/rv32/iss_harness.h"
#include "tests/sim/harness.h"

namespace slm {
namespace {

TEST(SiracusaGvsoc, MicroLlama64PrefillTiledL1_64000IsTheRecordedNumber) {
  SKIP_IF_EMPTY(test::rv32_program("cluster_kernels"), "cluster_kernels.elf");
  std::ifstream f(test::source_dir() + "/docs/siracusa/gvsoc_summary.json");
  ASSERT_TRUE(f.good()) << "docs/siracusa/gvsoc_summary.json missing (scripts/siracusa_gvsoc.py writes it)";
  const auto summary = nlohmann::json::parse(f);
  const nlohmann::json* rec = nullptr;
  for (const auto& c : summary)
    if (c["case"] == "prefill64_tiled_l1_64000") rec = &c;
  ASSERT_NE(rec, nullptr);

  replay::SessionOptions o;
  o.config = test::source_dir() + "/configs/mcu-siracusa.yaml";
  o.model = "microllama";
  o.prefill_tokens = 64;
  o.steps = 64;  // the prefill only
  o.sets = {"cores.cores=8", "cores.gemm=tiled", "cores.l1_budget_bytes=64000"};
  o.calibration = {4, 64, 1'000'000};  // as `slmsim run` (the script's runs)
  const auto rep = replay::run_session(o);
  EXPECT_EQ(rep["bit_exact"], true);
  // The prefill's time at the cluster clock, in cluster cycles (ops run back to back).
  const double cycles = rep["prefill"]["cycles"].get<double>();
  EXPECT_EQ(static_cast<uint64_t>(cycles), (*rec)["cycles"].get<uint64_t>());
  const double gvsoc = (*rec)["gvsoc_cycles"].get<double>();
  EXPECT_EQ(gvsoc, 35.3e6);  // anchors C4
  RecordProperty("model_cycles", std::to_string(static_cast<uint64_t>(cycles)));
  RecordProperty("model_over_gvsoc", std::to_string(cycles / gvsoc));
}

}  // namespace
}  // namespace slm
