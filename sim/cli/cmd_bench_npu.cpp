// slmsim bench npu — wall time of simulating decode steps on the Ethos-U85-class NPU model.
//
//   slmsim bench npu [--config FILE] [--model stories15M] [--steps 8] [--no-verify] [--set K=V]...
// Runs the session (data in simulated memory, the NPU computing every supported op, the
// bit-exact check on unless --no-verify) and times the decode steps only (after the first
// one, which includes the model's calibration and loading). Prints wall ms per decode step,
// simulated NPU cycles per wall-second and the simulated decode tokens/s. Numbers, not
// assertions; docs/npu.md records them.
#include <chrono>
#include <cstdio>
#include <memory>

#include "sim/cli/commands.h"
#include "sim/replay/session.h"
#include "workloads/common/error.h"

namespace slm::cli {

void register_bench_npu(CLI::App& bench) {
  auto o = std::make_shared<replay::SessionOptions>();
  o->model = "stories15M";
  o->steps = 8;
  auto* cmd = bench.add_subcommand("npu", "Wall time per simulated decode step on the NPU model (bit-exact check on)");
  cmd->add_option("--config", o->config, "platform YAML (default: configs/mcu-ethos-u85.yaml)");
  cmd->add_option("--set", o->sets, "override a config parameter (repeatable)");
  cmd->add_option("--model", o->model, "checkpoint, .slmq or synthetic shape")->capture_default_str();
  cmd->add_option("--precision", o->precision, "w8a8 | w8a16 | w4a8 (default: the config's)");
  cmd->add_option("--steps", o->steps, "positions (1 prefill + steps-1 decode)")->check(CLI::Range(3, 1 << 16))->capture_default_str();
  cmd->add_flag("--no-verify", [o](int64_t) { o->verify = false; }, "skip the bit-exact comparison");
  cmd->callback([o] {
    using clock = std::chrono::steady_clock;
    std::vector<clock::time_point> at;
    o->calibration = {2, 32, 1'000'000};
    o->progress = [&at](int, int) { at.push_back(clock::now()); };
    const auto t0 = clock::now();
    const nlohmann::json rep = replay::run_session(*o);
    if (at.size() < 3) throw err("bench npu: the run stopped after ", at.size(), " steps; use a longer --steps");
    const double wall = std::chrono::duration<double>(at.back() - at.front()).count();
    const double steps = double(at.size() - 1);
    const double cycles = rep["decode"]["cycles_per_token"].get<double>() * steps;
    std::printf("model                 %s, %s, %s\n", o->model.c_str(), rep["workload"]["precision"].get<std::string>().c_str(),
                rep["platform"]["name"].get<std::string>().c_str());
    std::printf("decode steps timed    %.0f (after the first)\n", steps);
    std::printf("wall per decode step  %.2f ms (verify %s)\n", 1e3 * wall / steps, o->verify ? "on" : "off");
    std::printf("simulated cycles/s    %.3g (engine clock cycles per wall-clock second)\n", cycles / wall);
    std::printf("simulated decode      %.3f tokens/s, %.0f cycles/token\n", rep["decode"]["tokens_per_s"].get<double>(),
                rep["decode"]["cycles_per_token"].get<double>());
    std::printf("bit-exact             %s\n", rep["bit_exact"].is_null() ? "not checked" : rep["bit_exact"].get<bool>() ? "yes" : "NO");
    std::printf("total wall            %.2f s (calibration and loading included)\n",
                std::chrono::duration<double>(clock::now() - t0).count());
  });
}

}  // namespace slm::cli
