// Every `slmsim` subcommand registers itself here; main.cpp calls the registrars.
// One file per command: sim/cli/cmd_<name>.cpp. A command's callback throws
// slm::Error for bad input (exit 2) and returns normally on success.
#pragma once
#include <CLI/CLI.hpp>

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
}  // namespace slm::cli
