// Replays the fuzzing corpora through every loader entry point (tests/fuzz/targets.h) in the
// normal test suite: the seed corpus (tests/fuzz/corpus/<target>/) and every input a fuzzer
// ever found to crash, hang or blow up (tests/fuzz/regressions/<target>/). Each file goes
// through its own loader and through every other one: each must end in a clean acceptance
// or a clean slm::Error refusal; a crash or sanitizer report fails the test binary.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fuzz/targets.h"

namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> bytes_of(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

std::vector<fs::path> files_under(const fs::path& d) {
  std::vector<fs::path> out;
  if (!fs::is_directory(d)) return out;
  for (const auto& e : fs::recursive_directory_iterator(d))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

const fs::path kFuzzDir = fs::path(SLMSIM_SOURCE_DIR) / "tests" / "fuzz";

// Per target: how many inputs were accepted and refused.
void replay(const std::string& folder, bool own_loader_must_refuse) {
  slm::fuzz::init();
  size_t n = 0;
  const slm::fuzz::Target* t = slm::fuzz::targets(&n);
  size_t files = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t own_ok = 0, own_refused = 0;
    for (const fs::path& f : files_under(kFuzzDir / folder / t[i].name)) {
      const std::vector<uint8_t> b = bytes_of(f);
      ++files;
      const std::string fname = f.filename().string();
      const bool must_accept = fname.rfind("ok_", 0) == 0;
      const bool either = fname.rfind("crash-", 0) == 0 || fname.rfind("timeout-", 0) == 0 || fname.rfind("oom-", 0) == 0 ||
                          fname.rfind("slow-unit-", 0) == 0;
      for (size_t j = 0; j < n; ++j) {
        const int r = t[j].fn(b.data(), b.size());
        EXPECT_TRUE(r == 0 || r == 1) << f << " through " << t[j].name;
        if (j == i) ++(r == 0 ? own_ok : own_refused);
        if (j != i || !own_loader_must_refuse || either) continue;
        // A reproducer of a bug class is garbage its own loader must refuse (ok_*: a valid
        // input that used to crash or blow up later, which must now be accepted and run).
        if (must_accept) EXPECT_EQ(r, 0) << f << ": a valid input, refused by " << t[j].name;
        else EXPECT_EQ(r, 1) << f << ": garbage accepted by " << t[j].name;
      }
    }
    std::printf("%s/%s: %zu accepted, %zu refused by its own loader\n", folder.c_str(), t[i].name, own_ok, own_refused);
  }
  ::testing::Test::RecordProperty("files", static_cast<int>(files));
  std::printf("%s: %zu files replayed through %zu loaders\n", folder.c_str(), files, n);
}

TEST(FuzzRegressions, SeedCorpusLoadsOrIsRefusedCleanlyByEveryLoader) { replay("corpus", false); }
TEST(FuzzRegressions, FoundCrashesAreRefusedCleanlyByEveryLoader) { replay("regressions", true); }

// The seed corpus is not empty (a missing folder would make the replay vacuous).
TEST(FuzzRegressions, EveryTargetHasSeeds) {
  size_t n = 0;
  const slm::fuzz::Target* t = slm::fuzz::targets(&n);
  for (size_t i = 0; i < n; ++i) EXPECT_FALSE(files_under(kFuzzDir / "corpus" / t[i].name).empty()) << t[i].name;
}

}  // namespace
