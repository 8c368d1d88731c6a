#include "sim/replay/session.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "models/common/clock.h"
#include "sim/config/platform_config.h"
#include "sim/engine/npu_engine.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/report/report.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/load.h"
#include "workloads/llama2/sampler.h"
#include "workloads/llama2/tokenizer.h"
#include "workloads/trace/trace_io.h"

#ifndef SLMSIM_SOURCE_DIR_DEFAULT
#define SLMSIM_SOURCE_DIR_DEFAULT "."
#endif

namespace slm::replay {
namespace fs = std::filesystem;

std::string config_dir() {
  if (const char* e = std::getenv("SLMSIM_CONFIG_DIR")) return e;
  return std::string(SLMSIM_SOURCE_DIR_DEFAULT) + "/configs";
}
std::string default_config() { return config_dir() + "/mcu-ethos-u85.yaml"; }
std::string shared_models_dir() {
  std::string d = std::getenv("SLMSIM_MODELS") ? std::getenv("SLMSIM_MODELS")
                                                : std::string(SLMSIM_SOURCE_DIR_DEFAULT) + "/../shared/models";
  return fs::is_directory(d) ? fs::weakly_canonical(d).string() : std::string();
}

namespace {
// Synthetic shapes whose float weights would exceed this are simulated shape-only.
constexpr uint64_t kMaxMaterialisedParams = 600'000'000ull;

// A model argument's configuration; a .slmq file is loaded whole (into `loaded`, so that it
// is read once), anything else only as far as its header or shape.
llama2::ModelConfig model_config(const std::string& model_arg, std::unique_ptr<quant::QuantModel>& loaded) {
  if (!eval::is_quant_file(model_arg)) return llama2::resolve_config(model_arg);
  loaded = std::make_unique<quant::QuantModel>(quant::QuantModel::load(model_arg));
  return loaded->config;
}

// The config's workload model and tokenizer with ${MODELS} resolved to the shared model
// folder; when that folder or file is missing, the fallback shape (synthetic weights).
std::pair<std::string, std::string> workload_paths(const config::WorkloadDefaults& wd, bool note) {
  if (wd.model.find("${MODELS}") == std::string::npos && wd.tokenizer.find("${MODELS}") == std::string::npos)
    return {wd.model, wd.tokenizer};
  const std::string dir = shared_models_dir();
  auto expand = [&](std::string v) {
    const auto at = v.find("${MODELS}");
    return at == std::string::npos ? v : v.replace(at, 9, dir);
  };
  if (!dir.empty() && fs::exists(expand(wd.model)) && (wd.tokenizer.empty() || fs::exists(expand(wd.tokenizer))))
    return {expand(wd.model), expand(wd.tokenizer)};
  if (note)
    std::fprintf(stderr, "[slmsim] note: %s not found: using synthetic weights '%s' (token ids, not text)\n",
                 wd.model.c_str(), wd.fallback_model.c_str());
  return {wd.fallback_model, ""};
}
// The host's choice, from what the platform computed: greedy (temperature 0, or no sampler)
// takes the token its argmax op wrote, else the argmax of the logits in memory; sampling
// dequantises those logits with `logit_scale`.
int choose_token(const StepView& v, float temperature, llama2::Sampler* sampler, double logit_scale) {
  if (temperature == 0.0f || !sampler) {
    if (v.argmax >= 0 && v.argmax < static_cast<int>(v.logits.size())) return v.argmax;
    int next = 0;
    for (int i = 1; i < static_cast<int>(v.logits.size()); ++i)
      if (v.logits[i] > v.logits[next]) next = i;
    return next;
  }
  std::vector<float> logits(v.logits.size());
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(v.logits[i] * logit_scale);
  return sampler->sample(logits.data());
}

// A trace file being written by a run (--trace-out): atomically (io::AtomicOfstream).
struct TraceOut {
  io::AtomicOfstream f;
  trace::JsonlWriter writer;
  TraceOut(const std::string& p, const trace::TraceHeader& h) : f(p), writer(f.stream(), h) {}
  void close() {
    writer.finish();
    f.commit();
  }
};
}  // namespace

std::map<std::string, uint64_t> check_capacity(const std::string& config, const std::vector<std::string>& sets,
                                               const std::string& model, const std::string& precision, int steps) {
  platform::register_types();
  config::PlatformConfig cfg = config::load_platform(config, sets);
  const std::string model_arg = model.empty() ? workload_paths(cfg.workload, false).first : model;
  std::unique_ptr<quant::QuantModel> loaded;
  const llama2::ModelConfig mc = model_config(model_arg, loaded);
  const quant::Precision prec = !precision.empty() ? quant::precision_from_string(precision)
                                : loaded          ? loaded->precision
                                                  : quant::precision_from_string(cfg.workload.precision);
  const int n = std::min(steps > 0 ? steps : static_cast<int>(cfg.workload.steps), mc.seq_len);
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  const Setup s = prepare(plat, mc, prec, false, n);
  return s.layout->used();
}

namespace {
nlohmann::json run_trace_session(const SessionOptions& o);
}  // namespace

nlohmann::json run_session(const SessionOptions& o) {
  if (!o.trace.empty()) return run_trace_session(o);
  platform::register_types();
  const std::string cfg_file = o.config.empty() ? default_config() : o.config;
  config::PlatformConfig cfg = config::load_platform(cfg_file, o.sets);
  const auto& wd = cfg.workload;
  const auto [wd_model, wd_tok] = workload_paths(wd, o.model.empty() && o.story);
  const std::string model_arg = o.model.empty() ? wd_model : o.model;
  const std::string tok_arg = o.model.empty() && o.tokenizer.empty() ? wd_tok : o.tokenizer;
  // The config's prompt needs its tokenizer (absent after a fallback to synthetic weights).
  const std::string prompt = o.prompt.empty() && o.model.empty() && !tok_arg.empty() ? wd.prompt : o.prompt;
  const int steps = o.steps > 0 ? o.steps : static_cast<int>(wd.steps);
  const uint64_t wseed = o.weight_seed >= 0 ? static_cast<uint64_t>(o.weight_seed) : wd.seed;

  // The platform first (cheap): a placement that does not fit fails before calibration.
  std::unique_ptr<quant::QuantModel> qm;
  const llama2::ModelConfig mc = model_config(model_arg, qm);
  // A .slmq file brings its own precision unless one is asked for explicitly.
  const std::string prec_s = !o.precision.empty() ? o.precision : qm ? quant::to_string(qm->precision) : wd.precision;
  const quant::Precision prec = quant::precision_from_string(prec_s);
  if (!mc.has_vocab()) {  // microllama: hidden state in, hidden state out (anchors C3)
    if (!o.tokenizer.empty()) throw err("run: --tokenizer: model '", model_arg, "' has no vocabulary (microllama)");
    if (!o.prompt.empty())
      throw err("run: --prompt: model '", model_arg, "' has no vocabulary (microllama): give --prefill-tokens N instead");
  }
  sim_reset_kernel();
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);  // "stopped by user" etc.
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  // Engines and placement: a memory too small fails here, before calibration.
  const bool shape_only = o.shape_only || (llama2::is_synthetic(model_arg) && mc.n_params() > kMaxMaterialisedParams);
  Setup setup = prepare(plat, mc, prec, !shape_only, std::min(steps, mc.seq_len));
  std::vector<Fault> faults;
  for (const auto& f : o.faults) faults.push_back(parse_fault(f, plat));
  if (!faults.empty() && shape_only) throw err("run: --fault needs values in memory (not with --shape-only or a shape-only model)");

