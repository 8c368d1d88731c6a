// Quality of the integer model against the fp32 reference (docs/quality.md).
//
// Computed: token sequences sampled from the fp32 model itself (the model's own story
// distribution; seeds decide the sequence), and, under teacher forcing over such
// sequences, per-position top-1 next-token agreement (argmax of integer logits ==
// argmax of fp32 logits) and KL(p_fp32 || p_int) of the softmax distributions (integer
// logits dequantised on the host). Calibration and evaluation draw from disjoint seed
// ranges and evaluate() refuses an evaluation sequence identical to a calibration one.
// Not computed: perplexity on an external corpus (none is shipped), task accuracy.
#pragma once
#include <cstdint>
#include <vector>

#include "workloads/llama2/model.h"
#include "workloads/quant/quant_model.h"

namespace slm::eval {

// Seed bases: calibration uses kCalibSeed + i, evaluation kEvalSeed + i (i < 1e6).
inline constexpr uint64_t kCalibSeed = 1'000'000;
inline constexpr uint64_t kEvalSeed = 2'000'000;

// n sequences of `len` tokens: BOS, then tokens sampled from the fp32 model at
// temperature 1, top-p 0.9, sampler seed seed0 + i (llama2.c sampler). A sampled BOS
// (end of story) is kept: the model continues with a new story, as in training data.
std::vector<std::vector<int>> sample_sequences(const llama2::Model& model, int n, int len, uint64_t seed0);
// Models without vocabulary: n sequences of len dim-vectors, N(0, 1) entries from a
// splitmix64 stream keyed by seed0 + i (Box-Muller on its uniforms).
std::vector<std::vector<float>> random_vector_sequences(const llama2::ModelConfig& c, int n, int len, uint64_t seed0);

struct Result {
  quant::Precision precision = quant::Precision::w8a8;
  int64_t positions = 0;     // predictions compared
  int64_t top1_agree = 0;    // argmax equal
  double mean_kl = 0.0;      // nats, KL(p_fp32 || p_int)
  double max_kl = 0.0;
  double top1() const { return positions ? static_cast<double>(top1_agree) / positions : 0.0; }
};

// Teacher forcing: at every position but the last of each sequence both models are fed
// the sequence's token and their next-token predictions compared. `calibration` lists the
// calibration sequences; an identical evaluation sequence is an slm::Error.
Result evaluate(const llama2::Model& model, const quant::QuantModel& qm, const std::vector<std::vector<int>>& sequences,
                const std::vector<std::vector<int>>& calibration);

}  // namespace slm::eval
