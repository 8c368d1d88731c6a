// Activation range collection (see calibrate.h).
#include "workloads/quant/calibrate.h"

#include <algorithm>
#include <string>

#include "workloads/common/error.h"
#include "workloads/llama2/float_model.h"

namespace slm::quant {
namespace {

class RangeObserver : public llama2::ActivationObserver {
 public:
  explicit RangeObserver(Ranges& r) : r_(r) {}
  void observe(const char* name, int layer, const float* data, size_t n) override {
    std::string key = layer >= 0 ? "l" + std::to_string(layer) + "." + name : std::string(name);
    auto [it, fresh] = r_.try_emplace(key, Range{data[0], data[0]});
    Range& r = it->second;
    for (size_t i = 0; i < n; ++i) {
      r.min = std::min<double>(r.min, data[i]);
      r.max = std::max<double>(r.max, data[i]);
    }
  }

 private:
  Ranges& r_;
};

}  // namespace

Ranges calibrate(const llama2::Model& model, const std::vector<std::vector<int>>& sequences) {
  if (sequences.empty()) throw err("calibration: no calibration sequences");
  Ranges ranges;
  RangeObserver obs(ranges);
  size_t longest = 1;
  for (const auto& seq : sequences) longest = std::max(longest, seq.size());
  llama2::FloatTransformer ft(model, static_cast<int>(std::min<size_t>(longest, static_cast<size_t>(model.config.seq_len))));
  for (const auto& seq : sequences) {
    if (static_cast<int>(seq.size()) > model.config.seq_len) throw err("calibration: sequence of ", seq.size(), " tokens exceeds seq_len");
    for (size_t pos = 0; pos < seq.size(); ++pos) ft.forward(seq[pos], static_cast<int>(pos), &obs);
  }
  return ranges;
}

Ranges calibrate_vectors(const llama2::Model& model, const std::vector<std::vector<float>>& sequences) {
  if (sequences.empty()) throw err("calibration: no calibration sequences");
  const size_t dim = static_cast<size_t>(model.config.dim);
  Ranges ranges;
  RangeObserver obs(ranges);
  size_t longest = 1;
  for (const auto& seq : sequences) longest = std::max(longest, seq.size() / std::max<size_t>(dim, 1));
  llama2::FloatTransformer ft(model, static_cast<int>(std::min<size_t>(longest, static_cast<size_t>(model.config.seq_len))));
  for (const auto& seq : sequences) {
    const size_t n = seq.size() / dim;
    if (n * dim != seq.size() || n > static_cast<size_t>(model.config.seq_len)) throw err("calibration: bad vector sequence length ", seq.size());
    for (size_t pos = 0; pos < n; ++pos) ft.forward_embedding(seq.data() + pos * dim, static_cast<int>(pos), &obs);
  }
  return ranges;
}

}  // namespace slm::quant
