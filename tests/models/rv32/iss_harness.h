// Helpers for the RV32 ISS tests: cross-compiled programs (build/rv32/NAME.elf, skipped
// when the cross-compiler is absent, a failure under CI=true), raw-word programs, QEMU.
#pragma once
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/cpu/rv32/machine.h"
#include "tests/common/cli.h"

namespace slm::test {

inline bool ci() {
  const char* c = std::getenv("CI");
  return c && std::string(c) == "true";
}

// Path of a cross-compiled test program, or "" (test skipped; CI=true fails) if absent.
inline std::string rv32_program(const std::string& name) {
  std::string p = std::string(SLMSIM_RV32_DIR) + "/" + name + ".elf";
  if (std::filesystem::exists(p)) return p;
  if (ci()) ADD_FAILURE() << "CI=true but " << p << " was not built (riscv64-unknown-elf-gcc + picolibc missing?)";
  return "";
}
#define SKIP_IF_EMPTY(p, what) \
  if ((p).empty()) GTEST_SKIP() << what << " not available (see cmake/riscv.cmake)"

struct ProgramRun {
  slm::rv32::RunResult r;
  std::string console;
};
inline ProgramRun run_elf(const std::string& path, uint32_t cores = 1, uint64_t limit = 200'000'000,
                          const rv32::Timing& timing = {}) {
  rv32::MachineConfig cfg;
  cfg.cores = cores;
  cfg.timing = timing;
  rv32::Machine m(cfg);
  m.load(rv32::read_elf(path));
  ProgramRun out;
  out.r = m.run(limit);
  out.console = m.console();
  return out;
}

// A machine running raw instruction words placed at 0x8000_0000 (no ELF, no HTIF).
struct RawMachine {
  rv32::Machine m;
  explicit RawMachine(const std::vector<uint32_t>& words, const rv32::Timing& t = {})
      : m([&] { rv32::MachineConfig c; c.ram_size_bytes = 1 << 20; c.timing = t; return c; }()) {
    std::memcpy(m.ram(), words.data(), words.size() * 4);
    m.core(0).refresh_dmi();
    m.core(0).reset(0x80000000u);
  }
  rv32::Core& core() { return m.core(0); }
  // Runs exactly n instructions.
  void step(uint64_t n) { core().run(n); }
};

// RV32 encoders for hand-written tests.
inline uint32_t r_type(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
inline uint32_t i_type(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (static_cast<uint32_t>(imm) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
inline uint32_t s_type(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t op) {
  uint32_t u = static_cast<uint32_t>(imm) & 0xfff;
  return (u >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | op;
}
inline uint32_t b_type(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t op = 0x63) {
  uint32_t u = static_cast<uint32_t>(imm);
  return ((u >> 12) & 1) << 31 | ((u >> 5) & 63) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | ((u >> 1) & 15) << 8 |
         ((u >> 11) & 1) << 7 | op;
}
inline uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(imm, rs1, 0, rd, 0x13); }
inline uint32_t lui(uint32_t rd, uint32_t imm20) { return imm20 << 12 | rd << 7 | 0x37; }

}  // namespace slm::test
