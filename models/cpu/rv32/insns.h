// Semantics of every RV32 instruction, written once. Each body reads its operands from the
// decoded instruction, writes rd and returns the next pc. No decode and no bookkeeping
// here: encodings are in isa/*.yaml, timing in the latency class (plus the explicit
// data-dependent extras below: taken branches, divider, jalr hazard).
// Included only by core.cpp (the handlers are static functions referenced by the table).
#pragma once
#include <algorithm>
#include <climits>
#include <cstdint>

#include "models/cpu/rv32/core.h"

namespace slm::rv32 {

#define INSN(name) static uint32_t exec_##name(Core& c, const Insn& i, uint32_t pc)
#define RS1 (c.x[i.rs1])
#define RS2 (c.x[i.rs2])
#define RS3 (c.x[i.rs3])
#define RDV (c.x[i.rd])
#define SRS1 (static_cast<int32_t>(c.x[i.rs1]))
#define SRS2 (static_cast<int32_t>(c.x[i.rs2]))
#define IMM (i.imm)
#define UIMM (static_cast<uint32_t>(i.imm))
#define WRD(v) (c.x[i.rd] = static_cast<uint32_t>(v))
#define NEXT (pc + i.len)
#define BRANCH(cond)                                  \
  do {                                                \
    if (cond) {                                       \
      c.cycles += c.t.branch_taken_penalty_cycles;    \
      return pc + static_cast<uint32_t>(IMM);         \
    }                                                 \
    return NEXT;                                      \
  } while (0)
#define LOAD(T, addr)                                        \
  T v_;                                                      \
  if (!c.load<T>((addr), v_)) return c.trap(c.mem_fault_cause, c.last_addr, pc)
#define STORE(T, addr, val) \
  if (!c.store<T>((addr), static_cast<T>(val))) return c.trap(c.mem_fault_cause, c.last_addr, pc)

// ---- RV32I -----------------------------------------------------------------------------
INSN(lui) { WRD(IMM); return NEXT; }
INSN(auipc) { WRD(pc + UIMM); return NEXT; }
INSN(jal) { WRD(NEXT); return pc + UIMM; }
INSN(jalr) {
  uint32_t target = (RS1 + UIMM) & ~1u;
  if (i.src_mask & c.wmask_prev) c.cycles += c.t.jalr_hazard_cycles;
  WRD(NEXT);
  return target;
}
INSN(beq) { BRANCH(RS1 == RS2); }
INSN(bne) { BRANCH(RS1 != RS2); }
INSN(blt) { BRANCH(SRS1 < SRS2); }
INSN(bge) { BRANCH(SRS1 >= SRS2); }
INSN(bltu) { BRANCH(RS1 < RS2); }
INSN(bgeu) { BRANCH(RS1 >= RS2); }
INSN(lb) { LOAD(int8_t, RS1 + UIMM); WRD(static_cast<int32_t>(v_)); return NEXT; }
INSN(lh) { LOAD(int16_t, RS1 + UIMM); WRD(static_cast<int32_t>(v_)); return NEXT; }
INSN(lw) { LOAD(uint32_t, RS1 + UIMM); WRD(v_); return NEXT; }
INSN(lbu) { LOAD(uint8_t, RS1 + UIMM); WRD(v_); return NEXT; }
INSN(lhu) { LOAD(uint16_t, RS1 + UIMM); WRD(v_); return NEXT; }
INSN(sb) { STORE(uint8_t, RS1 + UIMM, RS2); return NEXT; }
INSN(sh) { STORE(uint16_t, RS1 + UIMM, RS2); return NEXT; }
INSN(sw) { STORE(uint32_t, RS1 + UIMM, RS2); return NEXT; }
INSN(addi) { WRD(RS1 + UIMM); return NEXT; }
INSN(slti) { WRD(SRS1 < IMM); return NEXT; }
INSN(sltiu) { WRD(RS1 < UIMM); return NEXT; }
INSN(xori) { WRD(RS1 ^ UIMM); return NEXT; }
INSN(ori) { WRD(RS1 | UIMM); return NEXT; }
INSN(andi) { WRD(RS1 & UIMM); return NEXT; }
INSN(slli) { WRD(RS1 << IMM); return NEXT; }
INSN(srli) { WRD(RS1 >> IMM); return NEXT; }
INSN(srai) { WRD(SRS1 >> IMM); return NEXT; }
INSN(add) { WRD(RS1 + RS2); return NEXT; }
INSN(sub) { WRD(RS1 - RS2); return NEXT; }
INSN(sll) { WRD(RS1 << (RS2 & 31)); return NEXT; }
INSN(slt) { WRD(SRS1 < SRS2); return NEXT; }
INSN(sltu) { WRD(RS1 < RS2); return NEXT; }
INSN(xor) { WRD(RS1 ^ RS2); return NEXT; }
INSN(srl) { WRD(RS1 >> (RS2 & 31)); return NEXT; }
INSN(sra) { WRD(SRS1 >> (RS2 & 31)); return NEXT; }
INSN(or) { WRD(RS1 | RS2); return NEXT; }
INSN(and) { WRD(RS1 & RS2); return NEXT; }
INSN(fence) { (void)c; return NEXT; }
INSN(fence_i) { c.flush_decode_cache(); return NEXT; }
INSN(ecall) { (void)i; return c.trap(11, 0, pc); }   // environment call from M-mode
INSN(ebreak) { (void)i; return c.trap(3, pc, pc); }  // breakpoint, mtval = pc
INSN(mret) { (void)i; (void)pc; return c.mret(); }
INSN(wfi) { (void)c; return NEXT; }                 // no interrupt sources: a nop
INSN(csrrw) { return c.csr_op(i, pc, RS1, 0); }
INSN(csrrs) { return c.csr_op(i, pc, RS1, 1); }
INSN(csrrc) { return c.csr_op(i, pc, RS1, 2); }
INSN(csrrwi) { return c.csr_op(i, pc, i.rs1, 0); }
INSN(csrrsi) { return c.csr_op(i, pc, i.rs1, 1); }
INSN(csrrci) { return c.csr_op(i, pc, i.rs1, 2); }

// ---- RV32M -----------------------------------------------------------------------------
static inline uint32_t div_extra(uint32_t b) { return b ? __builtin_clz(b) : 32; }
INSN(mul) { WRD(RS1 * RS2); return NEXT; }
INSN(mulh) { WRD((static_cast<int64_t>(SRS1) * SRS2) >> 32); return NEXT; }
INSN(mulhsu) { WRD((static_cast<int64_t>(SRS1) * static_cast<int64_t>(static_cast<uint64_t>(RS2))) >> 32); return NEXT; }
INSN(mulhu) { WRD((static_cast<uint64_t>(RS1) * RS2) >> 32); return NEXT; }
INSN(div) {
  c.cycles += div_extra(RS2);
  int32_t a = SRS1, b = SRS2;
  WRD(b == 0 ? -1 : (a == INT32_MIN && b == -1) ? a : a / b);
  return NEXT;
}
INSN(divu) { c.cycles += div_extra(RS2); WRD(RS2 == 0 ? 0xffffffffu : RS1 / RS2); return NEXT; }
INSN(rem) {
  c.cycles += div_extra(RS2);
  int32_t a = SRS1, b = SRS2;
  WRD(b == 0 ? a : (a == INT32_MIN && b == -1) ? 0 : a % b);
  return NEXT;
}
INSN(remu) { c.cycles += div_extra(RS2); WRD(RS2 == 0 ? RS1 : RS1 % RS2); return NEXT; }

// ---- XpulpV2: post-increment and register-offset loads/stores ---------------------------
// Post-increment: the access uses rs1, then rs1 += offset; the loaded value wins if rd == rs1.
#define PLOAD_PI(name, T, off)                                   \
  INSN(name) {                                                   \
    uint32_t a_ = RS1, o_ = (off);                               \
    LOAD(T, a_);                                                 \
    c.x[i.rs1] = a_ + o_;                                        \
    WRD(v_);                                                     \
    return NEXT;                                                 \
  }
PLOAD_PI(p_lb_pi, int8_t, UIMM)
PLOAD_PI(p_lh_pi, int16_t, UIMM)
PLOAD_PI(p_lw_pi, uint32_t, UIMM)
PLOAD_PI(p_lbu_pi, uint8_t, UIMM)
PLOAD_PI(p_lhu_pi, uint16_t, UIMM)
PLOAD_PI(p_lb_rrpi, int8_t, RS2)
PLOAD_PI(p_lh_rrpi, int16_t, RS2)
PLOAD_PI(p_lw_rrpi, uint32_t, RS2)
PLOAD_PI(p_lbu_rrpi, uint8_t, RS2)
PLOAD_PI(p_lhu_rrpi, uint16_t, RS2)
#define PLOAD_RR(name, T) \
  INSN(name) { LOAD(T, RS1 + RS2); WRD(v_); return NEXT; }
PLOAD_RR(p_lb_rr, int8_t)
PLOAD_RR(p_lh_rr, int16_t)
PLOAD_RR(p_lw_rr, uint32_t)
PLOAD_RR(p_lbu_rr, uint8_t)
PLOAD_RR(p_lhu_rr, uint16_t)
INSN(p_elw) { LOAD(uint32_t, RS1 + UIMM); WRD(v_); return NEXT; }  // event load: a plain load here
#define PSTORE(name, T, addr, inc)                 \
  INSN(name) {                                     \
    uint32_t a_ = RS1;                             \
    STORE(T, (addr), RS2);                         \
    c.x[i.rs1] = a_ + (inc);                       \
    return NEXT;                                   \
  }
PSTORE(p_sb_pi, uint8_t, a_, UIMM)
PSTORE(p_sh_pi, uint16_t, a_, UIMM)
PSTORE(p_sw_pi, uint32_t, a_, UIMM)
PSTORE(p_sb_rrpi, uint8_t, a_, RS3)
PSTORE(p_sh_rrpi, uint16_t, a_, RS3)
PSTORE(p_sw_rrpi, uint32_t, a_, RS3)
INSN(p_sb_rr) { STORE(uint8_t, RS1 + RS3, RS2); return NEXT; }
INSN(p_sh_rr) { STORE(uint16_t, RS1 + RS3, RS2); return NEXT; }
INSN(p_sw_rr) { STORE(uint32_t, RS1 + RS3, RS2); return NEXT; }

// ---- XpulpV2: hardware loops (L = imm2; end = address after the loop's last instruction) ---
INSN(lp_starti) { c.lpstart[i.imm2] = pc + (UIMM << 1); return NEXT; }
INSN(lp_endi) { c.lpend[i.imm2] = pc + (UIMM << 1); return NEXT; }
INSN(lp_count) { c.lpcount[i.imm2] = RS1; c.update_hwloop_active(); return NEXT; }
INSN(lp_counti) { c.lpcount[i.imm2] = UIMM; c.update_hwloop_active(); return NEXT; }
INSN(lp_setup) {
  c.lpstart[i.imm2] = pc + 4;
  c.lpend[i.imm2] = pc + (UIMM << 1);
  c.lpcount[i.imm2] = RS1;
  c.update_hwloop_active();
  return NEXT;
}
INSN(lp_setupi) {  // count = uimm12 (imm), end offset = uimm5 in the rs1 field
  c.lpstart[i.imm2] = pc + 4;
  c.lpend[i.imm2] = pc + (static_cast<uint32_t>(i.rs1) << 1);
  c.lpcount[i.imm2] = UIMM;
  c.update_hwloop_active();
  return NEXT;
}

// ---- XpulpV2: scalar ALU, bit manipulation, clip, MAC, immediate branches ----------------
INSN(p_abs) { WRD(SRS1 < 0 ? 0u - RS1 : RS1); return NEXT; }
INSN(p_slet) { WRD(SRS1 <= SRS2); return NEXT; }
INSN(p_sletu) { WRD(RS1 <= RS2); return NEXT; }
INSN(p_min) { WRD(std::min(SRS1, SRS2)); return NEXT; }
INSN(p_minu) { WRD(std::min(RS1, RS2)); return NEXT; }
INSN(p_max) { WRD(std::max(SRS1, SRS2)); return NEXT; }
INSN(p_maxu) { WRD(std::max(RS1, RS2)); return NEXT; }
INSN(p_ror) { uint32_t s = RS2 & 31; WRD(s ? (RS1 >> s) | (RS1 << (32 - s)) : RS1); return NEXT; }
INSN(p_ff1) { WRD(RS1 ? __builtin_ctz(RS1) : 32); return NEXT; }
INSN(p_fl1) { WRD(RS1 ? 31 - __builtin_clz(RS1) : 32); return NEXT; }
INSN(p_clb) { WRD(RS1 ? __builtin_clrsb(SRS1) : 0); return NEXT; }
INSN(p_cnt) { WRD(__builtin_popcount(RS1)); return NEXT; }
INSN(p_exths) { WRD(static_cast<int32_t>(static_cast<int16_t>(RS1))); return NEXT; }
INSN(p_exthz) { WRD(static_cast<uint16_t>(RS1)); return NEXT; }
INSN(p_extbs) { WRD(static_cast<int32_t>(static_cast<int8_t>(RS1))); return NEXT; }
INSN(p_extbz) { WRD(static_cast<uint8_t>(RS1)); return NEXT; }
// clip to [-2^(Is2-1), 2^(Is2-1) - 1] (p.clipi), [0, 2^(Is2-1) - 1] (p.clipui); Is2 = 0 clips to 0..-1 -> [-1, 0] / 0.
static inline int32_t clip(int64_t v, int64_t lo, int64_t hi) { return static_cast<int32_t>(v < lo ? lo : v > hi ? hi : v); }
INSN(p_clipi) { int64_t h = i.imm ? (int64_t{1} << (i.imm - 1)) : 1; WRD(clip(SRS1, -h, i.imm ? h - 1 : 0)); return NEXT; }
INSN(p_clipui) { int64_t h = i.imm ? (int64_t{1} << (i.imm - 1)) : 1; WRD(clip(SRS1, 0, i.imm ? h - 1 : 0)); return NEXT; }
INSN(p_clip) { WRD(clip(SRS1, -int64_t{SRS2} - 1, SRS2)); return NEXT; }
INSN(p_clipu) { WRD(clip(SRS1, 0, SRS2)); return NEXT; }
// Bit fields: Is3 = length - 1, Is2 = lowest bit; the field is clipped at bit 31.
static inline uint32_t field_mask(uint32_t is3, uint32_t is2) {
  uint32_t len = std::min(is3 + 1, 32 - is2);
  return (len >= 32 ? 0xffffffffu : ((1u << len) - 1)) << is2;
}
static inline uint32_t extract(uint32_t v, uint32_t is3, uint32_t is2, bool sign) {
  uint32_t len = std::min(is3 + 1, 32 - is2);
  uint32_t f = (v & field_mask(is3, is2)) >> is2;
  if (sign && len < 32 && (f >> (len - 1)) & 1) f |= ~0u << len;
  return f;
}
static inline uint32_t insert(uint32_t rd, uint32_t v, uint32_t is3, uint32_t is2) {
  uint32_t m = field_mask(is3, is2);
  return (rd & ~m) | ((v << is2) & m);
}
INSN(p_extracti) { WRD(extract(RS1, IMM, i.imm2, true)); return NEXT; }
INSN(p_extractui) { WRD(extract(RS1, IMM, i.imm2, false)); return NEXT; }
INSN(p_inserti) { WRD(insert(RDV, RS1, IMM, i.imm2)); return NEXT; }
INSN(p_bclri) { WRD(RS1 & ~field_mask(IMM, i.imm2)); return NEXT; }
INSN(p_bseti) { WRD(RS1 | field_mask(IMM, i.imm2)); return NEXT; }
INSN(p_extract) { WRD(extract(RS1, (RS2 >> 5) & 31, RS2 & 31, true)); return NEXT; }
INSN(p_extractu) { WRD(extract(RS1, (RS2 >> 5) & 31, RS2 & 31, false)); return NEXT; }
INSN(p_insert) { WRD(insert(RDV, RS1, (RS2 >> 5) & 31, RS2 & 31)); return NEXT; }
INSN(p_bclr) { WRD(RS1 & ~field_mask((RS2 >> 5) & 31, RS2 & 31)); return NEXT; }
INSN(p_bset) { WRD(RS1 | field_mask((RS2 >> 5) & 31, RS2 & 31)); return NEXT; }
INSN(p_mac) { WRD(RDV + RS1 * RS2); return NEXT; }
INSN(p_msu) { WRD(RDV - RS1 * RS2); return NEXT; }
INSN(p_beqimm) { BRANCH(SRS1 == i.imm2); }
INSN(p_bneimm) { BRANCH(SRS1 != i.imm2); }

// ---- XpulpV2: packed SIMD on 2 x 16-bit (.h) or 4 x 8-bit (.b) elements ----------------
// Each operation is written once for an element of W bits (a, b: the elements' bit
// patterns, zero-extended); simd_alu applies it per element with the second operand
// from rs2 (vv), rs2's element 0 replicated (sc) or the 6-bit immediate replicated (sci).
enum class SimdMode : uint8_t { vv, sc, sci };
template <int W> inline int32_t sx(uint32_t v) { return static_cast<int32_t>(v << (32 - W)) >> (32 - W); }
template <int W> inline uint32_t ones() { return (1u << W) - 1; }
#define SIMD_OP(name, expr) \
  struct Op_##name { template <int W> static uint32_t f(uint32_t a, uint32_t b) { (void)a; (void)b; return static_cast<uint32_t>(expr); } };
SIMD_OP(add, a + b)
SIMD_OP(sub, a - b)
SIMD_OP(avg, (sx<W>(a) + sx<W>(b)) >> 1)
SIMD_OP(avgu, (a + b) >> 1)
SIMD_OP(min, std::min(sx<W>(a), sx<W>(b)))
SIMD_OP(minu, std::min(a, b))
SIMD_OP(max, std::max(sx<W>(a), sx<W>(b)))
SIMD_OP(maxu, std::max(a, b))
SIMD_OP(srl, a >> (b & (W - 1)))
SIMD_OP(sra, sx<W>(a) >> (b & (W - 1)))
SIMD_OP(sll, a << (b & (W - 1)))
SIMD_OP(or, a | b)
SIMD_OP(xor, a ^ b)
SIMD_OP(and, a & b)
SIMD_OP(cmpeq, a == b ? ones<W>() : 0)
SIMD_OP(cmpne, a != b ? ones<W>() : 0)
SIMD_OP(cmpgt, sx<W>(a) > sx<W>(b) ? ones<W>() : 0)
SIMD_OP(cmpge, sx<W>(a) >= sx<W>(b) ? ones<W>() : 0)
SIMD_OP(cmplt, sx<W>(a) < sx<W>(b) ? ones<W>() : 0)
SIMD_OP(cmple, sx<W>(a) <= sx<W>(b) ? ones<W>() : 0)
SIMD_OP(cmpgtu, a > b ? ones<W>() : 0)
SIMD_OP(cmpgeu, a >= b ? ones<W>() : 0)
SIMD_OP(cmpltu, a < b ? ones<W>() : 0)
SIMD_OP(cmpleu, a <= b ? ones<W>() : 0)
// Dot products: the per-element product; simd_dot sums them (and adds rd for the sdot forms).
#define DOT_OP(name, acc, expr) \
  struct Op_##name { static constexpr bool kAcc = acc; template <int W> static int32_t f(uint32_t a, uint32_t b) { return static_cast<int32_t>(expr); } };
DOT_OP(dotup, false, a * b)
DOT_OP(dotusp, false, static_cast<int32_t>(a) * sx<W>(b))
DOT_OP(dotsp, false, sx<W>(a) * sx<W>(b))
DOT_OP(sdotup, true, a * b)
DOT_OP(sdotusp, true, static_cast<int32_t>(a) * sx<W>(b))
DOT_OP(sdotsp, true, sx<W>(a) * sx<W>(b))

template <int W, SimdMode M>
inline uint32_t simd_b(const Core& c, const Insn& i, int k) {
  if constexpr (M == SimdMode::vv) return (c.x[i.rs2] >> (k * W)) & ones<W>();
  else if constexpr (M == SimdMode::sc) return c.x[i.rs2] & ones<W>();
  else return static_cast<uint32_t>(i.imm) & ones<W>();
}
template <class Op, int W, SimdMode M>
uint32_t simd_alu(Core& c, const Insn& i, uint32_t pc) {
  uint32_t a = RS1, r = 0;
  for (int k = 0; k < 32 / W; ++k)
    r |= (Op::template f<W>((a >> (k * W)) & ones<W>(), simd_b<W, M>(c, i, k)) & ones<W>()) << (k * W);
  WRD(r);
  return NEXT;
}
template <class Op, int W, SimdMode M>
uint32_t simd_dot(Core& c, const Insn& i, uint32_t pc) {
  uint32_t a = RS1, s = Op::kAcc ? RDV : 0;
  for (int k = 0; k < 32 / W; ++k)
    s += static_cast<uint32_t>(Op::template f<W>((a >> (k * W)) & ones<W>(), simd_b<W, M>(c, i, k)));
  WRD(s);
  return NEXT;
}
INSN(pv_abs_h) { uint32_t r = 0; for (int k = 0; k < 2; ++k) { int32_t e = sx<16>(RS1 >> (16 * k)); r |= (static_cast<uint32_t>(e < 0 ? -e : e) & 0xffff) << (16 * k); } WRD(r); return NEXT; }
INSN(pv_abs_b) { uint32_t r = 0; for (int k = 0; k < 4; ++k) { int32_t e = sx<8>(RS1 >> (8 * k)); r |= (static_cast<uint32_t>(e < 0 ? -e : e) & 0xff) << (8 * k); } WRD(r); return NEXT; }
INSN(pv_extract_h) { WRD(sx<16>(RS1 >> (16 * (IMM & 1)))); return NEXT; }
INSN(pv_extract_b) { WRD(sx<8>(RS1 >> (8 * (IMM & 3)))); return NEXT; }
INSN(pv_extractu_h) { WRD((RS1 >> (16 * (IMM & 1))) & 0xffff); return NEXT; }
INSN(pv_extractu_b) { WRD((RS1 >> (8 * (IMM & 3))) & 0xff); return NEXT; }
INSN(pv_insert_h) { uint32_t s = 16 * (IMM & 1); WRD((RDV & ~(0xffffu << s)) | ((RS1 & 0xffff) << s)); return NEXT; }
INSN(pv_insert_b) { uint32_t s = 8 * (IMM & 3); WRD((RDV & ~(0xffu << s)) | ((RS1 & 0xff) << s)); return NEXT; }

}  // namespace slm::rv32
