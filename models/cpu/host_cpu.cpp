#include "models/cpu/host_cpu.h"

#include <algorithm>

#include "workloads/common/error.h"

namespace slm {
using params::Field;
using params::Unit;
using sc_core::sc_time;

void HostCpu::Params::describe(params::Visitor& v, Params& p) {
  v.field(Field{"clock_hz", Unit::hz, "core clock", false, 1, 1e12}, p.clock_hz);
  v.field(Field{"op_overhead_cycles", Unit::cycles, "fixed cost per host op (call, loop set-up)", false, 0, 1e9},
          p.op_overhead_cycles);
  v.field(Field{"embed_cycles_per_element", Unit::none, "cycles per embedding element gathered and requantised", false, 0, 1e6},
          p.embed_cycles_per_element);
  v.field(Field{"argmax_cycles_per_element", Unit::none, "cycles per logit in the greedy token choice", false, 0, 1e6},
          p.argmax_cycles_per_element);
  v.field(Field{"mac_cycles", Unit::none, "cycles per multiply-accumulate of ops run on the host", false, 0, 1e6}, p.mac_cycles);
  v.field(Field{"elem_cycles", Unit::none, "cycles per element-wise operation of ops run on the host", false, 0, 1e6},
          p.elem_cycles);
  v.field(Field{"line_bytes", Unit::bytes, "bytes per data transaction (cache line or bus burst)", false, 1, 4096},
          p.line_bytes);
  v.field(Field{"max_outstanding", Unit::none, "data transactions in flight", false, 1, 64}, p.max_outstanding);
  v.field(Field{"active_pj_per_cycle", Unit::pj, "energy per busy core cycle"}, p.active_pj_per_cycle);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void HostCpu::Params::validate(const std::string& who) const {
  if (clock_hz == 0) throw slm::err(who, ": field clock_hz = 0: must be >= 1");
  if (line_bytes == 0) throw slm::err(who, ": field line_bytes = 0: must be >= 1");
  if (max_outstanding == 0) throw slm::err(who, ": field max_outstanding = 0: must be >= 1");
  for (double c : {embed_cycles_per_element, argmax_cycles_per_element, mac_cycles, elem_cycles})
    if (!(c >= 0)) throw slm::err(who, ": cost-table fields must be >= 0");
  if (!(active_pj_per_cycle >= 0) || !(leakage_mw >= 0)) throw slm::err(who, ": energy fields must be >= 0");
}

std::vector<params::EnergyEvent> HostCpu::energy_events() {
  return {{"active_pj_per_cycle", "busy_cycles", "busy core cycles x energy per cycle"}};
}

HostCpu::HostCpu(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      socket("socket"),
      p_(p),
      clk_((p.validate(this->name()), p.clock_hz)),
      stats_(basename(), &parent),
      busy_cycles_(stats_.counter("busy_cycles", "cycles", "cycles the core computed (cost table)")),
      bytes_read_(stats_.counter("bytes_read", "bytes", "data bytes read through the bus")),
      bytes_written_(stats_.counter("bytes_written", "bytes", "data bytes written through the bus")),
      mmio_accesses_(stats_.counter("mmio_accesses", "transactions", "register reads and writes")) {}

void HostCpu::busy(uint64_t cycles) {
  if (cycles == 0) return;
  const uint64_t now = sc_core::sc_time_stamp().value();
  const uint64_t start = core_.reserve_fs(clk_.next_edge_fs(now), clk_.cycles_fs(cycles));
  busy_cycles_ += cycles;
  sc_core::wait(sc_time::from_value(start + clk_.cycles_fs(cycles) - now));
}

void HostCpu::access(bool is_write, uint64_t addr, uint8_t* data, uint64_t n) {
  // Lines in flight: up to max_outstanding; the next issues one cycle after the previous,
  // or when a slot frees. Local time runs ahead; one wait at the end.
  SlotPool inflight(p_.max_outstanding);
  const uint64_t now = sc_core::sc_time_stamp().value();
  uint64_t issue = clk_.next_edge_fs(now), last = issue;
  for (uint64_t off = 0; off < n;) {
    const uint64_t len = std::min<uint64_t>(p_.line_bytes - (addr + off) % p_.line_bytes, n - off);
    issue = clk_.next_edge_fs(inflight.acquire_fs(issue));
    sc_time delay = sc_time::from_value(issue - now);
    tx_.set_command(is_write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx_.set_address(addr + off);
    tx_.set_data_ptr(data + off);
    tx_.set_data_length(static_cast<unsigned>(len));
    tx_.set_streaming_width(static_cast<unsigned>(len));
    tx_.set_byte_enable_ptr(nullptr);
    tx_.set_dmi_allowed(false);
    tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(tx_, delay);
    if (tx_.is_response_error())
      throw slm::err(name(), ": bus error ", is_write ? "writing" : "reading", " ", len, " bytes at 0x", std::hex, addr + off,
                     " (", tx_.get_response_string(), ")");
    const uint64_t done = now + delay.value();
    inflight.release_at_fs(done);
    last = std::max(last, done);
    issue += clk_.period_fs();
    off += len;
  }
  (is_write ? bytes_written_ : bytes_read_) += n;
  if (last > now) sc_core::wait(sc_time::from_value(last - now));
}

void HostCpu::read(uint64_t addr, void* dst, uint64_t n) { access(false, addr, static_cast<uint8_t*>(dst), n); }
void HostCpu::write(uint64_t addr, const void* src, uint64_t n) {
  access(true, addr, const_cast<uint8_t*>(static_cast<const uint8_t*>(src)), n);
}

uint32_t HostCpu::read32(uint64_t addr) {
  uint32_t v = 0;
  ++mmio_accesses_;
  access(false, addr, reinterpret_cast<uint8_t*>(&v), 4);
  return v;
}
void HostCpu::write32(uint64_t addr, uint32_t v) {
  ++mmio_accesses_;
  access(true, addr, reinterpret_cast<uint8_t*>(&v), 4);
}

}  // namespace slm
