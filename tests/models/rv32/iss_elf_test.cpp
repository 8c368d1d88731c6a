// ELF loader: clean errors (slm::Error naming the file and field) for truncated files,
// wrong class or machine, segments outside memory and no entry point; symbols found.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "models/cpu/rv32/elf.h"
#include "models/cpu/rv32/machine.h"
#include "workloads/common/error.h"

using namespace slm::rv32;

namespace {
// A minimal valid ELF32 RISC-V executable: one PT_LOAD of 8 bytes at `addr`, entry = addr.
std::vector<uint8_t> tiny_elf(uint32_t addr = 0x80000000u) {
  std::vector<uint8_t> b(52 + 32 + 8, 0);
  auto put16 = [&](size_t o, uint16_t v) { std::memcpy(&b[o], &v, 2); };
  auto put32 = [&](size_t o, uint32_t v) { std::memcpy(&b[o], &v, 4); };
  std::memcpy(b.data(), "\x7f" "ELF", 4);
  b[4] = 1; b[5] = 1; b[6] = 1;
  put16(16, 2); put16(18, 243); put32(20, 1); put32(24, addr); put32(28, 52);
  put16(40, 52); put16(42, 32); put16(44, 1);
  put32(52, 1); put32(56, 84); put32(60, addr); put32(64, addr); put32(68, 8); put32(72, 8); put32(76, 5);
  put32(84, 0x00000013); put32(88, 0x00000013);
  return b;
}
std::string error_of(const std::vector<uint8_t>& b) {
  try {
    parse_elf(b, "t.elf");
  } catch (const slm::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Rv32Elf, TinyValidElfLoads) {
  auto img = parse_elf(tiny_elf(), "t.elf");
  EXPECT_EQ(img.entry, 0x80000000u);
  ASSERT_EQ(img.segments.size(), 1u);
  EXPECT_EQ(img.segments[0].data.size(), 8u);
}

TEST(Rv32Elf, EveryTruncationIsACleanError) {
  const auto good = tiny_elf();
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<long>(n));
    const auto e = error_of(b);
    EXPECT_FALSE(e.empty()) << "truncated at " << n << " bytes was accepted";
    EXPECT_EQ(e.rfind("t.elf: ", 0), 0u) << e;
  }
}

TEST(Rv32Elf, WrongClassMachineTypeAndMagic) {
  auto b = tiny_elf();
  b[4] = 2;
  EXPECT_NE(error_of(b).find("wrong ELF class"), std::string::npos) << error_of(b);
  b = tiny_elf();
  b[18] = 62;  // EM_X86_64
  EXPECT_NE(error_of(b).find("wrong machine: e_machine = 62"), std::string::npos) << error_of(b);
  b = tiny_elf();
  b[16] = 3;  // ET_DYN
  EXPECT_NE(error_of(b).find("e_type = 3"), std::string::npos) << error_of(b);
  b = tiny_elf();
  b[1] = 'X';
  EXPECT_NE(error_of(b).find("bad magic"), std::string::npos);
}

TEST(Rv32Elf, NoEntryPoint) {
  auto b = tiny_elf();
  const uint32_t entry = 0x90000000u;
  std::memcpy(&b[24], &entry, 4);
  EXPECT_NE(error_of(b).find("no entry point: e_entry = 0x90000000"), std::string::npos) << error_of(b);
}

TEST(Rv32Elf, SegmentDataPastTheEndOfTheFile) {
  auto b = tiny_elf();
  const uint32_t filesz = 4096;
  std::memcpy(&b[68], &filesz, 4);
  std::memcpy(&b[72], &filesz, 4);
  EXPECT_NE(error_of(b).find("segment data"), std::string::npos) << error_of(b);
}

TEST(Rv32Elf, SegmentOutsideMemoryIsRejectedByTheMachine) {
  auto img = parse_elf(tiny_elf(0x10000000u), "t.elf");
  Machine m(MachineConfig{});
  try {
    m.load(img);
    FAIL() << "a segment outside memory was loaded";
  } catch (const slm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("is outside memory"), std::string::npos) << e.what();
  }
}

TEST(Rv32Elf, MissingFileIsACleanError) {
  EXPECT_THROW(read_elf("/nonexistent/prog.elf"), slm::Error);
}

// Found by fuzz_elf (tests/fuzz/regressions/elf/crash-8d81...): a PT_LOAD with no file bytes
// (filesz 0, a .bss-only segment) made the machine memcpy from a null pointer. It loads as
// zeros now; the reproducer itself must load or be refused cleanly.
TEST(Rv32Elf, ASegmentWithNoFileBytesLoadsAsZeros) {
  std::vector<uint8_t> b = tiny_elf();
  const uint32_t zero = 0;
  std::memcpy(&b[68], &zero, 4);  // p_filesz = 0 (p_memsz stays 8)
  auto img = parse_elf(b, "t.elf");
  Machine m(MachineConfig{});
  EXPECT_NO_THROW(m.load(img));

  const std::string repro = std::string(SLMSIM_SOURCE_DIR) +
                            "/tests/fuzz/regressions/elf/crash-8d81bd6bdee95c60d4a0c542e591647ea94e4bfb";
  std::ifstream f(repro, std::ios::binary);
  ASSERT_TRUE(f) << repro;
  const std::vector<uint8_t> r{std::istreambuf_iterator<char>(f), {}};
  try {
    Machine m2(MachineConfig{});
    m2.load(parse_elf(r, "repro.elf"));
  } catch (const slm::Error&) {
    // a clean refusal is fine too
  }
}
