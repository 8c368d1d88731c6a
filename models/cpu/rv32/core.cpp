// Rv32 core: decode (from the generated table), decoded-instruction cache, the run loop,
// CSRs and traps. Semantics live in insns.h.
#include "models/cpu/rv32/core.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <sstream>

#include "models/cpu/rv32/insns.h"
#include "rv32_isa_table.inc"  // generated: SLM_RV32_ISA_ROWS

namespace slm::rv32 {

// ---- the table -------------------------------------------------------------------------
namespace {
// Compressed rows carry no handler; the cast keeps the X-macro uniform.
#define X(id, name, ext, fmt, lat, match, mask, width, tags, expands, spec, depth, impl) \
  IsaRow{name, ext, fmt, lat, match, mask, width, static_cast<uint16_t>(tags), expands, spec, depth, impl},
const IsaRow kRows[] = {SLM_RV32_ISA_ROWS};
#undef X
constexpr int kRowCount = SLM_RV32_ISA_COUNT;
static_assert(sizeof(kRows) / sizeof(kRows[0]) == kRowCount);

// Decoder: rows bucketed by major opcode (32-bit: bits 6..0; 16-bit: quadrant and funct3),
// deeper specializations first. Built once.
struct Decoder {
  std::vector<uint16_t> b32[128];
  std::vector<uint16_t> b16[32];
  Decoder() {
    for (int d = 3; d >= 0; --d)
      for (int r = 0; r < kRowCount; ++r) {
        const IsaRow& row = kRows[r];
        if (row.depth != d) continue;
        if (row.width == 32) b32[row.match & 0x7f].push_back(static_cast<uint16_t>(r));
        else b16[((row.match >> 13) & 7) << 2 | (row.match & 3)].push_back(static_cast<uint16_t>(r));
      }
  }
  int find32(uint32_t w) const {
    for (uint16_t r : b32[w & 0x7f])
      if ((w & kRows[r].mask) == kRows[r].match) return r;
    return -1;
  }
  int find16(uint32_t w) const {
    for (uint16_t r : b16[((w >> 13) & 7) << 2 | (w & 3)])
      if ((w & kRows[r].mask) == kRows[r].match) return r;
    return -1;
  }
};
const Decoder& decoder() {
  static const Decoder d;
  return d;
}

int32_t sext(uint32_t v, int bits) { return static_cast<int32_t>(v << (32 - bits)) >> (32 - bits); }
uint32_t bit(uint32_t w, int hi, int lo) { return (w >> lo) & ((1u << (hi - lo + 1)) - 1); }

// 32-bit encoders for the compressed expansion.
uint32_t enc_i(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (static_cast<uint32_t>(imm) << 20) | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t enc_r(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t enc_s(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  uint32_t u = static_cast<uint32_t>(imm);
  return bit(u, 11, 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | bit(u, 4, 0) << 7 | 0x23;
}
uint32_t enc_b(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  uint32_t u = static_cast<uint32_t>(imm);
  return bit(u, 12, 12) << 31 | bit(u, 10, 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
         bit(u, 4, 1) << 8 | bit(u, 11, 11) << 7 | 0x63;
}
uint32_t enc_j(int32_t imm, uint32_t rd) {
  uint32_t u = static_cast<uint32_t>(imm);
  return bit(u, 20, 20) << 31 | bit(u, 10, 1) << 21 | bit(u, 11, 11) << 20 | bit(u, 19, 12) << 12 | rd << 7 | 0x6f;
}
}  // namespace

std::span<const IsaRow> isa_rows() { return {kRows, static_cast<size_t>(kRowCount)}; }

std::vector<std::pair<int, int>> find_overlaps(std::span<const IsaRow> rows) {
  std::vector<std::pair<int, int>> out;
  auto is_ancestor = [&](int a, int b) {  // a specializes (transitively) b
    for (int r = rows[a].specializes; r >= 0; r = rows[r].specializes)
      if (r == b) return true;
    return false;
  };
  for (size_t a = 0; a < rows.size(); ++a)
    for (size_t b = a + 1; b < rows.size(); ++b) {
      if (rows[a].width != rows[b].width) continue;
      uint32_t common = rows[a].mask & rows[b].mask;
      if (((rows[a].match ^ rows[b].match) & common) != 0) continue;
      if (is_ancestor(static_cast<int>(a), static_cast<int>(b)) || is_ancestor(static_cast<int>(b), static_cast<int>(a))) continue;
      out.emplace_back(static_cast<int>(a), static_cast<int>(b));
    }
  return out;
}

const char* lat_name(Lat l) {
  static const char* const names[] = {"alu", "mul", "mulh", "div", "load", "store", "branch", "jump", "jalr", "csr", "fence_i"};
  return l < Lat::count ? names[static_cast<int>(l)] : "?";
}

std::span<const TimingKey> timing_keys() {
#define K(f, desc, mn, mx) TimingKey{"timing." #f, &Timing::f, desc, mn, mx}
  static const TimingKey keys[] = {
      K(alu_cycles, "integer computational instruction", 1, 64),
      K(mul_cycles, "mul, p.mac, p.msu (single-cycle 32x32 multiplier)", 1, 64),
      K(mulh_cycles, "mulh, mulhsu, mulhu", 1, 64),
      K(div_min_cycles, "div/divu/rem/remu: this + leading zeros of the divisor (3..35 on CV32E40P)", 1, 64),
      K(load_cycles, "load, one bus transaction (+ the memory's latency or stalls)", 1, 64),
      K(store_cycles, "store, one bus transaction", 1, 64),
      K(load_use_stall_cycles, "stall when the next instruction uses the loaded register", 0, 64),
      K(branch_cycles, "branch not taken", 1, 64),
      K(branch_taken_penalty_cycles, "extra cycles of a taken branch", 0, 64),
      K(jump_cycles, "jal, mret", 1, 64),
      K(jalr_cycles, "jalr", 1, 64),
      K(jalr_hazard_cycles, "extra when jalr reads the previous instruction's result", 0, 64),
      K(csr_cycles, "CSR access (most CSRs)", 1, 64),
      K(csr_slow_cycles, "CSR access to mstatus, mepc, mtvec, mcause, mcycle, minstret (+h), mcountinhibit", 1, 64),
      K(fence_i_cycles, "fence.i", 1, 64),
      K(hwloop_jump_cycles, "jump back to a hardware loop's start (zero-overhead: 0)", 0, 64),
      K(misaligned_split_cycles, "extra cycles of a misaligned load/store crossing a word boundary (2 bus transactions)", 0, 64),
      K(mem_latency_cycles, "extra cycles per load/store of the RAM (0: single-cycle TCDM)", 0, 1000),
  };
#undef K
  return keys;
}

uint32_t Timing::class_cycles(Lat l) const {
  switch (l) {
    case Lat::alu: return alu_cycles;
    case Lat::mul: return mul_cycles;
    case Lat::mulh: return mulh_cycles;
    case Lat::div: return div_min_cycles;
    case Lat::load: return load_cycles + mem_latency_cycles;
    case Lat::store: return store_cycles + mem_latency_cycles;
    case Lat::branch: return branch_cycles;
    case Lat::jump: return jump_cycles;
    case Lat::jalr: return jalr_cycles;
    case Lat::csr: return csr_cycles;
    case Lat::fence_i: return fence_i_cycles;
    case Lat::count: break;
  }
  return 1;
}

// ---- compressed expansion (RISC-V Unprivileged ISA 20191213, chapter 16) -----------------
uint32_t expand_compressed(uint16_t c16) {
  uint32_t c = c16;
  int r = decoder().find16(c);
  if (r < 0) return 0;
  const std::string_view n = kRows[r].name;
  const uint32_t rdp = 8 + bit(c, 4, 2), rs1p = 8 + bit(c, 9, 7), rd = bit(c, 11, 7), rs2 = bit(c, 6, 2);
  const int32_t imm6 = sext(bit(c, 12, 12) << 5 | bit(c, 6, 2), 6);
  if (n == "c.addi4spn") {
    uint32_t u = bit(c, 12, 11) << 4 | bit(c, 10, 7) << 6 | bit(c, 6, 6) << 2 | bit(c, 5, 5) << 3;
    return u ? enc_i(static_cast<int32_t>(u), 2, 0, rdp, 0x13) : 0;
  }
  if (n == "c.lw" || n == "c.sw") {
    uint32_t u = bit(c, 12, 10) << 3 | bit(c, 6, 6) << 2 | bit(c, 5, 5) << 6;
    return n == "c.lw" ? enc_i(static_cast<int32_t>(u), rs1p, 2, rdp, 0x03) : enc_s(static_cast<int32_t>(u), rdp, rs1p, 2);
  }
  if (n == "c.addi") return enc_i(imm6, rd, 0, rd, 0x13);
  if (n == "c.li") return enc_i(imm6, 0, 0, rd, 0x13);
  if (n == "c.jal" || n == "c.j") {
    uint32_t u = bit(c, 12, 12) << 11 | bit(c, 11, 11) << 4 | bit(c, 10, 9) << 8 | bit(c, 8, 8) << 10 |
                 bit(c, 7, 7) << 6 | bit(c, 6, 6) << 7 | bit(c, 5, 3) << 1 | bit(c, 2, 2) << 5;
    return enc_j(sext(u, 12), n == "c.jal" ? 1 : 0);
  }
  if (n == "c.addi16sp") {
    uint32_t u = bit(c, 12, 12) << 9 | bit(c, 6, 6) << 4 | bit(c, 5, 5) << 6 | bit(c, 4, 3) << 7 | bit(c, 2, 2) << 5;
    return u ? enc_i(sext(u, 10), 2, 0, 2, 0x13) : 0;
  }
  if (n == "c.lui") {
    if (imm6 == 0) return 0;
    return (static_cast<uint32_t>(imm6) << 12) | rd << 7 | 0x37;
  }
  if (n == "c.srli" || n == "c.srai") {
    if (bit(c, 12, 12)) return 0;  // shamt[5] = 1 is reserved on RV32
    return enc_r(n == "c.srai" ? 0x20 : 0, rs2, rs1p, 5, rs1p, 0x13);
  }
  if (n == "c.andi") return enc_i(imm6, rs1p, 7, rs1p, 0x13);
  if (n == "c.sub") return enc_r(0x20, rdp, rs1p, 0, rs1p, 0x33);
  if (n == "c.xor") return enc_r(0, rdp, rs1p, 4, rs1p, 0x33);
  if (n == "c.or") return enc_r(0, rdp, rs1p, 6, rs1p, 0x33);
  if (n == "c.and") return enc_r(0, rdp, rs1p, 7, rs1p, 0x33);
  if (n == "c.beqz" || n == "c.bnez") {
    uint32_t u = bit(c, 12, 12) << 8 | bit(c, 11, 10) << 3 | bit(c, 6, 5) << 6 | bit(c, 4, 3) << 1 | bit(c, 2, 2) << 5;
    return enc_b(sext(u, 9), 0, rs1p, n == "c.bnez" ? 1 : 0);
  }
  if (n == "c.slli") {
    if (bit(c, 12, 12)) return 0;
    return enc_r(0, rs2, rd, 1, rd, 0x13);
  }
  if (n == "c.lwsp") {
    if (rd == 0) return 0;
    uint32_t u = bit(c, 12, 12) << 5 | bit(c, 6, 4) << 2 | bit(c, 3, 2) << 6;
    return enc_i(static_cast<int32_t>(u), 2, 2, rd, 0x03);
  }
  if (n == "c.mv") return enc_r(0, rs2, 0, 0, rd, 0x33);
  if (n == "c.jr") return rd ? enc_i(0, rd, 0, 0, 0x67) : 0;
  if (n == "c.add") return enc_r(0, rs2, rd, 0, rd, 0x33);
  if (n == "c.jalr") return enc_i(0, rd, 0, 1, 0x67);
  if (n == "c.ebreak") return 0x00100073;
  if (n == "c.swsp") {
    uint32_t u = bit(c, 12, 9) << 2 | bit(c, 8, 7) << 6;
    return enc_s(static_cast<int32_t>(u), rs2, 2, 2);
  }
  return 0;
}

// ---- decode ----------------------------------------------------------------------------
bool decode(uint32_t word, Insn& in) {
  in = Insn{};
  uint32_t w = word;
  in.len = 4;
  if ((word & 3) != 3) {
    in.len = 2;
    word &= 0xffff;
    w = expand_compressed(static_cast<uint16_t>(word));
    if (w == 0) { in.raw = word; return false; }
  }
  in.raw = word;
  int r = decoder().find32(w);
  if (r < 0) return false;
  const IsaRow& row = kRows[r];
  in.row = static_cast<uint16_t>(r);
  in.fn = row.exec;
  const uint32_t rd = bit(w, 11, 7), rs1 = bit(w, 19, 15), rs2 = bit(w, 24, 20);
  auto reads = [&](uint32_t reg) { if (reg) in.src_mask |= 1u << reg; };
  switch (row.fmt) {
    case Fmt::R: in.rd = rd; in.rs1 = rs1; in.rs2 = rs2; reads(rs1); reads(rs2); break;
    case Fmt::I: in.rd = rd; in.rs1 = rs1; in.imm = sext(w >> 20, 12); reads(rs1); break;
    case Fmt::S: in.rs1 = rs1; in.rs2 = rs2; in.imm = sext(bit(w, 31, 25) << 5 | rd, 12); reads(rs1); reads(rs2); break;
    case Fmt::B:
      in.rs1 = rs1; in.rs2 = rs2; reads(rs1); reads(rs2);
      in.imm = sext(bit(w, 31, 31) << 12 | bit(w, 7, 7) << 11 | bit(w, 30, 25) << 5 | bit(w, 11, 8) << 1, 13);
      break;
    case Fmt::U: in.rd = rd; in.imm = static_cast<int32_t>(w & 0xfffff000u); break;
    case Fmt::J:
      in.rd = rd;
      in.imm = sext(bit(w, 31, 31) << 20 | bit(w, 19, 12) << 12 | bit(w, 20, 20) << 11 | bit(w, 30, 21) << 1, 21);
      break;
    case Fmt::SH: in.rd = rd; in.rs1 = rs1; in.imm = static_cast<int32_t>(rs2); reads(rs1); break;
    case Fmt::N: break;
    case Fmt::CSR:
      in.rd = rd; in.rs1 = rs1; in.imm = static_cast<int32_t>(w >> 20);
      if (!(bit(w, 14, 14))) reads(rs1);
      break;
    case Fmt::C: return false;
    case Fmt::SRR: in.rs1 = rs1; in.rs2 = rs2; in.rs3 = rd; reads(rs1); reads(rs2); reads(rd); break;
    case Fmt::HL: in.rs1 = rs1; in.imm = static_cast<int32_t>(w >> 20); in.imm2 = bit(w, 7, 7); reads(rs1); break;
    case Fmt::HLI: in.rs1 = rs1; in.imm = static_cast<int32_t>(w >> 20); in.imm2 = bit(w, 7, 7); break;
    case Fmt::I1U: in.rd = rd; in.rs1 = rs1; in.imm = static_cast<int32_t>(rs2); reads(rs1); break;
    case Fmt::I2U: in.rd = rd; in.rs1 = rs1; in.imm = static_cast<int32_t>(bit(w, 29, 25)); in.imm2 = static_cast<int32_t>(rs2); reads(rs1); break;
    case Fmt::BI:
      in.rs1 = rs1; reads(rs1);
      in.imm = sext(bit(w, 31, 31) << 12 | bit(w, 7, 7) << 11 | bit(w, 30, 25) << 5 | bit(w, 11, 8) << 1, 13);
      in.imm2 = sext(rs2, 5);
      break;
    case Fmt::SCIS: case Fmt::SCIU: {
      uint32_t u = bit(w, 25, 25) | rs2 << 1;
      in.rd = rd; in.rs1 = rs1; reads(rs1);
      in.imm = row.fmt == Fmt::SCIS ? sext(u, 6) : static_cast<int32_t>(u);
      break;
    }
  }
  // rd is also a source of accumulating and inserting instructions.
  const std::string_view name = row.name;
  if ((row.tags & kTag_mac) || name.starts_with("pv.sdot") || name.find("insert") != std::string_view::npos) reads(rd);
  if ((row.tags & kTag_load) && rd) in.lmask = 1u << rd;
  return true;
}

std::string disasm(uint32_t word) {
  Insn in;
  std::ostringstream os;
  if (!decode(word, in)) {
    os << "illegal";
    return os.str();
  }
  os << kRows[in.row].name;
  if ((word & 3) != 3) os << " (c)";
  return os.str();
}

// ---- traps -----------------------------------------------------------------------------
const char* cause_name(uint32_t cause) {
  switch (cause) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store address misaligned";
    case 7: return "store access fault";
    case 11: return "environment call from M-mode";
  }
  return "unknown cause";
}

const char* stop_name(Stop s) {
  switch (s) {
    case Stop::none: return "running";
    case Stop::limit: return "instruction limit";
    case Stop::exit: return "exit";
    case Stop::trap: return "unhandled trap";
    case Stop::halted_by_peer: return "stopped (another hart ended the run)";
  }
  return "?";
}

std::string TrapReport::text() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "hart %u: pc 0x%08x insn 0x%08x (%s): %s (mcause %u), mtval 0x%08x", hart, pc, insn,
                disasm(insn).c_str(), cause_name(cause), cause, tval);
  return buf;
}

// ---- the core --------------------------------------------------------------------------
struct Core::Page {
  Insn slot[2048];  // one per halfword of a 4 KiB page
};

// DMI is not requested here (a TLM socket is not bound yet): call refresh_dmi() before running.
Core::Core(uint32_t hart, MemoryPort& mem, const Timing& timing) : hart_id(hart), t(timing), mem_(mem) { reset(0); }
Core::~Core() = default;

void Core::reset(uint32_t start_pc) {
  std::memset(x, 0, sizeof x);
  pc = start_pc;
  cycles = instret = 0;
  mstatus = 0x1800;  // MPP = M (the only mode)
  mtvec = mepc = mcause = mtval = mscratch = mie = mip = mcountinhibit = 0;
  lpstart[0] = lpstart[1] = lpend[0] = lpend[1] = lpcount[0] = lpcount[1] = 0;
  hwloop_active = false;
  lmask_prev = wmask_prev = 0;
  stop_ = Stop::none;
  trap_ = {};
  fetch_base_ = kNoWindow;
  fetch_hits_ = 0;
}

bool Core::read16(uint32_t addr, uint32_t& v) {
  uint32_t off = addr - dmi_.base;
  if (off < dmi_.size)
    if (uint8_t* pg = fetch_pages_[off >> kDmiPageBits]) {
      uint16_t h;
      std::memcpy(&h, pg + (off & ((1u << kDmiPageBits) - 1)), 2);
      v = h;
      return true;
    }
  uint64_t ignored = 0;
  return mem_.load(addr, 2, v, ignored);
}

void Core::refresh_dmi() {
  dmi_ = mem_.dmi();
  dmi_.size &= ~((1u << kDmiPageBits) - 1);  // whole pages only
  dmi_pages_.assign(dmi_.size >> kDmiPageBits, nullptr);
  for (size_t i = 0; i < dmi_pages_.size(); ++i) dmi_pages_[i] = mem_.dmi_page(dmi_.base + (static_cast<uint32_t>(i) << kDmiPageBits));
  fetch_pages_.assign(dmi_pages_.size(), nullptr);
  for (size_t i = 0; i < fetch_pages_.size(); ++i) fetch_pages_[i] = mem_.fetch_page(dmi_.base + (static_cast<uint32_t>(i) << kDmiPageBits));
  pages_.clear();
  retired_.clear();
  pages_.resize((static_cast<uint64_t>(dmi_.size) + 4095) >> 12);
  code_page_.assign(pages_.size() + 1, 0);
  decoded_ = 0;
  fetch_timing_ = mem_.fetch_timing();
  fetch_base_ = kNoWindow;
  hit_lines_ = fetch_timing_ ? mem_.fetch_hit_lines(hart_id, hit_line_bits_) : nullptr;
}

// Drops page p's decoded instructions. The instruction executing now (a store into its own
// page, fence.i) may be one of them and is still read after its semantics return: the page is
// kept until an invalidation by a later instruction (instret has moved on by then).
void Core::retire_page(size_t p) {
  if (retired_instret_ != instret) {
    retired_.clear();
    retired_instret_ = instret;
  }
  if (pages_[p]) retired_.push_back(std::move(pages_[p]));
  code_page_[p] = 0;
}

void Core::flush_decode_cache() {
  fetch_base_ = kNoWindow;  // fence.i also empties the fetch window
  for (size_t p = 0; p < pages_.size(); ++p)
    if (code_page_[p]) retire_page(p);
}

void Core::invalidate_page_of(uint32_t addr) {
  uint32_t p = (addr - dmi_.base) >> 12;
  retire_page(p);
  // A 32-bit instruction in the last halfword of the previous page reads into this one.
  if (p > 0 && pages_[p - 1]) pages_[p - 1]->slot[2047].fn = nullptr;
}

uint32_t Core::trap(uint32_t cause, uint32_t tval, uint32_t pc_at) {
  if (mtvec == 0) {  // no handler installed: stop with a report instead of jumping to 0
    uint32_t word = 0, lo = 0, hi = 0;
    if (!(pc_at & 1) && read16(pc_at, lo)) {
      word = lo;
      if ((lo & 3) == 3 && read16(pc_at + 2, hi)) word |= hi << 16;
    }
    trap_ = TrapReport{pc_at, word, cause, tval, hart_id};
    stop_ = Stop::trap;
    --instret;  // the trapping instruction does not retire (the run loop counts it)
    return pc_at;
  }
  --instret;
  mepc = pc_at;
  mcause = cause;
  mtval = tval;
  // MPIE = MIE, MIE = 0, MPP = M.
  mstatus = (mstatus & ~0x88u) | ((mstatus & 0x8u) << 4) | 0x1800u;
  return mtvec & ~3u;
}

uint32_t Core::mret() {
  mstatus = (mstatus & ~0x8u) | ((mstatus >> 4) & 0x8u) | 0x80u | 0x1800u;
  return mepc;
}

bool Core::csr_read(uint32_t csr, uint32_t& v) const {
  switch (csr) {
    case 0x300: v = mstatus; return true;
    case 0x301: v = (1u << 30) | (1u << 2) | (1u << 8) | (1u << 12) | (1u << 23); return true;  // misa: RV32 C I M X
    case 0x304: v = mie; return true;
    case 0x305: v = mtvec; return true;
    case 0x320: v = mcountinhibit; return true;
    case 0x340: v = mscratch; return true;
    case 0x341: v = mepc; return true;
    case 0x342: v = mcause; return true;
    case 0x343: v = mtval; return true;
    case 0x344: v = mip; return true;
    case 0xB00: case 0xC00: v = static_cast<uint32_t>(cycles); return true;
    case 0xB80: case 0xC80: v = static_cast<uint32_t>(cycles >> 32); return true;
    case 0xB02: case 0xC02: v = static_cast<uint32_t>(instret); return true;
    case 0xB82: case 0xC82: v = static_cast<uint32_t>(instret >> 32); return true;
    case 0xF11: case 0xF12: case 0xF13: v = 0; return true;  // mvendorid, marchid, mimpid
    case 0xF14: v = hart_id; return true;
    case 0x7C0: v = lpstart[0]; return true;  // XpulpV2 hardware-loop CSRs
    case 0x7C1: v = lpend[0]; return true;
    case 0x7C2: v = lpcount[0]; return true;
    case 0x7C4: v = lpstart[1]; return true;
    case 0x7C5: v = lpend[1]; return true;
    case 0x7C6: v = lpcount[1]; return true;
  }
  return false;
}

bool Core::csr_write(uint32_t csr, uint32_t v) {
  switch (csr) {
    case 0x300: mstatus = (v & 0x88u) | 0x1800u; return true;  // MIE, MPIE; MPP fixed to M
    case 0x301: return true;                                   // misa: writes ignored
    case 0x304: mie = v & 0x888u; return true;
    case 0x305: mtvec = v & ~2u; return true;                  // direct mode (vectored bit kept)
    case 0x320: mcountinhibit = v & 5u; return true;
    case 0x340: mscratch = v; return true;
    case 0x341: mepc = v & ~1u; return true;
    case 0x342: mcause = v; return true;
    case 0x343: mtval = v; return true;
    case 0x344: return true;                                   // mip: no software-writable bits
    case 0xB00: cycles = (cycles & ~0xffffffffull) | v; return true;
    case 0xB80: cycles = (cycles & 0xffffffffull) | (uint64_t{v} << 32); return true;
    case 0xB02: instret = (instret & ~0xffffffffull) | v; return true;
    case 0xB82: instret = (instret & 0xffffffffull) | (uint64_t{v} << 32); return true;
    case 0x7C0: lpstart[0] = v; return true;
    case 0x7C1: lpend[0] = v; return true;
    case 0x7C2: lpcount[0] = v; update_hwloop_active(); return true;
    case 0x7C4: lpstart[1] = v; return true;
    case 0x7C5: lpend[1] = v; return true;
    case 0x7C6: lpcount[1] = v; update_hwloop_active(); return true;
  }
  return false;
}

uint32_t Core::csr_op(const Insn& i, uint32_t pc_at, uint32_t operand, int op) {
  const uint32_t csr = static_cast<uint32_t>(i.imm);
  // csrrw always writes; csrrs/csrrc with rs1 = x0 (or uimm 0) only read.
  const bool writes = op == 0 || i.rs1 != 0;
  uint32_t old = 0;
  if (!csr_read(csr, old)) return trap(2, i.raw, pc_at);
  if (writes && (csr >> 10) == 3) return trap(2, i.raw, pc_at);  // read-only CSR
  switch (csr) {  // CV32E40P: 4 cycles for these CSRs, 1 for the others
    case 0x300: case 0x341: case 0x305: case 0x342: case 0xB00: case 0xB02: case 0xB80: case 0xB82: case 0x320:
      cycles += t.csr_slow_cycles - t.csr_cycles;
      break;
  }
  if (writes) {
    uint32_t nv = op == 0 ? operand : op == 1 ? (old | operand) : (old & ~operand);
    csr_write(csr, nv);
    // Counter writes take effect for the next instruction: this one must not count twice.
    if (csr == 0xB02 || csr == 0xB82) --instret;
  }
  x[i.rd] = old;
  return pc_at + i.len;
}

bool Core::load_slow(uint32_t addr, unsigned size, uint32_t& v) { return mem_.load(addr, size, v, cycles); }
bool Core::store_slow(uint32_t addr, unsigned size, uint32_t v) { return mem_.store(addr, size, v, cycles); }

// One part of a misaligned access: n bytes inside one aligned word (never straddles a page).
bool Core::access_part(bool write, uint32_t addr, unsigned n, uint32_t& v) {
  const uint32_t off = addr - dmi_.base;
  if (off < dmi_.size) {
    if (uint8_t* pg = dmi_pages_[off >> kDmiPageBits]) {
      uint8_t* p = pg + (off & ((1u << kDmiPageBits) - 1));
      if (write) {
        std::memcpy(p, &v, n);
        if (code_page_[off >> 12]) invalidate_page_of(addr);
      } else {
        v = 0;
        std::memcpy(&v, p, n);
      }
      return true;
    }
  }
  return write ? store_slow(addr, n, v) : load_slow(addr, n, v);
}

// CV32E40P user manual, "Load/Store": the LSU never raises misaligned exceptions; a word
// access that is not word aligned, or a halfword access crossing a word boundary, is two bus
// transactions (2 cycles instead of 1); a halfword inside a word is one. A fault in either
// part is an access fault with mtval = the access's address.
bool Core::load_misaligned(uint32_t addr, unsigned size, uint32_t& v) {
  if (t.trap_misaligned) { mem_fault_cause = 4; return false; }  // load address misaligned
  const unsigned first = std::min<unsigned>(size, 4 - (addr & 3));
  uint32_t lo = 0, hi = 0;
  if (!access_part(false, addr, first, lo)) { mem_fault_cause = 5; return false; }
  if (first < size) {
    if (!access_part(false, addr + first, size - first, hi)) { mem_fault_cause = 5; return false; }
    cycles += t.misaligned_split_cycles + t.mem_latency_cycles;
  }
  v = lo | (hi << (8 * first));
  return true;
}

bool Core::store_misaligned(uint32_t addr, unsigned size, uint32_t v) {
  if (t.trap_misaligned) { mem_fault_cause = 6; return false; }  // store address misaligned
  const unsigned first = std::min<unsigned>(size, 4 - (addr & 3));
  uint32_t lo = v, hi = v >> (8 * (first & 3));
  if (!access_part(true, addr, first, lo)) { mem_fault_cause = 7; return false; }
  if (first < size) {
    if (!access_part(true, addr + first, size - first, hi)) { mem_fault_cause = 7; return false; }
    cycles += t.misaligned_split_cycles + t.mem_latency_cycles;
  }
  if (__builtin_expect(addr + size - 1 - watch_base_ < 8 + size - 1, 0)) mem_.watched_store(addr + size - 1, *this);
  return true;
}

// Fetch outside the cached DMI pages: decode from the slow path every time.
const Insn* Core::fetch_slow(uint32_t at, Insn& tmp) {
  uint32_t lo = 0, hi = 0;
  if ((at & 1) || !read16(at, lo)) return nullptr;
  uint32_t word = lo;
  if ((lo & 3) == 3) {
    if (!read16(at + 2, hi)) return nullptr;
    word |= hi << 16;
  }
  if (!decode(word, tmp)) {
    tmp.fn = nullptr;
    tmp.raw = word;
  }
  tmp.cycles = static_cast<uint8_t>(t.class_cycles(kRows[tmp.row].lat));
  return &tmp;
}

static uint32_t exec_illegal(Core& c, const Insn& i, uint32_t pc) { return c.trap(2, i.raw, pc); }

namespace {
char* put_hex(char* o, uint32_t v, int digits) {
  static const char hex[] = "0123456789abcdef";
  for (int d = digits - 1; d >= 0; --d) *o++ = hex[(v >> (4 * d)) & 15];
  return o;
}
char* put_str(char* o, const char* s) {
  while (*s) *o++ = *s++;
  return o;
}
char* put_dec(char* o, uint32_t v) {
  char t[12];
  int n = 0;
  do t[n++] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
  while (n) *o++ = t[--n];
  return o;
}
}  // namespace

// One line per retired instruction: "core H: 0xPC (0xWORD) mnemonic [xN 0xVALUE] [mem 0xADDR]".
void Core::log_commit(const Insn& in, uint32_t pc_at) {
  const IsaRow& row = kRows[in.row];
  const bool illegal = in.fn == exec_illegal;
  char buf[160];
  char* o = put_str(buf, "core ");
  o = put_dec(o, hart_id);
  o = put_str(o, ": 0x");
  o = put_hex(o, pc_at, 8);
  o = put_str(o, " (0x");
  o = put_hex(o, in.raw, in.len == 2 ? 4 : 8);
  o = put_str(o, ") ");
  const char* name = illegal ? "illegal" : row.name;
  char* start = o;
  o = put_str(o, name);
  while (o - start < 14) *o++ = ' ';
  if (!illegal && in.rd != 0 && !(row.tags & (kTag_store | kTag_branch)) && row.fmt != Fmt::N && row.fmt != Fmt::HL &&
      row.fmt != Fmt::HLI && row.fmt != Fmt::SRR && row.fmt != Fmt::S) {
    o = put_str(o, " x");
    o = put_dec(o, in.rd);
    if (in.rd < 10) *o++ = ' ';
    o = put_str(o, " 0x");
    o = put_hex(o, x[in.rd], 8);
  }
  if (row.tags & (kTag_load | kTag_store)) {
    o = put_str(o, " mem 0x");
    o = put_hex(o, last_addr, 8);
  }
  *o++ = '\n';
  fwrite_unlocked(buf, 1, static_cast<size_t>(o - buf), log_);
}

// Decoded-cache miss: decode into the page's slot when the word is in a DMI page (and does
// not straddle its end), else decode from the slow path into `tmp` every time.
const Insn* Core::fetch_miss(uint32_t p, Insn& tmp) {
  const uint32_t off = p - dmi_.base;
  constexpr uint32_t kMask = (1u << kDmiPageBits) - 1;
  uint8_t* dpg = off < dmi_.size ? fetch_pages_[off >> kDmiPageBits] : nullptr;
  if (dpg == nullptr || (off & kMask) > kMask - 3 || (p & 1)) {
    const Insn* in = (p & 1) ? nullptr : fetch_slow(p, tmp);
    if (in != nullptr && in->fn == nullptr) tmp.fn = exec_illegal;
    return in;
  }
  auto& page = pages_[off >> 12];
  if (!page) {
    page = std::make_unique<Page>();
    code_page_[off >> 12] = 1;
  }
  Insn& slot = page->slot[(off & 4095) >> 1];
  uint32_t word;
  std::memcpy(&word, dpg + (off & kMask), 4);
  if (!decode(word, slot)) {
    const uint32_t raw = slot.raw;
    slot = Insn{};
    slot.raw = raw;
    slot.len = (raw & 3) == 3 ? 4 : 2;
    slot.fn = exec_illegal;
  } else {
    slot.cycles = static_cast<uint8_t>(t.class_cycles(kRows[slot.row].lat));
  }
  ++decoded_;
  return &slot;
}

// The fetch window(s) the instruction at pc_at needs, when it is not inside the one held: the
// window of pc_at (unless held) and, for a 32-bit instruction straddling two, the next one.
void Core::fetch_window(uint32_t pc_at, uint32_t len) {
  const uint32_t lo = pc_at & ~(kFetchLineBytes - 1), hi = (pc_at + len - 1) & ~(kFetchLineBytes - 1);
  if (lo != fetch_base_) cycles += mem_.fetch_line(lo, cycles);
  if (hi != lo) cycles += mem_.fetch_line(hi, cycles);
  fetch_base_ = hi;
}

template <bool kLog, bool kFetch>
Stop Core::run_loop(uint64_t max_instructions) {
  stop_ = Stop::none;
  uint32_t p = pc;
  Insn tmp;
  const uint32_t load_use = t.load_use_stall_cycles;
  for (uint64_t n = 0; n < max_instructions; ++n) {
    const Insn* in;
    const uint32_t off = p - dmi_.base;
    Page* pg;
    if (__builtin_expect(off < dmi_.size && (pg = pages_[off >> 12].get()) != nullptr &&
                             pg->slot[(off & 4095) >> 1].fn != nullptr, 1)) {
      in = &pg->slot[(off & 4095) >> 1];
    } else {
      in = fetch_miss(p, tmp);
      if (in == nullptr) {  // fetch fault
        pc = p;
        ++instret;  // trap() discounts the faulting instruction
        p = trap((p & 1) ? 0 : 1, p, p);
        if (stop_ != Stop::none) break;
        continue;
      }
    }
    if constexpr (kFetch) {  // outside the fetch window held: [base, base + 16 - len] holds the whole instruction
      if (__builtin_expect(uint64_t{p} - fetch_base_ > kFetchLineBytes - in->len, 0)) {
        // One new window whose line the memory lists as a hit: counted here, no call.
        const uint32_t lo = p & ~(kFetchLineBytes - 1), line = lo >> hit_line_bits_;
        if (hit_lines_ != nullptr && ((p + in->len - 1) & ~(kFetchLineBytes - 1)) == lo && hit_lines_[line & 63] == line) {
          ++fetch_hits_;
          fetch_base_ = lo;
        } else {
          fetch_window(p, in->len);
        }
      }
    }
    cycles += in->cycles + ((in->src_mask & lmask_prev) ? load_use : 0);
    pc = p;  // visible to CSR reads and traps
    uint32_t next = in->fn(*this, *in, p);
    x[0] = 0;
    lmask_prev = in->lmask;
    wmask_prev = (1u << in->rd) & ~1u;
    ++instret;
    if (kLog) log_commit(*in, p);
    if (__builtin_expect(hwloop_active, 0) && next == p + in->len) {
      // Zero-overhead loop: the instruction just before lpend[L] closes an iteration
      // (loop 0 is the inner loop and has priority).
      if (next == lpend[0] && lpcount[0] != 0) {
        if (--lpcount[0] != 0) {
          next = lpstart[0];
          cycles += t.hwloop_jump_cycles;
        } else {
          update_hwloop_active();
          if (next == lpend[1] && lpcount[1] != 0 && --lpcount[1] != 0) next = lpstart[1];
          update_hwloop_active();
        }
      } else if (next == lpend[1] && lpcount[1] != 0) {
        if (--lpcount[1] != 0) {
          next = lpstart[1];
          cycles += t.hwloop_jump_cycles;
        } else {
          update_hwloop_active();
        }
      }
    }
    p = next;
    if (__builtin_expect(stop_ != Stop::none, 0)) break;
  }
  if (stop_ == Stop::trap) {
    pc = trap_.pc;
  } else {
    pc = p;
  }
  if (stop_ == Stop::none) stop_ = Stop::limit;
  return stop_;
}

Stop Core::run(uint64_t max_instructions) {
  if (stop_ == Stop::exit || stop_ == Stop::trap) return stop_;
  if (fetch_timing_) return log_ ? run_loop<true, true>(max_instructions) : run_loop<false, true>(max_instructions);
  return log_ ? run_loop<true, false>(max_instructions) : run_loop<false, false>(max_instructions);
}

}  // namespace slm::rv32
