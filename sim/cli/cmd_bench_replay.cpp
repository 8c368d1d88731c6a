// slmsim bench replay — throughput and memory of a timing-only trace replay.
//
//   slmsim bench replay [--config FILE] [--model stories15M] [--precision P] [--steps 256]
//                       [--trace FILE] [--set K=V]...
// Without --trace it first writes a shape-only trace of the model (a 1-token prefill and
// --steps decode steps) to a temporary file. It then replays that trace timing-only with
// `run --trace` semantics and prints steps/s and ops/s of wall time, and the resident memory
// after the first step, at the middle and at the end (the replay streams the file: memory
// stays flat), plus the peak. Numbers, not assertions; docs/trace-format.md records them.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include "sim/cli/commands.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/trace_io.h"

namespace slm::cli {
namespace {

double rss_mib() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0.0;
}

// A shape-only trace of `model`: a 1-token prefill, then `steps` decode steps.
void write_shape_trace(const std::string& path, const std::string& model, quant::Precision prec, int steps) {
  const llama2::ModelConfig mc = llama2::resolve_config(model);
  if (steps + 1 > mc.seq_len) throw err("bench replay: --steps ", steps, " + 1 exceeds seq_len ", mc.seq_len, " of ", model);
  quant::IntTransformer it(mc, prec);
  std::ofstream f(path);
  if (!f) throw err(path, ": cannot open for writing");
  trace::TraceHeader h;
  h.model = replay::model_json(mc);
  h.precision = quant::to_string(prec);
  h.shape_only = true;
  h.producer = "slmsim bench replay";
  h.positions = steps + 1;
  trace::JsonlWriter w(f, h);
  const int32_t tok = 1;
  for (int pos = 0; pos <= steps; ++pos)
    it.forward(std::span<const int32_t>(&tok, 1), pos, pos == 0 ? trace::Phase::prefill : trace::Phase::decode, &w);
  w.finish();
  f.close();
  if (!f) throw err(path, ": write failed");
}

}  // namespace

void register_bench_replay(CLI::App& bench) {
  auto o = std::make_shared<replay::SessionOptions>();
  auto model = std::make_shared<std::string>("stories15M");
  auto precision = std::make_shared<std::string>("w8a16");
  auto steps = std::make_shared<int>(255);
  auto* cmd = bench.add_subcommand("replay", "Timing-only trace replay: steps/s, ops/s and resident memory over the run");
  cmd->add_option("--config", o->config, "platform YAML (default: configs/mcu-ethos-u85.yaml)");
  cmd->add_option("--set", o->sets, "override a config parameter (repeatable)");
  cmd->add_option("--trace", o->trace, "replay this trace (default: write a shape-only trace of --model first)");
  cmd->add_option("--model", *model, "synthetic shape or checkpoint whose shape the trace has")->capture_default_str();
  cmd->add_option("--precision", *precision, "w8a8 | w8a16 | w4a8")->capture_default_str();
  cmd->add_option("--steps", *steps, "decode steps of the written trace")->check(CLI::Range(2, 1 << 20))->capture_default_str();
  cmd->callback([o, model, precision, steps] {
    using clock = std::chrono::steady_clock;
    std::string tmp;
    if (o->trace.empty()) {
      tmp = (std::filesystem::temp_directory_path() / ("slmsim_bench_replay_" + std::to_string(::getpid()) + ".jsonl")).string();
      const auto w0 = clock::now();
      write_shape_trace(tmp, *model, quant::precision_from_string(*precision), *steps);
      std::printf("trace written         %s (%.1f MB, %.2f s)\n", tmp.c_str(), double(std::filesystem::file_size(tmp)) / 1e6,
                  std::chrono::duration<double>(clock::now() - w0).count());
      o->trace = tmp;
    }
    std::vector<clock::time_point> at;
    std::vector<double> rss;
    o->progress = [&](int, int) {
      at.push_back(clock::now());
      rss.push_back(rss_mib());
    };
    const double rss0 = rss_mib();
    const auto t0 = clock::now();
    nlohmann::json rep;
    try {
      rep = replay::run_session(*o);
    } catch (...) {
      if (!tmp.empty()) std::filesystem::remove(tmp);
      throw;
    }
    const double wall = std::chrono::duration<double>(clock::now() - t0).count();
    if (!tmp.empty()) std::filesystem::remove(tmp);
    if (at.size() < 3) throw err("bench replay: only ", at.size(), " steps replayed");
    const double timed = std::chrono::duration<double>(at.back() - at.front()).count();
    const double n_steps = rep["sim"]["steps"].get<double>(), n_ops = rep["sim"]["ops"].get<double>();
    const double ops_per_step = n_ops / n_steps;
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("trace                 %s, %s\n", rep["workload"]["model"].get<std::string>().c_str(),
                rep["workload"]["precision"].get<std::string>().c_str());
    std::printf("platform              %s\n", rep["platform"]["name"].get<std::string>().c_str());
    std::printf("steps, ops            %.0f steps, %.0f ops\n", n_steps, n_ops);
    std::printf("replay wall           %.2f s in all (scan, layout, simulation)\n", wall);
    std::printf("throughput            %.2f steps/s, %.0f ops/s (decode steps after the first)\n", double(at.size() - 1) / timed,
                double(at.size() - 1) * ops_per_step / timed);
    std::printf("resident memory       %.1f MiB before, %.1f after step 1, %.1f at step %zu, %.1f at the end; peak %.1f MiB\n",
                rss0, rss.front(), rss[rss.size() / 2], rss.size() / 2 + 1, rss.back(), double(ru.ru_maxrss) / 1024.0);
    std::printf("simulated decode      %.3f tokens/s, %.0f cycles/token\n", rep["decode"]["tokens_per_s"].get<double>(),
                rep["decode"]["cycles_per_token"].get<double>());
  });
}

}  // namespace slm::cli
