// libFuzzer entry for one loader of tests/fuzz/targets.h, chosen at compile time
// (SLMSIM_FUZZ_TARGET = the function's name; see slmsim_add_fuzzer in CMakeLists.txt).
#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)slm::fuzz::SLMSIM_FUZZ_TARGET(data, size);
  return 0;
}
