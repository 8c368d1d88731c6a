// Memory model: see memory.h for what is modelled and the exact timing formula.
#include "models/mem/memory.h"

#include "models/common/burst_train.h"
#include "models/common/edge_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include <sys/mman.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(SLM_ASAN)
#define SLM_ASAN 1
#endif
#if SLM_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "workloads/common/error.h"

namespace slm {
using sc_core::sc_time;
using params::Field;
using params::Unit;

namespace {
constexpr uint64_t kPageBytes = 64 * 1024;
constexpr uint64_t kMaxBytes = 64ull << 30;  // sparse store: virtual address space only
constexpr uint64_t kNoRow = UINT64_MAX;
// x / d and x % d, by a shift and a mask when d is a power of two (sizes and widths usually are;
// a division costs tens of cycles, and these run per burst).
inline uint64_t div_u(uint64_t x, uint64_t d) { return std::has_single_bit(d) ? x >> std::countr_zero(d) : x / d; }
inline uint64_t mod_u(uint64_t x, uint64_t d) { return std::has_single_bit(d) ? x & (d - 1) : x % d; }
}  // namespace

void Memory::Params::describe(params::Visitor& v, Params& p) {
  // `kind` is not a field: the component type (sram, flash, mram, dram) sets it.
  v.field(Field{"size_bytes", Unit::bytes, "capacity", true, 1, double(kMaxBytes)}, p.size_bytes);
  v.field(Field{"width_bytes", Unit::bytes, "bytes transferred per cycle per port", false, 1, 4096}, p.width_bytes);
  v.field(Field{"clock_hz", Unit::hz, "memory clock", false, 1, 1e12}, p.clock_hz);
  v.field(Field{"read_latency_cycles", Unit::cycles, "cycles from request to first read beat", false, 0, 1e6},
          p.read_latency_cycles);
  v.field(Field{"write_latency_cycles", Unit::cycles, "cycles from request to first write beat", false, 0, 1e6},
          p.write_latency_cycles);
  v.field(Field{"banks", Unit::none, "independent banks", false, 1, 1024}, p.banks);
  v.field(Field{"bank_interleave_bytes", Unit::bytes, "consecutive bytes mapped to one bank", false, 1, 1ull << 30},
          p.bank_interleave_bytes);
  v.field(Field{"ports", Unit::none, "independent access ports", false, 1, 64}, p.ports);
  v.field(Field{"max_outstanding", Unit::none, "transactions in flight at once", false, 1, 4096}, p.max_outstanding);
  v.field(Field{"read_only", Unit::none, "reject run-time writes (always true for flash)"}, p.read_only);
  v.field(Field{"row_bytes", Unit::bytes, "dram: row (page) size per bank", false, 1, 1ull << 30}, p.row_bytes);
  v.field(Field{"row_miss_extra_cycles", Unit::cycles, "dram: extra cycles when the row is not open", false, 0, 1e6},
          p.row_miss_extra_cycles);
  v.field(Field{"read_pj_per_byte", Unit::pj_per_byte, "energy per byte read"}, p.read_pj_per_byte);
  v.field(Field{"write_pj_per_byte", Unit::pj_per_byte, "energy per byte written"}, p.write_pj_per_byte);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void Memory::Params::validate(const std::string& who) const {
  if (kind != "sram" && kind != "flash" && kind != "mram" && kind != "dram")
    throw slm::err(who, ": field kind = '", kind, "': must be one of sram, flash, mram, dram");
  if (size_bytes == 0 || size_bytes > kMaxBytes)
    throw slm::err(who, ": field size_bytes = ", size_bytes, ": must be in [1, ", kMaxBytes, "]");
  if (clock_hz == 0) throw slm::err(who, ": field clock_hz = 0: must be >= 1");
  if (width_bytes == 0) throw slm::err(who, ": field width_bytes = 0: must be >= 1");
  if (banks == 0) throw slm::err(who, ": field banks = 0: must be >= 1");
  if (ports == 0) throw slm::err(who, ": field ports = 0: must be >= 1");
  if (max_outstanding == 0) throw slm::err(who, ": field max_outstanding = 0: must be >= 1");
  if (bank_interleave_bytes == 0) throw slm::err(who, ": field bank_interleave_bytes = 0: must be >= 1");
  if (kind == "dram" && row_bytes == 0) throw slm::err(who, ": field row_bytes = 0: must be >= 1");
  if (kind != "dram" && row_miss_extra_cycles != 0)
    throw slm::err(who, ": field row_miss_extra_cycles = ", row_miss_extra_cycles, ": only valid for kind dram");
  if (read_pj_per_byte < 0 || write_pj_per_byte < 0 || leakage_mw < 0)
    throw slm::err(who, ": energy fields must be >= 0");
}

std::vector<params::EnergyEvent> Memory::energy_events() {
  return {{"read_pj_per_byte", "read_bytes", "bytes read x energy per byte read"},
          {"write_pj_per_byte", "write_bytes", "bytes written x energy per byte written"}};
}

Memory::Memory(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      socket("socket"),
      p_(p),
      clk_((p.validate(this->name()), p.clock_hz), "clock_hz"),
      ports_(p.ports),
      banks_(p.banks),
      open_row_(p.kind == "dram" ? p.banks : 0, kNoRow),
      slots_(p.max_outstanding),
      stats_(basename(), &parent),
      reads_(stats_.counter("reads", "transactions", "read transactions served")),
      writes_(stats_.counter("writes", "transactions", "write transactions served")),
      read_bytes_(stats_.counter("read_bytes", "bytes", "bytes read")),
      write_bytes_(stats_.counter("write_bytes", "bytes", "bytes written")),
      busy_cycles_(stats_.counter("busy_cycles", "cycles", "port data-phase cycles, summed over ports")),
      stall_cycles_(stats_.counter("stall_cycles", "cycles",
                                   "cycles requests waited beyond their uncontended latency")),
      bank_conflicts_(stats_.counter("bank_conflicts", "transactions", "transactions delayed by a busy bank")),
      row_misses_(stats_.counter("row_misses", "transactions", "dram accesses to a closed row")),
      errors_(stats_.counter("errors", "transactions", "transactions answered with an error response")) {
  if (p_.kind == "flash") p_.read_only = true;
  mapped_bytes_ = (p_.size_bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
  void* m = mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED)
    throw slm::err(this->name(), ": cannot reserve ", p_.size_bytes, " bytes of host address space for size_bytes");
  data_ = static_cast<uint8_t*>(m);
#if SLM_ASAN
  // The mapping may reuse addresses of a freed SystemC coroutine stack whose shadow still marks
  // frames out of scope (ASan does not clear it on munmap): mark the whole mapping addressable.
  // Large ranges are cleared by remapping the shadow, so this is cheap.
  __asan_unpoison_memory_region(data_, mapped_bytes_);
#endif
  socket.register_b_transport(this, &Memory::b_transport);
  socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
  socket.register_transport_dbg(this, &Memory::transport_dbg);
  const double hz = double(p_.clock_hz), nports = p_.ports;
  auto& rb = read_bytes_;
  auto& wb = write_bytes_;
  auto& busy = busy_cycles_;
  stats_.formula("read_bandwidth_bytes_per_s", "bytes/s", "read_bytes / simulated seconds",
                 [&rb](double s) { return s > 0 ? double(rb.value) / s : 0.0; });
  stats_.formula("write_bandwidth_bytes_per_s", "bytes/s", "write_bytes / simulated seconds",
                 [&wb](double s) { return s > 0 ? double(wb.value) / s : 0.0; });
  stats_.formula("utilisation", "ratio", "busy_cycles / (ports x simulated cycles)",
                 [&busy, hz, nports](double s) { return s > 0 ? double(busy.value) / (nports * s * hz) : 0.0; });
}

uint64_t Memory::uncontended_cycles(uint64_t len, bool is_write) const {
  const uint64_t lat = is_write ? p_.write_latency_cycles : p_.read_latency_cycles;
  return lat + (len + p_.width_bytes - 1) / p_.width_bytes;
}

sc_time Memory::account(uint64_t offset, uint64_t len, bool is_write, const sc_time& arrival) {
  return sc_time::from_value(account_fs(offset, len, is_write, arrival.value()));
}

uint64_t Memory::account_fs(uint64_t offset, uint64_t len, bool is_write, uint64_t arrival_fs) {
  return account_fs(offset, len, is_write, arrival_fs, sc_core::sc_time_stamp().value());
}

uint64_t Memory::account_fs(uint64_t offset, uint64_t len, bool is_write, uint64_t arrival_fs, uint64_t now) {
  const uint64_t beats = div_u(len + p_.width_bytes - 1, p_.width_bytes);
  uint64_t lat = is_write ? p_.write_latency_cycles : p_.read_latency_cycles;
  // One port and one bank: every booking goes to both, so the bank's calendar is the port's
  // and never delays a start the port grants: it is neither consulted nor booked.
  const bool bank_is_port = p_.ports == 1 && p_.banks == 1;
  const uint64_t first_bank_unit = p_.banks == 1 ? 0 : div_u(offset, p_.bank_interleave_bytes);
  const uint64_t last_bank_unit = p_.banks == 1 ? 0 : div_u(offset + std::max<uint64_t>(len, 1) - 1, p_.bank_interleave_bytes);
  const uint64_t nbanks_touched = std::min<uint64_t>(last_bank_unit - first_bank_unit + 1, p_.banks);
  if (!open_row_.empty()) {  // dram
    const uint64_t bank = p_.banks == 1 ? 0 : mod_u(first_bank_unit, p_.banks), row = div_u(offset, p_.row_bytes);
    if (open_row_[bank] != row) {
      lat += p_.row_miss_extra_cycles;
      open_row_[bank] = row;
      ++row_misses_;
    }
  }
  // In raw femtoseconds (one sc_time is built, for the result).
  const uint64_t t0 = clk_.next_edge_fs(arrival_fs);
  const uint64_t ts = slots_.acquire_fs(t0, now);
  const uint64_t dur = clk_.cycles_fs(beats);
  // Earliest start at which one port and every touched bank are idle for `dur`.
  uint64_t s = ts + clk_.cycles_fs(lat);
  const uint64_t wanted = s;
  bool bank_delayed = false;
  size_t port = 0;
  for (;;) {
    uint64_t best = ports_[0].probe_fs(s, dur);
    port = 0;
    for (size_t i = 1; i < ports_.size(); ++i) {
      const uint64_t c = ports_[i].probe_fs(s, dur);
      if (c < best) best = c, port = i;
    }
    uint64_t b = best;
    if (!bank_is_port)
      for (uint64_t u = 0; u < nbanks_touched; ++u) b = std::max(b, banks_[mod_u(first_bank_unit + u, p_.banks)].probe_fs(b, dur));
    if (b == best) { s = b; break; }
    bank_delayed = true;
    s = b;
  }
  ports_[port].book_fs(s, dur, now);
  if (!bank_is_port)
    for (uint64_t u = 0; u < nbanks_touched; ++u) banks_[mod_u(first_bank_unit + u, p_.banks)].book_fs(s, dur, now);
  const uint64_t done = s + dur;
  slots_.release_at_fs(done);

  (is_write ? writes_ : reads_) += 1;
  (is_write ? write_bytes_ : read_bytes_) += len;
  busy_cycles_ += beats;
  // (A port-bound stream waits the same time burst after burst: the last conversion is kept.)
  if (s != wanted) {
    if (s - wanted != stall_memo_fs_) stall_memo_fs_ = s - wanted, stall_memo_cycles_ = clk_.to_cycles_fs(s - wanted);
    stall_cycles_ += stall_memo_cycles_;
  }
  if (ts != t0) stall_cycles_ += clk_.to_cycles_fs(ts - t0);
  if (bank_delayed) ++bank_conflicts_;
  return done;
}

void Memory::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
  const uint64_t off = tx.get_address(), len = tx.get_data_length();
  const bool is_write = tx.get_command() == tlm::TLM_WRITE_COMMAND;
  if (tx.get_command() == tlm::TLM_IGNORE_COMMAND) {
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (len == 0 || off >= p_.size_bytes || len > p_.size_bytes - off || tx.get_byte_enable_ptr()) {
    ++errors_;
    tx.set_response_status(tx.get_byte_enable_ptr() ? tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE
                                                     : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (is_write && p_.read_only) {
    ++errors_;
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  const sc_time now = sc_core::sc_time_stamp();
  if (auto* train = tx.get_extension<BurstTrain>()) {
    const uint64_t nowv = now.value();
    if (!train->rows.empty()) {
      gather(tx, *train, delay);
      return;
    }
    const uint64_t count = train->bursts(off, len);
    train->issue.resize(count);
    train->done.resize(count);
    const uint64_t last = charge_train(*train, off, len, is_write, nowv + delay.value(), nowv, 0);
    // A read whose initiator asked to borrow the data gets a pointer into the contents
    // instead of a copy (the timing above is the same either way).
    if (is_write) copy_in(off, tx.get_data_ptr(), len);
    else if (train->borrow_read) train->borrowed = data_ + off;
    else copy_out(off, tx.get_data_ptr(), len);
    delay = sc_time::from_value(last - now.value());
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const sc_time done = sc_time::from_value(account_fs(off, len, is_write, (now + delay).value()));
  if (is_write)
    copy_in(off, tx.get_data_ptr(), len);
  else
    copy_out(off, tx.get_data_ptr(), len);
  delay = done - now;
  tx.set_dmi_allowed(true);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

// The bursts of [off, off + len) issued by the train's rule from `issue` on, charged one by one
// with account_fs()'s formula; their issue and completion times go to train.issue/done[first..].
// Returns the latest completion (at least `issue`).
// The k-th last completion is taken from the earlier bursts (in_flight), then this run's own
// (done): the two lists side by side, without a copy.
// A memory of one port and one bank (the port is the only calendar) is charged with a per-train
// context: the constants of the formula (latency, a full burst's beats and duration, the clock
// edges) are worked out once, the counters are summed locally and added once; every burst still
// books the slot pool and the port exactly as account_fs() does (the same calls in the same
// order), so the calendars and counters end as the per-burst path leaves them (tests:
// MemoryTrain.*). Other memories charge each burst with account_fs().
uint64_t Memory::charge_train(BurstTrain& train, uint64_t off, uint64_t len, bool is_write, uint64_t issue, uint64_t nowv,
                              size_t first) {
  const uint64_t k = std::max<uint32_t>(train.max_outstanding, 1);
  const std::vector<uint64_t>& before = train.in_flight;
  const uint64_t nb = before.size();
  uint64_t last = issue;
  const uint64_t bb = train.burst_bytes;
  uint64_t* iss = train.issue.data() + first;
  uint64_t* dn = train.done.data() + first;
  uint64_t i = 0;
  // One hop (the usual bus between): its clock edges from a cache, not a division per burst.
  const bool one_hop = train.hops.size() == 1;
  const uint64_t hop_lat = one_hop ? train.hops[0].latency_fs : 0;
  EdgeCache hop_edge(one_hop ? train.hops[0].period_fs : 1);
  auto arrival_of = [&](uint64_t t) {
    if (one_hop) return hop_edge.next_edge_fs(t) + hop_lat;
    for (const auto& h : train.hops) t = (t + h.period_fs - 1) / h.period_fs * h.period_fs + h.latency_fs;
    return t;
  };
  if (p_.ports != 1 || p_.banks != 1) {
    for (uint64_t a = off; a < off + len; ++i) {
      const uint64_t n = std::min<uint64_t>(bb - mod_u(a, bb), off + len - a);
      if (i) issue += train.issue_period_fs;
      if (nb + i >= k) {
        const uint64_t j = nb + i - k;
        issue = std::max(issue, j < nb ? before[j] : dn[j - nb]);
      }
      const uint64_t done = account_fs(a, n, is_write, arrival_of(issue), nowv);
      iss[i] = issue;
      dn[i] = done;
      last = std::max(last, done);
      a += n;
    }
    return last;
  }
  // One port, one bank: the per-train context.
  Resource& port = ports_[0];
  const uint64_t width = p_.width_bytes;
  const uint64_t lat_fs = clk_.cycles_fs(is_write ? p_.write_latency_cycles : p_.read_latency_cycles);
  const uint64_t miss_fs = clk_.cycles_fs(p_.row_miss_extra_cycles);
  const bool dram = !open_row_.empty();
  const uint64_t full_beats = div_u(bb + width - 1, width), full_dur = clk_.cycles_fs(full_beats);
  EdgeCache mem_edge(clk_.period_fs());
  uint64_t beats_sum = 0, stall = 0, misses = 0, count = 0;
  for (uint64_t a = off; a < off + len; ++i, ++count) {
    const uint64_t n = std::min<uint64_t>(bb - mod_u(a, bb), off + len - a);
    if (i) issue += train.issue_period_fs;
    if (nb + i >= k) {
      const uint64_t j = nb + i - k;
      issue = std::max(issue, j < nb ? before[j] : dn[j - nb]);
    }
    const uint64_t beats = n == bb ? full_beats : div_u(n + width - 1, width);
    const uint64_t dur = n == bb ? full_dur : clk_.cycles_fs(beats);
    uint64_t lat = lat_fs;
    if (dram) {
      const uint64_t row = div_u(a, p_.row_bytes);
      if (open_row_[0] != row) {
        lat += miss_fs;
        open_row_[0] = row;
        ++misses;
      }
    }
    const uint64_t t0 = mem_edge.next_edge_fs(arrival_of(issue));
    const uint64_t ts = slots_.acquire_fs(t0, nowv);
    const uint64_t wanted = ts + lat;
    const uint64_t s = port.probe_fs(wanted, dur);
    port.book_fs(s, dur, nowv);
    const uint64_t done = s + dur;
    slots_.release_at_fs(done);
    beats_sum += beats;
    if (s != wanted) {
      if (s - wanted != stall_memo_fs_) stall_memo_fs_ = s - wanted, stall_memo_cycles_ = clk_.to_cycles_fs(s - wanted);
      stall += stall_memo_cycles_;
    }
    if (ts != t0) stall += clk_.to_cycles_fs(ts - t0);
    iss[i] = issue;
    dn[i] = done;
    last = std::max(last, done);
    a += n;
  }
  (is_write ? writes_ : reads_) += count;
  (is_write ? write_bytes_ : read_bytes_) += len;
  busy_cycles_ += beats_sum;
  stall_cycles_ += stall;
  row_misses_ += misses;
  return last;
}

// A gather (burst_train.h): reads only, every row inside this memory, else refused untouched.
// Row by row as separate trains would be charged; between rows the initiator (through on_row)
// sets the next row's first issue and in-flight list.
void Memory::gather(tlm::tlm_generic_payload& tx, BurstTrain& train, sc_time& delay) {
  if (tx.get_command() != tlm::TLM_READ_COMMAND || tx.get_byte_enable_ptr()) return;
  uint64_t count = 0;
  for (const auto& r : train.rows) {
    const uint64_t off = r.addr - train.rows_base;
    if (r.addr < train.rows_base || r.len == 0 || off >= p_.size_bytes || r.len > p_.size_bytes - off) return;
    count += train.bursts(off, r.len);
  }
  train.gather_refused = false;
  train.issue.resize(count);
  train.done.resize(count);
  train.row_first.resize(train.rows.size() + 1);
  const uint64_t nowv = sc_core::sc_time_stamp().value();
  uint64_t issue = nowv + delay.value(), last = issue;
  uint8_t* dst = tx.get_data_ptr();
  size_t first = 0;
  for (size_t r = 0; r < train.rows.size(); ++r) {
    const uint64_t off = train.rows[r].addr - train.rows_base, len = train.rows[r].len;
    if (r) issue = train.row_issue_fs;
    train.row_first[r] = first;
    last = std::max(last, charge_train(train, off, len, false, issue, nowv, first));
    first += train.bursts(off, len);
    train.row_first[r + 1] = first;
    copy_out(off, dst, len);
    dst += len;
    if (train.on_row) train.on_row(train.on_row_ctx, train, r);
  }
  delay = sc_time::from_value(last - nowv);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  const uint64_t off = tx.get_address();
  if (off >= p_.size_bytes) return false;
  const uint64_t index = off / kPageBytes;
  const uint64_t begin = index * kPageBytes;
  const uint64_t end = std::min(begin + kPageBytes, p_.size_bytes) - 1;
  dmi.set_dmi_ptr(page(index));
  dmi.set_start_address(begin);
  dmi.set_end_address(end);
  dmi.set_granted_access(p_.read_only ? tlm::tlm_dmi::DMI_ACCESS_READ : tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
  const sc_time beat = clk_.period();
  dmi.set_read_latency(clk_.cycles(p_.read_latency_cycles) + beat);
  dmi.set_write_latency(clk_.cycles(p_.write_latency_cycles) + beat);
  return true;
}

unsigned Memory::transport_dbg(tlm::tlm_generic_payload& tx) {
  const uint64_t off = tx.get_address();
  if (off >= p_.size_bytes) return 0;
  const uint64_t len = std::min<uint64_t>(tx.get_data_length(), p_.size_bytes - off);
  if (tx.get_command() == tlm::TLM_WRITE_COMMAND)
    copy_in(off, tx.get_data_ptr(), len);  // debug writes may patch flash
  else if (tx.get_command() == tlm::TLM_READ_COMMAND)
    copy_out(off, tx.get_data_ptr(), len);
  return static_cast<unsigned>(len);
}

Memory::~Memory() {
  if (data_) munmap(data_, mapped_bytes_);
}

uint8_t* Memory::page(uint64_t index) { return data_ + index * kPageBytes; }

// (len 0 may come with a null pointer, e.g. an ELF segment without file bytes: memcpy must not see it.)
void Memory::copy_in(uint64_t offset, const uint8_t* src, uint64_t len) {
  if (len) std::memcpy(data_ + offset, src, len);
}

void Memory::copy_out(uint64_t offset, uint8_t* dst, uint64_t len) const {
  if (len) std::memcpy(dst, data_ + offset, len);
}

void Memory::load(uint64_t offset, const void* data, uint64_t len) {
  if (offset > p_.size_bytes || len > p_.size_bytes - offset)
    throw slm::err(name(), ": load of ", len, " bytes at offset ", offset, " exceeds size_bytes = ", p_.size_bytes);
  copy_in(offset, static_cast<const uint8_t*>(data), len);
}

void Memory::peek(uint64_t offset, void* out, uint64_t len) const {
  if (offset > p_.size_bytes || len > p_.size_bytes - offset)
    throw slm::err(name(), ": peek of ", len, " bytes at offset ", offset, " exceeds size_bytes = ", p_.size_bytes);
  copy_out(offset, static_cast<uint8_t*>(out), len);
}

}  // namespace slm
