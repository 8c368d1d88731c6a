// slmsim info — shape, parameter count and weight bytes per precision of a model.
//
// Reads only the checkpoint header / shape (resolve_config), so it works for shapes too
// large to materialise. Bytes per precision count weights only: fp32 4 B, int8 1 B, int4
// 0.5 B per parameter (no scales or zero points: those depend on the quantiser).
#include <cstdio>
#include <string>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"
#include "workloads/llama2/tokenizer.h"

namespace slm::cli {

namespace {
void run_info(const std::string& model, const std::string& tokenizer) {
  const llama2::ModelConfig c = llama2::resolve_config(model);
  const uint64_t n = c.n_params();
  std::printf("model: %s (%s)\n", c.name.c_str(),
              llama2::is_synthetic(model) ? "synthetic weights" : "llama2.c checkpoint");
  std::printf("dim: %d\nhidden_dim: %d\nn_layers: %d\nn_heads: %d\nn_kv_heads: %d\n", c.dim,
              c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads);
  std::printf("head_size: %d\nkv_dim: %d\nvocab_size: %d\nseq_len: %d\n", c.head_size(),
              c.kv_dim(), c.vocab_size, c.seq_len);
  std::printf("classifier: %s\n", !c.has_vocab()          ? "none"
                                  : c.shared_classifier ? "shared with embedding"
                                                        : "separate");
  std::printf("params: %llu\n", static_cast<unsigned long long>(n));
  std::printf("bytes_fp32: %llu\nbytes_int8: %llu\nbytes_int4: %llu\n",
              4ull * static_cast<unsigned long long>(n), static_cast<unsigned long long>(n),
              static_cast<unsigned long long>((n + 1) / 2));
  if (!tokenizer.empty()) {
    const llama2::Tokenizer tok(tokenizer, c.vocab_size);
    std::printf("tokenizer: %s (%d tokens, matches the model)\n", tokenizer.c_str(),
                tok.vocab_size());
  }
}
}  // namespace

void register_info(CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto tokenizer = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("info", "Model shape, parameter count, bytes per precision");
  cmd->add_option("--model", *model, "llama2.c checkpoint, shape name or shape file")->required();
  cmd->add_option("--tokenizer", *tokenizer, "optional tokenizer.bin to check against the model");
  cmd->callback([model, tokenizer] { run_info(*model, *tokenizer); });
}

}  // namespace slm::cli
