// Bus model: see bus.h for the timing formula.
#include "models/interconnect/bus.h"

#include <algorithm>
#include <bit>

#include "models/common/burst_train.h"
#include "models/common/edge_cache.h"

#include "workloads/common/error.h"

namespace slm {
using sc_core::sc_time;
using params::Field;
using params::Unit;

void Bus::Params::describe(params::Visitor& v, Params& p) {
  v.field(Field{"topology", Unit::none, "crossbar (one link per target) or shared (one link)"}, p.topology,
          {"crossbar", "shared"});
  v.field(Field{"width_bytes", Unit::bytes, "bytes per bus cycle per link", false, 1, 4096}, p.width_bytes);
  v.field(Field{"clock_hz", Unit::hz, "bus clock", false, 1, 1e12}, p.clock_hz);
  v.field(Field{"latency_cycles", Unit::cycles, "request latency through the fabric", false, 0, 1e6},
          p.latency_cycles);
  v.field(Field{"max_outstanding", Unit::none, "transactions in flight per initiator", false, 1, 4096},
          p.max_outstanding);
  v.field(Field{"pj_per_byte", Unit::pj_per_byte, "energy per byte carried"}, p.pj_per_byte);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void Bus::Params::validate(const std::string& who) const {
  if (topology != "crossbar" && topology != "shared")
    throw slm::err(who, ": field topology = '", topology, "': must be crossbar or shared");
  if (width_bytes == 0) throw slm::err(who, ": field width_bytes = 0: must be >= 1");
  if (clock_hz == 0) throw slm::err(who, ": field clock_hz = 0: must be >= 1");
  if (max_outstanding == 0) throw slm::err(who, ": field max_outstanding = 0: must be >= 1");
  if (pj_per_byte < 0 || leakage_mw < 0) throw slm::err(who, ": energy fields must be >= 0");
}

std::vector<params::EnergyEvent> Bus::energy_events() {
  return {{"pj_per_byte", "bytes", "bytes carried x energy per byte"}};
}

Bus::Bus(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      in("in"),
      out("out"),
      p_(p),
      clk_((p.validate(this->name()), p.clock_hz)),
      stats_(basename(), &parent),
      transactions_(stats_.counter("transactions", "transactions", "transactions routed")),
      bytes_(stats_.counter("bytes", "bytes", "bytes carried (read + write)")),
      link_busy_cycles_(stats_.counter("link_busy_cycles", "cycles", "link data cycles, summed over links")),
      stall_cycles_(stats_.counter("stall_cycles", "cycles",
                                   "cycles waited for an outstanding slot or a busy link")),
      decode_errors_(stats_.counter("decode_errors", "transactions", "transactions to unmapped addresses")) {
  in.register_b_transport(this, &Bus::b_transport);
  in.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
  in.register_transport_dbg(this, &Bus::transport_dbg);
  auto& b = bytes_;
  stats_.formula("bandwidth_bytes_per_s", "bytes/s", "bytes / simulated seconds",
                 [&b](double s) { return s > 0 ? double(b.value) / s : 0.0; });
}

void Bus::end_of_elaboration() {
  links_.assign(p_.topology == "shared" ? 1 : std::max<size_t>(out.size(), 1), Resource{});
  slots_.assign(std::max<size_t>(in.size(), 1), SlotPool(p_.max_outstanding));
  for (size_t i = 0; i < in.size(); ++i) {
    stats::Group& g = stats_.child("in" + std::to_string(i));
    per_initiator_.push_back({&g.counter("bytes", "bytes", "bytes carried for this initiator"),
                              &g.counter("transactions", "transactions", "transactions of this initiator"),
                              &g.counter("stall_cycles", "cycles", "cycles this initiator waited")});
  }
  for (const auto& e : map_.entries())
    if (e.target >= out.size())
      throw slm::err(name(), ": address map entry '", e.name, "' names target ", e.target, " but only ",
                     out.size(), " targets are bound");
}

Resource& Bus::link(unsigned target) { return links_.size() == 1 ? links_[0] : links_[target]; }
SlotPool& Bus::initiator_slots(int id) { return slots_[static_cast<size_t>(id)]; }

void Bus::b_transport(int id, tlm::tlm_generic_payload& tx, sc_time& delay) {
  const uint64_t addr = tx.get_address(), len = tx.get_data_length();
  const AddressMap::Entry* e = map_.find(addr, std::max<uint64_t>(len, 1));
  if (!e) {
    ++decode_errors_;
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  // In raw femtoseconds; sc_time only at the socket boundary.
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (auto* train = tx.get_extension<BurstTrain>()) {
    b_transport_train(id, *e, *train, tx, delay);
    return;
  }
  const uint64_t t0 = clk_.next_edge_fs(now + delay.value());
  SlotPool& slots = initiator_slots(id);
  const uint64_t ts = slots.acquire_fs(t0);
  const uint64_t tr = ts + clk_.cycles_fs(p_.latency_cycles);

  sc_time d = sc_time::from_value(tr - now);  // forward with the target offset
  tx.set_address(addr - e->base);
  out[e->target]->b_transport(tx, d);
  tx.set_address(addr);
  if (tx.is_response_error()) {  // the target refused: no data crosses the link
    slots.release_at_fs(tr);
    delay = sc_time::from_value(tr - now);
    return;
  }
  const uint64_t c = now + d.value();

  const uint64_t bb = (len + p_.width_bytes - 1) / p_.width_bytes;
  const uint64_t dur = clk_.cycles_fs(bb);
  const uint64_t want = clk_.next_edge_fs(std::max(tr, c > dur ? c - dur : 0));
  const uint64_t start = link(e->target).reserve_fs(want, dur);
  const uint64_t done = start + dur;
  slots.release_at_fs(done);
  delay = sc_time::from_value(done - now);

  const uint64_t stalled = clk_.to_cycles_fs(ts - t0) + clk_.to_cycles_fs(start - want);
  ++transactions_;
  bytes_ += len;
  link_busy_cycles_ += bb;
  stall_cycles_ += stalled;
  const InitiatorStats& mine = per_initiator_[static_cast<size_t>(id)];
  ++*mine.transactions;
  *mine.bytes += len;
  *mine.stall_cycles += stalled;
}

// Books the link for the bursts of a train of [addr, addr + len) (global addresses) whose
// target completions are done[0..n): burst by burst after the target's completion; done[]
// becomes each burst's completion on the link. Accumulates into the caller's totals.
void Bus::book_train_link(Resource& lk, uint64_t addr, uint64_t len, uint64_t burst, const uint64_t* issue, uint64_t* done,
                          size_t n, uint64_t now, uint64_t& last, uint64_t& stalled, uint64_t& beats) const {
  const uint64_t first = addr / burst;
  const uint64_t width = p_.width_bytes, lat = clk_.cycles_fs(p_.latency_cycles);
  const bool width_pow2 = std::has_single_bit(width);  // a shift instead of a division per burst
  const int width_shift = std::countr_zero(width);
  EdgeCache issue_edge(clk_.period_fs()), want_edge(clk_.period_fs());
  uint64_t memo_fs = 0, memo_cycles = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t a0 = i == 0 ? addr : (first + i) * burst;
    const uint64_t a1 = std::min<uint64_t>((first + i + 1) * burst, addr + len);
    const uint64_t bb = width_pow2 ? (a1 - a0 + width - 1) >> width_shift : (a1 - a0 + width - 1) / width, dur = clk_.cycles_fs(bb);
    const uint64_t tr = issue_edge.next_edge_fs(issue[i]) + lat, c = done[i];
    const uint64_t want = want_edge.next_edge_fs(std::max(tr, c > dur ? c - dur : 0));
    const uint64_t start = lk.reserve_fs(want, dur, now);
    done[i] = start + dur;
    last = std::max(last, start + dur);
    if (start != want) {  // (the last conversion is kept: a stream often waits the same time again)
      if (start - want != memo_fs) memo_fs = start - want, memo_cycles = clk_.to_cycles_fs(start - want);
      stalled += memo_cycles;
    }
    beats += bb;
  }
}

void Bus::count_train(int id, uint64_t n, uint64_t len, uint64_t beats, uint64_t stalled) {
  transactions_ += n;
  bytes_ += len;
  link_busy_cycles_ += beats;
  stall_cycles_ += stalled;
  const InitiatorStats& mine = per_initiator_[static_cast<size_t>(id)];
  *mine.transactions += n;
  *mine.bytes += len;
  *mine.stall_cycles += stalled;
}

// A burst train: the target charges the bursts (our latency is one more hop of each
// burst's arrival); the link is then booked burst by burst after the target's completion.
void Bus::b_transport_train(int id, const AddressMap::Entry& e, BurstTrain& train, tlm::tlm_generic_payload& tx,
                            sc_time& delay) {
  const uint64_t now = sc_core::sc_time_stamp().value();
  const uint64_t addr = tx.get_address(), len = tx.get_data_length();
  if (!train.rows.empty()) {
    gather(id, e, train, tx, delay);
    return;
  }
  train.max_outstanding = std::min(train.max_outstanding, p_.max_outstanding);
  train.hops.push_back({clk_.period_fs(), clk_.cycles_fs(p_.latency_cycles)});
  tx.set_address(addr - e.base);
  out[e.target]->b_transport(tx, delay);
  tx.set_address(addr);
  train.hops.pop_back();
  if (tx.is_response_error()) return;
  uint64_t last = now + delay.value(), stalled = 0, beats = 0;
  const size_t n = train.done.size();
  book_train_link(link(e.target), addr, len, train.burst_bytes, train.issue.data(), train.done.data(), n, now, last,
                  stalled, beats);
  delay = sc_time::from_value(last - now);
  count_train(id, n, len, beats, stalled);
}

// A gather train (burst_train.h): every row must route to the first row's target, else it is
// refused untouched. The target charges the rows; after each, our hook books the row's bursts
// on the link (as for the row's own train) and passes the row on to the initiator's hook.
namespace {
struct BusRowCtx {
  Bus* bus;
  int id;
  Resource* link;
  uint64_t now, last;
  uint64_t base_in, entry_base;  // the incoming rows_base; our entry's base (added when forwarding)
  BurstTrain::RowHook up;
  void* up_ctx;
};
}  // namespace

void Bus::row_hook(void* ctx, BurstTrain& train, size_t r) {
  auto& c = *static_cast<BusRowCtx*>(ctx);
  const size_t f = train.row_first[r], n = train.row_first[r + 1] - f;
  const uint64_t addr = train.rows[r].addr - c.base_in, len = train.rows[r].len;  // our addresses (bus side)
  uint64_t stalled = 0, beats = 0;
  c.bus->book_train_link(*c.link, addr, len, train.burst_bytes, train.issue.data() + f, train.done.data() + f, n, c.now,
                         c.last, stalled, beats);
  c.bus->count_train(c.id, n, len, beats, stalled);
  if (c.up) {
    train.rows_base = c.base_in;  // as our initiator set it
    train.on_row = c.up, train.on_row_ctx = c.up_ctx;
    c.up(c.up_ctx, train, r);
    train.on_row = &Bus::row_hook, train.on_row_ctx = ctx;
    train.rows_base = c.base_in + c.entry_base;
  }
}

void Bus::gather(int id, const AddressMap::Entry& e, BurstTrain& train, tlm::tlm_generic_payload& tx, sc_time& delay) {
  // (Entries do not overlap: a row maps to e exactly when it lies inside e's range.)
  for (const auto& r : train.rows) {
    if (r.addr < train.rows_base) return;
    const uint64_t a = r.addr - train.rows_base, len = std::max<uint64_t>(r.len, 1);
    if (a < e.base || a >= e.end() || len > e.end() - a) return;
  }
  const uint64_t now = sc_core::sc_time_stamp().value();
  const uint64_t addr = tx.get_address();
  BusRowCtx ctx{this, id, &link(e.target), now, now + delay.value(), train.rows_base, e.base, train.on_row, train.on_row_ctx};
  train.max_outstanding = std::min(train.max_outstanding, p_.max_outstanding);
  train.hops.push_back({clk_.period_fs(), clk_.cycles_fs(p_.latency_cycles)});
  train.rows_base += e.base;
  train.on_row = &Bus::row_hook, train.on_row_ctx = &ctx;
  tx.set_address(addr - e.base);
  out[e.target]->b_transport(tx, delay);
  tx.set_address(addr);
  train.on_row = ctx.up, train.on_row_ctx = ctx.up_ctx;
  train.rows_base = ctx.base_in;
  train.hops.pop_back();
  if (train.gather_refused || tx.is_response_error()) return;
  delay = sc_time::from_value(ctx.last - now);
}

bool Bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  const uint64_t addr = tx.get_address();
  const AddressMap::Entry* e = map_.find(addr);
  if (!e) return false;
  tx.set_address(addr - e->base);
  const bool ok = out[e->target]->get_direct_mem_ptr(tx, dmi);
  tx.set_address(addr);
  if (!ok) return false;
  // Back to global addresses, clipped to the entry.
  dmi.set_start_address(dmi.get_start_address() + e->base);
  dmi.set_end_address(std::min<uint64_t>(dmi.get_end_address() + e->base, e->end() - 1));
  return true;
}

unsigned Bus::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  const AddressMap::Entry* e = map_.find(addr);
  if (!e) return 0;
  const uint64_t len = std::min<uint64_t>(tx.get_data_length(), e->end() - addr);
  const unsigned orig_len = tx.get_data_length();
  tx.set_address(addr - e->base);
  tx.set_data_length(static_cast<unsigned>(len));
  const unsigned n = out[e->target]->transport_dbg(tx);
  tx.set_address(addr);
  tx.set_data_length(orig_len);
  return n;
}

}  // namespace slm
