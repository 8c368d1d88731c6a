// slmsim command-line entry point. See docs/cli.md for every command and option.
#include <cstdio>
#include <exception>
#include <iostream>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"

int main(int argc, char** argv) {
  CLI::App app{
      "slmsim: simulate small language models on embedded and edge hardware.\n"
      "Predicts tokens/s and uJ/token on a configured platform while computing the\n"
      "integer model's outputs bit-exactly.",
      "slmsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "slmsim 0.1.0");
  // Host-memory budget (workloads/common/io.h): estimates above it are refused up front.
  std::string max_host_memory;
  app.add_option("--max-host-memory", max_host_memory,
                 "host-memory budget, e.g. 8GiB (default: half the physical memory); larger allocations are refused up front")
      ->each([](const std::string& v) { slm::io::set_host_memory_budget(slm::io::parse_byte_size(v, "--max-host-memory")); });
  slm::cli::register_generate(app);
  slm::cli::register_info(app);
  slm::cli::register_quantize(app);
  slm::cli::register_eval(app);
  slm::cli::register_trace(app);
  slm::cli::register_bench(app);
  slm::cli::register_config(app);
  slm::cli::register_run(app);
  slm::cli::register_recost(app);
  slm::cli::register_npu(app);
  slm::cli::register_sweep(app);
  slm::cli::register_iss(app);
  slm::cli::register_cluster(app);
  // --max-host-memory is accepted after the command name too (not for `sweep` and `iss`, which
  // pass their command lines on).
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_name() != "sweep" && sub->get_name() != "iss") {
      sub->fallthrough();
      for (CLI::App* sub2 : sub->get_subcommands([](CLI::App*) { return true; })) sub2->fallthrough();
    }
  try {
    app.parse(argc, argv);  // runs the chosen subcommand's callback
  } catch (const CLI::RuntimeError& e) {
    // A command's own exit status (slmsim iss: the program's exit code), not a parse error.
    std::fflush(stdout);
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    // --help / --version exit 0; every other parse error is bad input: status 2.
    const int rc = app.exit(e);
    return rc == 0 ? 0 : slm::kBadInputExit;
  } catch (const slm::Error& e) {
    std::fflush(stdout);
    std::cerr << "slmsim: error: " << e.what() << "\n";
    return slm::kBadInputExit;
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    std::cerr << "slmsim: error: out of host memory (lower the workload or --max-host-memory)\n";
    return slm::kBadInputExit;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::cerr << "slmsim: internal error: " << e.what() << "\n";
    return 1;
  }
  // A full disk or a closed pipe on standard output is a failure, not success.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::cerr << "slmsim: error: standard output: write failed\n";
    return 1;
  }
  return 0;
}
