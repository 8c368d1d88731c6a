// slmsim run — simulate a platform running an SLM: prints the story, time to first token,
// decode tokens/s, uJ/token, the bottleneck and the bit-exact verdict; writes the JSON
// report (docs/report-format.md), per-op CSV and a Chrome/Perfetto timeline on request.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

#include "sim/cli/commands.h"
#include "sim/replay/session.h"
#include "sim/rtlcheck/rtl_check.h"
#include "sim/report/report.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::cli {

void register_run(CLI::App& app) {
  auto o = std::make_shared<replay::SessionOptions>();
  auto json_out = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("run", "Simulate a platform (YAML) running the integer model: tokens/s, uJ/token, bottleneck");
  cmd->add_option("--config", o->config, "platform YAML (default: configs/mcu-ethos-u85.yaml)");
  cmd->add_option("--set", o->sets, "override a config parameter, e.g. --set npu.clock_hz=\"64 MHz\" (repeatable)");
  cmd->add_option("--model", o->model, "checkpoint path, .slmq file or synthetic shape name (default: the config's workload.model)");
  cmd->add_option("--tokenizer", o->tokenizer, "llama2.c tokenizer.bin (without it, token ids are printed)");
  cmd->add_option("--precision", o->precision, "w8a8 | w8a16 | w4a8 (default: the config's workload.precision)");
  cmd->add_option("--prompt", o->prompt, "prompt text (needs --tokenizer)");
  cmd->add_option("--steps", o->steps, "total positions, prompt included (run.c -n)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--prefill-tokens", o->prefill_tokens,
                  "a prompt of N tokens without text (BOS, then token ids 3, 4, ...): prefill timing without a tokenizer")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--weight-seed", o->weight_seed, "seed of synthetic weights (default: the config's workload.seed)");
  cmd->add_option("--temperature", o->temperature, "0 = greedy on the integer logits (default)")->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--topp", o->topp, "top-p for sampling")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", o->sample_seed, "sampler xorshift seed, non-zero (run.c -s)")->capture_default_str();
  add_calibration_options(cmd, o->calibration);
  cmd->add_flag("--shape-only", o->shape_only, "timing only: no weights, no outputs (automatic for models too large to materialise)");
  cmd->add_flag("--no-verify", [o](int64_t) { o->verify = false; }, "skip the per-op golden recomputation (faster; bit_exact is then null: not checked)");
  cmd->add_option("--fault", o->faults,
                  "flip one bit of simulated memory: MEMORY:ADDRESS:BIT[@TIME], ADDRESS an offset in the memory, "
                  "TIME e.g. \"10 us\" (default 0: before the run); the report names the first op and element that differ "
                  "from the golden model (repeatable)");
  cmd->add_option("--trace", o->trace,
                  "replay this JSONL trace (docs/trace-format.md) instead of running the model: timing-only, or with values "
                  "and the bit-exact check when --model (or the header's quant_model) gives the quantised model");
  cmd->add_option("--trace-out", o->trace_out, "write every simulated step (ops and tokens) as a JSONL trace here");
  cmd->add_option("--json", *json_out, "write the JSON report here");
  cmd->add_option("--csv", o->csv_path, "write one CSV line per operation here");
  cmd->add_option("--timeline", o->timeline_path, "write a Chrome Trace Event timeline here (open in Perfetto)");
  cmd->add_flag("--quiet", *quiet, "print only the summary (no story, no progress)");
  auto rtl = std::make_shared<rtlcheck::Options>();
  auto rtl_on = std::make_shared<bool>(false);
  auto* rtl_flag = cmd->add_flag("--rtl", *rtl_on,
                                 "send every fully connected op the NPU runs through the verilated MAC array (docs/rtl.md) and "
                                 "compare its outputs with the NPU model's, element for element; exit status 3 on any mismatch");
  cmd->add_option("--rtl-macs", rtl->macs, "the verilated array's size: 128 or 512 (default: the configured NPU's MACs)")
      ->check(CLI::IsMember({128, 512}))
      ->needs(rtl_flag);
  cmd->add_option("--rtl-fault", rtl->faults,
                  "flip bit BIT of weight INDEX (channel x K + depth) of op OP as the RTL receives it: OP[@STEP]:INDEX:BIT, "
                  "STEP 0 = the prefill (default: every step); shows that the check fails (repeatable)")
      ->needs(rtl_flag);
  cmd->callback([o, json_out, quiet, rtl, rtl_on] {
    std::unique_ptr<rtlcheck::Checker> checker;
    if (*rtl_on) {
      checker = std::make_unique<rtlcheck::Checker>(*rtl);
      checker->attach(*o);
    }
    if (!*quiet) {
      o->story = stdout;
      // Progress on standard error: every step on a terminal, else every 10 s of wall time.
      const bool tty = isatty(fileno(stderr));
      auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
      o->progress = [tty, last](int done, int total) {
        const auto now = std::chrono::steady_clock::now();
        if (tty) {
          std::fprintf(stderr, "\r[slmsim] step %d/%d%s", done, total, done == total ? "\n" : "");
        } else if (now - *last >= std::chrono::seconds(10) && done < total) {
          std::fprintf(stderr, "[slmsim] step %d/%d\n", done, total);
          *last = now;
        }
      };
    }
    const auto t0 = std::chrono::steady_clock::now();
    nlohmann::json rep = replay::run_session(*o);
    std::cout << report::summary(rep);
    if (checker) {
      rep["rtl"] = checker->report();
      if (rep["rtl"]["ops_checked"].get<uint64_t>() == 0)
        throw Error("--rtl: no fully connected op ran with values (a shape-only or timing-only run has nothing to check)");
      std::cout << rtlcheck::summary(rep["rtl"]);
    }
    std::cout.flush();
    if (!*quiet)
      std::fprintf(stderr, "[slmsim] simulated %.6f s of platform time in %.2f s of wall time\n",
                   rep["sim"]["simulated_seconds"].get<double>(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!json_out->empty()) io::write_file_atomic(*json_out, rep.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    io::check_stdout();
    if (checker && !checker->passed()) throw CLI::RuntimeError(3);  // the RTL differs from the NPU model
  });
}

}  // namespace slm::cli
