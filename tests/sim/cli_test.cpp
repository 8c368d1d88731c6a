// The simulator's commands from the outside: bad input exits 2 with one clear message
// (file, field, value), never a crash; good input works end to end.
#include <gtest/gtest.h>

#include "tests/common/cli.h"
#include "tests/sim/harness.h"

namespace slm {
using test::run_slmsim;

TEST(SimCli, BadInputExitsWithStatus2AndNamesTheProblem) {
  const std::string tiny = "'" + test::fixture("tiny.yaml") + "'";
  const struct {
    std::string args;
    const char* expect;
  } cases[] = {
      {"run --config /nonexistent.yaml", "/nonexistent.yaml: cannot open config file"},
      {"run --config " + tiny + " --set mem.clock_hz=fast --model stories260K", "--set components.mem.clock_hz=fast"},
      {"run --config " + tiny + " --model stories260K --prompt hi", "--prompt needs --tokenizer"},
      {"run --config " + tiny + " --model nosuchshape", "nosuchshape"},
      {"run --config " + tiny + " --model stories260K --precision w2a2", "w2a2"},
      {"run --config " + tiny + " --model stories110M --set mem.size_bytes=1MiB", "memory too small"},
      {"run --config " + tiny + " --model microllama --prompt Once", "no vocabulary"},
      {"config check '" + test::fixture("bad_unit.yaml") + "'", "unit 'KB' is not a frequency"},
      {"config show '" + test::fixture("bad_overlap.yaml") + "'", "overlaps 'mem'"},
      {"recost /nonexistent.json", "cannot open report"},
      {"recost '" + test::fixture("tiny.yaml") + "'", "not a JSON report"},
  };
  for (const auto& c : cases) {
    const auto r = run_slmsim(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  }
}

TEST(SimCli, RunWritesReportThatRecostReads) {
  const std::string json = test::write_temp("run.json", "");
  const auto r = run_slmsim("run --config '" + test::fixture("tiny.yaml") +
                            "' --model stories260K --steps 4 --calib-sequences 2 --calib-tokens 16 --json '" + json + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("decode "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bit-exact       yes"), std::string::npos) << r.out;
  const auto half = run_slmsim("recost '" + json + "' --scale 0.5");
  ASSERT_EQ(half.status, 0) << half.err;
  EXPECT_NE(half.out.find("uJ/token"), std::string::npos);
  EXPECT_NE(half.out, r.out.substr(r.out.find("platform")));  // energy lines differ
}

TEST(SimCli, ConfigCheckAcceptsEveryShippedConfig) {
  for (const char* f : {"mcu-ethos-u85.yaml", "mcu-siracusa.yaml", "mcu-siracusa-generic.yaml", "phone-lpddr5x.yaml"}) {
    const auto r = run_slmsim("config check '" + test::source_dir() + "/configs/" + f + "'");
    EXPECT_EQ(r.status, 0) << f << "\n" << r.err;
    EXPECT_NE(r.out.find(": ok ("), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("fits"), std::string::npos) << r.out;
  }
}

}  // namespace slm
