// Machine: the SystemC-free RV32 system used by `slmsim iss` and the tests: one RAM
// (the DMI region), N cores running round-robin in slices, and an HTIF device on the
// program's `tohost` symbol (Spike / riscv-tests / QEMU `-M spike` protocol, RV32 form:
// the 64-bit tohost is acted on when its upper word is written).
//   tohost = (code << 1) | 1                  exit with `code` (device 0, command 0)
//   tohost = (1 << 56) | (1 << 48) | ch       console: write byte ch (device 1, command 1)
// tohost is cleared after each command. Any other command stops the run with an error.
// Harts share the RAM; each has its own decoded-instruction cache, so code written by one
// hart is seen by another only after that hart's fence.i.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "models/cpu/rv32/core.h"
#include "models/cpu/rv32/elf.h"

namespace slm::rv32 {

// HTIF host state of one program, shared by its harts (the Machine and the TLM wrapper).
struct HtifState {
  bool exited = false;
  int exit_code = 0;
  std::string error;            // unsupported command
  std::string console;          // bytes written by the program
  std::FILE* echo = nullptr;    // also write console bytes here
};
// Acts on the 64-bit tohost word at host pointer p after a store into its upper word:
// exit, console byte, or an error for any other command; clears tohost. Returns true when
// the run must stop (exit or error).
bool htif_command(uint8_t* p, const Core& core, HtifState& st);

struct MachineConfig {
  uint32_t ram_base = 0x80000000u;
  uint32_t ram_size_bytes = 64u << 20;
  uint32_t cores = 1;
  uint64_t slice_instructions = 10000;  // round-robin slice per hart when cores > 1
  Timing timing;
};

struct RunResult {
  Stop stop = Stop::none;      // exit, trap or limit
  int exit_code = 0;           // HTIF exit code (stop == exit)
  TrapReport trap;             // stop == trap
  std::string error;           // unsupported HTIF command, ...
  uint64_t instructions = 0;   // retired, all harts
  uint64_t cycles = 0;         // max over harts (they run in parallel)
  double cpi() const;          // cycles of hart 0 / instructions of hart 0
  uint64_t hart0_instructions = 0, hart0_cycles = 0;
};

class Machine : public MemoryPort {
 public:
  explicit Machine(const MachineConfig& cfg);
  ~Machine() override;
  // Copies the segments into RAM (error if one is outside), points every hart at the entry
  // and arms HTIF on `tohost` (a program without it can only stop by trap or limit).
  void load(const ElfImage& elf);
  RunResult run(uint64_t max_instructions);  // budget over all harts

  Core& core(size_t i) { return *cores_[i]; }
  size_t cores() const { return cores_.size(); }
  uint8_t* ram() { return ram_.data(); }
  const MachineConfig& config() const { return cfg_; }
  void set_console(std::FILE* f) { htif_.echo = f; }  // echo console bytes (nullptr: capture only)
  const std::string& console() const { return htif_.console; }
  void set_commit_log(std::FILE* f);
  std::optional<uint32_t> tohost() const { return tohost_; }

  // MemoryPort
  DmiRegion dmi() override { return DmiRegion{cfg_.ram_base, cfg_.ram_size_bytes}; }
  uint8_t* dmi_page(uint32_t page_addr) override { return ram_.data() + (page_addr - cfg_.ram_base); }
  bool load(uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles) override;
  bool store(uint32_t addr, unsigned size, uint32_t value, uint64_t& cycles) override;
  void watched_store(uint32_t addr, Core& core) override;

 private:
  MachineConfig cfg_;
  std::vector<uint8_t> ram_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::optional<uint32_t> tohost_;
  HtifState htif_;
};

}  // namespace slm::rv32
