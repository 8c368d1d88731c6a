// run.c generation loop (see generate.h).
#include "workloads/llama2/generate.h"

#include <chrono>
#include <cstring>
#include <vector>

#include "workloads/common/error.h"

namespace slm::llama2 {

GenerateStats generate(const Tokenizer& tok, Sampler& sampler, int seq_len, const StepFn& step,
                       const std::string& prompt, int steps, std::FILE* out) {
  if (steps <= 0 || steps > seq_len) steps = seq_len;
  if (tok.min_tokens(prompt, true) > seq_len)  // before tokenizing: the merge work is bounded by seq_len
    throw err("prompt is at least ", tok.min_tokens(prompt, true), " tokens (with BOS) but the model's seq_len is ", seq_len);
  const std::vector<int> prompt_tokens = tok.encode(prompt, true, false);
  if (static_cast<int>(prompt_tokens.size()) > seq_len)
    throw err("prompt is ", prompt_tokens.size(), " tokens (with BOS) but the model's seq_len is ",
              seq_len);
  GenerateStats st;
  st.prompt_tokens = static_cast<int>(prompt_tokens.size());
  std::vector<float> logits(tok.vocab_size());  // (vocab) sampler works in place
  using Clock = std::chrono::steady_clock;
  Clock::time_point start;
  bool timing = false;
  int token = prompt_tokens[0];
  int pos = 0;
  while (pos < steps) {
    const float* l = step(token, pos);
    int next;
    if (pos < st.prompt_tokens - 1) {
      next = prompt_tokens[pos + 1];  // still forcing the prompt
    } else {
      std::memcpy(logits.data(), l, logits.size() * sizeof(float));
      next = sampler.sample(logits.data());
    }
    pos++;
    if (next == kBosToken) break;  // BOS delimits sequences
    const std::string text = Tokenizer::printable(tok.decode(token, next));
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
    token = next;
    if (!timing) {
      start = Clock::now();
      timing = true;
    }
  }
  std::fputc('\n', out);
  std::fflush(out);
  st.positions = pos;
  if (timing) st.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return st;
}

}  // namespace slm::llama2
