// Next-token sampler with llama2.c run.c's exact semantics.
//
// temperature 0: argmax (first maximum). Otherwise logits /= temperature, softmax, one
// coin from run.c's xorshift64* generator ((u32 >> 8) / 2^24), then: top-p in (0, 1) ->
// nucleus sampling over the candidates with p >= (1 - topp)/(n - 1), sorted descending by
// std::qsort with run.c's comparator (so ties order exactly as in run.c); else plain
// multinomial sampling. Modifies the logits in place, as run.c does.
#pragma once
#include <cstdint>
#include <vector>

namespace slm::llama2 {

class Sampler {
 public:
  // seed: xorshift state; must be non-zero (run.c substitutes time(NULL) for 0; we refuse).
  Sampler(int vocab, float temperature, float topp, uint64_t seed);
  int sample(float* logits);
  float temperature() const { return temperature_; }
  float topp() const { return topp_; }

 private:
  struct ProbIndex {  // candidate kept for top-p, sorted by prob
    float prob;
    int index;
  };
  uint32_t random_u32();
  float random_f32();
  int sample_topp(const float* probabilities, float coin);

  int vocab_;
  float temperature_;
  float topp_;
  uint64_t rng_state_;
  std::vector<ProbIndex> probindex_;  // (vocab) top-p scratch
};

}  // namespace slm::llama2
