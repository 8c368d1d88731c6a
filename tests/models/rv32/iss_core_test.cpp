// RV32 ISS core: the ISA table (no overlapping encodings), decode, compressed expansion,
// timing (CV32E40P cycle counts computed by hand), counters, traps without a handler.
#include <gtest/gtest.h>

#include "models/cpu/rv32/core.h"
#include "tests/models/rv32/iss_harness.h"

using namespace slm::rv32;
using namespace slm::test;

namespace {
int row_of(const char* name) {
  auto rows = isa_rows();
  for (size_t i = 0; i < rows.size(); ++i)
    if (std::string(rows[i].name) == name) return static_cast<int>(i);
  return -1;
}
std::string name_of(uint32_t word) {
  Insn in;
  if (!decode(word, in)) return "illegal";
  return isa_rows()[in.row].name;
}
}  // namespace

TEST(Rv32Isa, NoTwoEncodingsOverlap) {
  auto overlaps = find_overlaps(isa_rows());
  for (auto [a, b] : overlaps) ADD_FAILURE() << isa_rows()[a].name << " overlaps " << isa_rows()[b].name;
  EXPECT_TRUE(overlaps.empty());
  EXPECT_GT(isa_rows().size(), 300u);  // I, M, C, Zicsr, Zifencei, XpulpV2
}

TEST(Rv32Isa, OverlapCheckFindsAnInjectedOverlap) {
  std::vector<IsaRow> rows(isa_rows().begin(), isa_rows().end());
  IsaRow bad = rows[row_of("add")];
  bad.name = "bogus";
  bad.mask = 0x0000707f;  // matches add whatever funct7 says
  rows.push_back(bad);
  auto overlaps = find_overlaps(rows);
  ASSERT_FALSE(overlaps.empty());
  EXPECT_EQ(std::string(rows[overlaps.back().second].name), "bogus");
}

TEST(Rv32Isa, EveryRowHasSemanticsOrExpands) {
  for (const auto& r : isa_rows()) {
    if (r.width == 32) EXPECT_NE(r.exec, nullptr) << r.name;
    else EXPECT_GE(r.expands, 0) << r.name;
  }
}

TEST(Rv32Decode, KnownWords) {
  EXPECT_EQ(name_of(0x00000013), "addi");
  EXPECT_EQ(name_of(0x00b50533), "add");
  EXPECT_EQ(name_of(0x02b50533), "mul");
  EXPECT_EQ(name_of(0x30200073), "mret");
  EXPECT_EQ(name_of(0x0000100f), "fence.i");
  EXPECT_EQ(name_of(0xb88e17d7), "pv.sdotsp.b");  // from a PULP disassembly
  EXPECT_EQ(name_of(0x01ea40fb), "lp.setup");
  EXPECT_EQ(name_of(0x00000000), "illegal");      // all-zero halfword is reserved
  EXPECT_EQ(name_of(0xffffffff), "illegal");
  EXPECT_EQ(name_of(0x0000702f), "illegal");      // A extension not implemented
  EXPECT_EQ(name_of(0x02059593), "illegal");      // slli with shamt[5] = 1 on RV32
}

TEST(Rv32Decode, CompressedExpansion) {
  EXPECT_EQ(expand_compressed(0x4501), 0x00000513u);  // c.li a0, 0 -> addi a0, x0, 0
  EXPECT_EQ(expand_compressed(0x8082), 0x00008067u);  // c.jr ra -> jalr x0, 0(ra)
  EXPECT_EQ(expand_compressed(0x9002), 0x00100073u);  // c.ebreak
  EXPECT_EQ(expand_compressed(0x852e), 0x00b00533u);  // c.mv a0, a1 -> add a0, x0, a1
  EXPECT_EQ(expand_compressed(0x1141), 0xff010113u);  // c.addi sp, -16
  EXPECT_EQ(expand_compressed(0xc606), 0x00112623u);  // c.swsp ra, 12(sp)
  EXPECT_EQ(expand_compressed(0x40b2), 0x00c12083u);  // c.lwsp ra, 12(sp)
  EXPECT_EQ(expand_compressed(0x0000), 0u);           // c.addi4spn with imm 0: reserved
  EXPECT_EQ(expand_compressed(0x6101), 0u);           // c.addi16sp with imm 0: reserved
  EXPECT_EQ(expand_compressed(0x1506), 0u);           // c.slli shamt[5] = 1 on RV32: reserved
}

