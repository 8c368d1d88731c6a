// The llama2.c text generation loop (run.c generate()), for any next-token model.
//
// Encodes the prompt with BOS; at each position feeds the current token, then either
// forces the next prompt token or samples one; stops after `steps` positions or when
// BOS (1) is produced; writes each decoded piece through the safe_printf filter and
// flushes, then a final "\n" -- byte for byte what run.c writes to standard output.
// steps <= 0 or > seq_len means seq_len (run.c's clamp). A prompt of more tokens than
// seq_len is refused (slm::Error).
#pragma once
#include <cstdio>
#include <functional>
#include <string>

#include "workloads/llama2/sampler.h"
#include "workloads/llama2/tokenizer.h"

namespace slm::llama2 {

// One model step: logits (vocab_size floats) for `token` at `pos`; valid until the next call.
using StepFn = std::function<const float*(int token, int pos)>;

struct GenerateStats {
  int prompt_tokens = 0;   // including BOS
  int positions = 0;       // forward steps run (run.c's final pos)
  double seconds = 0.0;    // wall time from the end of the first step (as run.c times it)
  double tokens_per_s() const { return positions > 1 && seconds > 0 ? (positions - 1) / seconds : 0; }
};

GenerateStats generate(const Tokenizer& tok, Sampler& sampler, int seq_len, const StepFn& step,
                       const std::string& prompt, int steps, std::FILE* out);

}  // namespace slm::llama2
