// Model argument -> quantised model (see prepare.h).
#include "workloads/eval/prepare.h"

#include <algorithm>

#include "workloads/common/error.h"
#include "workloads/eval/eval.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/calibrate.h"

namespace slm::eval {

bool is_quant_file(const std::string& path) { return path.size() > 5 && path.substr(path.size() - 5) == ".slmq"; }

quant::QuantModel quantize_calibrated(const llama2::Model& model, quant::Precision p, const CalibrationSpec& spec) {
  if (spec.sequences < 1 || spec.tokens < 2) throw err("calibration: need >= 1 sequence of >= 2 tokens");
  const int len = std::min(spec.tokens, model.config.seq_len);
  nlohmann::json info = {{"method", "min/max of fp32 activations per tensor"}, {"sequences", spec.sequences},
                         {"tokens_per_sequence", len}, {"first_seed", spec.seed}};
  if (model.config.has_vocab()) {
    info["source"] = "sampled from the fp32 model: BOS, temperature 1, top-p 0.9, seed first_seed + i";
    return quant::quantize(model, p, quant::calibrate(model, sample_sequences(model, spec.sequences, len, spec.seed)), info);
  }
  info["source"] = "random N(0,1) input vectors, splitmix64 seed first_seed + i";
  return quant::quantize(model, p, quant::calibrate_vectors(model, random_vector_sequences(model.config, spec.sequences, len, spec.seed)), info);
}

quant::QuantModel prepare_quant_model(const std::string& model_arg, quant::Precision p, const CalibrationSpec& spec,
                                      uint64_t weight_seed) {
  if (is_quant_file(model_arg)) {
    quant::QuantModel q = quant::QuantModel::load(model_arg);
    if (q.precision != p)
      throw err(model_arg, ": quantised model has precision ", quant::to_string(q.precision), ", not the requested ", quant::to_string(p));
    return q;
  }
  return quantize_calibrated(llama2::load_model(model_arg, weight_seed), p, spec);
}

}  // namespace slm::eval
