// Runs the slmsim program from tests (SLMSIM_BINARY), capturing exit status, stdout, stderr.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace slm::test {

struct RunResult {
  int status = -1;  // exit status
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// `slmsim <args>`; args are passed to the shell as they are (quote them yourself).
inline RunResult run_slmsim(const std::string& args) {
  static int counter = 0;
  const auto base = std::filesystem::temp_directory_path() /
                    ("slmsim_run_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  const auto out = base.string() + ".stdout", err = base.string() + ".stderr";
  const std::string cmd = std::string("'") + SLMSIM_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int raw = std::system(cmd.c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

}  // namespace slm::test
