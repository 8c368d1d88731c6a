// The one entry point for "a model" anywhere in slmsim.
//
// path_or_shape is either a named shape (shapes.h: stories15M, microllama, ...), a shape
// file (.yaml / .yml / .json) -> deterministic synthetic weights from `seed`, or else a
// llama2.c checkpoint path (checkpoint.h; the seed is ignored).
#pragma once
#include <cstdint>
#include <string>

#include "workloads/llama2/model.h"

namespace slm::llama2 {

// Default seed for synthetic weights when a caller has no preference.
inline constexpr uint64_t kDefaultWeightSeed = 1;

// True when path_or_shape selects synthetic weights (shape name or shape file).
bool is_synthetic(const std::string& path_or_shape);

// Loads (or synthesises) the model. Throws slm::Error on bad input.
Model load_model(const std::string& path_or_shape, uint64_t seed = kDefaultWeightSeed);

// Only the configuration: reads a checkpoint header or a shape file, allocates no weights.
// Use it for shapes too large to materialise (llama2-7b, phi3-mini).
ModelConfig resolve_config(const std::string& path_or_shape);

}  // namespace slm::llama2
