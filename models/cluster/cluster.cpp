// Cluster: lockstep cycle loop, banked L1 arbitration, event unit and DMA. See cluster.h.
#include "models/cluster/cluster.h"

#include <algorithm>
#include <cstring>

#include "workloads/common/error.h"

namespace slm::cluster {

void ClusterConfig::validate() const {
  auto bad = [](const char* field, uint64_t v, const char* why) {
    return err("cluster: ", field, " = ", v, ": ", why);
  };
  if (cores < 1 || cores > 8) throw bad("cores", cores, "must be 1..8");
  if (l1_banks < 1 || l1_banks > 64 || (l1_banks & (l1_banks - 1)))
    throw bad("l1_banks", l1_banks, "must be a power of two in 1..64");
  if (l1_size_bytes == 0 || l1_size_bytes % (l1_banks * 4) != 0 || l1_size_bytes > (2u << 20))
    throw bad("l1_size_bytes", l1_size_bytes, "must be a non-zero multiple of 4 x l1_banks, at most 2 MiB");
  if (l2_size_bytes == 0 || l2_size_bytes % (1u << rv32::kDmiPageBits) != 0 || l2_size_bytes > (64u << 20))
    throw bad("l2_size_bytes", l2_size_bytes, "must be a non-zero multiple of 64 KiB, at most 64 MiB");
  if (l2_latency_cycles > 1000) throw bad("l2_latency_cycles", l2_latency_cycles, "must be 0..1000");
  if (periph_latency_cycles > 1000) throw bad("periph_latency_cycles", periph_latency_cycles, "must be 0..1000");
  if (neureka_reg_latency_cycles > 1000) throw bad("neureka.reg_latency_cycles", neureka_reg_latency_cycles, "must be 0..1000");
  if (barrier_wake_cycles > 1000) throw bad("barrier_wake_cycles", barrier_wake_cycles, "must be 0..1000");
  if (dma_setup_cycles > 100000) throw bad("dma_setup_cycles", dma_setup_cycles, "must be 0..100000");
  if (quantum_cycles > 100000) throw bad("quantum_cycles", quantum_cycles, "must be 0..100000");
  if (dma_bytes_per_cycle < 1 || dma_bytes_per_cycle > 64)
    throw bad("dma_bytes_per_cycle", dma_bytes_per_cycle, "must be 1..64");
  if (neureka > 1) throw bad("neureka", neureka, "must be 0 (absent) or 1 (present)");
  if (controller > 1) throw bad("controller", controller, "must be 0 (absent) or 1 (present)");
  if (wmem_size_bytes > kWmemMaxBytes || wmem_size_bytes % 4 != 0)
    throw bad("wmem_size_bytes", wmem_size_bytes, "must be a multiple of 4, at most 8 MiB (the weight-memory window)");
  if (wmem_latency_cycles > 1000) throw bad("wmem_latency_cycles", wmem_latency_cycles, "must be 0..1000");
  if (icache > 1) throw bad("icache.enabled", icache, "must be 0 (ideal fetch) or 1 (the instruction cache)");
  if (icache_warm > 1) throw bad("icache.warm_between_runs", icache_warm, "must be 0 (every run starts cold) or 1 (restart keeps the lines)");
  auto pow2 = [&](const char* key, uint32_t v, uint32_t lo, uint32_t hi) {
    if (v < lo || v > hi || (v & (v - 1)))
      throw err("cluster: ", key, " = ", v, ": must be a power of two in ", lo, "..", hi);
  };
  pow2("icache.line_bytes", icache_line_bytes, 16, 64);
  pow2("icache.l0.sets", icache_l0_sets, 1, 1024);
  pow2("icache.l0.ways", icache_l0_ways, 1, 16);
  pow2("icache.l0_controller.sets", icache_l0_ctl_sets, 1, 1024);
  pow2("icache.l0_controller.ways", icache_l0_ctl_ways, 1, 16);
  pow2("icache.shared.banks", icache_shared_banks, 1, 16);
  pow2("icache.shared.sets", icache_shared_sets, 1, 1024);
  pow2("icache.shared.ways", icache_shared_ways, 1, 16);
  if (icache_l0_refill_cycles > 1000) throw bad("icache.l0.refill_cycles", icache_l0_refill_cycles, "must be 0..1000");
  if (icache_shared_refill_cycles > 1000)
    throw bad("icache.shared.refill_cycles", icache_shared_refill_cycles, "must be 0..1000");
}

// ---- instruction cache -------------------------------------------------------------------
void Cluster::ICache::clear() {
  tag.assign(size_t{sets} * ways, ~0u);
  ready.assign(size_t{sets} * ways, 0);
  lfsr = 0;
  std::fill(std::begin(memo), std::end(memo), ~0u);
  refills.clear();
  head = 0;
}

uint64_t Cluster::ICache::reserve(uint64_t t, uint64_t dur, uint64_t horizon) {
  // Refills that ended before anything can still ask (t - horizon) leave the live range; the
  // vector is compacted now and then.
  while (head < refills.size() && refills[head].second + horizon <= t) ++head;
  if (head >= 64 && 2 * head >= refills.size()) {
    refills.erase(refills.begin(), refills.begin() + static_cast<std::ptrdiff_t>(head));
    head = 0;
  }
  uint64_t s = t;
  // The first refill ending after t (the ends are sorted): those before it end before s.
  size_t i = static_cast<size_t>(std::upper_bound(refills.begin() + static_cast<std::ptrdiff_t>(head), refills.end(), t,
                                                  [](uint64_t v, const std::pair<uint64_t, uint64_t>& r) { return v < r.second; }) -
                                 refills.begin());
  for (; i < refills.size(); ++i) {
    if (refills[i].second <= s) continue;        // ends before s
    if (refills[i].first >= s + dur) break;      // the gap before it fits
    s = refills[i].second;
  }
  refills.insert(refills.begin() + static_cast<std::ptrdiff_t>(i), {s, s + dur});
  return s;
}

// The LFSR's next state for each state (see refill_slot).
const std::array<uint8_t, 256> Cluster::ICache::kLfsrNext = [] {
  std::array<uint8_t, 256> n{};
  for (unsigned v = 0; v < 256; ++v) {
    const unsigned fb = !(((v >> 7) ^ (v >> 3) ^ (v >> 2) ^ (v >> 1)) & 1u);
    n[v] = static_cast<uint8_t>((v << 1) | fb);
  }
  return n;
}();

// A 16-byte fetch window of the current core at cycle t (its issue cycle): the stall cycles.
uint32_t Cluster::fetch_line(uint32_t line_addr, uint64_t t) {
  CoreStats& s = stats_[cur_];
  ICache& l0 = l0i_[cur_];
  const uint32_t line = line_addr >> iline_bits_;
  // The core stalls during its own refills: an L0 line is ready when hit.
  uint32_t& m = l0.memo[line & 63];
  if (m == line || l0.has(line)) {
    ++s.icache_l0_hits;
    m = line;
    return 0;
  }
  ++s.icache_l0_misses;
  ICache& b = l1i_[line & ((1u << ibank_bits_) - 1)];
  const uint32_t bl = line >> ibank_bits_;  // the line number inside its bank
  uint64_t lat = 0;                         // the shared cache's latency
  if (const int w = b.find(bl); w >= 0) {
    ++s.icache_shared_hits;
    const uint64_t rdy = b.ready[size_t{bl & (b.sets - 1)} * b.ways + static_cast<uint32_t>(w)];
    lat = rdy > t ? rdy - t : 0;  // a line another core is still refilling
  } else {
    ++s.icache_shared_misses;
    const uint64_t dur = uint64_t{cfg_.l2_latency_cycles} + cfg_.icache_shared_refill_cycles;
    const uint64_t horizon = cfg_.quantum_cycles > 1 ? 2 * uint64_t{cfg_.quantum_cycles} + 1024 : 0;
    lat = b.reserve(t, dur, horizon) + dur - t;
    const size_t k = b.refill_slot(bl);
    b.tag[k] = bl;
    b.ready[k] = t + lat;
  }
  lat += cfg_.icache_l0_refill_cycles;
  uint32_t& victim = l0.tag[l0.refill_slot(line)];
  if (l0.memo[victim & 63] == victim) l0.memo[victim & 63] = ~0u;  // evicted: no longer resident
  victim = line;
  l0.memo[line & 63] = line;
  s.icache_stall_cycles += lat;
  return static_cast<uint32_t>(lat);
}

// The core's L0 memo: a line found there is an L0 hit (no stall, nothing but the hit counted,
// which the core counts: Core::fetch_hits(), added to icache_l0_hits by run()).
const uint32_t* Cluster::fetch_hit_lines(uint32_t hart, uint32_t& line_bits) {
  line_bits = iline_bits_;
  return hart < l0i_.size() ? l0i_[hart].memo : nullptr;
}

Cluster::Cluster(const ClusterConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  l1_.assign(cfg_.l1_size_bytes, 0);
  l2_.assign(cfg_.l2_size_bytes, 0);
  l1_dirty_.init(l1_.size());
  l2_dirty_.init(l2_.size());
  bank_mask_ = cfg_.l1_banks - 1;
  bank_slot_.assign(size_t{cfg_.l1_banks} << kSlotBits, 0);
  nb_ = cfg_.cores + cfg_.controller;
  for (uint32_t c = 0; c < nb_; ++c) cores_.push_back(std::make_unique<rv32::Core>(c, *this, cfg_.timing));
  state_.assign(nb_, State::run);
  slept_at_.assign(nb_, 0);
  dispatch_.resize(nb_);
  stats_.assign(nb_, CoreStats{});
  dma_waiting_for_.assign(nb_, 0);
  team_mask_ = (1u << cfg_.cores) - 1;
  running_ = nb_;
  iline_bits_ = static_cast<uint32_t>(__builtin_ctz(cfg_.icache_line_bytes));
  ibank_bits_ = static_cast<uint32_t>(__builtin_ctz(cfg_.icache_shared_banks));
  l0i_.resize(nb_);
  for (uint32_t c = 0; c < nb_; ++c)
    if (c == cfg_.cores) l0i_[c].init(cfg_.icache_l0_ctl_sets, cfg_.icache_l0_ctl_ways);
    else l0i_[c].init(cfg_.icache_l0_sets, cfg_.icache_l0_ways);
  l1i_.resize(cfg_.icache_shared_banks);
  for (auto& b : l1i_) b.init(cfg_.icache_shared_sets, cfg_.icache_shared_ways);
  wmem_.assign(cfg_.wmem_size_bytes, 0);
  wmem_dirty_.init(wmem_.size());
  if (cfg_.neureka) {
    ne_ = std::make_unique<neureka::Neureka>(cfg_.ne);
    ne_waiting_for_.assign(nb_, 0);
    ne_reg_[kNeClamp / 4] = 0x7f80u;  // act_min -128, act_max 127
    ne_reg_[kNeSpatialW / 4] = 6;
  }
}
Cluster::~Cluster() = default;

rv32::DmiRegion Cluster::dmi() { return rv32::DmiRegion{kL1Base, kL2Base + cfg_.l2_size_bytes - kL1Base}; }

uint8_t* Cluster::fetch_page(uint32_t page_addr) {
  if (page_addr >= kL2Base && page_addr - kL2Base < cfg_.l2_size_bytes) return l2_.data() + (page_addr - kL2Base);
  return nullptr;
}

uint8_t* Cluster::host(uint32_t addr, uint32_t n) {
  if (addr >= kL1Base && uint64_t{addr} - kL1Base + n <= cfg_.l1_size_bytes) {
    mark(l1_dirty_, addr - kL1Base, n);
    return l1_.data() + (addr - kL1Base);
  }
  if (addr >= kL2Base && uint64_t{addr} - kL2Base + n <= cfg_.l2_size_bytes) {
    mark_l2(addr - kL2Base, n);
    return l2_.data() + (addr - kL2Base);
  }
  if (addr >= kWmemBase && uint64_t{addr} - kWmemBase + n <= wmem_.size()) {
    mark(wmem_dirty_, addr - kWmemBase, n);
    return wmem_.data() + (addr - kWmemBase);
  }
  throw err("cluster: [0x", std::hex, addr, ", +0x", n, ") is neither in L1, L2 nor the weight memory");
}

void Cluster::load(const rv32::ElfImage& elf) {
  for (const auto& s : elf.segments) {
    const uint64_t lo = s.addr, hi = uint64_t{s.addr} + s.mem_size;
    if (lo < kL2Base || hi > uint64_t{kL2Base} + cfg_.l2_size_bytes)
      throw err(elf.name, ": segment [0x", std::hex, lo, ", 0x", hi, ") is outside the cluster's L2 [0x", kL2Base, ", 0x",
                uint64_t{kL2Base} + cfg_.l2_size_bytes, ")");
    uint8_t* dst = l2_.data() + (s.addr - kL2Base);
    if (!s.data.empty()) std::memcpy(dst, s.data.data(), s.data.size());
    std::memset(dst + s.data.size(), 0, s.mem_size - s.data.size());
  }
  segments_ = elf.segments;
  entry_ = elf.entry;
  l2_dirty_.init(l2_.size());  // L2 now holds zeros and the segments: what restart() restores
  tohost_ = elf.symbol("tohost");
  if (tohost_ && (*tohost_ < kL2Base || *tohost_ - kL2Base + 8 > cfg_.l2_size_bytes)) tohost_.reset();
  for (auto& c : cores_) {
    c->refresh_dmi();
    c->reset(elf.entry);
    c->set_watch(tohost_ ? *tohost_ : 0xffffffffu);
  }
  std::FILE* echo = htif_.echo;
  htif_ = rv32::HtifState{};
  htif_.echo = echo;
}

void Cluster::restart() {
  // Only what was written since load()/restart(): the rest still holds zeros (or the segments).
  auto zero = [this](std::vector<uint8_t>& m, Dirty& d, bool segments) {
    for (const uint32_t b : d.blocks) {
      const uint32_t lo = b << Dirty::kBits, hi = std::min<uint32_t>(lo + (1u << Dirty::kBits), static_cast<uint32_t>(m.size()));
      std::memset(m.data() + lo, 0, hi - lo);
      d.is[b] = 0;
      if (segments)
        for (const auto& s : segments_) {  // the segments' bytes inside the block
          const uint32_t off = s.addr - kL2Base, a = std::max(off, lo);
          const uint32_t e = std::min(off + static_cast<uint32_t>(s.data.size()), hi);
          if (a < e) std::memcpy(m.data() + a, s.data.data() + (a - off), e - a);
        }
    }
    d.blocks.clear();
  };
  zero(l1_, l1_dirty_, false);
  zero(wmem_, wmem_dirty_, false);
  zero(l2_, l2_dirty_, true);
  slot_base_ = std::max(slot_base_, slot_max_);  // every reservation made so far is now in the past
  slot_max_ = 0;
  state_.assign(nb_, State::run);
  slept_at_.assign(nb_, 0);
  for (auto& d : dispatch_) d.clear();
  stats_.assign(nb_, CoreStats{});
  for (auto& c : l0i_) cfg_.icache_warm ? c.settle() : c.clear();  // a run starts with cold instruction caches (or warm: icache_warm)
  for (auto& b : l1i_) cfg_.icache_warm ? b.settle() : b.clear();
  dma_stats_ = {};
  cur_ = 0;
  running_ = nb_;
  wake_min_ = rot_t_ = ~uint64_t{0};
  rot_ = 0;
  now_ = 0;
  team_mask_ = (1u << cfg_.cores) - 1;
  arrived_ = 0;
  barriers_ = 0;
  last_arrival_ = 0;
  std::fill(std::begin(dma_reg_), std::end(dma_reg_), 0u);
  dma_reg_[3] = 1;
  dma_q_.clear();
  dma_next_id_ = dma_done_ = 0;
  dma_ready_ = 0;
  dma_row_ = dma_off_ = 0;
  dma_started_ = false;
  dma_waiting_for_.assign(nb_, 0);
  rewind_ = Rewind{};
  ne_q_.clear();
  ne_active_ = false;
  ne_start_ = ne_delay_ = ne_total_ = ne_prev_end_ = 0;
  ne_beats_.clear();
  ne_i_ = 0;
  ne_writes_.clear();
  ne_cur_id_ = ne_next_id_ = ne_done_ = 0;
  ne_stats_ = {};
  std::fill(std::begin(ne_reg_), std::end(ne_reg_), 0u);
  if (ne_) {
    ne_waiting_for_.assign(nb_, 0);
    ne_reg_[kNeClamp / 4] = 0x7f80u;
    ne_reg_[kNeSpatialW / 4] = 6;
  }
  error_.clear();
  for (auto& c : cores_) {
    c->reset(entry_);
    c->set_watch(tohost_ ? *tohost_ : 0xffffffffu);
  }
  std::FILE* echo = htif_.echo;
  htif_ = rv32::HtifState{};
  htif_.echo = echo;
}

void Cluster::watched_store(uint32_t addr, rv32::Core& core) {
  if (!tohost_ || addr < *tohost_ + 4) return;  // RV32: the upper word completes the command
  if (rv32::htif_command(l2_.data() + (*tohost_ - kL2Base), core, htif_))
    for (auto& c : cores_) c->request_stop(c.get() == &core && htif_.exited ? rv32::Stop::exit : rv32::Stop::halted_by_peer);
}

// ---- L1 arbitration ----------------------------------------------------------------------
// The bank's reservation table: slot (cycle s) is taken iff table[s mod 2^kSlotBits] == s + 1.
// A request at cycle t gets the first free cycle >= t (and keeps it).
uint64_t Cluster::l1_grant(uint32_t addr, uint64_t t) {
  uint64_t* tab = bank_slot_.data() + (size_t{(addr >> 2) & bank_mask_} << kSlotBits);
  constexpr uint64_t mask = (uint64_t{1} << kSlotBits) - 1;
  uint64_t g = t;
  const uint64_t b = slot_base_ + 1;
  while (tab[g & mask] == g + b) ++g;
  tab[g & mask] = g + b;
  slot_max_ = std::max(slot_max_, g + b);
  return g;
}

// ---- sleeping and waking -----------------------------------------------------------------
void Cluster::sleep(State s) {
  if (state_[cur_] == State::run) --running_;
  state_[cur_] = s;
  slept_at_[cur_] = cores_[cur_]->cycles;
  cores_[cur_]->request_stop(rv32::Stop::limit);  // ends the core's current run() after this instruction
}

void Cluster::wake(uint32_t c, uint64_t at, uint64_t CoreStats::*counter) {
  rv32::Core& k = *cores_[c];
  k.cycles = std::max(k.cycles, at);
  stats_[c].*counter += k.cycles - slept_at_[c];
  if (state_[c] != State::run) ++running_;
  state_[c] = State::run;
  ready_[c] = k.cycles;
  wake_min_ = std::min(wake_min_, k.cycles);
  if (c != cur_) cores_[cur_]->request_stop(rv32::Stop::limit);  // another core runs again: end the current burst
}

// ---- the slow path: every data access of every core ----------------------------------------
// L1 or L2 bytes at addr, with the access's time charged (L1: the bank grant; L2: its latency),
// or nullptr for the peripherals and unmapped addresses. An access of 1-4 bytes lies inside one
// word (the core splits a misaligned one at the word boundary).
uint8_t* Cluster::mem_access(uint32_t addr, unsigned size, bool store, uint64_t& cycles) {
  CoreStats& s = stats_[cur_];
  if (addr - kL1Base < cfg_.l1_size_bytes) {
    const uint64_t t = cycles - 1;  // the access happens in the instruction's last base cycle
    const uint64_t g = l1_grant(addr, t);
    cycles += g - t;
    s.bank_stall_cycles += g - t;
    ++s.l1_accesses;
    if (store) s.l1_write_bytes += size, mark(l1_dirty_, addr - kL1Base, size);
    else ++s.l1_loads, s.l1_read_bytes += size;
    return l1_.data() + (addr - kL1Base);
  }
  if (addr - kL2Base < cfg_.l2_size_bytes) {
    cycles += cfg_.l2_latency_cycles;
    s.l2_cycles += cfg_.l2_latency_cycles;
    ++s.l2_accesses;
    if (store) s.l2_write_bytes += size, mark_l2(addr - kL2Base, size);
    else ++s.l2_loads, s.l2_read_bytes += size;
    return l2_.data() + (addr - kL2Base);
  }
  if (addr - kWmemBase < wmem_.size()) {  // counted with L2 (the cores' accesses outside the cluster)
    if (store) mark(wmem_dirty_, addr - kWmemBase, size);
    cycles += cfg_.wmem_latency_cycles;
    s.l2_cycles += cfg_.wmem_latency_cycles;
    ++s.l2_accesses;
    if (!store) ++s.l2_loads;
    return wmem_.data() + (addr - kWmemBase);
  }
  return nullptr;
}

bool Cluster::load(uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles) {
  if (uint8_t* p = mem_access(addr, size, false, cycles)) {
    value = 0;
    std::memcpy(&value, p, size);  // little-endian host
    return true;
  }
  if (size != 4) return false;
  if (addr - kEuBase < 0x100) return eu_access(addr - kEuBase, false, value, cycles);
  if (addr - kDmaBase < 0x100) return dma_access(addr - kDmaBase, false, value, cycles);
  if (addr - kNeBase < 0x100) return ne_access(addr - kNeBase, false, value, cycles);
  return false;
}

bool Cluster::store(uint32_t addr, unsigned size, uint32_t value, uint64_t& cycles) {
  if (uint8_t* p = mem_access(addr, size, true, cycles)) {
    std::memcpy(p, &value, size);
    return true;
  }
  if (size != 4) return false;
  if (addr - kEuBase < 0x100) return eu_access(addr - kEuBase, true, value, cycles);
  if (addr - kDmaBase < 0x100) return dma_access(addr - kDmaBase, true, value, cycles);
  if (addr - kNeBase < 0x100) return ne_access(addr - kNeBase, true, value, cycles);
  return false;
}

// ---- event unit --------------------------------------------------------------------------
bool Cluster::eu_access(uint32_t off, bool write, uint32_t& v, uint64_t& cycles) {
  cycles += cfg_.periph_latency_cycles;
  if (write) {
    switch (off) {
      case kEuTeamMask:
        if (v == 0 || (v & ~((1u << cfg_.cores) - 1))) {
          error_ = "core " + std::to_string(cur_) + ": event unit team mask 0x" + [&] { char b[16]; std::snprintf(b, sizeof b, "%x", v); return std::string(b); }() +
                   " names cores that do not exist (or none)";
          cores_[cur_]->request_stop(rv32::Stop::halted_by_peer);
          return true;
        }
        team_mask_ = v;
        return true;
      case kEuDispatchPush:
        for (uint32_t c = 0; c < cfg_.cores; ++c) {
          if (c == cur_ || !(team_mask_ >> c & 1)) continue;
          dispatch_[c].push_back(v);
          if (state_[c] == State::dispatch) wake(c, cycles + std::max<uint64_t>(1, cfg_.barrier_wake_cycles), &CoreStats::dispatch_wait_cycles);
        }
        return true;
    }
    return false;
  }
  switch (off) {
    case kEuCoreId: v = cur_; return true;
    case kEuNbCores: v = cfg_.cores; return true;
    case kEuTeamMask: v = team_mask_; return true;
    case kEuBarrierCount: v = static_cast<uint32_t>(barriers_); return true;
    case kEuController: v = cfg_.controller; return true;
    case kEuSleep:
      sleep(State::done);
      v = 0;
      if (cfg_.controller && state_[cfg_.cores] == State::join && workers_done())  // the last worker: the join ends
        wake(cfg_.cores, cycles + cfg_.barrier_wake_cycles, &CoreStats::barrier_wait_cycles);
      return true;
    case kEuJoin:
      v = 0;
      if (!workers_done()) sleep(State::join);
      return true;
    case kEuBarrier: {
      v = static_cast<uint32_t>(barriers_);
      if (!(team_mask_ >> cur_ & 1)) return true;  // not in the team: passes through
      sleep(State::barrier);
      arrived_ |= 1u << cur_;
      last_arrival_ = std::max(last_arrival_, cycles);
      if (arrived_ == team_mask_) {
        ++barriers_;
        arrived_ = 0;
        const uint64_t release = last_arrival_ + cfg_.barrier_wake_cycles;  // the latest arrival (in cycles)
        last_arrival_ = 0;
        for (uint32_t c = 0; c < cfg_.cores; ++c)
          if (team_mask_ >> c & 1) wake(c, release, &CoreStats::barrier_wait_cycles);
      }
      return true;
    }
    case kEuDispatchPop:
      if (dispatch_[cur_].empty()) {  // sleep and execute the load again when a value arrives
        rv32::Core& k = *cores_[cur_];
        rewind_ = Rewind{true, k.pc, k.instret, cycles - 1, k.lmask_prev, k.wmask_prev, {k.lpcount[0], k.lpcount[1]}, {}};
        std::memcpy(rewind_.x, k.x, sizeof k.x);
        sleep(State::dispatch);
        slept_at_[cur_] = cycles - 1;
        v = 0;
        return true;
      }
      v = dispatch_[cur_].front();
      dispatch_[cur_].pop_front();
      return true;
  }
  return false;
}

// A bad request of the current core to a peripheral: the run stops with the core, the unit
// and the reason. Returns true (the access itself is handled).
bool Cluster::refuse(const char* unit, const std::string& what) {
  error_ = "core " + std::to_string(cur_) + ": " + unit + ": " + what;
  cores_[cur_]->request_stop(rv32::Stop::halted_by_peer);
  return true;
}

// ---- DMA ---------------------------------------------------------------------------------
bool Cluster::dma_access(uint32_t off, bool write, uint32_t& v, uint64_t& cycles) {
  cycles += cfg_.periph_latency_cycles;
  auto fail = [&](const std::string& what) { return refuse("DMA", what); };
  if (write) {
    if (off <= kDmaL2Stride) {
      dma_reg_[off / 4] = v;
      return true;
    }
    if (off == kDmaWait) {
      if (v >= dma_next_id_) return fail("wait for transfer " + std::to_string(v) + ", which was never started (next id " + std::to_string(dma_next_id_) + ")");
      if (v < dma_done_) return true;
      dma_waiting_for_[cur_] = v;
      sleep(State::dma_wait);
      return true;
    }
    return false;
  }
  if (off == kDmaDone) {
    v = dma_done_;
    return true;
  }
  if (off == kDmaStartIn || off == kDmaStartOut) {
    DmaJob j{dma_next_id_, dma_reg_[0], dma_reg_[1], dma_reg_[2], dma_reg_[3], dma_reg_[4], dma_reg_[5], off == kDmaStartIn, cycles};
    if (j.len == 0 || j.rows == 0) return fail("transfer with len " + std::to_string(j.len) + " and rows " + std::to_string(j.rows) + " (both must be >= 1)");
    const uint64_t l1_end = uint64_t{j.l1} + uint64_t{j.rows - 1} * j.l1_stride + j.len;
    const uint64_t l2_end = uint64_t{j.l2} + uint64_t{j.rows - 1} * j.l2_stride + j.len;
    if (j.l1 < kL1Base || l1_end > uint64_t{kL1Base} + cfg_.l1_size_bytes) {
      char b[96];
      std::snprintf(b, sizeof b, "L1 range [0x%08x, 0x%08llx) is outside L1", j.l1, static_cast<unsigned long long>(l1_end));
      return fail(b);
    }
    if (j.l2 < kL2Base || l2_end > uint64_t{kL2Base} + cfg_.l2_size_bytes) {
      char b[96];
      std::snprintf(b, sizeof b, "L2 range [0x%08x, 0x%08llx) is outside L2", j.l2, static_cast<unsigned long long>(l2_end));
      return fail(b);
    }
    if (dma_q_.empty()) dma_ready_ = std::max(dma_ready_, cycles + cfg_.dma_setup_cycles + cfg_.l2_latency_cycles);
    cores_[cur_]->request_stop(rv32::Stop::limit);  // the DMA competes from now on: end the current burst
    dma_q_.push_back(j);
    v = dma_next_id_++;
    return true;
  }
  return false;
}

// One beat of the DMA at cycle t: up to dma_bytes_per_cycle bytes of the current row; every
// L1 word the beat touches is arbitrated like a core access.
void Cluster::dma_step(uint64_t t) {
  DmaJob& j = dma_q_.front();
  const uint32_t chunk = std::min(cfg_.dma_bytes_per_cycle, j.len - dma_off_);
  const uint32_t a1 = j.l1 + dma_row_ * j.l1_stride + dma_off_;
  const uint32_t a2 = j.l2 + dma_row_ * j.l2_stride + dma_off_;
  uint64_t g = t;
  for (uint32_t w = a1 >> 2; w <= (a1 + chunk - 1) >> 2; ++w) g = std::max(g, l1_grant(w << 2, t));
  uint8_t* p1 = l1_.data() + (a1 - kL1Base);
  uint8_t* p2 = l2_.data() + (a2 - kL2Base);
  if (j.to_l1) {
    std::memcpy(p1, p2, chunk);
    mark(l1_dirty_, a1 - kL1Base, chunk);
    dma_stats_.bytes_to_l1 += chunk;
  } else {
    std::memcpy(p2, p1, chunk);
    mark_l2(a2 - kL2Base, chunk);
  }
  dma_stats_.bank_stall_cycles += g - t;
  dma_stats_.busy_cycles += g + 1 - t;
  dma_stats_.bytes += chunk;
  dma_ready_ = g + 1;
  dma_off_ += chunk;
  if (dma_off_ < j.len) return;
  dma_off_ = 0;
  if (++dma_row_ < j.rows) return;
  dma_row_ = 0;
  dma_done_ = j.id + 1;
  ++dma_stats_.transfers;
  dma_q_.pop_front();
  for (uint32_t c = 0; c < nb_; ++c)
    if (state_[c] == State::dma_wait && dma_waiting_for_[c] < dma_done_) wake(c, g + 1, &CoreStats::dma_wait_cycles);
  if (!dma_q_.empty()) dma_ready_ = std::max(g + 1, dma_q_.front().enqueued + cfg_.dma_setup_cycles + cfg_.l2_latency_cycles);
}

// ---- the cycle loop ----------------------------------------------------------------------
// Runs core q for up to n instructions (it stops earlier when it goes to sleep); undoes an
// instruction that must sleep and be executed again (dispatch pop). True: the run ends.
bool Cluster::step_core(uint32_t q, uint64_t n, ClusterResult& r) {
  rv32::Core& c = *cores_[q];
  cur_ = q;
  const rv32::Stop s = c.run(n);
  if (__builtin_expect(rewind_.active, 0)) {
    std::memcpy(c.x, rewind_.x, sizeof c.x);
    c.pc = rewind_.pc;
    c.instret = rewind_.instret;
    c.cycles = rewind_.cycles;
    c.lmask_prev = rewind_.lmask;
    c.wmask_prev = rewind_.wmask;
    c.lpcount[0] = rewind_.lpcount[0];
    c.lpcount[1] = rewind_.lpcount[1];
    c.update_hwloop_active();
    rewind_.active = false;
  }
  set_ready(q);
  if (!error_.empty()) return true;
  if (s == rv32::Stop::trap) {
    r.stop = s;
    r.trap = c.trap_report();
    return true;
  }
  if (s == rv32::Stop::exit || s == rv32::Stop::halted_by_peer) {
    r.stop = htif_.exited ? rv32::Stop::exit : rv32::Stop::halted_by_peer;
    return true;
  }
  return false;
}

// When nothing can run: the next cycle something can (a running core or the DMA), or ~0
// after setting the end of the run (every core asleep for good) or a deadlock error.
uint64_t Cluster::next_event(uint64_t t, ClusterResult& r) {
  uint64_t next = ~uint64_t{0};
  for (uint32_t c = 0; c < nb_; ++c)
    if (state_[c] == State::run) next = std::min(next, cores_[c]->cycles);
  if (!dma_q_.empty()) next = std::min(next, dma_ready_);
  next = std::min(next, ne_next());
  if (next != ~uint64_t{0}) return std::max(next, t);
  if (std::all_of(state_.begin(), state_.end(), [](State x) { return x == State::done; })) {
    r.stop = rv32::Stop::exit;  // every core has gone to sleep for good: a normal end (exit code 0)
    return next;
  }
  error_ = "deadlock at cycle " + std::to_string(t) + ": every core is asleep (";
  static const char* names[] = {"run", "barrier", "dma_wait", "dispatch", "sleep", "done", "neureka_wait", "join"};
  for (uint32_t c = 0; c < nb_; ++c)
    error_ += (c ? ", " : "") + std::string(c == cfg_.cores ? "controller " : "core ") + std::to_string(c) + " " +
              names[static_cast<int>(state_[c])];
  error_ += ne_ ? ") and the DMA and N-EUREKA are idle" : ") and the DMA is idle";
  return next;
}

ClusterResult Cluster::run(uint64_t max_cycles) {
  ClusterResult r;
  const uint32_t n = nb_, req = n + 1;
  uint64_t t = now_;
  bool end = false;
  ready_.resize(n);
  for (uint32_t q = 0; q < n; ++q) set_ready(q);
  if (cfg_.quantum_cycles <= 1) {
    // Lockstep: every cycle, the requesters in rotating order; a core runs one instruction
    // when the global cycle reaches its own cycle counter.
    while (!end) {
      if (t >= max_cycles) {
        r.stop = rv32::Stop::limit;
        break;
      }
      if (running_ == 1 && dma_q_.empty() && ne_idle()) {
        // One core alone (the others asleep, the DMA idle): nothing competes with it, so it
        // runs a burst; the burst ends when it wakes another core, starts a DMA or sleeps.
        uint32_t q = 0;
        while (state_[q] != State::run) ++q;
        if (cores_[q]->cycles <= t) {
          now_ = t;
          end = step_core(q, std::min<uint64_t>(100000, max_cycles - t), r);
          if (end) break;
          const uint64_t next = next_event(t + 1, r);
          if (next == ~uint64_t{0}) break;
          t = next;
          continue;
        }
      }
      if (rot_t_ != t) {  // rotation start = t mod (N + 1), kept incrementally (no division per cycle)
        rot_ = rot_t_ != ~uint64_t{0} && rot_t_ + 1 == t ? (rot_ + 1 == req ? 0 : rot_ + 1) : static_cast<uint32_t>(t % req);
        rot_t_ = t;
      }
      uint32_t q = rot_;
      uint64_t next = ~uint64_t{0};  // the next cycle anything can happen, gathered during the pass
      wake_min_ = ~uint64_t{0};
      for (uint32_t k = 0; k < req && !end; ++k, q = q + 1 == req ? 0 : q + 1) {
        if (q == n) {
          if (!dma_q_.empty() && dma_ready_ <= t) dma_step(dma_ready_);
          continue;
        }
        if (ready_[q] <= t) {  // running, and its next instruction is due
          now_ = t;
          end = step_core(q, 1, r);
        }
        next = std::min(next, ready_[q]);  // ~0 when asleep
      }
      if (end) break;
      while (ne_next() <= t && error_.empty()) ne_step();  // the engine claims after the cores and the DMA
      if (!error_.empty()) break;
      next = std::min(next, ne_next());
      if (!dma_q_.empty()) next = std::min(next, dma_ready_);
      next = std::min(next, wake_min_);  // cores woken during the pass (barrier, DMA, dispatch)
      if (next == ~uint64_t{0}) next = next_event(t + 1, r);  // nothing runs: the end or a deadlock
      if (next == ~uint64_t{0}) break;
      t = std::max(next, t + 1);
    }
  } else {
    // Quantum: in each window of quantum_cycles cycles every core runs (in a rotating order)
    // until its cycle counter passes the window's end, then the DMA moves its beats of the
    // window. Bank reservations keep their cycles, so an access still gets the first cycle
    // >= its own at which its bank is free; only the order of equal claims differs from lockstep.
    const uint64_t qc = cfg_.quantum_cycles;
    uint64_t round = 0;
    while (!end) {
      if (t >= max_cycles) {
        r.stop = rv32::Stop::limit;
        break;
      }
      const uint64_t e = t + qc;
      uint32_t q = static_cast<uint32_t>(round++ % req);
      for (uint32_t k = 0; k < req && !end; ++k, q = q + 1 == req ? 0 : q + 1) {
        if (q == n) {
          while (!dma_q_.empty() && dma_ready_ < e) dma_step(dma_ready_);
          while (ne_next() < e && error_.empty()) ne_step();
          continue;
        }
        rv32::Core& c = *cores_[q];
        while (!end && state_[q] == State::run && c.cycles < e) {
          now_ = c.cycles;
          end = step_core(q, e - c.cycles, r);  // each instruction costs >= 1 cycle
        }
      }
      if (end) break;
      const uint64_t next = next_event(e, r);
      if (next == ~uint64_t{0}) break;
      t = next;
    }
  }
  for (uint32_t c = 0; c < n; ++c) t = std::max(t, cores_[c]->cycles);
  now_ = t;
  if (!error_.empty()) {
    r.stop = rv32::Stop::halted_by_peer;
    r.error = error_;
  } else if (!htif_.error.empty()) {
    r.error = htif_.error;
  }
  r.exit_code = htif_.exit_code;
  r.cycles = std::max(t, cores_[0]->cycles);
  r.barriers = barriers_;
  r.dma = dma_stats_;
  r.neureka = ne_stats_;
  for (uint32_t c = 0; c < n; ++c) {
    CoreStats s = stats_[c];
    s.instructions = cores_[c]->instret;
    s.icache_l0_hits += cores_[c]->fetch_hits();
    s.cycles = cores_[c]->cycles;
    r.instructions += s.instructions;
    if (c < cfg_.cores) r.cores.push_back(s);
    else r.has_controller = true, r.controller = s;
  }
  return r;
}

}  // namespace slm::cluster
