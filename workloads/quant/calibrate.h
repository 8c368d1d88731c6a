// Static calibration: per-tensor float activation ranges (min, max) observed while the
// float reference (llama2::FloatTransformer) runs calibration sequences token by token.
// quantize() turns each range into a scale/zero point (docs/quantization.md).
// Not modelled: percentile/MSE/entropy range selection, per-channel activation scales.
#pragma once
#include <vector>

#include "workloads/llama2/model.h"
#include "workloads/quant/quant_model.h"

namespace slm::quant {

// Token sequences (vocab models): every tensor reported by the observer at every position.
Ranges calibrate(const llama2::Model& model, const std::vector<std::vector<int>>& sequences);
// Models without vocabulary: sequences of dim-vectors (seq x pos x dim floats).
Ranges calibrate_vectors(const llama2::Model& model, const std::vector<std::vector<float>>& sequences);

}  // namespace slm::quant
