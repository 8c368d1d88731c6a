// The loader entry points the fuzzers drive and the normal test suite replays
// (tests/fuzz/regressions_test.cpp): one function per input surface, taking raw bytes.
// Each returns 0 when the input was accepted (and then exercised: a loaded model runs a
// step, a trace is read to the end, a report is re-costed and summarised) and 1 when it
// was refused with an slm::Error. Anything else (a crash, a sanitizer report, another
// exception, a hang or an allocation over the host-memory budget) is a bug.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "workloads/common/error.h"

namespace slm::fuzz {

using TargetFn = int (*)(const uint8_t* data, size_t size);
struct Target {
  const char* name;  // also the corpus folder: tests/fuzz/corpus/<name>, regressions/<name>
  TargetFn fn;
};

int checkpoint(const uint8_t* data, size_t size);  // llama2.c checkpoint: header + body
int tokenizer(const uint8_t* data, size_t size);   // [u16 vocab][u8 n][n prompt bytes][tokenizer.bin]
int shape_file(const uint8_t* data, size_t size);  // model shape YAML/JSON
int slmq(const uint8_t* data, size_t size);        // quantised model file
int config(const uint8_t* data, size_t size);      // platform YAML through full validation
int trace(const uint8_t* data, size_t size);       // JSON Lines trace reader
int report(const uint8_t* data, size_t size);      // run report: validate, re-cost, summary
int int_config(const uint8_t* data, size_t size);  // integer YAML configs: the ISS's and the cluster's

// Every target above, in a fixed order.
const Target* targets(size_t* count);
// Once per process: host-memory budget for fuzzing (512 MiB), a private temp folder.
void init();
std::string& scratch_dir();  // the private temp folder (after init())
// Writes the input to `name` in the private folder (the loaders take paths); returns its path.
std::string put(const char* name, const uint8_t* data, size_t size);
// Runs f: 0 when it returns, 1 when it refuses with an slm::Error (anything else escapes).
template <typename F>
int guarded(F&& f) {
  try {
    f();
    return 0;
  } catch (const Error&) {
    return 1;
  }
}

}  // namespace slm::fuzz
