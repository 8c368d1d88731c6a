// The cluster's N-EUREKA: job registers, the job queue, and the engine as an L1 requester
// (cluster.h, docs/siracusa.md "N-EUREKA in the cluster").
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "models/cluster/cluster.h"
#include "workloads/common/error.h"

namespace slm::cluster {
namespace {

// A cluster memory as the engine sees it: reads from the bytes as they are now; writes, when
// `writes` is given, kept for the job's end (L1), otherwise refused (the weight memory).
class View : public neureka::Memory {
 public:
  using Writes = std::vector<std::pair<uint32_t, std::vector<uint8_t>>>;
  View(std::vector<uint8_t>& bytes, uint32_t base, Writes* writes) : bytes_(bytes), base_(base), writes_(writes) {}
  uint64_t size() const override { return bytes_.size(); }
  uint64_t base() const override { return base_; }
  bool read(uint64_t addr, void* dst, uint64_t n) override {
    if (!contains(addr, n)) return false;
    if (n) std::memcpy(dst, bytes_.data() + (addr - base_), n);
    return true;
  }
  bool write(uint64_t addr, const void* src, uint64_t n) override {
    if (!writes_ || !contains(addr, n)) return false;
    const auto* p = static_cast<const uint8_t*>(src);
    writes_->emplace_back(static_cast<uint32_t>(addr), std::vector<uint8_t>(p, p + n));
    return true;
  }

