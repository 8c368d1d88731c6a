// slmsim trace — write the op trace of one prefill + N decode steps; validate a trace.
//
//   slmsim trace --model M --precision w8a16 (--prompt TEXT --tokenizer F | --prefill-tokens N)
//                --steps N --out F [--shape-only] [--calib-sequences 8] [--calib-tokens 128]
//   slmsim trace validate F
// Data mode (default up to kAutoShapeOnlyParams parameters) quantises the model and
// runs it: decode steps feed the greedy argmax of the integer logits. Shape-only mode
// (--shape-only, or automatic above that size) emits the same op records without
// computing (decode tokens do not matter for shapes). With --prefill-tokens the prompt
// is BOS followed by token ids 3, 4, ... (mod vocab). Format: docs/trace-format.md.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "sim/replay/replay.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/load.h"
#include "workloads/llama2/tokenizer.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/trace_io.h"

namespace slm::cli {
namespace {

constexpr uint64_t kAutoShapeOnlyParams = 200'000'000;

struct TraceOptions {
  std::string model, precision = "w8a16", prompt, tokenizer, out, validate_path;
  int prefill_tokens = 0, steps = 0;
  bool shape_only = false;
  eval::CalibrationSpec calib;
  uint64_t seed = 1;
};

std::vector<int32_t> prompt_tokens(const TraceOptions& o, const llama2::ModelConfig& c) {
  std::vector<int32_t> toks;
  if (!o.prompt.empty()) {
    if (o.tokenizer.empty()) throw err("trace: --prompt needs --tokenizer");
    if (!c.has_vocab()) throw err("trace: model ", c.name, " has no vocabulary; use --prefill-tokens");
    llama2::Tokenizer tok(o.tokenizer, c.vocab_size);
    for (int t : tok.encode(o.prompt, true, false, c.seq_len)) toks.push_back(t);
    return toks;
  }
  if (o.prefill_tokens < 1) throw err("trace: give --prompt or --prefill-tokens >= 1");
  for (int i = 0; i < o.prefill_tokens; ++i) toks.push_back(i == 0 ? 1 : (c.has_vocab() ? (2 + i) % c.vocab_size : 0));
  return toks;
}

void write_trace(const TraceOptions& o) {
  if (o.model.empty() || o.out.empty()) throw err("trace: --model and --out are required");
  const quant::Precision p = quant::precision_from_string(o.precision);
  const llama2::ModelConfig cfg = eval::is_quant_file(o.model) ? quant::QuantModel::load(o.model).config : llama2::resolve_config(o.model);
  const bool shape_only = o.shape_only || (!eval::is_quant_file(o.model) && cfg.n_params() > kAutoShapeOnlyParams);
  const std::vector<int32_t> prompt = prompt_tokens(o, cfg);
  if (prompt.size() + static_cast<size_t>(o.steps) > static_cast<size_t>(cfg.seq_len))
    throw err("trace: ", prompt.size(), " prompt tokens + ", o.steps, " steps exceed seq_len ", cfg.seq_len);
  std::unique_ptr<quant::QuantModel> qm;
  std::unique_ptr<quant::IntTransformer> it;
  if (shape_only) {
    it = std::make_unique<quant::IntTransformer>(cfg, p, static_cast<int>(prompt.size()) + o.steps);
  } else {
    qm = std::make_unique<quant::QuantModel>(eval::prepare_quant_model(o.model, p, o.calib, o.seed));
    it = std::make_unique<quant::IntTransformer>(*qm, static_cast<int>(prompt.size()) + o.steps);
  }
  io::AtomicOfstream out(o.out);  // written to a temporary file, renamed when complete
  std::ostream& f = out.stream();
  trace::TraceHeader h;
  h.model = replay::model_json(cfg);
  h.precision = quant::to_string(p);
  h.shape_only = shape_only;
  h.producer = "slmsim trace";
  trace::JsonlWriter w(f, h);
  const int m = static_cast<int>(prompt.size());
  std::vector<uint8_t> zeros;  // microllama input rows (data mode): quantised zeros + zp
  if (cfg.has_vocab()) {
    it->forward(prompt, 0, trace::Phase::prefill, &w);
  } else {
    if (!shape_only) zeros.assign(static_cast<size_t>(m) * cfg.dim * (quant::is_a16(p) ? 2 : 1), 0);
    it->forward_vectors(shape_only ? nullptr : zeros.data(), m, 0, &w);
  }
  for (int s = 0; s < o.steps; ++s) {
    const int pos = m + s;
    if (cfg.has_vocab()) {
      int32_t next = 0;
      if (!shape_only) {
        const int16_t* l = it->logits();
        for (int i = 1; i < cfg.vocab_size; ++i)
          if (l[i] > l[next]) next = i;
      }
      it->forward(std::span<const int32_t>(&next, 1), pos, trace::Phase::decode, &w);
    } else {
      it->forward_vectors(shape_only ? nullptr : zeros.data(), 1, pos, &w);
    }
  }
  w.finish();
  out.commit();
  std::printf("wrote %s: %s %s%s, prefill %d tokens + %d decode steps\n", o.out.c_str(), cfg.name.c_str(), o.precision.c_str(),
              shape_only ? " (shape-only)" : "", m, o.steps);
}

void validate(const std::string& path) {
  const trace::Trace t = trace::read_trace_file(path);
  uint64_t ops = 0, macs = 0, wbytes = 0;
  for (const trace::Step& s : t.steps) {
    ops += s.ops.size();
    macs += s.total_macs();
    wbytes += s.total_weight_bytes();
  }
  std::printf("%s: valid (version %d, %s, %s%s): %zu steps, %llu ops, %llu MACs, %llu weight bytes\n", path.c_str(),
              t.header.version, t.header.model.value("name", std::string("?")).c_str(), t.header.precision.c_str(),
              t.header.shape_only ? ", shape-only" : "", t.steps.size(), static_cast<unsigned long long>(ops),
              static_cast<unsigned long long>(macs), static_cast<unsigned long long>(wbytes));
}

}  // namespace

void register_trace(CLI::App& app) {
  auto o = std::make_shared<TraceOptions>();
  auto* cmd = app.add_subcommand("trace", "Write the op trace (JSON Lines) of a prefill + decode steps; or validate one");
  cmd->add_option("--model", o->model, "Checkpoint, shape name, shape file or .slmq");
  cmd->add_option("--precision", o->precision, "w8a8 | w8a16 | w4a8")->capture_default_str();
  cmd->add_option("--prompt", o->prompt, "Prompt text (needs --tokenizer); BOS is prepended");
  cmd->add_option("--tokenizer", o->tokenizer, "llama2.c tokenizer file for --prompt");
  cmd->add_option("--prefill-tokens", o->prefill_tokens, "Prefill length P (instead of --prompt)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--steps", o->steps, "Decode steps after the prefill")->check(CLI::Range(0, 1 << 20))->capture_default_str();
  cmd->add_option("--out", o->out, "Output trace file (.jsonl)");
  cmd->add_flag("--shape-only", o->shape_only, "Emit op records without weights or computation");
  add_calibration_options(cmd, o->calib);
  cmd->add_option("--weight-seed", o->seed, "Seed of synthetic weights")->capture_default_str();
  auto* val = cmd->add_subcommand("validate", "Validate a trace file (version, fields, shapes); errors name the line");
  val->add_option("file", o->validate_path, "Trace file")->required();
  val->callback([o] { validate(o->validate_path); });
  cmd->callback([o, val] {
    if (val->parsed()) return;
    write_trace(*o);
  });
}

}  // namespace slm::cli
