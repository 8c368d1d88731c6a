// Rv32 core: an RV32IMC + Zicsr + Zifencei + XpulpV2 instruction-set simulator with
// CV32E40P-style stall accounting. SystemC-free: a TLM wrapper (sim/iss) or the plain
// runner (models/cpu/rv32/machine.h) drives it through run(max_instructions).
//
// Modelled: every RV32I/M/C instruction, Zicsr, fence.i, machine mode (mstatus, misa,
// mtvec, mepc, mcause, mtval, mscratch, mie, mip, mret, ecall, ebreak, wfi as a nop),
// precise traps (illegal instruction, faulting loads/stores, misaligned fetches (and misaligned
// loads/stores when configured to trap),
// ecall, ebreak) to mtvec (direct mode), mcycle/minstret/mhartid and the user aliases
// cycle/instret (+h halves), XpulpV2 (see isa/xpulpv2.yaml) with two hardware-loop levels.
// Timing: cycles = sum over retired instructions of the latency-class cycles of
// configs/iss/rv32.yaml (CV32E40P user manual, "Pipeline details") + load-use and jalr
// hazards + taken-branch penalty + divider cycles by divisor leading zeros + memory latency
// reported by the memory interface. Not modelled: interrupts (mie/mip are plain registers,
// nothing raises them), user/supervisor modes, PMP, instruction-fetch stalls (unless the memory
// times fetches: MemoryPort::fetch_timing, the cluster's instruction cache), the +1 cycle of
// a jump to a non-word-aligned 32-bit target. Misaligned loads/stores are done in hardware as
// on CV32E40P (two bus transactions when they cross a word boundary, +1 cycle), or trap.
//
// Decoded-instruction cache: per 4 KiB page of the DMI region, one slot per halfword,
// filled on first execution; a store into a page holding decoded code, or fence.i,
// invalidates it. Semantics are written once (insns.h); the commit log is a second
// instantiation of the run loop, so it costs nothing when off.
#pragma once
#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace slm::rv32 {

// ---- the ISA table (generated from isa/*.yaml by gen_isa.py) ----------------------------
enum class Fmt : uint8_t { R, I, S, B, U, J, SH, N, CSR, C, SRR, HL, HLI, I1U, I2U, BI, SCIS, SCIU };
enum class Lat : uint8_t { alu, mul, mulh, div, load, store, branch, jump, jalr, csr, fence_i, count };
const char* lat_name(Lat);
enum : uint16_t {
  kTag_load = 1, kTag_store = 2, kTag_branch = 4, kTag_jump = 8, kTag_csr = 16, kTag_system = 32,
  kTag_postinc = 64, kTag_hwloop = 128, kTag_simd = 256, kTag_mac = 512,
};

class Core;
struct Insn;
// Executes one decoded instruction at `pc`; returns the next pc (or the trap vector).
using ExecFn = uint32_t (*)(Core&, const Insn&, uint32_t pc);

struct IsaRow {
  const char* name;      // mnemonic (addressing forms of Xpulp memory ops carry a suffix)
  const char* ext;       // I, M, C, Zicsr, Zifencei, Xpulpv2
  Fmt fmt;
  Lat lat;
  uint32_t match, mask;  // word & mask == match
  uint8_t width;         // 32 or 16 bits
  uint16_t tags;
  int16_t expands;       // compressed rows: index of the 32-bit row they expand to
  int16_t specializes;   // index of the general row this one is a strict sub-encoding of
  uint8_t depth;         // specialization depth (decoder tries deeper rows first)
  ExecFn exec;           // semantics (nullptr for compressed rows)
};
std::span<const IsaRow> isa_rows();
// Pairs of rows (same width) that can match one word and are not a declared specialization.
std::vector<std::pair<int, int>> find_overlaps(std::span<const IsaRow> rows);

// ---- decoded instruction --------------------------------------------------------------
struct Insn {
  ExecFn fn = nullptr;
  int32_t imm = 0;
  int32_t imm2 = 0;
  uint32_t src_mask = 0;  // registers read (x0 excluded): load-use / jalr hazards
  uint32_t lmask = 0;     // bit of rd if this is a load writing rd != x0
  uint32_t raw = 0;       // instruction word as fetched (16 bits for compressed)
  uint16_t row = 0;       // executed (32-bit) row in isa_rows()
  uint8_t rd = 0, rs1 = 0, rs2 = 0, rs3 = 0;
  uint8_t len = 4;
  uint8_t cycles = 1;     // latency-class cycles (+ DMI memory latency for loads/stores)
};
// Decodes one instruction word (16-bit words in the low half). Returns false if illegal.
bool decode(uint32_t word, Insn& out);
// Expands a 16-bit compressed instruction to its 32-bit equivalent (0 if reserved/illegal).
uint32_t expand_compressed(uint16_t c);
// "add x1, x2, x3"-style text of the row name and raw word (for reports and logs).
std::string disasm(uint32_t word);