 private:
  std::vector<uint8_t>& bytes_;
  uint32_t base_;
  Writes* writes_;
};

int32_t s8(uint32_t v) { return static_cast<int8_t>(static_cast<uint8_t>(v)); }

}  // namespace

bool Cluster::ne_access(uint32_t off, bool write, uint32_t& v, uint64_t& cycles) {
  if (!ne_) return false;
  cycles += cfg_.neureka_reg_latency_cycles;
  auto fail = [&](const std::string& what) { return refuse("N-EUREKA", what); };
  if (write) {
    if (off <= kNeSpatialW) {
      ne_reg_[off / 4] = v;
      return true;
    }
    if (off == kNeWait) {
      if (v >= ne_next_id_)
        return fail("wait for job " + std::to_string(v) + ", which was never started (next id " + std::to_string(ne_next_id_) + ")");
      if (v < ne_done_) return true;
      ne_waiting_for_[cur_] = v;
      sleep(State::ne_wait);
      return true;
    }
    return false;
  }
  if (off == kNeDone) {
    v = ne_done_;
    return true;
  }
  if (off != kNeTrigger) return false;
  const uint32_t* r = ne_reg_;
  neureka::Job j;
  j.m = r[kNeM / 4], j.k = r[kNeK / 4], j.n = r[kNeN / 4];
  j.x_addr = r[kNeXAddr / 4], j.x_stride = r[kNeXStride / 4];
  j.w_addr = r[kNeWAddr / 4], j.w_stride = r[kNeWStride / 4];
  j.y_addr = r[kNeYAddr / 4], j.y_stride = r[kNeYStride / 4];
  j.mult_addr = r[kNeMultAddr / 4], j.shift_addr = r[kNeShiftAddr / 4], j.bias_addr = r[kNeBiasAddr / 4];
  const uint32_t flags = r[kNeFlags / 4];
  if (flags & ~3u) {
    char b[96];
    std::snprintf(b, sizeof b, "flags 0x%x: only bits 0 (bias) and 1 (weight memory) exist", flags);
    return fail(b);
  }
  j.has_bias = flags & 1u;
  j.weights_from_wmem = flags & 2u;
  j.x_zp = s8(r[kNeZp / 4]), j.y_zp = s8(r[kNeZp / 4] >> 8);
  j.act_min = s8(r[kNeClamp / 4]), j.act_max = s8(r[kNeClamp / 4] >> 8);
  j.spatial_w = r[kNeSpatialW / 4];
  View tcdm(l1_, kL1Base, nullptr);
  View wm(wmem_, kWmemBase, nullptr);
  try {
    ne_->validate(j, tcdm, wmem_.empty() ? nullptr : &wm);
  } catch (const Error& e) {
    return fail("job " + std::to_string(ne_next_id_) + ": " + e.what());
  }
  cores_[cur_]->request_stop(rv32::Stop::limit);  // the engine competes from now on: end the current burst
  ne_q_.push_back({j, ne_next_id_, cycles});
  v = ne_next_id_++;
  return true;
}

uint64_t Cluster::ne_next() const {
  if (ne_active_) {
    const uint64_t base = ne_start_ + ne_delay_;
    return ne_i_ < ne_beats_.size() ? base + ne_beats_[ne_i_].cycle : base + ne_total_;
  }
  if (ne_q_.empty()) return ~uint64_t{0};
  return std::max(ne_q_.front().enqueued, ne_prev_end_);
}

void Cluster::ne_step() {
  if (!ne_active_) {  // start the next job: its values now, its timing as it goes
    const NeJob j = ne_q_.front();
    ne_q_.pop_front();
    ne_start_ = std::max(j.enqueued, ne_prev_end_);
    ne_delay_ = 0;
    ne_i_ = 0;
    ne_beats_.clear();
    ne_writes_.clear();
    ne_cur_id_ = j.id;
    View tcdm(l1_, kL1Base, &ne_writes_);
    View wm(wmem_, kWmemBase, nullptr);
    std::vector<neureka::Access> trace;
    neureka::Timing tm;
    try {
      tm = ne_->run(j.job, tcdm, wmem_.empty() ? nullptr : &wm, &trace);
    } catch (const Error& e) {
      error_ = "N-EUREKA: job " + std::to_string(j.id) + ": " + e.what();
      for (auto& c : cores_) c->request_stop(rv32::Stop::halted_by_peer);
      ne_active_ = false;
      return;
    }
    ne_total_ = tm.total;
    const uint32_t port = static_cast<uint32_t>(cfg_.ne.act_bytes_per_cycle);  // one beat per cycle
    for (const neureka::Access& a : trace)
      for (uint32_t off = 0, beat = 0; off < a.bytes; off += port, ++beat)
        ne_beats_.push_back({a.cycle + beat, static_cast<uint32_t>(a.addr) + off, std::min(port, a.bytes - off)});
    ne_stats_.macs += tm.macs;
    ne_stats_.tcdm_read_bytes += tm.tcdm_read_bytes;
    ne_stats_.tcdm_write_bytes += tm.tcdm_write_bytes;
    ne_stats_.wmem_read_bytes += tm.wmem_read_bytes;
    ne_active_ = true;
    return;
  }
  const uint64_t req = ne_next();
  if (ne_i_ < ne_beats_.size()) {  // one beat: every word it touches claims its bank
    const NeBeat& b = ne_beats_[ne_i_++];
    uint64_t g = req;
    for (uint32_t w = b.addr >> 2; w <= (b.addr + b.bytes - 1) >> 2; ++w) g = std::max(g, l1_grant(w << 2, req));
    ne_delay_ += g - req;
    ne_stats_.bank_stall_cycles += g - req;
    return;
  }
  // The job's end: its outputs land in L1, waiting cores wake up.
  for (const auto& [addr, bytes] : ne_writes_) {
    std::memcpy(l1_.data() + (addr - kL1Base), bytes.data(), bytes.size());
    mark(l1_dirty_, addr - kL1Base, static_cast<uint32_t>(bytes.size()));
  }
  ne_writes_.clear();
  ne_active_ = false;
  ne_prev_end_ = req;
  ne_done_ = ne_cur_id_ + 1;
  ++ne_stats_.jobs;
  ne_stats_.busy_cycles += req - ne_start_;
  for (uint32_t c = 0; c < nb_; ++c)
    if (state_[c] == State::ne_wait && ne_waiting_for_[c] < ne_done_) wake(c, req, &CoreStats::neureka_wait_cycles);
}

}  // namespace slm::cluster
