// Trace replay (`slmsim run --trace`): a run and the replay of its own trace agree in timing,
// cycles and energy, on the generic engine and on the NPU; a timing-only replay says
// bit_exact null with the reason; with the model it checks values (and can fail); a trace of
// a decoder llama2.c cannot express, written by a tool that uses no slmsim code, replays;
// bad traces are refused with the file and line.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <tuple>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "models/common/clock.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "tests/common/cli.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"
#include "workloads/trace/trace_io.h"

namespace slm {
namespace {

namespace fs = std::filesystem;

replay::SessionOptions tiny(const std::string& config, int steps) {
  replay::SessionOptions o;
  o.config = test::fixture(config);
  o.model = "stories260K";
  o.steps = steps;
  o.prefill_tokens = 3;
  o.calibration = {2, 16, 1'000'000};
  return o;
}

std::string temp(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("slmsim_trace_replay_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

// Everything the platform's timing decides, from two reports.
void expect_same_timing(const nlohmann::json& a, const nlohmann::json& b) {
  EXPECT_EQ(a["sim"]["simulated_seconds"], b["sim"]["simulated_seconds"]);
  EXPECT_EQ(a["sim"]["ops"], b["sim"]["ops"]);
  EXPECT_EQ(a["sim"]["steps"], b["sim"]["steps"]);
  EXPECT_EQ(a["prefill"]["time_to_first_token_s"], b["prefill"]["time_to_first_token_s"]);
  EXPECT_EQ(a["decode"]["cycles_per_token"], b["decode"]["cycles_per_token"]);
  EXPECT_EQ(a["decode"]["tokens_per_s"], b["decode"]["tokens_per_s"]);
  EXPECT_EQ(a["energy"]["total_uj"], b["energy"]["total_uj"]);
  EXPECT_EQ(a["decode"]["uj_per_token"], b["decode"]["uj_per_token"]);
  EXPECT_EQ(a["stats"], b["stats"]);  // every counter of every component
  EXPECT_EQ(a["bottleneck"], b["bottleneck"]);
}

class RunThenReplay : public ::testing::TestWithParam<const char*> {};

TEST_P(RunThenReplay, TheReplayOfARunsOwnTraceHasTheRunsTimingCyclesAndEnergy) {
  const std::string config = GetParam();
  auto o = tiny(config, 7);
  const std::string t = temp(std::string(config) + ".jsonl");
  o.trace_out = t;
  o.csv_path = temp(std::string(config) + ".run.csv");
  o.timeline_path = temp(std::string(config) + ".run.timeline.json");
  const auto run = replay::run_session(o);
  ASSERT_EQ(run["bit_exact"], true);
  const auto tr = trace::read_trace_file(t);
  ASSERT_EQ(tr.steps.size(), run["sim"]["steps"].get<size_t>());
  EXPECT_EQ(tr.steps[0].tokens.size(), 3u);  // the tokens are recorded

  // Timing-only: no values, the same timing.
  replay::SessionOptions r;
  r.config = o.config;
  r.trace = t;
  r.csv_path = temp(std::string(config) + ".replay.csv");
  r.timeline_path = temp(std::string(config) + ".replay.timeline.json");
  const auto timing = replay::run_session(r);
  expect_same_timing(run, timing);
  // The per-op table and the timeline too, byte for byte.
  EXPECT_EQ(test::read_file(o.csv_path), test::read_file(r.csv_path));
  EXPECT_EQ(test::read_file(o.timeline_path), test::read_file(r.timeline_path));
  EXPECT_GT(test::read_file(r.csv_path).size(), 1000u);
  r.csv_path.clear();
  r.timeline_path.clear();
  EXPECT_TRUE(timing["bit_exact"].is_null());
  EXPECT_NE(timing["bit_exact_reason"].get<std::string>().find("timing-only"), std::string::npos);
  EXPECT_EQ(timing["workload"]["trace"], t);

  // With the model: values and the bit-exact check, and still the same timing.
  r.model = "stories260K";
  r.calibration = o.calibration;
  const auto valued = replay::run_session(r);
  expect_same_timing(run, valued);
  EXPECT_EQ(valued["bit_exact"], true);
  EXPECT_EQ(valued["ops_checked"], run["ops_checked"]);
  EXPECT_EQ(valued["tokens"], run["tokens"]);
}

INSTANTIATE_TEST_SUITE_P(Engines, RunThenReplay, ::testing::Values("tiny.yaml", "tiny-npu.yaml"));

TEST(TraceReplay, ReplayWithValuesCanFailTheBitExactCheck) {
  auto o = tiny("tiny-npu.yaml", 4);
  const std::string t = temp("fault.jsonl");
  o.trace_out = t;
  replay::run_session(o);
  replay::SessionOptions r;
  r.config = o.config;
  r.trace = t;
  r.model = "stories260K";
  r.calibration = o.calibration;
  // A bit of l0.wq's encoded weight stream (where the run placed it).
  uint64_t off = 0;
  {
    platform::register_types();
    const config::PlatformConfig cfg = config::load_platform(o.config);
    sim_reset_kernel();
    stats::Group root("soc");
    platform::Platform plat(cfg, root);
    const auto h = trace::read_trace_file(t).header;
    const replay::Setup s = replay::prepare(plat, llama2::resolve_config("stories260K"),
                                            quant::precision_from_string(h.precision), false, h.positions);
    const replay::Region& reg = s.layout->region("npu.l0.wq.stream");
    off = reg.addr - plat.base(reg.memory) + 24 + 64 * 10 + 5;
    r.faults = {reg.memory + ":" + std::to_string(off) + ":4"};
  }
  const auto rep = replay::run_session(r);
  EXPECT_EQ(rep["bit_exact"], false);
  ASSERT_TRUE(rep.contains("first_mismatch"));
  EXPECT_EQ(rep["first_mismatch"]["op"], "l0.wq");
}

// Rewrites line `line` (1-based) of a file with `edit`.
void edit_line(const std::string& path, int line, const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string s; std::getline(in, s);) lines.push_back(s);
  in.close();
  auto j = nlohmann::json::parse(lines.at(line - 1));
  edit(j);
  lines[line - 1] = j.dump();
  std::ofstream out(path);
  for (const auto& s : lines) out << s << "\n";
}

TEST(TraceReplay, ATraceThatIsNotTheModelsIsRefusedWithItsLine) {
  auto o = tiny("tiny.yaml", 4);
  const std::string t = temp("other.jsonl");
  o.trace_out = t;
  replay::run_session(o);
  // Line 3 is the first op (embed) of the prefill; line 4 is l0.att_norm: change its width.
  edit_line(t, 4, [](nlohmann::json& j) { j["name"] = "l0.renamed"; });
  replay::SessionOptions r;
  r.config = o.config;
  r.trace = t;
  r.model = "stories260K";
  r.calibration = o.calibration;
  try {
    replay::run_session(r);
    FAIL() << "a trace of another model was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(t + ":4:"), std::string::npos) << m;
    EXPECT_NE(m.find("l0.renamed"), std::string::npos) << m;
    EXPECT_NE(m.find("not produced by this model"), std::string::npos) << m;
  }
  // Timing-only, the renamed op is just another op.
  r.model.clear();
  EXPECT_NO_THROW(replay::run_session(r));
}

TEST(TraceReplay, AnUnknownOpKindIsRefusedWithLineKindAndTheKnownKinds) {
  auto o = tiny("tiny.yaml", 3);
  const std::string t = temp("kind.jsonl");
  o.trace_out = t;
  replay::run_session(o);
  edit_line(t, 5, [](nlohmann::json& j) { j["kind"] = "gelu"; });
  replay::SessionOptions r;
  r.config = o.config;
  r.trace = t;
  try {
    replay::run_session(r);
    FAIL() << "unknown kind accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(t + ":5:"), std::string::npos) << m;
    EXPECT_NE(m.find("'gelu'"), std::string::npos) << m;
    EXPECT_NE(m.find("known: embed, rmsnorm, matmul"), std::string::npos) << m;
  }
}

TEST(TraceReplay, RunOptionsThatTheTraceDecidesAreRefused) {
  replay::SessionOptions r;
  r.config = test::fixture("tiny.yaml");
  r.trace = temp("absent.jsonl");
  EXPECT_THROW(replay::run_session(r), Error);  // cannot open
  auto o = tiny("tiny.yaml", 3);
  const std::string t = temp("opts.jsonl");
  o.trace_out = t;
  replay::run_session(o);
  r.trace = t;
  r.steps = 5;
  EXPECT_THROW(replay::run_session(r), Error);
  r.steps = -1;
  const auto h = trace::read_trace_file(t).header;
  r.precision = h.precision == "w8a8" ? "w8a16" : "w8a8";  // not the trace's
  EXPECT_THROW(replay::run_session(r), Error);
  r.precision.clear();
  r.prompt = "Once";
  EXPECT_THROW(replay::run_session(r), Error);
}

std::string python() {
  for (const char* p : {"/usr/bin/python3", "/usr/local/bin/python3"})
    if (fs::exists(p)) return p;
  return "python3";
}

// A decoder llama2.c cannot express (per-layer heads, GQA ratios and FFN widths, no shared
// classifier), described in plain JSON and written by scripts/export_trace.py, which uses no
// slmsim code: it replays on the generic engine and on the NPU.
TEST(TraceReplay, ATraceWrittenByAnotherToolReplays) {
  const std::string desc = test::write_temp("decoder.json", R"({
    "name": "mixed-decoder", "dim": 96, "vocab_size": 300, "max_positions": 32,
    "layers": [{"heads": 6, "kv_heads": 2, "ffn": 200}, {"heads": 4, "kv_heads": 4, "ffn": 320},
               {"heads": 3, "kv_heads": 1, "ffn": 128}]})");
  const std::string headless = test::write_temp("headless.json", R"({
    "name": "no-embedding-no-head", "dim": 64, "vocab_size": 0, "max_positions": 16,
    "layers": [{"heads": 4, "kv_heads": 2, "ffn": 128}]})");
  for (const auto& [d, pre, dec] : {std::tuple{desc, 5, 6}, std::tuple{headless, 4, 3}}) {
    const std::string t = temp(fs::path(d).stem().string() + ".jsonl");
    const std::string cmd = python() + " '" + test::source_dir() + "/scripts/export_trace.py' '" + d + "' --out '" + t +
                            "' --prefill " + std::to_string(pre) + " --decode " + std::to_string(dec) + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    for (const char* config : {"tiny.yaml", "tiny-npu.yaml"}) {
      replay::SessionOptions r;
      r.config = test::fixture(config);
      r.trace = t;
      nlohmann::json rep;
      ASSERT_NO_THROW(rep = replay::run_session(r)) << d << " on " << config;
      EXPECT_EQ(rep["sim"]["steps"], 1 + dec);
      EXPECT_EQ(rep["workload"]["prompt_tokens"], pre);
      EXPECT_GT(rep["decode"]["tokens_per_s"].get<double>(), 0.0);
      EXPECT_TRUE(rep["bit_exact"].is_null());
    }
  }
}

}  // namespace
}  // namespace slm