// Cycle counts (CV32E40P user manual, "Pipeline details", cycle counts per instruction type).
TEST(Rv32Timing, LoadUseStallMulhDivBranches) {
  // x1 = 0x80000100 (data address); memory word there = 7
  std::vector<uint32_t> w = {
      lui(1, 0x80000), addi(1, 1, 0x100),         // 2 x alu                 = 2
      i_type(0, 1, 2, 2, 0x03),                   // lw x2, 0(x1)            = 1
      r_type(0, 2, 2, 0, 3, 0x33),                // add x3, x2, x2 (uses x2) = 1 + 1 stall
      r_type(1, 3, 2, 1, 4, 0x33),                // mulh x4, x2, x3          = 5
      addi(5, 0, 1), r_type(1, 5, 2, 4, 6, 0x33), // addi x5 = 1; div x6, x2, x5 = 1 + (3 + 31)
      r_type(1, 0, 2, 4, 7, 0x33),                // div x7, x2, x0           = 3 + 32 = 35
      b_type(8, 0, 0, 0),                         // beq x0, x0, +8 (taken)   = 3
      0x00000013,                                 // (skipped)
      b_type(8, 0, 2, 0),                         // beq x2, x0 (not taken)   = 1
  };
  w.resize(0x41, 0);
  w[0x40] = 7;  // the data word at 0x80000100
  RawMachine rm(w);
  rm.step(10);
  EXPECT_EQ(rm.core().x[3], 14u);
  EXPECT_EQ(rm.core().x[6], 7u);
  EXPECT_EQ(rm.core().x[7], 0xffffffffu);
  EXPECT_EQ(rm.core().instret, 10u);
  EXPECT_EQ(rm.core().cycles, 2u + 1 + 2 + 5 + 1 + 34 + 35 + 3 + 1);
  EXPECT_EQ(rm.core().pc, 0x80000000u + 4 * 11);
}

TEST(Rv32Timing, NoStallWhenTheLoadedRegisterIsNotUsed) {
  std::vector<uint32_t> w = {lui(1, 0x80000), i_type(0x40, 1, 2, 2, 0x03), r_type(0, 1, 1, 0, 3, 0x33)};
  RawMachine rm(w);
  rm.step(3);
  EXPECT_EQ(rm.core().cycles, 3u);
  Timing slow;
  slow.load_use_stall_cycles = 4;
  slow.mem_latency_cycles = 2;
  std::vector<uint32_t> w2 = {lui(1, 0x80000), i_type(0x40, 1, 2, 2, 0x03), r_type(0, 2, 2, 0, 3, 0x33)};
  RawMachine rm2(w2, slow);
  rm2.step(3);
  EXPECT_EQ(rm2.core().cycles, 1u + (1 + 2) + (1 + 4));  // config changes the counts
}

TEST(Rv32Counters, MinstretAndMcycleAdvanceExactly) {
  std::vector<uint32_t> w = {
      i_type(0xB02, 0, 2, 10, 0x73),  // csrr a0, minstret
      i_type(0xB02, 0, 2, 11, 0x73),  // csrr a1, minstret
      i_type(0xC00, 0, 2, 12, 0x73),  // csrr a2, cycle
      i_type(0xF14, 0, 2, 13, 0x73),  // csrr a3, mhartid
  };
  RawMachine rm(w);
  rm.step(4);
  EXPECT_EQ(rm.core().x[10], 0u);
  EXPECT_EQ(rm.core().x[11], 1u);
  EXPECT_EQ(rm.core().x[12], 1u + 4 + 4);  // csr (4 cycles: minstret) twice + this one's base 1 counted at issue
  EXPECT_EQ(rm.core().x[13], 0u);
}

