// One call from "a model argument" to a quantised model, shared by the CLI commands
// (quantize, eval, trace, bench golden, generate --precision).
//
// A path ending in .slmq is loaded (QuantModel::load). Anything else goes through
// llama2::load_model (checkpoint, shape name or shape file), is calibrated on sequences
// sampled from its fp32 self (seeds kCalibSeed + i; microllama: random vectors) and
// quantised. The calibration recipe is recorded in params["calibration"].
#pragma once
#include <cstdint>
#include <string>

#include "workloads/llama2/model.h"
#include "workloads/quant/quant_model.h"

namespace slm::eval {

struct CalibrationSpec {
  int sequences = 8;        // calibration sequences
  int tokens = 128;         // tokens per sequence (clamped to seq_len)
  uint64_t seed = 1'000'000;  // first sampler seed (= kCalibSeed)
};

bool is_quant_file(const std::string& path);
quant::QuantModel quantize_calibrated(const llama2::Model& model, quant::Precision p, const CalibrationSpec& spec);
// weight_seed: synthetic weights' seed (ignored for checkpoints).
quant::QuantModel prepare_quant_model(const std::string& model_arg, quant::Precision p, const CalibrationSpec& spec,
                                      uint64_t weight_seed = 1);

}  // namespace slm::eval
