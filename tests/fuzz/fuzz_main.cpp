// libFuzzer entry for one loader of tests/fuzz/targets.h, chosen at compile time
// (SLMSIM_FUZZ_TARGET = the function's name; see slmsim_add_fuzzer in CMakeLists.txt).
// At exit it prints how many inputs were accepted and how many cleanly refused
// (docs/reliability.md records these).
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/targets.h"

namespace {
unsigned long long g_count[2] = {0, 0};
void report() { std::fprintf(stderr, "slmsim-fuzz: accepted %llu refused %llu\n", g_count[0], g_count[1]); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = (std::atexit(report), true);
  (void)once;
  ++g_count[slm::fuzz::SLMSIM_FUZZ_TARGET(data, size) == 0 ? 0 : 1];
  return 0;
}