TEST(Rv32Traps, IllegalInstructionWithoutHandlerStopsWithAReport) {
  RawMachine rm({addi(1, 0, 5), 0xffffffffu, addi(1, 0, 6)});
  rm.step(100);
  EXPECT_EQ(rm.core().stop_reason(), Stop::trap);
  const auto& t = rm.core().trap_report();
  EXPECT_EQ(t.pc, 0x80000004u);
  EXPECT_EQ(t.insn, 0xffffffffu);
  EXPECT_EQ(t.cause, 2u);
  EXPECT_EQ(rm.core().instret, 1u);
  EXPECT_EQ(rm.core().x[1], 5u);
  EXPECT_NE(t.text().find("illegal instruction"), std::string::npos) << t.text();
  EXPECT_NE(t.text().find("0x80000004"), std::string::npos) << t.text();
}

TEST(Rv32Traps, HandlerGetsMepcMcauseMtval) {
  // mtvec = 0x80000100; misaligned lw at pc 0x8000000c
  std::vector<uint32_t> w = {lui(5, 0x80000), addi(5, 5, 0x100), i_type(0x305, 5, 1, 0, 0x73),  // csrw mtvec, t0
                             i_type(1, 5, 2, 6, 0x03)};                                         // lw t1, 1(t0)
  w.resize(0x41, 0x00000013);
  Timing trap_misaligned;
  trap_misaligned.trap_misaligned = true;  // configs/iss/rv32.yaml trap_misaligned: 1
  RawMachine rm(w, trap_misaligned);
  rm.step(5);  // 4 + first handler instruction
  EXPECT_EQ(rm.core().mcause, 4u);
  EXPECT_EQ(rm.core().mepc, 0x8000000cu);
  EXPECT_EQ(rm.core().mtval, 0x80000101u);
  EXPECT_EQ(rm.core().pc, 0x80000104u);
  EXPECT_EQ(rm.core().stop_reason(), Stop::limit);
}

// CV32E40P ("Load/Store" in the instruction timing table): misaligned loads/stores are done in
// hardware; a word access that is not word aligned, or a halfword crossing a word boundary, is
// two bus transactions (2 cycles); a halfword inside a word is one (1 cycle).
TEST(Rv32Misaligned, LoadsAndStoresInHardwareWithTheirCycles) {
  const uint32_t lw = 2, lh = 1, lhu = 5, sw = 2, sh = 1;
  std::vector<uint32_t> w = {lui(5, 0x80000), addi(5, 5, 0x100),
                             i_type(1, 5, lw, 6, 0x03),    // lw x6, 1(x5)    crosses
                             i_type(3, 5, lw, 7, 0x03),    // lw x7, 3(x5)    crosses
                             i_type(1, 5, lh, 8, 0x03),    // lh x8, 1(x5)    inside the word
                             i_type(3, 5, lh, 9, 0x03),    // lh x9, 3(x5)    crosses
                             i_type(3, 5, lhu, 10, 0x03),  // lhu x10, 3(x5)  crosses
                             i_type(2, 5, lw, 11, 0x03),   // lw x11, 2(x5)   crosses
                             s_type(0x21, 12, 5, sw, 0x23),  // sw x12, 0x21(x5)
                             s_type(0x27, 13, 5, sh, 0x23),  // sh x13, 0x27(x5)
                             s_type(0x2d, 13, 5, sh, 0x23)}; // sh x13, 0x2d(x5) inside the word
  RawMachine rm(w);
  for (int i = 0; i < 16; ++i) rm.m.ram()[0x100 + i] = static_cast<uint8_t>(0x80 + i);
  rm.core().x[12] = 0x11223344u;
  rm.core().x[13] = 0xffffaabbu;
  rm.step(2);
  const uint64_t expected_cycles[] = {2, 2, 1, 2, 2, 2, 2, 2, 1};
  for (uint64_t c : expected_cycles) {
    const uint64_t before = rm.core().cycles;
    rm.step(1);
    EXPECT_EQ(rm.core().cycles - before, c) << "instruction at pc 0x" << std::hex << rm.core().pc - 4;
  }
  EXPECT_EQ(rm.core().stop_reason(), Stop::limit);
  EXPECT_EQ(rm.core().x[6], 0x84838281u);
  EXPECT_EQ(rm.core().x[7], 0x86858483u);
  EXPECT_EQ(rm.core().x[8], 0xffff8281u);
  EXPECT_EQ(rm.core().x[9], 0xffff8483u);
  EXPECT_EQ(rm.core().x[10], 0x00008483u);
  EXPECT_EQ(rm.core().x[11], 0x85848382u);
  const uint8_t* m = rm.m.ram() + 0x100;
  EXPECT_EQ(m[0x20], 0);  // untouched
  const uint8_t want_sw[] = {0x44, 0x33, 0x22, 0x11};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(m[0x21 + i], want_sw[i]) << i;
  EXPECT_EQ(m[0x25], 0);
  EXPECT_EQ(m[0x27], 0xbb);
  EXPECT_EQ(m[0x28], 0xaa);
  EXPECT_EQ(m[0x29], 0);
  EXPECT_EQ(m[0x2d], 0xbb);
  EXPECT_EQ(m[0x2e], 0xaa);
}

