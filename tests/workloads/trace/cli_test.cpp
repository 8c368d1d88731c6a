// slmsim quantize / trace / trace validate end to end through the binary: files are
// written and re-read, and bad input exits with status 2 and a message naming the line.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/common/cli.h"

namespace {

struct CliResult {
  int status = -1;
  std::string output;  // stdout then stderr
};

CliResult run(const std::string& args) {
  const auto r = slm::test::run_slmsim(args);
  return {r.status, r.out + r.err};
}

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("slmsim_cli_" + std::to_string(::getpid()) + "_" + name)).string();
}

TEST(TraceCli, QuantizeTraceAndValidate) {
  const std::string q = tmp("m.slmq"), t = tmp("t.jsonl");
  CliResult a = run("quantize --model stories260K --precision w4a8 --calib-sequences 2 --calib-tokens 16 --out " + q);
  ASSERT_EQ(a.status, 0) << a.output;
  CliResult b = run("trace --model " + q + " --precision w4a8 --prefill-tokens 6 --steps 3 --out " + t);
  ASSERT_EQ(b.status, 0) << b.output;
  CliResult c = run("trace validate " + t);
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("4 steps, 396 ops"), std::string::npos) << c.output;
  // a precision that does not match the file is bad input
  CliResult d = run("trace --model " + q + " --precision w8a8 --prefill-tokens 2 --out " + t);
  EXPECT_EQ(d.status, 2) << d.output;
  std::filesystem::remove(q);
  std::filesystem::remove(t);
}

TEST(TraceCli, ValidateReportsLineOfBadRecordWithStatus2) {
  const std::string t = tmp("bad.jsonl");
  ASSERT_EQ(run("trace --model phi3-mini --precision w8a16 --prefill-tokens 3 --steps 1 --out " + t).status, 0);
  std::ifstream in(t);
  std::string text, line;
  int n = 0;
  while (std::getline(in, line)) {
    if (++n == 4) line = line.substr(0, line.find("\"kind\"")) + "\"kinx\"" + line.substr(line.find("\"kind\"") + 6);
    text += line + "\n";
  }
  std::ofstream(t) << text;
  CliResult r = run("trace validate " + t);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find(t + ":4: op field 'kind' missing"), std::string::npos) << r.output;
  std::filesystem::remove(t);
}

}  // namespace