  // Model: data mode when it can be materialised, else (or on request) shape-only.
  std::unique_ptr<quant::IntTransformer> model;
  if (qm && qm->precision != prec)
    throw err("run: --precision ", prec_s, ": ", model_arg, " was quantised as ", quant::to_string(qm->precision));
  if (shape_only) {
    model = std::make_unique<quant::IntTransformer>(mc, prec, std::min(steps, mc.seq_len));
  } else {
    if (!qm) qm = std::make_unique<quant::QuantModel>(eval::prepare_quant_model(model_arg, prec, o.calibration, wseed));
    model = std::make_unique<quant::IntTransformer>(*qm, std::min(steps, mc.seq_len));  // KV cache: the run's positions
  }

  std::unique_ptr<llama2::Tokenizer> tok;
  if (!tok_arg.empty() && mc.has_vocab()) tok = std::make_unique<llama2::Tokenizer>(tok_arg, mc.vocab_size);
  std::vector<int32_t> prompt_tokens;
  if (tok) {
    for (int t : tok->encode(prompt, true, false, std::min(steps, mc.seq_len))) prompt_tokens.push_back(t);
  } else {
    if (!prompt.empty() && mc.has_vocab())
      throw err("run: --prompt needs --tokenizer (model '", model_arg, "' has no tokenizer given)");
    prompt_tokens.push_back(llama2::kBosToken);
  }
  if (o.prefill_tokens > 0) {
    // A prompt of N tokens without text: BOS, then ids 3, 4, ... (mod vocab), as `slmsim trace`.
    if (!prompt.empty() && !o.prompt.empty()) throw err("run: give --prompt or --prefill-tokens, not both");
    prompt_tokens.assign(1, llama2::kBosToken);
    for (int i = 1; i < o.prefill_tokens; ++i) prompt_tokens.push_back(3 + (i - 1) % std::max(1, mc.vocab_size - 3));
  }
  if (static_cast<int>(prompt_tokens.size()) > std::min(steps, mc.seq_len))
    throw err("run: prompt of ", prompt_tokens.size(), " tokens does not fit in --steps ", steps, " (seq_len ", mc.seq_len, ")");