TEST(Rv32Misaligned, ExtraCyclesComeFromTheConfig) {
  Timing t;
  t.misaligned_split_cycles = 3;
  t.mem_latency_cycles = 2;  // each of the two transactions pays the memory's latency
  RawMachine rm({lui(5, 0x80000), addi(5, 5, 0x100), i_type(1, 5, 2, 6, 0x03)}, t);
  rm.step(2);
  const uint64_t before = rm.core().cycles;
  rm.step(1);
  EXPECT_EQ(rm.core().cycles - before, 1u + 2u + 3u + 2u);
}

TEST(Rv32Misaligned, SecondHalfOutsideMemoryIsAnAccessFaultAtTheAccessAddress) {
  // RAM ends at 0x80100000: lw at 0x800ffffe reads two bytes inside and two outside.
  RawMachine rm({lui(5, 0x80100), i_type(-2, 5, 2, 6, 0x03), s_type(-1, 6, 5, 1, 0x23)});
  rm.step(10);
  EXPECT_EQ(rm.core().stop_reason(), Stop::trap);
  EXPECT_EQ(rm.core().trap_report().cause, 5u) << rm.core().trap_report().text();
  EXPECT_EQ(rm.core().trap_report().tval, 0x800ffffeu);
  RawMachine st({lui(5, 0x80100), s_type(-1, 6, 5, 1, 0x23)});  // sh at 0x800fffff
  st.step(10);
  EXPECT_EQ(st.core().trap_report().cause, 7u) << st.core().trap_report().text();
  EXPECT_EQ(st.core().trap_report().tval, 0x800fffffu);
}

TEST(Rv32Traps, FetchOutsideMemoryIsAnAccessFault) {
  RawMachine rm({lui(1, 0x10000), i_type(0, 1, 0, 0, 0x67)});  // jr 0x10000000
  rm.step(10);
  EXPECT_EQ(rm.core().stop_reason(), Stop::trap);
  EXPECT_EQ(rm.core().trap_report().cause, 1u);
  EXPECT_EQ(rm.core().trap_report().pc, 0x10000000u);
}

TEST(Rv32DecodeCache, StoreIntoCodeInvalidates) {
  // 0: lui x1, 0x80000; 4: addi x2, x0, 1 (rewritten to addi x2, x0, 9); 8: sw x3, 4(x1); c: jal x0, -8
  std::vector<uint32_t> w = {lui(1, 0x80000), addi(2, 0, 1), s_type(4, 3, 1, 2, 0x23), 0xff9ff06fu};
  RawMachine rm(w);
  rm.core().x[3] = addi(2, 0, 9);
  rm.step(4);  // lui, addi(1), sw (rewrites 4), jal
  EXPECT_EQ(rm.core().x[2], 1u);
  rm.step(1);  // the rewritten instruction
  EXPECT_EQ(rm.core().x[2], 9u);
}
