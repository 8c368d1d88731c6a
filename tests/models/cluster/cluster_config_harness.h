// Helpers of the cluster tests that load cluster config files: a temporary YAML file and the
// check that a bad one is refused with a message naming the file and the offending key or value.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "models/cluster/cluster_config.h"
#include "workloads/common/error.h"

namespace slm::test {

// A new temporary file holding `text` (a different name on every call); the caller removes it.
inline std::string write_tmp_cluster_yaml(const std::string& text) {
  static int n = 0;
  const auto p = std::filesystem::temp_directory_path() /
                 ("cluster_cfg_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".yaml");
  std::ofstream(p) << text;
  return p.string();
}

// cluster::load_config refuses `text` with an Error whose message holds `what` and the file's path.
inline void expect_cluster_config_error(const std::string& text, const std::string& what) {
  const auto p = write_tmp_cluster_yaml(text);
  try {
    cluster::load_config(p);
    ADD_FAILURE() << "no error for: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "names the file: " << e.what();
  }
  std::filesystem::remove(p);
}

}  // namespace slm::test