// ---- timing (configs/iss/rv32.yaml timing:, CV32E40P user manual "Pipeline details") ----
struct Timing {
  uint32_t alu_cycles = 1;             // integer computational
  uint32_t mul_cycles = 1;             // mul, p.mac, p.msu (single-cycle 32x32 multiplier)
  uint32_t mulh_cycles = 5;            // mulh, mulhsu, mulhu
  uint32_t div_min_cycles = 3;         // div/rem: div_min + leading zeros of the divisor (3..35)
  uint32_t load_cycles = 1;            // load/store, one bus transaction
  uint32_t store_cycles = 1;
  uint32_t load_use_stall_cycles = 1;  // next instruction uses the loaded register
  uint32_t branch_cycles = 1;          // branch not taken
  uint32_t branch_taken_penalty_cycles = 2;  // taken: 3 cycles in total
  uint32_t jump_cycles = 2;            // jal, mret
  uint32_t jalr_cycles = 2;
  uint32_t jalr_hazard_cycles = 1;     // jalr reads the result of the previous instruction
  uint32_t csr_cycles = 1;             // most CSRs
  uint32_t csr_slow_cycles = 4;        // mstatus, mepc, mtvec, mcause, counters
  uint32_t fence_i_cycles = 2;
  uint32_t hwloop_jump_cycles = 0;     // zero-overhead hardware loops
  uint32_t mem_latency_cycles = 0;     // extra cycles of the DMI memory per access
  // A misaligned load/store that crosses a word boundary is two bus transactions: this many
  // extra cycles (+ the memory latency of the second). One inside a word costs nothing extra.
  uint32_t misaligned_split_cycles = 1;
  bool trap_misaligned = false;        // true: misaligned loads/stores trap (cause 4/6) instead
  uint32_t class_cycles(Lat) const;
  bool operator==(const Timing&) const = default;
};
// The configurable cycle counts of Timing, one row each (configs/iss/rv32.yaml and the cluster
// config read them as "timing.<name>"): the table drives loading, validation and the docs.
struct TimingKey {
  const char* path;  // "timing.alu_cycles"
  uint32_t Timing::*field;
  const char* desc;
  uint64_t min, max;
};
std::span<const TimingKey> timing_keys();

// ---- the narrow memory interface ------------------------------------------------------
// The DMI window: [base, base + size), made of 64 KiB pages that each may have a host
// pointer (a TLM memory grants DMI page by page; a flat RAM has them all).
constexpr uint32_t kDmiPageBits = 16;
constexpr uint32_t kFetchLineBytes = 16;  // the fetch window (GVSoC's ISS prefetch buffer: 4 x 4 B)
struct DmiRegion {
  uint32_t base = 0;
  uint32_t size = 0;          // 0 = no fast path
};
class MemoryPort {
 public:
  virtual ~MemoryPort() = default;
  virtual DmiRegion dmi() = 0;  // the host-pointer fast path window (main memory)
  // Little-endian host memory of the 64 KiB page at `page_addr` (inside the window), or nullptr.
  virtual uint8_t* dmi_page(uint32_t page_addr) = 0;
  // Host memory the core may fetch (and cache decoded) instructions from; by default the
  // same pages as dmi_page. A memory whose data accesses must be timed one by one (the
  // cluster's L2, models/cluster) returns nullptr from dmi_page and its pages here: data
  // then takes the slow path while code still runs from the decoded-instruction cache.
  // Stores through the slow path do not invalidate decoded code (no self-modifying code there).
  virtual uint8_t* fetch_page(uint32_t page_addr) { return dmi_page(page_addr); }
  // Instruction-fetch timing (an instruction cache, models/cluster): when true (read at
  // refresh_dmi()), the core calls fetch_line() each time the pc leaves its current
  // kFetchLineBytes-aligned fetch window, as a core with a one-line prefetch buffer refills it
  // (a 32-bit instruction straddling two windows fetches both); the returned stall cycles are
  // added to the core's cycles before the instruction issues. Off (the default) costs nothing:
  // the run loop is a separate instantiation. The bytes still come from fetch_page().
  virtual bool fetch_timing() const { return false; }
  virtual uint32_t fetch_line(uint32_t /*line_addr*/, uint64_t /*cycles*/) { return 0; }
  // Optional shortcut of fetch_line() (read at refresh_dmi()): a table of 64 line numbers
  // (address >> line_bits) the memory keeps for this hart, entry (line & 63) == line only if a
  // fetch_line() of that line would return 0 and change nothing but count a hit. The core then
  // counts such a fetch itself (fetch_hits()) instead of calling fetch_line(). nullptr: none.
  virtual const uint32_t* fetch_hit_lines(uint32_t /*hart*/, uint32_t& /*line_bits*/) { return nullptr; }
  // Slow path (MMIO, timed or non-DMI memory): false = access fault. Adds latency to cycles.
  virtual bool load(uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles) = 0;
  virtual bool store(uint32_t addr, unsigned size, uint32_t value, uint64_t& cycles) = 0;
  // Called after a store (fast or slow path) touching [watch_base, watch_base + 8): HTIF tohost.
  virtual void watched_store(uint32_t /*addr*/, Core& /*core*/) {}
};

