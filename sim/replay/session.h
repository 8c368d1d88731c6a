// One simulation run, from arguments to report — what `slmsim run` does, callable as a
// library function (tests, benchmarks and the Python module use it).
//
//   config (YAML + --set) -> platform (SystemC modules) -> quantised model (checkpoint or
//   synthetic shape, calibrated) -> replay of prefill + decode steps -> report JSON.
// SystemC allows one elaboration per kernel: run_session() resets the kernel first
// (slm::sim_reset_kernel), so several sessions can run one after another in a process.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/eval/prepare.h"

namespace slm::trace { struct Op; }

namespace slm::replay {

struct OpCapture;  // replay.h

struct SessionOptions {
  std::string config;                 // platform YAML
  std::vector<std::string> sets;      // --set overrides
  // Workload; empty / negative = the config's workload: defaults.
  std::string model, tokenizer, precision, prompt;
  int steps = -1;
  int prefill_tokens = 0;             // > 0: a prompt of this many tokens (BOS, then ids 3, 4, ...) instead of text
  int64_t weight_seed = -1;           // synthetic weights
  float temperature = 0.0f;           // 0 = greedy on the integer logits
  float topp = 0.9f;
  uint64_t sample_seed = 42;
  // Calibration of checkpoints and synthetic shapes (ignored for .slmq files). Smaller than
  // `slmsim quantize`'s default so that a run starts quickly; quantize once for quality work.
  eval::CalibrationSpec calibration{4, 64, 1'000'000};
  bool verify = true;                 // compare every op's output in simulated memory with the golden model
  std::vector<std::string> faults;    // --fault MEMORY:ADDRESS:BIT[@TIME] (bit flips of simulated memory)
  bool shape_only = false;            // timing only: no weights, no outputs
  std::string csv_path, timeline_path;  // optional extra outputs
  // Trace replay (run --trace): the steps come from this JSONL trace; `model` (or the header's
  // quant_model) supplies values for the bit-exact check, else the replay is timing-only.
  std::string trace;
  std::string trace_out;              // write every simulated step (ops and tokens) as a trace here
  std::FILE* story = nullptr;         // where to print the story as it is generated (nullptr: don't)
  std::function<void(int done, int total)> progress;
  // Optional: hand chosen ops' golden and in-memory outputs to `capture` (replay.h OpCapture).
  std::function<bool(int step, const trace::Op&)> capture_if;
  std::function<void(const OpCapture&)> capture;
};

// Runs the simulation and returns the report (sim/report/report.h). slm::Error on bad input.
nlohmann::json run_session(const SessionOptions& o);

// Places the workload's persistent tensors (weights, params, KV cache for `steps`
// positions) in the platform's memories without simulating: returns bytes used per memory,
// or throws slm::Error naming the memory that is too small. model/precision/steps empty or
// <= 0: the config's workload defaults.
std::map<std::string, uint64_t> check_capacity(const std::string& config, const std::vector<std::string>& sets,
                                               const std::string& model, const std::string& precision, int steps);

// The command stream the NPU engine of `o.config` runs for one step: the decode step at
// position `pos` (0: a prefill of the BOS token), for the model and precision of `o`
// (quantised as run_session() would). Words as the NPU reads them (little-endian 32-bit).
// slm::Error if the config's engine is not an NPU.
std::vector<uint32_t> compile_npu_step(const SessionOptions& o, int pos);

// Where the shipped configs are (SLMSIM_CONFIG_DIR env, else the source tree's configs/).
std::string config_dir();
std::string default_config();         // config_dir() + "/mcu-ethos-u85.yaml"
// The shared model folder (SLMSIM_MODELS env, else <source>/../shared/models); "" if absent.
std::string shared_models_dir();

}  // namespace slm::replay
