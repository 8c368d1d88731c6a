// Differential check against QEMU (qemu-system-riscv32 -M spike -bios none, Debian
// qemu-system-misc) on RV32IMC programs: the same exit code, the same console output
// (which includes the final register dump printed by slm_dump_regs) and, with QEMU's
// single-step exec trace, the same sequence of retired PCs. Skipped when QEMU is absent
// (a failure under CI=true). Programs avoid implementation-defined behaviour (QEMU does
// misaligned accesses in hardware and counts instructions differently).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/models/rv32/iss_harness.h"

using namespace slm::rv32;
using namespace slm::test;

namespace {
bool have_qemu() { return std::system("command -v qemu-system-riscv32 >/dev/null 2>&1") == 0; }

struct QemuRun {
  int status = -1;
  std::string out;
  std::vector<uint32_t> pcs;  // retired PCs >= 0x8000_0000 (the reset ROM excluded)
};
QemuRun run_qemu(const std::string& elf, bool trace) {
  const auto base = std::filesystem::temp_directory_path() / ("slmsim_qemu_" + std::to_string(::getpid()));
  const std::string out = base.string() + ".out", log = base.string() + ".log";
  std::string cmd = "timeout 60 qemu-system-riscv32 -M spike -bios none -nographic";
  if (trace) cmd += " -singlestep -d exec,nochain -D '" + log + "'";
  cmd += " -kernel '" + elf + "' >'" + out + "' 2>/dev/null </dev/null";
  const int raw = std::system(cmd.c_str());
  QemuRun r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  if (trace) {
    std::ifstream f(log);
    std::string line;
    while (std::getline(f, line)) {
      // Trace 0: 0x7f... [00000000/80000000/...]
      const auto a = line.find('['), s = line.find('/', a);
      if (a == std::string::npos || s == std::string::npos) continue;
      const uint32_t pc = static_cast<uint32_t>(std::stoul(line.substr(s + 1, 8), nullptr, 16));
      if (pc >= 0x80000000u) r.pcs.push_back(pc);
    }
    std::filesystem::remove(log);
  }
  std::filesystem::remove(out);
  return r;
}

struct IssRun {
  slm::rv32::RunResult r;
  std::string console;
  std::vector<uint32_t> pcs;
};
IssRun run_iss(const std::string& elf) {
  const auto log = (std::filesystem::temp_directory_path() / ("slmsim_iss_" + std::to_string(::getpid()) + ".log")).string();
  std::FILE* f = std::fopen(log.c_str(), "w");
  Machine m(MachineConfig{});
  m.load(read_elf(elf));
  m.set_commit_log(f);
  IssRun out;
  out.r = m.run(50'000'000);
  std::fclose(f);
  out.console = m.console();
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const auto p = line.find("0x");
    if (p != std::string::npos) out.pcs.push_back(static_cast<uint32_t>(std::stoul(line.substr(p + 2, 8), nullptr, 16)));
  }
  std::filesystem::remove(log);
  return out;
}

void diff_against_qemu(const std::string& name, bool trace) {
  const auto p = rv32_program(name);
  if (p.empty()) GTEST_SKIP() << name << ".elf not built";
  if (!have_qemu()) {
    if (ci()) FAIL() << "CI=true but qemu-system-riscv32 (qemu-system-misc) is missing";
    GTEST_SKIP() << "qemu-system-riscv32 not installed (Debian qemu-system-misc)";
  }
  const auto iss = run_iss(p);
  const auto q = run_qemu(p, trace);
  ASSERT_EQ(iss.r.stop, Stop::exit) << iss.r.trap.text();
  EXPECT_EQ(iss.r.exit_code, q.status);
  EXPECT_EQ(iss.console, q.out);
  if (trace) {
    ASSERT_FALSE(q.pcs.empty());
    size_t n = std::min(iss.pcs.size(), q.pcs.size()), i = 0;
    while (i < n && iss.pcs[i] == q.pcs[i]) ++i;
    EXPECT_EQ(i, n) << "first different retired pc at instruction " << i << ": iss 0x" << std::hex << iss.pcs[i]
                    << " qemu 0x" << q.pcs[i];
    EXPECT_EQ(iss.pcs.size(), q.pcs.size());
  }
}
}  // namespace

TEST(Rv32QemuDiff, HelloConsoleRegistersAndPcTrace) { diff_against_qemu("hello", true); }
TEST(Rv32QemuDiff, InstructionClassesAndPcTrace) { diff_against_qemu("rv32i_check", true); }
TEST(Rv32QemuDiff, CWorkload) { diff_against_qemu("c_workload", true); }
