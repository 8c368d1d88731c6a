// slmsim bench golden — native golden-engine decode speed, tokens/s per precision, on
// one core of the host (this process is single-threaded).
//
//   slmsim bench golden [--model stories15M --model stories260K] [--precision w8a8 ...]
//                       [--tokens 256] [--weight-seed 1]
// Each model is quantised (calibration: 2 sampled sequences of 32 tokens, which is
// enough for timing), then `tokens` greedy decode steps from BOS are timed (no trace
// sink). Prints one line per (model, precision). Numbers only, never assertions.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/quant/int_model.h"

namespace slm::cli {
namespace {

struct BenchGoldenOptions {
  std::vector<std::string> models = {"stories15M", "stories260K"};
  std::vector<std::string> precisions = {"w8a8", "w8a16", "w4a8"};
  int tokens = 256;
  uint64_t seed = 1;
};

// Greedy decode of `tokens` steps from BOS; returns tokens/s (all steps timed).
double time_decode(quant::IntTransformer& it, int tokens) {
  int32_t tok = 1;
  const auto t0 = std::chrono::steady_clock::now();
  for (int pos = 0; pos < tokens; ++pos) {
    it.forward(std::span<const int32_t>(&tok, 1), pos);
    const int16_t* l = it.logits();
    int32_t best = 0;
    for (int i = 1; i < it.config().vocab_size; ++i)
      if (l[i] > l[best]) best = i;
    tok = best;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return tokens / s;
}

void run(const BenchGoldenOptions& o) {
  eval::CalibrationSpec calib{2, 32, eval::kCalibSeed};
  std::printf("%-16s %-6s %8s %12s\n", "model", "prec", "tokens", "tokens/s");
  for (const std::string& m : o.models)
    for (const std::string& ps : o.precisions) {
      const quant::Precision p = quant::precision_from_string(ps);
      quant::QuantModel qm = eval::prepare_quant_model(m, p, calib, o.seed);
      if (!qm.config.has_vocab()) throw err("bench golden: model ", m, " has no vocabulary (use a token model)");
      const int n = std::min(o.tokens, qm.config.seq_len);
      quant::IntTransformer it(qm);
      std::printf("%-16s %-6s %8d %12.1f\n", qm.config.name.c_str(), ps.c_str(), n, time_decode(it, n));
      std::fflush(stdout);
    }
}

}  // namespace

void register_bench_golden(CLI::App& bench) {
  auto opt = std::make_shared<BenchGoldenOptions>();
  auto* cmd = bench.add_subcommand("golden", "Native golden-engine decode tokens/s per precision (one core)");
  cmd->add_option("--model", opt->models, "Model: shape name, shape file, checkpoint or .slmq (repeatable)")->capture_default_str();
  cmd->add_option("--precision", opt->precisions, "w8a8 | w8a16 | w4a8 (repeatable)")->capture_default_str();
  cmd->add_option("--tokens", opt->tokens, "Decode steps timed per model and precision")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd->add_option("--weight-seed", opt->seed, "Seed of synthetic weights")->capture_default_str();
  cmd->callback([opt] { run(*opt); });
}

}  // namespace slm::cli
