// Machine: RAM + HTIF + round-robin harts. See machine.h.
#include "models/cpu/rv32/machine.h"

#include <algorithm>
#include <cstring>

#include "workloads/common/error.h"

namespace slm::rv32 {

double RunResult::cpi() const { return hart0_instructions ? double(hart0_cycles) / double(hart0_instructions) : 0.0; }

Machine::Machine(const MachineConfig& cfg) : cfg_(cfg), ram_(cfg.ram_size_bytes, 0) {
  if (cfg.cores == 0) throw err("iss: cores = 0: need at least one hart");
  if (cfg.ram_size_bytes == 0 || cfg.ram_size_bytes % (1u << kDmiPageBits) != 0)
    throw err("iss: memory size ", cfg.ram_size_bytes, " bytes: must be a non-zero multiple of 64 KiB");
  if (uint64_t{cfg.ram_base} + cfg.ram_size_bytes > 0x100000000ull)
    throw err("iss: memory [0x", std::hex, cfg.ram_base, ", +0x", cfg.ram_size_bytes, ") wraps past 4 GiB");
  for (uint32_t h = 0; h < cfg.cores; ++h) cores_.push_back(std::make_unique<Core>(h, *this, cfg.timing));
}
Machine::~Machine() = default;

void Machine::load(const ElfImage& elf) {
  for (const auto& s : elf.segments) {
    const uint64_t lo = s.addr, hi = uint64_t{s.addr} + s.mem_size;
    if (lo < cfg_.ram_base || hi > uint64_t{cfg_.ram_base} + cfg_.ram_size_bytes)
      throw err(elf.name, ": segment [0x", std::hex, lo, ", 0x", hi, ") is outside memory [0x", cfg_.ram_base, ", 0x",
                uint64_t{cfg_.ram_base} + cfg_.ram_size_bytes, ")");
    uint8_t* dst = ram_.data() + (s.addr - cfg_.ram_base);
    if (!s.data.empty()) std::memcpy(dst, s.data.data(), s.data.size());  // a segment with no file bytes has no data pointer
    std::memset(dst + s.data.size(), 0, s.mem_size - s.data.size());
  }
  tohost_ = elf.symbol("tohost");
  if (tohost_ && (*tohost_ < cfg_.ram_base || *tohost_ - cfg_.ram_base + 8 > cfg_.ram_size_bytes)) tohost_.reset();
  for (auto& c : cores_) {
    c->refresh_dmi();
    c->reset(elf.entry);
    c->set_watch(tohost_ ? *tohost_ : 0xffffffffu);
  }
  std::FILE* echo = htif_.echo;
  htif_ = HtifState{};
  htif_.echo = echo;
}

void Machine::set_commit_log(std::FILE* f) {
  for (auto& c : cores_) c->set_commit_log(f);
}

bool Machine::load(uint32_t, unsigned, uint32_t&, uint64_t&) { return false; }   // no MMIO devices
bool Machine::store(uint32_t, unsigned, uint32_t, uint64_t&) { return false; }

bool htif_command(uint8_t* p, const Core& core, HtifState& st) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if (v == 0) return false;
  const uint32_t dev = static_cast<uint32_t>(v >> 56), cmd = static_cast<uint32_t>(v >> 48) & 0xff;
  const uint64_t payload = v & 0xffffffffffffull;
  std::memset(p, 0, 8);
  if (dev == 0 && cmd == 0 && (payload & 1)) {
    st.exited = true;
    st.exit_code = static_cast<int>(payload >> 1);
    return true;
  }
  if (dev == 1 && cmd == 1) {
    const char ch = static_cast<char>(payload & 0xff);
    st.console.push_back(ch);
    if (st.echo) std::fputc(ch, st.echo);
    return false;
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, "hart %u: unsupported HTIF command 0x%016llx at pc 0x%08x (device %u, command %u)",
                core.hart_id, static_cast<unsigned long long>(v), core.pc, dev, cmd);
  st.error = buf;
  return true;
}

void Machine::watched_store(uint32_t addr, Core& core) {
  if (addr < *tohost_ + 4) return;  // RV32: the command is complete when the upper word is written
  if (htif_command(ram_.data() + (*tohost_ - cfg_.ram_base), core, htif_))
    for (auto& c : cores_)
      c->request_stop(c.get() == &core && htif_.exited ? Stop::exit : Stop::halted_by_peer);
}

RunResult Machine::run(uint64_t max_instructions) {
  RunResult r;
  uint64_t left = max_instructions;
  const uint64_t start_instret = [&] { uint64_t s = 0; for (auto& c : cores_) s += c->instret; return s; }();
  while (left > 0) {
    bool any = false;
    for (auto& c : cores_) {
      if (c->stop_reason() == Stop::exit || c->stop_reason() == Stop::trap || c->stop_reason() == Stop::halted_by_peer) continue;
      const uint64_t slice = cores_.size() == 1 ? left : std::min(left, cfg_.slice_instructions);
      const uint64_t before = c->instret;
      Stop s = c->run(slice);
      const uint64_t done = c->instret - before;
      left -= std::min(left, std::max<uint64_t>(done, 1));
      any = true;
      if (s == Stop::trap) {
        r.stop = Stop::trap;
        r.trap = c->trap_report();
      }
      if (htif_.exited || !htif_.error.empty() || r.stop == Stop::trap) break;
      if (left == 0) break;
    }
    if (!any || htif_.exited || !htif_.error.empty() || r.stop == Stop::trap) break;
  }
  if (r.stop != Stop::trap) r.stop = htif_.exited ? Stop::exit : !htif_.error.empty() ? Stop::halted_by_peer : Stop::limit;
  r.exit_code = htif_.exit_code;
  r.error = htif_.error;
  for (auto& c : cores_) {
    r.instructions += c->instret;
    r.cycles = std::max(r.cycles, c->cycles);
  }
  r.instructions -= start_instret;
  r.hart0_instructions = cores_[0]->instret;
  r.hart0_cycles = cores_[0]->cycles;
  return r;
}

}  // namespace slm::rv32