  // Story printing and sampling, host side.
  std::string text;
  auto emit = [&](int prev, int next) {
    std::string piece = tok ? llama2::Tokenizer::printable(tok->decode(prev, next)) : " " + std::to_string(next);
    text += piece;
    if (o.story) {
      std::fputs(piece.c_str(), o.story);
      std::fflush(o.story);
    }
  };
  if (mc.has_vocab())
    for (size_t i = 1; i < prompt_tokens.size(); ++i) emit(prompt_tokens[i - 1], prompt_tokens[i]);
  auto sampler = mc.has_vocab() ? std::make_shared<llama2::Sampler>(mc.vocab_size, o.temperature, o.topp, o.sample_seed) : nullptr;
  int last = prompt_tokens.back();

  Options ro;
  ro.prompt_tokens = prompt_tokens;
  ro.input_seed = o.sample_seed;  // models without vocabulary: the input hidden states
  ro.faults = faults;
  ro.steps = steps;
  ro.verify = o.verify;
  ro.progress = o.progress;
  ro.capture_if = o.capture_if;
  ro.capture = o.capture;
  const double logit_scale = model->shape_only() || !mc.has_vocab() ? 0.0 : model->logit_scale();
  // The host's choice, from what the platform computed: greedy takes the token its argmax op
  // wrote (or the argmax of the logits in memory); sampling dequantises those logits.
  ro.next_token = [&](const StepView& v) {
    const int next = choose_token(v, o.temperature, sampler.get(), logit_scale);
    if (next != llama2::kBosToken) emit(last, next);
    last = next;
    return next;
  };

  // Elaborate the replay and simulate.
  if (!shape_only) load_values(setup, *qm);
  check_options(mc, ro);
  std::unique_ptr<TraceOut> tout;
  if (!o.trace_out.empty()) {
    trace::TraceHeader h;
    h.model = model_json(mc);
    h.precision = prec_s;
    h.shape_only = shape_only;
    h.producer = "slmsim run";
    h.positions = ro.steps;
    if (eval::is_quant_file(model_arg)) h.quant_model = fs::absolute(model_arg).string();
    tout = std::make_unique<TraceOut>(o.trace_out, h);
    ro.trace_out = &tout->writer;
  }
  Replayer rep("replay", plat, model.get(), root, std::move(setup), std::move(ro));
  sc_core::sc_start();
  if (!rep.error().empty()) throw Error(rep.error());
  if (!rep.finished()) throw Error("run: simulation stopped before the workload finished");
  if (o.story) {
    std::fputs("\n", o.story);
    std::fflush(o.story);
  }

  report::RunInfo info;
  info.config_file = cfg_file;
  info.model = model_arg;
  info.precision = prec_s;
  info.prompt = prompt;
  info.text = text;
  nlohmann::json report = report::build(rep.result(), plat, root, info);
  if (!o.csv_path.empty()) report::write_ops_csv(o.csv_path, rep.result(), plat);
  if (!o.timeline_path.empty()) report::write_chrome_trace(o.timeline_path, rep.result(), plat);
  if (tout) tout->close();
  return report;
}

