// Rv32Tlm: see rv32_tlm.h.
#include "sim/iss/rv32_tlm.h"

#include <cmath>
#include <cstring>

#include "workloads/common/error.h"

namespace slm {

using params::Field;
using params::Unit;

void Rv32Tlm::Params::describe(params::Visitor& v, Params& p) {
  v.field(Field{"clock_hz", Unit::hz, "core clock", false, 1, 1e12}, p.clock_hz);
  v.field(Field{"hart_id", Unit::none, "value of mhartid", false, 0, 4095}, p.hart_id);
  v.field(Field{"dmi_base", Unit::none, "bus address of the memory the core reaches by DMI (code and data)", false, 0, 4294967295.0}, p.dmi_base);
  v.field(Field{"dmi_size_bytes", Unit::bytes, "size of that DMI window (multiple of 64 KiB)", false, 65536, 4294967296.0}, p.dmi_size_bytes);
  v.field(Field{"quantum_instructions", Unit::none, "instructions run per SystemC slice", false, 1, 1e12}, p.quantum_instructions);
  v.field(Field{"program", Unit::none, "ELF program loaded at start of simulation (empty: none)", false}, p.program, {});
  v.field(Field{"dmi_latency_from_memory", Unit::none, "DMI loads/stores cost the memory's DMI read latency (else timing only)", false},
          p.dmi_latency_from_memory);
  auto& t = p.timing;
  v.field(Field{"mulh_cycles", Unit::cycles, "mulh/mulhsu/mulhu (CV32E40P: 5)", false, 1, 64}, t.mulh_cycles);
  v.field(Field{"div_min_cycles", Unit::cycles, "division: this + leading zeros of the divisor (CV32E40P: 3)", false, 1, 64}, t.div_min_cycles);
  v.field(Field{"load_use_stall_cycles", Unit::cycles, "load-use hazard (CV32E40P: 1)", false, 0, 64}, t.load_use_stall_cycles);
  v.field(Field{"branch_taken_penalty_cycles", Unit::cycles, "taken branch extra cycles (CV32E40P: 2)", false, 0, 64}, t.branch_taken_penalty_cycles);
  v.field(Field{"jump_cycles", Unit::cycles, "jal/mret (CV32E40P: 2)", false, 1, 64}, t.jump_cycles);
  v.field(Field{"jalr_cycles", Unit::cycles, "jalr (CV32E40P: 2)", false, 1, 64}, t.jalr_cycles);
  v.field(Field{"mem_latency_cycles", Unit::cycles, "extra cycles per DMI load/store (0: single-cycle memory)", false, 0, 1000}, t.mem_latency_cycles);
}

void Rv32Tlm::Params::validate(const std::string& who) const {
  if (dmi_size_bytes % 65536 != 0) throw err(who, ": dmi_size_bytes = ", dmi_size_bytes, ": must be a multiple of 64 KiB");
  if (dmi_base + dmi_size_bytes > 0x100000000ull)
    throw err(who, ": dmi_base + dmi_size_bytes = 0x", std::hex, dmi_base + dmi_size_bytes, " is past the 32-bit address space");
}

Rv32Tlm::Rv32Tlm(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      socket("socket"),
      p_(p),
      period_(sc_core::sc_time(1e12 / double(p.clock_hz), sc_core::SC_PS)),
      stats_(basename(), &parent),
      instructions_(stats_.counter("instructions", "instructions", "retired instructions")),
      cycles_(stats_.counter("cycles", "cycles", "core cycles (CV32E40P timing table)")) {
  p_.validate(basename());
  core_ = std::make_unique<rv32::Core>(p.hart_id, *this, p.timing);
  SC_HAS_PROCESS(Rv32Tlm);
  SC_THREAD(thread);
}
Rv32Tlm::~Rv32Tlm() = default;

void Rv32Tlm::start(uint32_t pc, uint32_t tohost, rv32::HtifState* htif) {
  start_pc_ = pc;  // DMI is requested when the thread starts (the socket is bound by then)
  tohost_ = tohost;
  htif_ = htif ? htif : &own_htif_;
  started_ = true;
}

void Rv32Tlm::start_of_simulation() {
  if (p_.program.empty()) return;
  const rv32::ElfImage img = rv32::read_elf(p_.program);
  for (const auto& s : img.segments) {
    std::vector<uint8_t> bytes(s.mem_size, 0);
    std::memcpy(bytes.data(), s.data.data(), s.data.size());
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_WRITE_COMMAND);
    tx.set_address(s.addr);
    tx.set_data_ptr(bytes.data());
    tx.set_data_length(static_cast<unsigned>(bytes.size()));
    if (socket->transport_dbg(tx) != bytes.size())
      throw err(p_.program, ": segment at 0x", std::hex, s.addr, " (", std::dec, s.mem_size, " bytes) is outside the memory reachable from '",
                basename(), "'");
  }
  const auto th = img.symbol("tohost");
  start(img.entry, th ? *th : 0, nullptr);
}

rv32::DmiRegion Rv32Tlm::dmi() { return {static_cast<uint32_t>(p_.dmi_base), static_cast<uint32_t>(p_.dmi_size_bytes)}; }

uint8_t* Rv32Tlm::dmi_page(uint32_t page_addr) {
  tlm::tlm_generic_payload tx;
  tlm::tlm_dmi d;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(page_addr);
  if (!socket->get_direct_mem_ptr(tx, d) || !d.is_read_write_allowed()) return nullptr;
  const uint64_t last = uint64_t{page_addr} + (1u << rv32::kDmiPageBits) - 1;
  if (d.get_start_address() > page_addr || d.get_end_address() < last) return nullptr;
  return d.get_dmi_ptr() + (page_addr - d.get_start_address());
}

bool Rv32Tlm::transport(tlm::tlm_command cmd, uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles) {
  tlm::tlm_generic_payload tx;
  uint8_t buf[4] = {};
  if (cmd == tlm::TLM_WRITE_COMMAND) std::memcpy(buf, &value, size);
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(buf);
  tx.set_data_length(size);
  tx.set_streaming_width(size);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(tx, delay);
  if (tx.get_response_status() != tlm::TLM_OK_RESPONSE) return false;
  if (cmd == tlm::TLM_READ_COMMAND) {
    value = 0;
    std::memcpy(&value, buf, size);
  }
  cycles += static_cast<uint64_t>(delay / period_);
  return true;
}

bool Rv32Tlm::load(uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles) {
  return transport(tlm::TLM_READ_COMMAND, addr, size, value, cycles);
}
bool Rv32Tlm::store(uint32_t addr, unsigned size, uint32_t value, uint64_t& cycles) {
  return transport(tlm::TLM_WRITE_COMMAND, addr, size, value, cycles);
}

void Rv32Tlm::watched_store(uint32_t addr, rv32::Core& core) {
  if (addr < tohost_ + 4) return;
  uint8_t* pg = dmi_page(tohost_ & ~((1u << rv32::kDmiPageBits) - 1));
  if (!pg) return;
  if (rv32::htif_command(pg + (tohost_ & ((1u << rv32::kDmiPageBits) - 1)), core, *htif_))
    core.request_stop(htif_->exited ? rv32::Stop::exit : rv32::Stop::halted_by_peer);
}

void Rv32Tlm::thread() {
  if (!started_) return;
  if (p_.dmi_latency_from_memory) {
    // The memory's DMI read latency, in core cycles, is what a DMI access costs (the
    // latency class already counts load_cycles of it).
    tlm::tlm_generic_payload tx;
    tlm::tlm_dmi d;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(p_.dmi_base);
    if (socket->get_direct_mem_ptr(tx, d)) {
      rv32::Timing t = p_.timing;
      const uint64_t c = static_cast<uint64_t>(std::llround(d.get_read_latency() / period_));
      t.mem_latency_cycles += c > t.load_cycles ? static_cast<uint32_t>(c - t.load_cycles) : 0;
      core_ = std::make_unique<rv32::Core>(p_.hart_id, *this, t);
    }
  }
  core_->refresh_dmi();
  core_->reset(start_pc_);
  core_->set_watch(tohost_ ? tohost_ : 0xffffffffu);
  for (;;) {
    const uint64_t c0 = core_->cycles, i0 = core_->instret;
    const rv32::Stop s = core_->run(p_.quantum_instructions);
    instructions_ += core_->instret - i0;
    cycles_ += core_->cycles - c0;
    sc_core::wait(period_ * double(core_->cycles - c0));
    if (s != rv32::Stop::limit || htif_->exited || !htif_->error.empty()) break;
  }
  done_ = true;
}

}  // namespace slm
