// Shared helpers for the llama2 tests: where the shared model files are, a temp dir,
// and running the slmsim binary.
#pragma once
#include <gtest/gtest.h>

#include "tests/common/cli.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace slm::llama2::test {

inline std::string models_dir() { return SLMSIM_SOURCE_DIR "/../shared/models"; }
inline std::string model_path(const std::string& f) { return models_dir() + "/" + f; }

// True when the shared file exists. Otherwise: GTEST_SKIP-worthy, or a failure under CI=true.
inline bool have_shared(const std::string& f) {
  return std::filesystem::exists(model_path(f));
}
inline bool ci() {
  const char* c = std::getenv("CI");
  return c && std::string(c) == "true";
}
#define SLM_REQUIRE_SHARED(file)                                                            \
  do {                                                                                      \
    if (!::slm::llama2::test::have_shared(file)) {                                          \
      if (::slm::llama2::test::ci()) FAIL() << "missing shared model file " << (file);      \
      GTEST_SKIP() << "shared model file " << (file) << " not found under "                 \
                   << ::slm::llama2::test::models_dir();                                    \
    }                                                                                       \
  } while (0)

// A fresh directory for files written by one test.
inline std::filesystem::path temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto d = std::filesystem::temp_directory_path() /
           (std::string("slmsim_llama2_") + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

using slm::test::RunResult;
using slm::test::run_slmsim;

}  // namespace slm::llama2::test