enum class Stop : uint8_t { none, limit, exit, trap, halted_by_peer };
const char* stop_name(Stop);

// What ended a run that did not exit normally.
struct TrapReport {
  uint32_t pc = 0, insn = 0, cause = 0, tval = 0, hart = 0;
  std::string text() const;  // "hart 0: pc 0x80000010 insn 0xffffffff: illegal instruction (cause 2), mtval 0x..."
};
const char* cause_name(uint32_t cause);

class Core {
 public:
  Core(uint32_t hart_id, MemoryPort& mem, const Timing& timing = {});
  ~Core();

  void reset(uint32_t pc);
  // Runs up to max_instructions; returns why it stopped (Stop::limit when the budget ran out).
  Stop run(uint64_t max_instructions);
  void set_commit_log(std::FILE* f) { log_ = f; }  // nullptr = off
  void set_watch(uint32_t base) { watch_base_ = base; }
  void request_stop(Stop why) { stop_ = why; }
  void refresh_dmi();          // (re)request the DMI pages and drop the decode cache; before the first run
  void flush_decode_cache();   // fence.i

  // ---- architectural state (public for tests, the wrapper and semantics) ----
  uint32_t x[32] = {};
  uint32_t pc = 0;
  uint64_t cycles = 0;
  uint64_t instret = 0;
  uint32_t hart_id;
  // machine CSRs
  uint32_t mstatus = 0, mtvec = 0, mepc = 0, mcause = 0, mtval = 0, mscratch = 0, mie = 0, mip = 0;
  uint32_t mcountinhibit = 0;
  // hardware loops (XpulpV2): start, end (address after the last instruction), count
  uint32_t lpstart[2] = {}, lpend[2] = {}, lpcount[2] = {};
  bool hwloop_active = false;

  Stop stop_reason() const { return stop_; }
  const TrapReport& trap_report() const { return trap_; }
  const Timing& timing() const { return t; }
  uint64_t decoded_slots() const { return decoded_; }
  uint64_t fetch_hits() const { return fetch_hits_; }  // fetches found in MemoryPort::fetch_hit_lines (since reset)

  // ---- used by the semantics (insns.h) ----
  const Timing t;
  uint32_t lmask_prev = 0;   // load destination of the previous instruction
  uint32_t wmask_prev = 0;   // any destination of the previous instruction
  uint32_t last_addr = 0;    // effective address of the last load/store (commit log)
  uint32_t trap(uint32_t cause, uint32_t tval, uint32_t pc_at);  // returns the next pc
  uint32_t mret();
  uint32_t csr_op(const Insn& i, uint32_t pc_at, uint32_t operand, int op);  // op: 0 w, 1 s, 2 c
  void update_hwloop_active() { hwloop_active = lpcount[0] != 0 || lpcount[1] != 0; }
  template <typename T> bool load(uint32_t addr, T& v);
  template <typename T> bool store(uint32_t addr, T v);
  uint32_t mem_fault_cause = 0;  // set by load/store on failure

