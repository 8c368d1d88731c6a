// load_model / resolve_config dispatch (see load.h).
#include "workloads/llama2/load.h"

#include <filesystem>

#include "workloads/llama2/checkpoint.h"
#include "workloads/llama2/shapes.h"

namespace slm::llama2 {

namespace {
bool is_shape_file(const std::string& p) {
  const auto ext = std::filesystem::path(p).extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}
}  // namespace

bool is_synthetic(const std::string& path_or_shape) {
  return is_shape_name(path_or_shape) || is_shape_file(path_or_shape);
}

ModelConfig resolve_config(const std::string& path_or_shape) {
  if (is_shape_name(path_or_shape)) return shape_config(path_or_shape);
  if (is_shape_file(path_or_shape)) return read_shape_file(path_or_shape);
  return read_checkpoint_config(path_or_shape);
}

Model load_model(const std::string& path_or_shape, uint64_t seed) {
  if (is_synthetic(path_or_shape)) return make_synthetic(resolve_config(path_or_shape), seed);
  return load_checkpoint(path_or_shape);
}

}  // namespace slm::llama2
