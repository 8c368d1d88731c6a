// slmsim command-line entry point. See docs/cli.md for every command and option.
#include <cstdio>
#include <exception>
#include <iostream>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "slmsim: simulate small language models on embedded and edge hardware.\n"
      "Predicts tokens/s and uJ/token on a configured platform while computing the\n"
      "integer model's outputs bit-exactly.",
      "slmsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "slmsim 0.1.0");
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
  slm::cli::register_iss(app);
  try {
    app.parse(argc, argv);  // runs the chosen subcommand's callback
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const slm::Error& e) {
    std::fflush(stdout);
    std::cerr << "slmsim: error: " << e.what() << "\n";
    return slm::kBadInputExit;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::cerr << "slmsim: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
