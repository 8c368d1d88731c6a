// slmsim eval — quality of each precision against fp32 under teacher forcing.
//
//   slmsim eval --model stories260K.bin [--precision w8a8 --precision w8a16 ...]
//               [--sequences 4] [--tokens 257] [--calib-sequences 8] [--calib-tokens 128]
//               [--json out.json]
// Evaluation sequences are sampled from the fp32 model with seeds kEvalSeed + i,
// calibration sequences with kCalibSeed + i (disjoint; identical sequences are refused).
// Prints top-1 agreement and mean KL per precision (docs/quality.md).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/load.h"

namespace slm::cli {
namespace {

struct EvalOptions {
  std::string model, json_out;
  std::vector<std::string> precisions = {"w8a8", "w8a16", "w4a8"};
  int sequences = 4, tokens = 257;
  eval::CalibrationSpec calib;
  uint64_t seed = 1;
};

void run(const EvalOptions& o) {
  if (eval::is_quant_file(o.model)) throw err("eval: --model needs the fp32 model (checkpoint or shape), not ", o.model);
  const llama2::Model m = llama2::load_model(o.model, o.seed);
  const int len = std::min(o.tokens, m.config.seq_len);
  const auto seqs = eval::sample_sequences(m, o.sequences, len, eval::kEvalSeed);
  const auto calib = eval::sample_sequences(m, o.calib.sequences, std::min(o.calib.tokens, m.config.seq_len), o.calib.seed);
  nlohmann::json report = {{"model", m.config.name}, {"eval_sequences", o.sequences}, {"eval_tokens", len},
                           {"eval_first_seed", eval::kEvalSeed}, {"calib_sequences", o.calib.sequences},
                           {"calib_tokens", o.calib.tokens}, {"calib_first_seed", o.calib.seed}, {"results", nlohmann::json::array()}};
  std::printf("model %s: %d eval sequences x %d tokens (seeds %llu+), calibration %d x %d (seeds %llu+)\n",
              m.config.name.c_str(), o.sequences, len, static_cast<unsigned long long>(eval::kEvalSeed), o.calib.sequences,
              o.calib.tokens, static_cast<unsigned long long>(o.calib.seed));
  std::printf("%-6s %10s %10s %12s %10s\n", "prec", "positions", "top1", "mean_KL", "max_KL");
  for (const std::string& ps : o.precisions) {
    const quant::Precision p = quant::precision_from_string(ps);
    const quant::QuantModel qm = eval::quantize_calibrated(m, p, o.calib);
    const eval::Result r = eval::evaluate(m, qm, seqs, calib);
    std::printf("%-6s %10lld %9.2f%% %12.5f %10.4f\n", ps.c_str(), static_cast<long long>(r.positions), 100.0 * r.top1(),
                r.mean_kl, r.max_kl);
    report["results"].push_back({{"precision", ps}, {"positions", r.positions}, {"top1_agreement", r.top1()},
                                 {"mean_kl", r.mean_kl}, {"max_kl", r.max_kl}});
  }
  if (!o.json_out.empty()) {
    io::write_file_atomic(o.json_out, report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
}

}  // namespace

void register_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "Top-1 agreement and KL of each precision vs fp32 (teacher forcing)");
  cmd->add_option("--model", o->model, "fp32 checkpoint, shape name or shape file")->required();
  cmd->add_option("--precision", o->precisions, "w8a8 | w8a16 | w4a8 (repeatable)")->capture_default_str();
  cmd->add_option("--sequences", o->sequences, "Evaluation sequences")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--tokens", o->tokens, "Tokens per evaluation sequence (positions = tokens - 1)")->check(CLI::Range(2, 1 << 20))->capture_default_str();
  add_calibration_options(cmd, o->calib);
  cmd->add_option("--weight-seed", o->seed, "Seed of synthetic weights")->capture_default_str();
  cmd->add_option("--json", o->json_out, "Also write the results as JSON");
  cmd->callback([o] {
    if (o->calib.seed < eval::kEvalSeed + static_cast<uint64_t>(o->sequences) && o->calib.seed + static_cast<uint64_t>(o->calib.sequences) > eval::kEvalSeed)
      throw err("eval: --calib-seed ", o->calib.seed, " overlaps the evaluation seeds [", eval::kEvalSeed, ", ", eval::kEvalSeed + o->sequences, ")");
    run(*o);
  });
}

}  // namespace slm::cli
