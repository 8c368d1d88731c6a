// The real stories260K checkpoint, quantised w8a8 once per test process (calibration: 2
// sequences of 16 tokens from eval::kCalibSeed), for kernel tests that need real tensors.
// nullptr when ../shared/models/stories260K.bin is absent (the test skips; CI=true fails).
#pragma once
#include <memory>

#include "tests/sim/harness.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/quant_model.h"

namespace slm::test {

inline const quant::QuantModel* stories260k_w8a8() {
  static std::unique_ptr<quant::QuantModel> q;
  if (!q) {
    const std::string p = shared_model("stories260K.bin");
    if (p.empty()) return nullptr;
    llama2::Model m = llama2::load_model(p);
    q = std::make_unique<quant::QuantModel>(eval::quantize_calibrated(m, quant::Precision::w8a8, {2, 16, eval::kCalibSeed}));
  }
  return q.get();
}

}  // namespace slm::test