std::vector<uint32_t> compile_npu_step(const SessionOptions& o, int pos) {
  platform::register_types();
  const std::string cfg_file = o.config.empty() ? default_config() : o.config;
  config::PlatformConfig cfg = config::load_platform(cfg_file, o.sets);
  const std::string model_arg = o.model.empty() ? workload_paths(cfg.workload, false).first : o.model;
  std::unique_ptr<quant::QuantModel> qm;
  const llama2::ModelConfig mc = model_config(model_arg, qm);
  const std::string prec_s = !o.precision.empty() ? o.precision : qm ? quant::to_string(qm->precision) : cfg.workload.precision;
  const quant::Precision prec = quant::precision_from_string(prec_s);
  if (!mc.has_vocab()) throw err("npu compile: model '", model_arg, "' has no vocabulary");
  const int steps = std::min(o.steps > 0 ? o.steps : static_cast<int>(cfg.workload.steps), mc.seq_len);
  if (pos < 0 || pos >= steps) throw err("npu compile: --pos ", pos, " must be in [0, ", steps, ") (the run's positions)");
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  Setup setup = prepare(plat, mc, prec, true, steps);
  auto* npu = dynamic_cast<engine::NpuEngine*>(setup.engines.main());
  if (!npu) throw err(cfg_file, ": engine.compute = '", cfg.engine.compute, "' is not an NPU");
  if (!qm) qm = std::make_unique<quant::QuantModel>(eval::prepare_quant_model(model_arg, prec, o.calibration,
                                                                              o.weight_seed >= 0 ? uint64_t(o.weight_seed) : cfg.workload.seed));
  if (qm->precision != prec) throw err("npu compile: ", model_arg, " was quantised as ", quant::to_string(qm->precision));
  quant::IntTransformer model(*qm);
  trace::StepCollector c;
  const int32_t tok = llama2::kBosToken;
  model.forward(std::span<const int32_t>(&tok, 1), pos, pos == 0 ? trace::Phase::prefill : trace::Phase::decode, &c);
  const auto& ops = c.steps.at(0).ops;
  setup.layout->plan_step(ops, pos);
  std::vector<engine::BoundOp> bound;
  for (const auto& op : ops) {
    if (setup.engines.assign(op) != npu) continue;
    engine::BoundOp b;
    b.op = &op;
    for (const auto& t : op.inputs) b.in.push_back(persistent(t.role) && !setup.layout->has(t.name) ? TensorLoc{} : setup.layout->loc(op, t));
    for (const auto& t : op.outputs) b.out.push_back(persistent(t.role) && !setup.layout->has(t.name) ? TensorLoc{} : setup.layout->loc(op, t));
    bound.push_back(std::move(b));
  }
  engine::StepInfo si{0, pos == 0 ? trace::Phase::prefill : trace::Phase::decode, pos, 1, std::span<const int32_t>(&tok, 1)};
  return npu->lower(si, bound, *setup.layout);
}

