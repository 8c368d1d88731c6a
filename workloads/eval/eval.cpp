// Sequence sampling and teacher-forced agreement / KL (see eval.h).
#include "workloads/eval/eval.h"

#include <algorithm>
#include <cmath>

#include "workloads/common/error.h"
#include "workloads/llama2/float_model.h"
#include "workloads/llama2/sampler.h"
#include "workloads/quant/int_model.h"

namespace slm::eval {
namespace {

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// log-softmax of n logits, in double.
void log_softmax(const float* x, size_t n, std::vector<double>& out) {
  double mx = x[0];
  for (size_t i = 1; i < n; ++i) mx = std::max<double>(mx, x[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
  const double lse = mx + std::log(sum);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = x[i] - lse;
}

size_t argmax(const float* x, size_t n) { return static_cast<size_t>(std::max_element(x, x + n) - x); }

}  // namespace

std::vector<std::vector<int>> sample_sequences(const llama2::Model& model, int n, int len, uint64_t seed0) {
  const auto& c = model.config;
  if (!c.has_vocab()) throw err("sample_sequences: model ", c.name, " has no vocabulary");
  if (n < 1 || len < 2 || len > c.seq_len) throw err("sample_sequences: need n >= 1 and 2 <= len <= seq_len ", c.seq_len, " (got n ", n, ", len ", len, ")");
  std::vector<std::vector<int>> out;
  for (int i = 0; i < n; ++i) {
    llama2::FloatTransformer ft(model, len);
    llama2::Sampler sampler(c.vocab_size, 1.0f, 0.9f, seed0 + static_cast<uint64_t>(i));
    std::vector<int> seq = {1};
    std::vector<float> logits(static_cast<size_t>(c.vocab_size));
    while (static_cast<int>(seq.size()) < len) {
      const float* l = ft.forward(seq.back(), static_cast<int>(seq.size()) - 1);
      std::copy(l, l + c.vocab_size, logits.begin());
      seq.push_back(sampler.sample(logits.data()));
    }
    out.push_back(std::move(seq));
  }
  return out;
}

std::vector<std::vector<float>> random_vector_sequences(const llama2::ModelConfig& c, int n, int len, uint64_t seed0) {
  if (n < 1 || len < 1 || len > c.seq_len) throw err("random_vector_sequences: bad n ", n, " or len ", len);
  std::vector<std::vector<float>> out;
  for (int i = 0; i < n; ++i) {
    uint64_t s = seed0 + static_cast<uint64_t>(i);
    std::vector<float> v(static_cast<size_t>(len) * c.dim);
    for (size_t j = 0; j < v.size(); ++j) {
      double u1 = (static_cast<double>(splitmix64(s) >> 11) + 1.0) / 9007199254740993.0;
      double u2 = static_cast<double>(splitmix64(s) >> 11) / 9007199254740992.0;
      v[j] = static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result evaluate(const llama2::Model& model, const quant::QuantModel& qm, const std::vector<std::vector<int>>& sequences,
                const std::vector<std::vector<int>>& calibration) {
  const auto& c = model.config;
  if (!c.has_vocab()) throw err("eval: model ", c.name, " has no vocabulary (nothing to compare)");
  if (qm.config.dim != c.dim || qm.config.vocab_size != c.vocab_size || qm.config.n_layers != c.n_layers)
    throw err("eval: quantised model shape does not match the float model ", c.name);
  for (const auto& s : sequences)
    if (std::find(calibration.begin(), calibration.end(), s) != calibration.end())
      throw err("eval: an evaluation sequence is identical to a calibration sequence");
  Result r;
  r.precision = qm.precision;
  const size_t V = static_cast<size_t>(c.vocab_size);
  std::vector<double> lf, lq;
  double kl_sum = 0;
  for (const auto& seq : sequences) {
    llama2::FloatTransformer ft(model, static_cast<int>(seq.size()));
    quant::IntTransformer it(qm, static_cast<int>(seq.size()));
    for (size_t pos = 0; pos + 1 < seq.size(); ++pos) {
      const float* fl = ft.forward(seq[pos], static_cast<int>(pos));
      const int32_t tok = seq[pos];
      it.forward(std::span<const int32_t>(&tok, 1), static_cast<int>(pos));
      std::vector<float> ql = it.dequantized_logits();
      const int16_t* il = it.logits();
      const size_t ia = static_cast<size_t>(std::max_element(il, il + V) - il);  // integer argmax
      r.top1_agree += ia == argmax(fl, V);
      log_softmax(fl, V, lf);
      log_softmax(ql.data(), V, lq);
      double kl = 0;
      for (size_t i = 0; i < V; ++i) kl += std::exp(lf[i]) * (lf[i] - lq[i]);
      kl_sum += kl;
      r.max_kl = std::max(r.max_kl, kl);
      ++r.positions;
    }
  }
  r.mean_kl = r.positions ? kl_sum / static_cast<double>(r.positions) : 0.0;
  return r;
}

}  // namespace slm::eval
