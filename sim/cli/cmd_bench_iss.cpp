// slmsim bench iss — simulation speed of the RV32 ISS (simulated instructions per second).
//
//   slmsim bench iss [--cores 8] [--no-qemu] [--programs DIR]
// Programs (cross-compiled at build time, workloads/kernels/rv32/bench_gemv.c): an int8
// GEMV 256 x 512 repeated, XpulpV2 (pv.sdotsp.b, post-increment loads, hardware loop; 1000
// repetitions) and plain RV32IMC (200 repetitions). Measures, in one run:
//   1. single core, timing on, the Xpulp GEMV from DMI memory (the headline figure);
//   2. the same with the commit log on (written to /dev/null; first 20 M instructions);
//   3. the plain RV32IMC program on the ISS and under qemu-system-riscv32 -M spike (the
//      peer): QEMU's rate = the ISS's retired-instruction count of the same binary
//      (identical behaviour, see the QEMU differential test) / QEMU's wall time;
//   4. --cores harts running the Xpulp GEMV together through the TLM wrapper (sim/iss:
//      SRAM + crossbar + N Rv32Tlm, DMI, 10k-instruction quanta), all harts counted.
// Wall-clock and process CPU time are both printed (the machine may be shared).
// Numbers, not assertions; docs/iss.md records them.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include <sys/resource.h>

#include "models/cpu/rv32/machine.h"
#include "sim/cli/commands.h"
#include "sim/iss/tlm_system.h"
#include "workloads/common/error.h"

namespace slm::cli {
namespace {
struct BenchIssOptions {
  uint32_t cores = 8;
  bool qemu = true;
  std::string dir = SLMSIM_RV32_DIR;
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec) + double(u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Measure {
  uint64_t instructions = 0;
  double wall = 0, cpu = 0;
  rv32::Stop stop = rv32::Stop::none;
};

Measure run_iss(const std::string& elf, uint32_t cores, std::FILE* log, uint64_t limit) {
  rv32::MachineConfig cfg;
  cfg.cores = cores;
  rv32::Machine m(cfg);
  m.load(rv32::read_elf(elf));
  if (log) m.set_commit_log(log);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  const auto r = m.run(limit);
  Measure out;
  out.cpu = cpu_seconds() - c0;
  out.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.instructions = r.instructions;
  out.stop = r.stop;
  if (r.stop == rv32::Stop::trap) throw err(elf, ": trapped: ", r.trap.text());
  return out;
}

void print(const char* what, const Measure& m) {
  std::printf("%-44s %11.1f M instr/s wall  %7.1f M instr/s cpu  (%llu instructions, %.2f s wall)\n", what,
              m.instructions / m.wall / 1e6, m.instructions / m.cpu / 1e6, static_cast<unsigned long long>(m.instructions), m.wall);
}
}  // namespace

void register_bench_iss(CLI::App& bench) {
  auto o = std::make_shared<BenchIssOptions>();
  auto* cmd = bench.add_subcommand("iss", "Simulated RV32 instructions/s: Xpulp GEMV single core, commit log on, QEMU peer, N cores");
  cmd->add_option("--cores", o->cores, "harts for the multi-core measurement")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_flag("--no-qemu", [o](int64_t) { o->qemu = false; }, "skip the QEMU peer measurement");
  cmd->add_option("--programs", o->dir, "directory holding bench_gemv_{xpulp,rv32imc}.elf")->capture_default_str();
  cmd->callback([o] {
    const std::string xpulp = o->dir + "/bench_gemv_xpulp.elf", plain = o->dir + "/bench_gemv_rv32imc.elf";
    for (const auto& p : {xpulp, plain})
      if (!std::filesystem::exists(p))
        throw err(p, ": benchmark program not found (built by cmake/riscv.cmake with riscv64-unknown-elf-gcc; see --programs)");
    const uint64_t all = uint64_t{1} << 62;
    print("1 core, timing on, Xpulp GEMV (DMI)", run_iss(xpulp, 1, nullptr, all));
    {
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> devnull(std::fopen("/dev/null", "w"), std::fclose);
      print("1 core, commit log on (/dev/null)", run_iss(xpulp, 1, devnull.get(), 20'000'000));
    }
    const Measure p = run_iss(plain, 1, nullptr, all);
    print("1 core, plain RV32IMC GEMV", p);
    if (o->qemu) {
      if (std::system("command -v qemu-system-riscv32 >/dev/null 2>&1") != 0) {
        std::printf("%-44s not installed (Debian qemu-system-misc)\n", "QEMU peer");
      } else {
        const std::string cmdline = "qemu-system-riscv32 -M spike -bios none -nographic -kernel '" + plain + "' >/dev/null 2>&1 </dev/null";
        rusage before{}, after{};
        getrusage(RUSAGE_CHILDREN, &before);
        const auto t0 = std::chrono::steady_clock::now();
        const int rc = std::system(cmdline.c_str());
        Measure q;
        q.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        getrusage(RUSAGE_CHILDREN, &after);
        q.cpu = double(after.ru_utime.tv_sec - before.ru_utime.tv_sec) + double(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                1e-6 * double(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec - before.ru_stime.tv_usec);
        q.instructions = p.instructions;
        if (rc != 0) throw err("bench iss: qemu-system-riscv32 exited with status ", rc, " on ", plain);
        print("QEMU 7.2 TCG, same plain program (peer)", q);
        std::printf("%-44s %11.2f (wall)  %21.2f (cpu)\n", "ISS / QEMU speed ratio", (p.instructions / p.wall) / (q.instructions / q.wall),
                    (p.instructions / p.cpu) / (q.instructions / q.cpu));
      }
    }
    char what[64];
    std::snprintf(what, sizeof what, "%u cores through TLM, Xpulp GEMV (all harts)", o->cores);
    const iss::TlmRunResult t = iss::run_tlm(xpulp, o->cores);
    if (!t.exited) throw err("bench iss: the TLM run did not exit: ", t.error);
    Measure m;
    m.instructions = t.instructions;
    m.wall = t.wall_seconds;
    m.cpu = t.cpu_seconds;
    print(what, m);
  });
}

}  // namespace slm::cli
