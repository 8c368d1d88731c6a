// Test helper: the shared model files (../shared/models) and the skip/fail rule for
// their absence (skip locally, FAIL when CI=true).
#pragma once
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace slm::test {

inline std::string shared_model(const std::string& file) { return std::string(SLMSIM_SOURCE_DIR "/../shared/models/") + file; }

inline bool ci() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string(v) == "true";
}

}  // namespace slm::test

// Skips (or fails under CI=true) when a shared model file is missing.
#define SLM_REQUIRE_MODEL_FILE(path)                                                         \
  do {                                                                                       \
    if (!std::filesystem::exists(path)) {                                                    \
      if (slm::test::ci()) FAIL() << "missing model file " << (path) << " (CI=true)";        \
      GTEST_SKIP() << "missing model file " << (path) << " (see shared/models/SOURCES.md)";  \
    }                                                                                        \
  } while (0)