namespace {
// run --trace: the trace gives the steps and their ops; a model, when given (--model, or the
// header's quant_model), gives values and the bit-exact check.
nlohmann::json run_trace_session(const SessionOptions& o) {
  platform::register_types();
  const std::string cfg_file = o.config.empty() ? default_config() : o.config;
  config::PlatformConfig cfg = config::load_platform(cfg_file, o.sets);
  if (o.prefill_tokens > 0 || !o.prompt.empty())
    throw err("run --trace: the trace gives the steps: --prompt and --prefill-tokens do not apply");
  if (o.steps > 0) throw err("run --trace: the trace gives the steps: --steps does not apply");
  if (!o.trace_out.empty()) throw err("run --trace: --trace-out does not apply (the trace is the input)");
  // First pass: header, extent, the persistent tensors and the largest steps (streamed).
  const TraceScan scan = scan_trace(o.trace);
  const trace::TraceHeader& h = scan.header;
  const std::string prec_s = !o.precision.empty() ? o.precision : h.precision;
  if (!o.precision.empty() && o.precision != h.precision)
    throw err("run --trace: --precision ", o.precision, ", but ", o.trace, " was written for ", h.precision);
  quant::Precision prec;
  try {
    prec = quant::precision_from_string(prec_s);
  } catch (const Error& e) {
    throw err(o.trace, ":1: header field 'precision': ", e.what());
  }
  // Values: --model, else the header's quant_model (relative to the trace's folder), unless
  // --shape-only asks for timing only.
  std::string model_arg = o.model;
  if (model_arg.empty() && !h.quant_model.empty()) {
    fs::path q(h.quant_model);
    if (q.is_relative()) q = fs::path(o.trace).parent_path() / q;
    if (!fs::exists(q)) throw err(o.trace, ":1: header field 'quant_model': ", q.string(), " does not exist (give --model, or --shape-only)");
    model_arg = q.string();
  }
  if (o.shape_only) model_arg.clear();
  std::unique_ptr<quant::QuantModel> qm;
  std::optional<llama2::ModelConfig> mc;
  if (!model_arg.empty()) {
    mc = model_config(model_arg, qm);
    if (qm && qm->precision != prec)
      throw err("run --trace: ", model_arg, " was quantised as ", quant::to_string(qm->precision), ", the trace is ", prec_s);
  } else {
    mc = header_model(h);
  }
  std::string not_checked;
  if (model_arg.empty())
    not_checked = "timing-only trace replay: the trace holds no tensor values (give --model X.slmq to check them)";

  sim_reset_kernel();
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  Setup setup = prepare_trace(plat, scan, prec, !model_arg.empty(), mc ? &*mc : nullptr);
  std::vector<Fault> faults;
  for (const auto& f : o.faults) faults.push_back(parse_fault(f, plat));
  if (!faults.empty() && model_arg.empty()) throw err("run --trace: --fault needs values in memory (give --model)");

  std::unique_ptr<quant::IntTransformer> model;
  if (!model_arg.empty()) {
    if (!qm) qm = std::make_unique<quant::QuantModel>(eval::prepare_quant_model(
                  model_arg, prec, o.calibration, o.weight_seed >= 0 ? uint64_t(o.weight_seed) : cfg.workload.seed));
    model = std::make_unique<quant::IntTransformer>(*qm);
    load_values(setup, *qm);
  }
  std::unique_ptr<llama2::Tokenizer> tok;
  if (!o.tokenizer.empty() && mc && mc->has_vocab()) tok = std::make_unique<llama2::Tokenizer>(o.tokenizer, mc->vocab_size);

  auto reader = trace::TraceReader::open(o.trace);
  Options ro;
  ro.prompt_tokens = {llama2::kBosToken};
  ro.steps = scan.header.positions > 0 ? scan.header.positions : scan.positions;
  ro.verify = o.verify;
  ro.progress = o.progress;
  ro.faults = faults;
  ro.trace = reader.get();
  ro.trace_steps = scan.steps;
  ro.keep_ops = !o.csv_path.empty() || !o.timeline_path.empty();  // else memory stays flat over the trace
  std::string text;
  int last = llama2::kBosToken;
  auto sampler = mc && mc->has_vocab() ? std::make_shared<llama2::Sampler>(mc->vocab_size, o.temperature, o.topp, o.sample_seed) : nullptr;
  const double logit_scale = model ? model->logit_scale() : 0.0;
  ro.next_token = [&](const StepView& v) {
    const int next = choose_token(v, o.temperature, sampler.get(), logit_scale);
    if (tok && next != llama2::kBosToken) {
      std::string piece = llama2::Tokenizer::printable(tok->decode(last, next));
      text += piece;
      if (o.story) {
        std::fputs(piece.c_str(), o.story);
        std::fflush(o.story);
      }
    }
    last = next;
    return next;
  };
  Replayer rep("replay", plat, model.get(), root, std::move(setup), std::move(ro));
  sc_core::sc_start();
  if (!rep.error().empty()) throw Error(rep.error());
  if (!rep.finished()) throw Error("run --trace: simulation stopped before the trace finished");
  if (o.story && tok) {
    std::fputs("\n", o.story);
    std::fflush(o.story);
  }
  report::RunInfo info;
  info.config_file = cfg_file;
  info.model = !model_arg.empty() ? model_arg : h.model.value("name", std::string(o.trace));
  info.precision = prec_s;
  info.text = text;
  info.trace = o.trace;
  info.not_checked = not_checked;
  nlohmann::json report = report::build(rep.result(), plat, root, info);
  if (!o.csv_path.empty()) report::write_ops_csv(o.csv_path, rep.result(), plat);
  if (!o.timeline_path.empty()) report::write_chrome_trace(o.timeline_path, rep.result(), plat);
  return report;
}
}  // namespace

}  // namespace slm::replay
