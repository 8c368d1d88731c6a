// Every `slmsim` subcommand registers itself here; main.cpp calls the registrars.
// One file per command: sim/cli/cmd_<name>.cpp. A command's callback throws
// slm::Error for bad input (exit 2) and returns normally on success.
#pragma once
#include <CLI/CLI.hpp>

#include "workloads/eval/prepare.h"

namespace slm::cli {
void register_generate(CLI::App& app);  // text generation (fp32 reference or integer model)
void register_info(CLI::App& app);      // model/tokenizer summary
void register_quantize(CLI::App& app);  // calibrate + write a quantised model file
void register_eval(CLI::App& app);      // quality of each precision vs fp32 (teacher forcing)
void register_trace(CLI::App& app);     // write / validate a JSON Lines trace
void register_bench(CLI::App& app);     // golden-engine and TLM microbenchmarks
void register_config(CLI::App& app);    // config check | show | schema
void register_run(CLI::App& app);       // simulate a platform running the workload
void register_recost(CLI::App& app);    // re-cost a finished run with another energy table
void register_npu(CLI::App& app);       // NPU command streams: compile, disasm
void register_sweep(CLI::App& app);     // design-space sweeps (runs the Python module)
void register_iss(CLI::App& app);       // run a bare-metal RV32 program on the ISS
void register_cluster(CLI::App& app);   // GEMV/GEMM kernels on the simulated Siracusa-class cluster

// --calib-sequences, --calib-tokens (and, with `seed`, --calib-seed): how checkpoints and
// synthetic shapes are calibrated before quantisation. One definition for every command.
inline void add_calibration_options(CLI::App* cmd, eval::CalibrationSpec& spec, bool seed = true) {
  cmd->add_option("--calib-sequences", spec.sequences, "Calibration sequences")->check(CLI::Range(1, 10000))->capture_default_str();
  cmd->add_option("--calib-tokens", spec.tokens, "Tokens per calibration sequence")->check(CLI::Range(2, 1 << 20))->capture_default_str();
  if (seed)
    cmd->add_option("--calib-seed", spec.seed, "First calibration sampler seed (must not overlap evaluation seeds)")->capture_default_str();
}

}  // namespace slm::cli
