// run.c sampler (see sampler.h).
#include "workloads/llama2/softmax.h"
#include "workloads/llama2/sampler.h"

#include <cmath>
#include <cstdlib>

#include "workloads/common/error.h"

namespace slm::llama2 {

Sampler::Sampler(int vocab, float temperature, float topp, uint64_t seed)
    : vocab_(vocab), temperature_(temperature), topp_(topp), rng_state_(seed) {
  if (vocab <= 0) throw err("sampler: vocab_size = ", vocab, ": must be positive");
  if (!(temperature >= 0.0f) || std::isinf(temperature))
    throw err("sampler: temperature = ", temperature, ": must be finite and >= 0");
  if (!(topp >= 0.0f && topp <= 1.0f))
    throw err("sampler: topp = ", topp, ": must be in [0, 1]");
  if (seed == 0) throw err("sampler: seed = 0: must be non-zero (xorshift state)");
  probindex_.resize(vocab);
}

uint32_t Sampler::random_u32() {  // xorshift64*
  rng_state_ ^= rng_state_ >> 12;
  rng_state_ ^= rng_state_ << 25;
  rng_state_ ^= rng_state_ >> 27;
  return static_cast<uint32_t>((rng_state_ * 0x2545F4914F6CDD1Dull) >> 32);
}

float Sampler::random_f32() { return (random_u32() >> 8) / 16777216.0f; }  // [0, 1)

namespace {
int argmax(const float* p, int n) {
  int max_i = 0;
  float max_p = p[0];
  for (int i = 1; i < n; i++)
    if (p[i] > max_p) {
      max_i = i;
      max_p = p[i];
    }
  return max_i;
}

int sample_mult(const float* p, int n, float coin) {
  float cdf = 0.0f;
  for (int i = 0; i < n; i++) {
    cdf += p[i];
    if (coin < cdf) return i;
  }
  return n - 1;  // rounding errors
}


struct ProbIndexC {
  float prob;
  int index;
};
int compare_desc(const void* a, const void* b) {
  const auto* a_ = static_cast<const ProbIndexC*>(a);
  const auto* b_ = static_cast<const ProbIndexC*>(b);
  if (a_->prob > b_->prob) return -1;
  if (a_->prob < b_->prob) return 1;
  return 0;
}
}  // namespace

int Sampler::sample_topp(const float* probabilities, float coin) {
  // values below (1 - topp)/(n - 1) cannot be in the nucleus: drop them before sorting
  int n0 = 0;
  const float cutoff = (1.0f - topp_) / (vocab_ - 1);
  for (int i = 0; i < vocab_; i++)
    if (probabilities[i] >= cutoff) probindex_[n0++] = {probabilities[i], i};
  if (n0 == 0) throw err("sampler: no candidate token for top-p (non-finite logits?)");
  static_assert(sizeof(ProbIndex) == sizeof(ProbIndexC));
  std::qsort(probindex_.data(), n0, sizeof(ProbIndex), compare_desc);
  // truncate where the cumulative probability exceeds topp
  float cumulative_prob = 0.0f;
  int last_idx = n0 - 1;
  for (int i = 0; i < n0; i++) {
    cumulative_prob += probindex_[i].prob;
    if (cumulative_prob > topp_) {
      last_idx = i;
      break;
    }
  }
  const float r = coin * cumulative_prob;
  float cdf = 0.0f;
  for (int i = 0; i <= last_idx; i++) {
    cdf += probindex_[i].prob;
    if (r < cdf) return probindex_[i].index;
  }
  return probindex_[last_idx].index;  // rounding errors
}

int Sampler::sample(float* logits) {
  if (temperature_ == 0.0f) return argmax(logits, vocab_);
  for (int q = 0; q < vocab_; q++) logits[q] /= temperature_;
  softmax(logits, vocab_);
  const float coin = random_f32();
  if (topp_ <= 0.0f || topp_ >= 1.0f) return sample_mult(logits, vocab_, coin);
  return sample_topp(logits, coin);
}

}  // namespace slm::llama2
