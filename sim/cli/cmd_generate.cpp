// slmsim generate — text generation with llama2.c run.c's semantics.
//
// Standard output is byte for byte what run.c prints for the same model, tokenizer,
// temperature, top-p, seed, steps and prompt (fp32); statistics go to standard error.
// Unlike run.c the sampler seed defaults to a fixed value (kDefaultSampleSeed), so two
// runs give the same text. --precision w8a8 | w8a16 | w4a8 runs the integer-only model
// (workloads/quant; calibrated on the fly, or a .slmq file from `slmsim quantize`): greedy
// argmax on its integer logits, sampling on the dequantised logits (host side).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"
#include "workloads/llama2/float_model.h"
#include "workloads/llama2/generate.h"
#include "workloads/llama2/load.h"
#include "workloads/eval/prepare.h"
#include "workloads/quant/int_model.h"

namespace slm::cli {

namespace {
constexpr uint64_t kDefaultSampleSeed = 42;

struct GenerateArgs {
  std::string model;
  std::string tokenizer;
  float temperature = 1.0f;  // run.c defaults
  float topp = 0.9f;
  uint64_t seed = kDefaultSampleSeed;
  uint64_t weight_seed = llama2::kDefaultWeightSeed;
  int steps = 256;
  std::string prompt;
  std::string precision = "fp32";
};

void run_generate(const GenerateArgs& a) {
  const bool fp32 = a.precision == "fp32";
  const quant::Precision prec = fp32 ? quant::Precision::w8a16 : quant::precision_from_string(a.precision);
  if (!(a.temperature >= 0.0f)) throw err("--temperature ", a.temperature, ": must be >= 0");
  if (!(a.topp >= 0.0f && a.topp <= 1.0f)) throw err("--topp ", a.topp, ": must be in [0, 1]");
  if (a.seed == 0) throw err("--seed 0: must be non-zero (run.c would use the time instead)");
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<llama2::Model> model;
  std::unique_ptr<llama2::FloatTransformer> fwd;
  std::unique_ptr<quant::QuantModel> qm;
  std::unique_ptr<quant::IntTransformer> imodel;
  llama2::StepFn step;
  if (fp32) {
    if (eval::is_quant_file(a.model)) throw err("--model ", a.model, ": a quantised file needs an integer --precision");
    model = std::make_unique<llama2::Model>(llama2::load_model(a.model, a.weight_seed));
    fwd = std::make_unique<llama2::FloatTransformer>(*model, a.steps);  // KV cache: the run's positions
    step = [&](int token, int pos) { return fwd->forward(token, pos); };
  } else {
    qm = std::make_unique<quant::QuantModel>(eval::prepare_quant_model(a.model, prec, eval::CalibrationSpec{}, a.weight_seed));
    if (qm->precision != prec)
      throw err("--precision ", a.precision, ": ", a.model, " was quantised as ", quant::to_string(qm->precision));
    imodel = std::make_unique<quant::IntTransformer>(*qm, a.steps);
    step = quant::int_step_fn(*imodel);
  }
  const llama2::ModelConfig& c = fp32 ? model->config : qm->config;
  if (!c.has_vocab()) throw err(a.model, ": model has no vocabulary; nothing to generate");
  const llama2::Tokenizer tok(a.tokenizer, c.vocab_size);
  llama2::Sampler sampler(c.vocab_size, a.temperature, a.topp, a.seed);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto st = llama2::generate(tok, sampler, c.seq_len, step, a.prompt, a.steps, stdout);
  std::fprintf(stderr, "achieved tok/s: %f (precision %s, %d positions, load %.3f s)\n",
               st.tokens_per_s(), a.precision.c_str(), st.positions, load_s);
}
}  // namespace

void register_generate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand(
      "generate", "Generate text like llama2.c run.c (stdout = run.c's stdout; stats on stderr)");
  cmd->add_option("--model", args->model,
                  "llama2.c checkpoint, shape name (stories15M, ...) or shape file")
      ->required();
  cmd->add_option("--tokenizer", args->tokenizer, "llama2.c tokenizer.bin file")->required();
  cmd->add_option("--temperature", args->temperature, "0 = greedy argmax (run.c -t)")
      ->capture_default_str();
  cmd->add_option("--topp", args->topp, "top-p in (0,1); 0 or 1 = off (run.c -p)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "sampler xorshift seed, non-zero (run.c -s)")
      ->capture_default_str();
  cmd->add_option("--steps", args->steps, "positions to run; 0 = seq_len (run.c -n)")
      ->check(CLI::Range(0, 1 << 30))
      ->capture_default_str();
  cmd->add_option("--prompt", args->prompt, "prompt text (run.c -i)");
  cmd->add_option("--precision", args->precision, "fp32 (float reference) | w8a8 | w8a16 | w4a8 (integer-only model)")
      ->capture_default_str();
  cmd->add_option("--weight-seed", args->weight_seed, "seed of synthetic weights (shapes only)")
      ->capture_default_str();
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace slm::cli
