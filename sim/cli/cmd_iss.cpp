// slmsim iss — run a bare-metal RV32 program on the instruction-set simulator.
//
//   slmsim iss PROGRAM.elf [--cores N] [--config FILE] [--max-instructions N] [--log-commits FILE]
// Prints the program's console output (HTIF) on stdout and a summary on stderr
// (instructions, cycles, CPI of hart 0, why it stopped). Exit status: the program's exit
// code; 2 for bad input (unreadable or malformed ELF, bad config); 125 when a hart trapped
// with no handler installed (the report names pc, instruction, cause and hart); 124 when
// the instruction limit was reached.
#include <cstdio>
#include <memory>

#include "models/cpu/rv32/machine.h"
#include "sim/cli/commands.h"
#include "sim/iss/iss_config.h"
#include "workloads/common/error.h"

namespace slm::cli {
namespace {
struct IssOptions {
  std::string program, config, log;
  uint32_t cores = 0;
  uint64_t max_instructions = 10'000'000'000ull;
};
}  // namespace

void register_iss(CLI::App& app) {
  auto o = std::make_shared<IssOptions>();
  auto* cmd = app.add_subcommand("iss", "Run a bare-metal RV32IMC + XpulpV2 ELF program on the instruction-set simulator");
  cmd->add_option("program", o->program, "RV32 ELF executable (linked at the memory base, HTIF tohost for exit/console)")->required();
  cmd->add_option("--cores", o->cores, "harts running the program (default: the config's, 1)")->check(CLI::Range(1, 64));
  cmd->add_option("--config", o->config, "ISS config YAML (default: built-in values = configs/iss/rv32.yaml)");
  cmd->add_option("--max-instructions", o->max_instructions, "stop after this many instructions (all harts)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 62))->capture_default_str();
  cmd->add_option("--log-commits", o->log, "write every retired instruction (pc, word, rd value, memory address) to FILE");
  cmd->callback([o] {
    rv32::MachineConfig cfg = iss::load_config(o->config);
    if (o->cores) cfg.cores = o->cores;
    rv32::Machine m(cfg);
    m.load(rv32::read_elf(o->program));
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> log(nullptr, std::fclose);
    if (!o->log.empty()) {
      log.reset(std::fopen(o->log.c_str(), "w"));
      if (!log) throw err(o->log, ": cannot write the commit log");
      m.set_commit_log(log.get());
    }
    m.set_console(stdout);
    const rv32::RunResult r = m.run(o->max_instructions);
    std::fflush(stdout);
    std::fprintf(stderr, "iss: %llu instructions, %llu cycles, CPI %.3f (hart 0), %u hart%s\n",
                 static_cast<unsigned long long>(r.instructions), static_cast<unsigned long long>(r.cycles), r.cpi(), cfg.cores,
                 cfg.cores == 1 ? "" : "s");
    int status = 0;
    switch (r.stop) {
      case rv32::Stop::exit:
        std::fprintf(stderr, "iss: exit code %d\n", r.exit_code);
        status = r.exit_code & 0xff;
        break;
      case rv32::Stop::trap:
        std::fprintf(stderr, "iss: stopped: unhandled trap (no mtvec): %s\n", r.trap.text().c_str());
        status = 125;
        break;
      case rv32::Stop::limit:
        std::fprintf(stderr, "iss: stopped: instruction limit %llu reached at pc 0x%08x (hart 0)\n",
                     static_cast<unsigned long long>(o->max_instructions), m.core(0).pc);
        status = 124;
        break;
      default:
        std::fprintf(stderr, "iss: stopped: %s\n", r.error.c_str());
        status = 125;
        break;
    }
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace slm::cli