 private:
  struct Page;
  template <bool kLog, bool kFetch> Stop run_loop(uint64_t max_instructions);
  void fetch_window(uint32_t pc_at, uint32_t len);  // MemoryPort::fetch_line for the window(s) of [pc_at, pc_at + len)
  const Insn* fetch_slow(uint32_t pc, Insn& tmp);
  const Insn* fetch_miss(uint32_t pc, Insn& tmp);
  bool csr_read(uint32_t csr, uint32_t& v) const;
  bool csr_write(uint32_t csr, uint32_t v);
  void invalidate_page_of(uint32_t addr);
  void retire_page(size_t p);
  bool load_slow(uint32_t addr, unsigned size, uint32_t& v);
  // Misaligned load/store: split at the word boundary (CV32E40P) or trap (trap_misaligned).
  bool load_misaligned(uint32_t addr, unsigned size, uint32_t& v);
  bool store_misaligned(uint32_t addr, unsigned size, uint32_t v);
  bool access_part(bool write, uint32_t addr, unsigned n, uint32_t& v);
  bool store_slow(uint32_t addr, unsigned size, uint32_t v);
  void log_commit(const Insn& in, uint32_t pc_at);

  bool read16(uint32_t addr, uint32_t& v);  // instruction halfword: DMI page or slow path
  MemoryPort& mem_;
  DmiRegion dmi_{};
  std::vector<uint8_t*> dmi_pages_;           // per 64 KiB page of the window
  std::vector<uint8_t*> fetch_pages_;         // the same, for instruction fetch (MemoryPort::fetch_page)
  std::vector<std::unique_ptr<Page>> pages_;  // per 4 KiB page of the DMI region
  std::vector<std::unique_ptr<Page>> retired_;  // dropped pages, freed by a later instruction's invalidation
  uint64_t retired_instret_ = ~0ull;           // instret when retired_ was last filled
  std::vector<uint8_t> code_page_;            // page holds decoded instructions
  uint64_t decoded_ = 0;
  bool fetch_timing_ = false;                 // MemoryPort::fetch_timing() at refresh_dmi()
  static constexpr uint64_t kNoWindow = uint64_t{1} << 40;  // never within 16 B of a 32-bit pc
  uint64_t fetch_base_ = kNoWindow;           // base of the fetch window held (kFetch runs)
  const uint32_t* hit_lines_ = nullptr;       // MemoryPort::fetch_hit_lines() at refresh_dmi()
  uint32_t hit_line_bits_ = 4;
  uint64_t fetch_hits_ = 0;
  uint32_t watch_base_ = 0xffffffffu;
  std::FILE* log_ = nullptr;
  Stop stop_ = Stop::none;
  TrapReport trap_{};
};

// ---- inline memory access: DMI fast path, slow path otherwise ---------------------------
template <typename T>
inline bool Core::load(uint32_t addr, T& v) {
  last_addr = addr;
  if (__builtin_expect(addr & (sizeof(T) - 1), 0)) {
    uint32_t w;
    if (!load_misaligned(addr, sizeof(T), w)) return false;
    v = static_cast<T>(w);
    return true;
  }
  uint32_t off = addr - dmi_.base;
  if (off < dmi_.size) {
    if (uint8_t* pg = dmi_pages_[off >> kDmiPageBits]) {  // aligned: never straddles a page
      __builtin_memcpy(&v, pg + (off & ((1u << kDmiPageBits) - 1)), sizeof(T));
      return true;
    }
  }
  uint32_t w;
  if (!load_slow(addr, sizeof(T), w)) { mem_fault_cause = 5; return false; }
  v = static_cast<T>(w);
  return true;
}

template <typename T>
inline bool Core::store(uint32_t addr, T v) {
  last_addr = addr;
  if (__builtin_expect(addr & (sizeof(T) - 1), 0)) return store_misaligned(addr, sizeof(T), static_cast<uint32_t>(v));
  uint32_t off = addr - dmi_.base;
  uint8_t* pg = off < dmi_.size ? dmi_pages_[off >> kDmiPageBits] : nullptr;
  if (pg) {
    __builtin_memcpy(pg + (off & ((1u << kDmiPageBits) - 1)), &v, sizeof(T));
    if (__builtin_expect(code_page_[off >> 12], 0)) invalidate_page_of(addr);
  } else if (!store_slow(addr, sizeof(T), static_cast<uint32_t>(v))) {
    mem_fault_cause = 7;
    return false;
  }
  if (__builtin_expect(addr - watch_base_ < 8, 0)) mem_.watched_store(addr, *this);
  return true;
}

}  // namespace slm::rv32
