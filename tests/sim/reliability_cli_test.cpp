// Issue 11 regressions seen from the command line and the simulator-side loaders: exit
// status 2 with file/field/value for bad input, non-zero exit when output cannot be
// written, bounded config loading (aliases, includes, devices), report validation for
// recost, trace validation, and config check applying run's engine rules.
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/config/node.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/report/report.h"
#include "tests/common/errors.h"
#include "tests/common/cli.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"

namespace slm {
namespace {

using nlohmann::json;
using test::run_slmsim;

std::string q(const std::string& s) { return "'" + s + "'"; }
std::string tiny() { return q(test::fixture("tiny.yaml")); }
std::string corpus(const std::string& f) { return test::source_dir() + "/tests/fuzz/corpus/" + f; }

using test::error_of;

// ---- exit status and messages ---------------------------------------------------------

TEST(ReliabilityCli, ParseErrorsAndBadValuesExitWith2) {
  for (const char* args : {"run --no-such-option", "generate --steps -1 --model stories260K --tokenizer x", "frobnicate",
                           "run --steps 0", "--max-host-memory lots run", "recost"}) {
    const auto r = run_slmsim(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << args;
  }
  EXPECT_EQ(run_slmsim("--help").status, 0);
  EXPECT_EQ(run_slmsim("run --help").status, 0);
}

TEST(ReliabilityCli, HostMemoryBudgetRefusesUpFrontWithTheEstimate) {
  const auto r = run_slmsim("--max-host-memory 100KiB run --config " + tiny() + " --model stories260K --steps 4 --quiet");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_HAS(r.err, "needs an estimated");
  EXPECT_HAS(r.err, "--max-host-memory");
  // The option is accepted after the subcommand name too.
  const auto r2 = run_slmsim("run --max-host-memory 100KiB --config " + tiny() + " --model stories260K --steps 4 --quiet");
  EXPECT_EQ(r2.status, 2) << r2.err;
}

TEST(ReliabilityCli, GenerateKvCacheFollowsStepsNotSeqLen) {
  // 40 bytes of shape file with a 1M-position context: 4 steps must not allocate 1.4 GB.
  const std::string shape = test::write_temp("long.yaml", "dim: 64\nhidden_dim: 128\nn_layers: 4\nn_heads: 4\nvocab_size: 300\nseq_len: 1048576\n");
  const auto r = run_slmsim("--max-host-memory 256MiB generate --model " + q(shape) + " --tokenizer /nonexistent --steps 4");
  // It gets as far as the tokenizer (the model and its 4-position state fit the budget).
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_HAS(r.err, "/nonexistent");
  EXPECT_EQ(r.err.find("needs an estimated"), std::string::npos) << r.err;
}

TEST(ReliabilityCli, WritesThatFailExitNonZero) {
  const std::string base = "run --config " + tiny() + " --model " + q(corpus("shape/tiny.yaml")) +
                           " --steps 3 --calib-sequences 1 --calib-tokens 4 --quiet ";
  for (const char* opt : {"--json", "--csv", "--timeline"}) {
    const auto r = run_slmsim(base + opt + " /dev/full");
    EXPECT_NE(r.status, 0) << opt;
    EXPECT_HAS(r.err, "/dev/full: write failed");
  }
  const auto rc = run_slmsim("recost " + q(corpus("report/tiny.json")) + " --json /dev/full");
  EXPECT_NE(rc.status, 0);
  EXPECT_HAS(rc.err, "/dev/full");
  const int show = std::system((std::string("'") + SLMSIM_BINARY + "' config show " + tiny() + " >/dev/full 2>/dev/null").c_str());
  EXPECT_TRUE(WIFEXITED(show) && WEXITSTATUS(show) != 0) << show;
  const auto tr = run_slmsim("trace --model " + q(corpus("shape/tiny.yaml")) + " --precision w8a8 --prefill-tokens 2 --steps 1 "
                             "--calib-sequences 1 --calib-tokens 4 --out /dev/full");
  EXPECT_NE(tr.status, 0);
}

TEST(ReliabilityCli, ReportsAreWrittenAtomically) {
  const std::string out = test::write_temp("keep.json", "previous report\n");
  // A failing run (bad model) must not touch an existing report.
  const auto r = run_slmsim("run --config " + tiny() + " --model nosuchshape --json " + q(out));
  EXPECT_EQ(r.status, 2);
  std::ifstream f(out);
  std::string text((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(text, "previous report\n");
}

// ---- configs: aliases, includes, devices; config check == run's rules ----------------

TEST(ReliabilityConfig, BillionLaughsIsBounded) {
  std::string text = "slmsim_config: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string list;
    for (int k = 0; k < 10; ++k) list += std::string(k ? ", " : "") + "*" + char('a' + i - 1);
    text += std::string(1, char('a' + i)) + ": &" + char('a' + i) + " [" + list + "]\n";
  }
  EXPECT_HAS(error_of([&] { config::load_string(text, "laughs.yaml"); }), "expands to more than");
  const std::string f = test::write_temp("laughs.yaml", text);
  EXPECT_HAS(error_of([&] { config::load_file(f); }), "laughs.yaml");
}

TEST(ReliabilityConfig, InvalidUtf8IsRefusedNotAJsonExceptionLater) {
  // Found by fuzz_config (tests/fuzz/regressions/config/crash-a5f1...): config text goes into
  // JSON (reports, config show --json), which throws on invalid UTF-8.
  EXPECT_HAS(error_of([] { config::load_string("name: \"a\xff\"\n", "u.yaml"); }), "u.yaml:1:7: value is not valid UTF-8");
  EXPECT_HAS(error_of([] { config::load_string("\xc0\xaf: 1\n", "u.yaml"); }), "key is not valid UTF-8");
  EXPECT_NO_THROW(config::load_string("name: \"caf\xc3\xa9 \xe2\x98\x83\"\n", "u.yaml"));
}

TEST(ReliabilityConfig, IncludeFanOutRepeatsAndDevicesAreRefused) {
  // A chain of files, each including the next one twice: exponential without the check.
  for (int i = 0; i < 30; ++i)
    test::write_temp("chain" + std::to_string(i) + ".yaml",
                     i < 29 ? "include: [chain" + std::to_string(i + 1) + ".yaml, chain" + std::to_string(i + 1) + ".yaml]\n"
                            : "slmsim_config: 1\n");
  const std::string top = test::write_temp("chain0.yaml", "include: [chain1.yaml, chain1.yaml]\n");
  EXPECT_HAS(error_of([&] { config::load_file(top); }), "included more than once");
  const std::string dev = test::write_temp("dev.yaml", "include: /dev/zero\n");
  EXPECT_HAS(error_of([&] { config::load_file(dev); }), "not a regular file");
  EXPECT_HAS(error_of([&] { config::load_file("/dev/zero"); }), "not a regular file");
  const auto r = run_slmsim("config check /dev/zero");
  EXPECT_EQ(r.status, 2);
  EXPECT_HAS(r.err, "not a regular file");
}

TEST(ReliabilityConfig, ConfigCheckAppliesTheEngineRulesRunApplies) {
  const auto r = run_slmsim("config check " + tiny() + " --no-workload --set engine.weight_channel=5");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_HAS(r.err, "engine.weight_channel = 5: must be < 2");
  const auto t = run_slmsim("config check " + tiny() + " --no-workload --set engine.tile_bytes=40KiB");
  EXPECT_EQ(t.status, 2) << t.out;
  EXPECT_HAS(t.err, "two tiles must leave room");
  // And what check accepts, run accepts: the same rules, one place.
  const auto ok = run_slmsim("config check " + tiny() + " --no-workload --set engine.tile_bytes=16KiB");
  EXPECT_EQ(ok.status, 0) << ok.err;
}

// ---- reports (recost) ----------------------------------------------------------------

json tiny_report() {
  std::ifstream f(corpus("report/tiny.json"));
  return json::parse(f);
}

TEST(ReliabilityReport, MissingOrMistypedFieldsAreNamedNotAUseAfterFree) {
  json r = tiny_report();
  r.erase("prefill");
  EXPECT_HAS(error_of([&] { report::summary(r); }), "field prefill is missing");
  r = tiny_report();
  r["windows"]["run"]["counters"]["soc"]["mem"]["read_bytes"] = -5;
  EXPECT_HAS(error_of([&] { report::validate(r, "r.json"); }), "r.json: field windows.run.counters.soc.mem.read_bytes = -5");
  r = tiny_report();
  r["windows"]["decode"]["seconds"] = "fast";
  EXPECT_HAS(error_of([&] { report::validate(r, "r.json"); }), "windows.decode.seconds");
  const std::string f = test::write_temp("noprefill.json", [] {
    json j = tiny_report();
    j.erase("prefill");
    return j.dump();
  }());
  const auto cli = run_slmsim("recost " + q(f));
  EXPECT_EQ(cli.status, 2);
  EXPECT_HAS(cli.err, "field prefill is missing");
  EXPECT_EQ(cli.err.find("json.exception"), std::string::npos) << cli.err;
}

TEST(ReliabilityReport, HugeEnergiesPrintInScientificNotationAndOverflowIsRefused) {
  json r = tiny_report();
  auto table = energy::table_from_json(r["energy"]["table"], "t");
  for (auto& [path, e] : table)
    for (auto& [k, v] : e) v = 1e290;
  report::apply_energy(r, table);
  const std::string s = report::summary(r);
  EXPECT_HAS(s, "e+");
  for (size_t start = 0, nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1) EXPECT_LT(nl - start, 200u) << s;
  for (auto& [path, e] : table)
    for (auto& [k, v] : e) v = 1e308;
  EXPECT_HAS(error_of([&] { report::apply_energy(r, table); }), "overflows");
  const auto cli = run_slmsim("recost " + q(corpus("report/tiny.json")) + " --scale 1e308");
  EXPECT_EQ(cli.status, 2) << cli.out;
  EXPECT_HAS(cli.err, "overflows");
}

// ---- traces ----------------------------------------------------------------------------

TEST(ReliabilityTrace, ValidateRefusesCorruptRecords) {
  const std::string dir = test::source_dir() + "/tests/fuzz/regressions/trace";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto r = run_slmsim("trace validate " + q(e.path().string()));
    EXPECT_EQ(r.status, 2) << e.path() << "\n" << r.out;
    EXPECT_HAS(r.err, e.path().string() + ":");  // file:line
    ++n;
  }
  EXPECT_GE(n, 10);
  EXPECT_EQ(run_slmsim("trace validate " + q(corpus("trace/tiny-w8a8.jsonl"))).status, 0);
}

}  // namespace
}  // namespace slm
