// DMA engine: see dma.h for the descriptor semantics and the timing formula.
#include "models/dma/dma.h"

#include <algorithm>

#include "workloads/common/error.h"

namespace slm {
using sc_core::sc_time;
using params::Field;
using params::Unit;

DmaDescriptor DmaDescriptor::linear(uint64_t src, uint64_t dst, uint64_t bytes) {
  DmaDescriptor d;
  d.src_addr = src, d.dst_addr = dst, d.row_bytes = bytes;
  return d;
}

void Dma::Params::describe(params::Visitor& v, Params& p) {
  v.field(Field{"channels", Unit::none, "independent channels", false, 1, 64}, p.channels);
  v.field(Field{"burst_bytes", Unit::bytes, "largest single bus transaction", false, 1, 1 << 20}, p.burst_bytes);
  v.field(Field{"queue_depth", Unit::none, "descriptors waiting per channel", false, 1, 1 << 16}, p.queue_depth);
  v.field(Field{"max_outstanding", Unit::none, "bursts in flight per channel", false, 1, 1024}, p.max_outstanding);
  v.field(Field{"clock_hz", Unit::hz, "DMA clock", false, 1, 1e12}, p.clock_hz);
  v.field(Field{"pj_per_byte", Unit::pj_per_byte, "energy per byte moved"}, p.pj_per_byte);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void Dma::Params::validate(const std::string& who) const {
  if (channels == 0 || channels > 64) throw slm::err(who, ": field channels = ", channels, ": must be in [1, 64]");
  if (burst_bytes == 0 || burst_bytes > (1u << 20))
    throw slm::err(who, ": field burst_bytes = ", burst_bytes, ": must be in [1, 1048576]");
  if (queue_depth == 0) throw slm::err(who, ": field queue_depth = 0: must be >= 1");
  if (max_outstanding == 0) throw slm::err(who, ": field max_outstanding = 0: must be >= 1");
  if (clock_hz == 0) throw slm::err(who, ": field clock_hz = 0: must be >= 1");
  if (pj_per_byte < 0 || leakage_mw < 0) throw slm::err(who, ": energy fields must be >= 0");
}

std::vector<params::EnergyEvent> Dma::energy_events() {
  return {{"pj_per_byte", "bytes", "bytes moved x energy per byte"}};
}

Dma::Dma(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      socket("socket"),
      p_(p),
      clk_((p.validate(this->name()), p.clock_hz)),
      buffer_(p.burst_bytes),
      stats_(basename(), &parent),
      bytes_(stats_.counter("bytes", "bytes", "bytes moved (each counted once)")),
      bursts_(stats_.counter("bursts", "transactions", "bursts (one read + one write each)")),
      errors_(stats_.counter("errors", "descriptors", "descriptors aborted by an error response")) {
  for (unsigned ch = 0; ch < p_.channels; ++ch) {
    auto c = std::make_unique<Channel>();
    c->group = &stats_.child("ch" + std::to_string(ch));
    c->bytes = &c->group->counter("bytes", "bytes", "bytes moved by this channel");
    c->bursts = &c->group->counter("bursts", "transactions", "bursts issued by this channel");
    c->busy_cycles = &c->group->counter("busy_cycles", "cycles", "cycles with a descriptor in progress");
    c->descriptors = &c->group->counter("descriptors", "descriptors", "descriptors completed");
    channels_.push_back(std::move(c));
    sc_core::sc_spawn_options opt;
    sc_core::sc_spawn([this, ch] { channel_thread(ch); }, ("ch" + std::to_string(ch)).c_str(), &opt);
  }
  auto& b = bytes_;
  stats_.formula("bandwidth_bytes_per_s", "bytes/s", "bytes / simulated seconds",
                 [&b](double s) { return s > 0 ? double(b.value) / s : 0.0; });
}

Dma::TicketState& Dma::state(Ticket t) {
  if (t < retired_ || t - retired_ >= tickets_.size()) throw slm::err(name(), ": unknown or retired DMA ticket ", t);
  return tickets_[t - retired_];
}
const Dma::TicketState& Dma::state(Ticket t) const {
  if (t < retired_ || t - retired_ >= tickets_.size()) throw slm::err(name(), ": unknown or retired DMA ticket ", t);
  return tickets_[t - retired_];
}

void Dma::retire_done() {
  while (!tickets_.empty() && tickets_.front().scheduled && tickets_.front().done_at <= sc_core::sc_time_stamp()) {
    tickets_.pop_front();
    ++retired_;
  }
}

Dma::Ticket Dma::submit(unsigned channel, const DmaDescriptor& d) {
  if (channel >= channels_.size())
    throw slm::err(name(), ": channel ", channel, " does not exist (channels = ", channels_.size(), ")");
  if (d.row_bytes == 0 || d.rows == 0 || d.planes == 0)
    throw slm::err(name(), ": descriptor with a zero size (row_bytes = ", d.row_bytes, ", rows = ", d.rows,
                   ", planes = ", d.planes, ")");
  Channel& c = *channels_[channel];
  while (c.queue.size() >= p_.queue_depth) sc_core::wait(c.space);
  const Ticket t = retired_ + tickets_.size();
  tickets_.emplace_back();
  tickets_.back().ev = std::make_unique<sc_core::sc_event>();
  c.queue.push_back(Job{d, t, sc_core::sc_time_stamp()});
  c.work.notify(sc_core::SC_ZERO_TIME);
  return t;
}

void Dma::wait(Ticket t) {
  TicketState& s = state(t);
  if (!s.scheduled) sc_core::wait(*s.ev);
  else if (s.done_at > sc_core::sc_time_stamp()) sc_core::wait(s.done_at - sc_core::sc_time_stamp());
}

bool Dma::done(Ticket t) const {
  const TicketState& s = state(t);
  return s.scheduled && s.done_at <= sc_core::sc_time_stamp();
}
bool Dma::error(Ticket t) const { return state(t).error; }
sc_time Dma::completion_time(Ticket t) const { return state(t).done_at; }

void Dma::channel_thread(unsigned ch) {
  Channel& c = *channels_[ch];
  tlm_utils::tlm_quantumkeeper qk;
  qk.reset();
  for (;;) {
    if (c.queue.empty()) {
      qk.sync();  // idle: let SystemC time catch up before sleeping
      while (c.queue.empty()) sc_core::wait(c.work);
      qk.reset();
    }
    Job job = c.queue.front();
    c.queue.pop_front();
    c.space.notify(sc_core::SC_ZERO_TIME);
    const sc_time start = clk_.next_edge(std::max(qk.get_current_time(), job.submitted));
    bool err = false;
    const sc_time done = run(c, job.d, start, qk, err);
    c.busy_cycles->value += clk_.to_cycles(done - start);
    ++*c.descriptors;
    if (err) ++errors_;
    TicketState& s = state(job.ticket);
    s.scheduled = true, s.error = err, s.done_at = done;
    s.ev->notify(done - sc_core::sc_time_stamp());
    qk.set(done - sc_core::sc_time_stamp());
    if (qk.need_sync()) qk.sync();
  }
}

sc_time Dma::run(Channel& c, const DmaDescriptor& d, sc_time start, tlm_utils::tlm_quantumkeeper& qk,
                 bool& error) {
  SlotPool inflight(p_.max_outstanding);
  tlm::tlm_generic_payload tx;
  tx.set_streaming_width(0);
  sc_time issue = start, last_done = start;
  bool first = true;
  for (uint32_t pl = 0; pl < d.planes; ++pl) {
    for (uint32_t r = 0; r < d.rows; ++r) {
      const uint64_t src_row = d.src_addr + uint64_t(int64_t(pl) * d.src_plane_stride_bytes + int64_t(r) * d.src_row_stride_bytes);
      const uint64_t dst_row = d.dst_addr + uint64_t(int64_t(pl) * d.dst_plane_stride_bytes + int64_t(r) * d.dst_row_stride_bytes);
      for (uint64_t off = 0; off < d.row_bytes; off += p_.burst_bytes) {
        const uint64_t n = std::min<uint64_t>(p_.burst_bytes, d.row_bytes - off);
        // Issue time in raw fs (an sc_time is a library call to build; see Clock::cycles_fs).
        uint64_t issue_fs = issue.value();
        if (!first) issue_fs += clk_.period_fs();
        first = false;
        issue = sc_time::from_value(clk_.next_edge_fs(inflight.acquire_fs(issue_fs)));
        qk.set(issue - sc_core::sc_time_stamp());  // the burst is issued at `issue`:
        if (qk.need_sync()) qk.sync();              // catch SystemC time up past the quantum
        const sc_time now = sc_core::sc_time_stamp();
        // Read the source...
        sc_time delay = issue - now;
        tx.set_command(tlm::TLM_READ_COMMAND);
        tx.set_address(src_row + off);
        tx.set_data_ptr(buffer_.data());
        tx.set_data_length(static_cast<unsigned>(n));
        tx.set_streaming_width(static_cast<unsigned>(n));
        tx.set_byte_enable_ptr(nullptr);
        tx.set_dmi_allowed(false);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        socket->b_transport(tx, delay);
        if (tx.is_response_error()) { error = true; inflight.release_at_fs(issue.value()); return std::max(last_done, issue); }
        // ...then write it to the destination when it has arrived.
        tx.set_command(tlm::TLM_WRITE_COMMAND);
        tx.set_address(dst_row + off);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        socket->b_transport(tx, delay);
        const sc_time done = now + delay;
        if (tx.is_response_error()) { error = true; inflight.release_at(done); return std::max(last_done, done); }
        inflight.release_at_fs(done.value());
        last_done = std::max(last_done, done);
        ++bursts_, ++*c.bursts;
        bytes_ += n, *c.bytes += n;
      }
    }
  }
  return last_done;
}

}  // namespace slm
