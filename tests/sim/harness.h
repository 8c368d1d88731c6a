// Helpers for simulator-level tests: temporary files, shipped paths, real-model lookup.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace slm::test {

inline std::string source_dir() { return SLMSIM_SOURCE_DIR; }
inline std::string fixture(const std::string& name) { return source_dir() + "/tests/fixtures/configs/" + name; }

// Writes text to a fresh file under the test's temp dir and returns its path.
inline std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / ("slmsim_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

// ../shared/models/<file>: "" (and the test is skipped) when absent, a failure under CI=true.
inline std::string shared_model(const std::string& file) {
  std::string p = source_dir() + "/../shared/models/" + file;
  if (std::filesystem::exists(p)) return p;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") ADD_FAILURE() << "CI=true but " << p << " is missing";
  return "";
}

}  // namespace slm::test
