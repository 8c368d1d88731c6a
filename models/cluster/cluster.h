// Cluster: a PULP/Siracusa-class compute cluster of N RV32IMC+XpulpV2 cores (rv32::Core)
// sharing a word-interleaved, banked L1 TCDM, an L2, an event unit (barriers, core id,
// dispatch FIFO for fork/join) and an MCHAN-like DMA (1D/2D, L2 <-> L1), simulated in
// deterministic lockstep by a plain C++ cycle loop (no SystemC). docs/siracusa.md.
//
// Memory map (PULP's):      L1 TCDM    0x1000_0000  (l1_size_bytes, 16 banks, 4-byte interleaving)
//                           DMA regs   0x1020_0400  (see DmaReg)
//                           EU regs    0x1020_0800  (see EuReg)
//                           N-EUREKA   0x1020_1000  (see NeReg; the cluster's HWPE slot)
//                           weight mem 0x1040_0000  (wmem_size_bytes: MRAM, N-EUREKA's direct port)
//                           L2         0x1C00_0000  (l2_size_bytes; code, data and the host's tensors)
// Controller (controller = 1): a ninth ISS core, id N (the number of workers), boots with the
// workers from the same entry; the runtime makes it the one that initialises .data/.bss, forks
// the workers through the dispatch FIFO and joins them (kEuJoin) before it exits. It is never
// in the barrier team.
// Timing (quantum_cycles 0, lockstep): every core is stepped one instruction at a time when
// the global cycle reaches its own cycle counter; in each cycle the requesters (cores 0..N-1,
// the controller, and the DMA) are visited in a rotating order starting at requester (cycle mod (N+1)); a
// core running alone (the others asleep, the DMA idle) runs in bursts (exactly equivalent).
// An L1 access is made in the last base cycle of its instruction: bank b = (addr >> 2) mod
// banks; it is granted the first cycle >= the request at which the bank is free (each bank
// serves one access per cycle; per-bank reservation table), so a request that loses stalls
// its core one cycle per earlier claim (first come, first served; same-cycle requests in the
// rotating order). Losing cycles count as bank-conflict stalls. quantum_cycles N > 1: windows
// of N cycles, each core runs through the window, then the DMA; the same reservation rule,
// same-cycle claims ordered by window instead (faster; cycles within ~1-2 %). L2 data
// accesses from cores cost l2_latency_cycles extra (no L2 contention modelled).
// Instruction cache (icache = 1; GVSoC's siracusa hierarchical icache, docs/siracusa.md "The
// instruction cache"): tags only (the bytes come from L2 through the decoded-instruction cache).
// A core fetches a 16-byte window each time its pc leaves the one it holds (rv32::MemoryPort::
// fetch_line); the window is looked up in the core's private L0 (hit: free), then in the shared
// L1 icache, banked by line (hit: icache_l0_refill_cycles), else refilled from L2 (the shared
// bank's refill: l2_latency_cycles + icache_shared_refill_cycles, one refill at a time per bank,
// a line being refilled is ready only when its refill ends; plus the L0's refill cycles).
// Replacement: pseudo-random (8-bit LFSR per cache). A run starts cold (restart() flushes),
// unless icache_warm = 1 (restart() keeps the lines and the LFSR states, refills in flight end).
// N-EUREKA (neureka = 1, models/neureka): a core programs a job through NeReg and triggers it;
// jobs run one after the other. A job's values are computed from L1 (and the weight memory) as
// they are when it starts and written to L1 when it ends. Its TCDM accesses are arbitrated
// like the cores' and the DMA's: each access of its stall-free schedule (neureka::Access) is
// requested at job start + its cycle + the delay so far, split into port-wide beats (32 B, one
// per cycle), every word claiming its bank; a late grant delays the rest of the job. In a
// cycle, the engine claims after the cores and the DMA [A]. Its weight-memory port is private.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/cpu/rv32/core.h"
#include "models/cpu/rv32/elf.h"
#include "models/cpu/rv32/machine.h"
#include "models/neureka/neureka.h"

namespace slm::cluster {

inline constexpr uint32_t kL1Base = 0x10000000u;
inline constexpr uint32_t kDmaBase = 0x10200400u;
inline constexpr uint32_t kEuBase = 0x10200800u;
inline constexpr uint32_t kL2Base = 0x1C000000u;

// Event unit registers (offsets from kEuBase), 32-bit accesses.
enum EuReg : uint32_t {
  kEuCoreId = 0x00,        // R: the reading core's id (= mhartid)
  kEuNbCores = 0x04,       // R: number of cores in the cluster
  kEuBarrier = 0x08,       // R: arrive at the team barrier and sleep until every team core has arrived; returns the barrier count
  kEuTeamMask = 0x0C,      // R/W: cores taking part in the barrier (bit i = core i; default all)
  kEuDispatchPush = 0x10,  // W: push the value into the dispatch FIFO of every team core but the writer
  kEuDispatchPop = 0x14,   // R: pop the core's dispatch FIFO; sleeps while it is empty
  kEuSleep = 0x18,         // R: sleep for good (a core that has finished; the run ends when core 0 exits)
  kEuBarrierCount = 0x1C,  // R: number of barriers completed
  kEuController = 0x20,    // R: 1 if the cluster has a controller core (its id = the number of workers), else 0
  kEuJoin = 0x24,          // R: sleep until every team worker sleeps for good (kEuSleep); the controller's join
};
// Core stacks at the bottom of L1: one slot per worker (8 at most) and one for the controller;
// kernels use L1 from kL1KernelBase (workloads/kernels/cluster/cluster_rt.h CL_L1_FREE).
inline constexpr uint32_t kStackBytes = 0x800u;
inline constexpr uint32_t kL1KernelBase = kL1Base + 9u * kStackBytes;
inline constexpr uint32_t kNeBase = 0x10201000u;
inline constexpr uint32_t kWmemBase = 0x10400000u;
inline constexpr uint32_t kWmemMaxBytes = 8u << 20;  // the weight-memory window (anchors C2)
// N-EUREKA registers (offsets from kNeBase), 32-bit accesses: a job as neureka::Job (fc_1x1).
// Addresses are cluster addresses (x, y, mult, shift, bias in L1; w in L1 or the weight memory).
enum NeReg : uint32_t {
  kNeM = 0x00, kNeK = 0x04, kNeN = 0x08,   // W: GEMM shape (M rows, K inputs, N outputs)
  kNeXAddr = 0x0C, kNeXStride = 0x10,      // W: activations (M x K int8)
  kNeWAddr = 0x14, kNeWStride = 0x18,      // W: weights (N x K int8)
  kNeYAddr = 0x1C, kNeYStride = 0x20,      // W: outputs (M x N int8)
  kNeMultAddr = 0x24, kNeShiftAddr = 0x28, kNeBiasAddr = 0x2C,  // W: per-channel int32 / uint8 / int32
  kNeFlags = 0x30,                         // W: bit 0 bias, bit 1 weights from the weight memory
  kNeZp = 0x34,                            // W: bits 7:0 x_zp, 15:8 y_zp (int8)
  kNeClamp = 0x38,                         // W: bits 7:0 act_min, 15:8 act_max (int8; default -128, 127)
  kNeSpatialW = 0x3C,                      // W: rows per image row on the 6x6 PEs (default 6)
  kNeTrigger = 0x40,                       // R: enqueue the job in the registers; returns its id
  kNeWait = 0x44,                          // W: sleep until job `value` (and every earlier one) has completed
  kNeDone = 0x48,                          // R: number of completed jobs
};
// DMA registers (offsets from kDmaBase), 32-bit accesses. A transfer copies `rows` rows of
// `len` bytes; row r goes from src + r * src_stride to dst + r * dst_stride (rows = 1: 1D).
enum DmaReg : uint32_t {
  kDmaL1Addr = 0x00,       // W: L1 address
  kDmaL2Addr = 0x04,       // W: L2 address
  kDmaLen = 0x08,          // W: bytes per row (>= 1)
  kDmaRows = 0x0C,         // W: rows (>= 1; default 1)
  kDmaL1Stride = 0x10,     // W: bytes between rows in L1
  kDmaL2Stride = 0x14,     // W: bytes between rows in L2
  kDmaStartIn = 0x18,      // R: enqueue an L2 -> L1 transfer with the registers above; returns its id
  kDmaStartOut = 0x1C,     // R: enqueue an L1 -> L2 transfer; returns its id
  kDmaWait = 0x20,         // W: sleep until transfer `value` (and every earlier one) has completed
  kDmaDone = 0x24,         // R: number of completed transfers (ids are 0, 1, 2, ...: id < done = complete)
};

struct ClusterConfig {
  uint32_t cores = 8;                  // worker cores (1..8)
  uint32_t controller = 1;             // 1: a controller core (id = cores) boots, forks the workers and joins them (PULP's cluster controller)
  uint32_t l1_size_bytes = 256u << 10; // L1 TCDM (multiple of banks * 4)
  uint32_t l1_banks = 16;              // word-interleaved banks (power of two)
  uint32_t l2_size_bytes = 2u << 20;   // L2 (multiple of 64 KiB)
  uint32_t l2_latency_cycles = 14;     // extra cycles of a core's L2 load/store (GVSoC: cluster_ico 2 + axi_ico 12)
  uint32_t periph_latency_cycles = 0;  // extra cycles of an event-unit/DMA register access (GVSoC: per-core pe_ico, latency 0)
  uint32_t neureka_reg_latency_cycles = 2;  // extra cycles of an N-EUREKA register access (GVSoC: through cluster_ico, latency 2)
  uint32_t barrier_wake_cycles = 8;    // an event-unit sleep (barrier, join, dispatch pop) ends -> the core runs again (GVSoC eu_v3: 2 + 6)
  uint32_t dma_setup_cycles = 3;       // enqueue -> first beat, before the L2 route latency (GVSoC mchan_v7: three 1-cycle events)
  uint32_t dma_bytes_per_cycle = 8;    // one beat per cycle (GVSoC mchan_v7: 2 local ports x 4 B per direction)
  uint32_t neureka = 1;                // 1: the N-EUREKA engine is present (NeReg); idle, it changes no cycle
  uint32_t wmem_size_bytes = 4u << 20; // weight memory (MRAM) at kWmemBase, 0 = none (at most 8 MiB)
  uint32_t wmem_latency_cycles = 4;    // extra cycles of a core's load/store in the weight memory (GVSoC: cluster_ico 2 + wmem ico 2)
  neureka::NeurekaConfig ne;           // the engine's parameters (models/neureka, anchors C2)
  // Instruction cache (GVSoC siracusa cluster.json "icache"; cache_impl.cpp, hierarchical_cache.py)
  uint32_t icache = 1;                     // 0: ideal fetch (no fetch stalls: the cycles before the cache was modelled)
  uint32_t icache_line_bytes = 16;         // line of both levels (16, 32 or 64)
  uint32_t icache_l0_sets = 8, icache_l0_ways = 4;          // per worker core (powers of two)
  uint32_t icache_l0_ctl_sets = 32, icache_l0_ctl_ways = 4;  // the controller core's L0
  uint32_t icache_l0_refill_cycles = 2;    // an L0 miss: this + the shared cache's latency
  uint32_t icache_shared_banks = 2;        // shared L1 icache banks, interleaved by line (power of two)
  uint32_t icache_shared_sets = 32, icache_shared_ways = 4;  // per bank (powers of two)
  uint32_t icache_shared_refill_cycles = 2;  // a shared miss: l2_latency_cycles + this (+ waiting for the bank's previous refill)
  uint32_t icache_warm = 0;                // 1: restart() keeps the cached lines (the next run starts warm, as kernels of one program); 0: cold
  uint32_t quantum_cycles = 0;         // 0/1: lockstep (one instruction per core per cycle step); N: windows of N cycles (faster)
  rv32::Timing timing;                 // core timing (configs/iss/rv32.yaml keys)
  void validate() const;               // throws slm::Error naming the field and value
};

struct CoreStats {
  uint64_t instructions = 0, cycles = 0;
  uint64_t bank_stall_cycles = 0;      // lost L1 bank arbitration
  uint64_t l2_cycles = 0;              // extra cycles of L2 data accesses
  uint64_t icache_l0_hits = 0, icache_l0_misses = 0;          // 16-byte fetches looked up in the core's L0
  uint64_t icache_shared_hits = 0, icache_shared_misses = 0;  // the L0 misses, looked up in the shared L1 icache
  uint64_t icache_stall_cycles = 0;    // fetch stall cycles (L0 misses)
  uint64_t barrier_wait_cycles = 0;    // asleep in a barrier
  uint64_t dma_wait_cycles = 0;        // asleep waiting for a DMA transfer
  uint64_t dispatch_wait_cycles = 0;   // asleep on an empty dispatch FIFO
  uint64_t neureka_wait_cycles = 0;    // asleep waiting for an N-EUREKA job
  uint64_t l1_accesses = 0, l2_accesses = 0;
  uint64_t l1_loads = 0, l2_loads = 0;            // of the accesses above, the loads (the rest are stores)
  uint64_t l1_read_bytes = 0, l1_write_bytes = 0;  // bytes the core's loads and stores moved
  uint64_t l2_read_bytes = 0, l2_write_bytes = 0;
};
struct DmaStats {
  uint64_t transfers = 0, bytes = 0, busy_cycles = 0, bank_stall_cycles = 0;
  uint64_t bytes_to_l1 = 0;            // of `bytes`, moved L2 -> L1 (the rest L1 -> L2)
};

struct NeurekaStats {
  uint64_t jobs = 0, busy_cycles = 0;  // completed jobs; cycles from each job's start to its end
  uint64_t bank_stall_cycles = 0;      // delay from lost L1 bank arbitration
  uint64_t macs = 0, tcdm_read_bytes = 0, tcdm_write_bytes = 0, wmem_read_bytes = 0;
};

struct ClusterResult {
  rv32::Stop stop = rv32::Stop::none;  // exit (core 0's HTIF exit), trap, limit, halted_by_peer (error)
  int exit_code = 0;
  rv32::TrapReport trap;
  std::string error;                   // deadlock, bad register access, HTIF error
  uint64_t cycles = 0;                 // global cycle at which the run ended
  uint64_t instructions = 0;           // all cores
  std::vector<CoreStats> cores;
  DmaStats dma;
  NeurekaStats neureka;
  uint64_t barriers = 0;
  bool has_controller = false;         // controller: the controller core's counters (not in `cores`; in `instructions`)
  CoreStats controller;
};

class Cluster : public rv32::MemoryPort {
 public:
  explicit Cluster(const ClusterConfig& cfg);
  ~Cluster() override;
  // Copies the ELF's segments into L2 (error if one is outside), points every core at the
  // entry and arms HTIF on `tohost`.
  void load(const rv32::ElfImage& elf);
  // Puts the cluster back in the state of a fresh Cluster(cfg) after load(elf) of the last ELF
  // loaded: memories zero but for the ELF's segments, every core, the event unit, the DMA,
  // N-EUREKA, the counters and the global cycle reset. Faster than a new cluster: the memories
  // are not reallocated and the cores keep their decoded instructions (the code is the same;
  // nothing on the cluster modifies code). Runs after restart() give the same results and
  // cycles as on a new cluster (tested).
  void restart();
  // Runs until core 0 exits (HTIF), every core sleeps for good (kEuSleep: exit code 0), a
  // core traps, an error (deadlock, bad DMA/event-unit request) or max_cycles global cycles.
  ClusterResult run(uint64_t max_cycles = ~uint64_t{0});

  uint8_t* l1() { mark(l1_dirty_, 0, cfg_.l1_size_bytes); return l1_.data(); }  // the caller may write anywhere
  uint8_t* l2() { mark_l2(0, cfg_.l2_size_bytes); return l2_.data(); }
  // Host pointer of [addr, addr + n) in L1, L2 or the weight memory; throws if outside.
  uint8_t* host(uint32_t addr, uint32_t n);
  rv32::Core& core(size_t i) { return *cores_[i]; }
  const ClusterConfig& config() const { return cfg_; }
  const std::string& console() const { return htif_.console; }
  void set_console(std::FILE* f) { htif_.echo = f; }

  // MemoryPort (all data accesses take the slow path: each one is timed)
  rv32::DmiRegion dmi() override;
  uint8_t* dmi_page(uint32_t) override { return nullptr; }
  uint8_t* fetch_page(uint32_t page_addr) override;
  bool fetch_timing() const override { return cfg_.icache != 0; }
  uint32_t fetch_line(uint32_t line_addr, uint64_t cycles) override;
  const uint32_t* fetch_hit_lines(uint32_t hart, uint32_t& line_bits) override;
  bool load(uint32_t addr, unsigned size, uint32_t& value, uint64_t& cycles) override;
  bool store(uint32_t addr, unsigned size, uint32_t value, uint64_t& cycles) override;
  void watched_store(uint32_t addr, rv32::Core& core) override;

 private:
  uint8_t* mem_access(uint32_t addr, unsigned size, bool store, uint64_t& cycles);
  enum class State : uint8_t { run, barrier, dma_wait, dispatch, sleep, done, ne_wait, join };
  struct DmaJob {
    uint32_t id, l1, l2, len, rows, l1_stride, l2_stride;
    bool to_l1;
    uint64_t enqueued;
  };
  // One cache of the instruction-cache model: tags only, set-associative, pseudo-random
  // replacement (an 8-bit LFSR stepped on every refill), one refill at a time.
  struct ICache {
    uint32_t sets = 0, ways = 0;
    std::vector<uint32_t> tag;     // [set * ways + way]: line number (address >> line bits), ~0u = empty
    std::vector<uint64_t> ready;   // cycle at which that line's refill completes
    uint8_t lfsr = 0;
    // Refills reserved, [start, end), sorted by start: one refill at a time. In lockstep the
    // requests come in time order and a refill starts at the end of the previous one; in quantum
    // mode a core behind in time takes the first gap after its request (as the TCDM banks do).
    std::vector<std::pair<uint64_t, uint64_t>> refills;  // [head, end) live; ends sorted too (no overlap)
    size_t head = 0;
    uint64_t reserve(uint64_t t, uint64_t dur, uint64_t horizon);  // the refill's start (>= t)
    void init(uint32_t s, uint32_t w) { sets = s, ways = w, clear(); }
    // Lines known resident, direct-mapped by line mod 64 (exact: a refill clears its victim's
    // entry): most lookups of an L0 are one compare (the L0 is private, only its refills evict).
    // The core reads its L0's memo (MemoryPort::fetch_hit_lines) and counts those hits itself.
    uint32_t memo[64];
    void clear();
    void settle() { std::fill(ready.begin(), ready.end(), uint64_t{0}), refills.clear(), head = 0; }  // a new run: every refill has ended
    int find(uint32_t line) const {
      const uint32_t* t = tag.data() + size_t{line & (sets - 1)} * ways;
      for (uint32_t w = 0; w < ways; ++w)
        if (t[w] == line) return static_cast<int>(w);
      return -1;
    }
    bool has(uint32_t line) const {  // find(line) >= 0 without a data-dependent branch per way
      const uint32_t* t = tag.data() + size_t{line & (sets - 1)} * ways;
      uint32_t hit = 0;
      for (uint32_t w = 0; w < ways; ++w) hit |= static_cast<uint32_t>(t[w] == line);
      return hit != 0;
    }
    // The victim's index (the LFSR's next way in line's set). GVSoC's cache_impl.cpp replacement:
    // an 8-bit LFSR (feedback = NOT of bits 7, 3, 2, 1 XORed, shifted in at bit 0), stepped on
    // every refill; the victim is bits 1.. of the state. An empty way is not preferred (as there).
    size_t refill_slot(uint32_t line) {
      lfsr = kLfsrNext[lfsr];
      return size_t{line & (sets - 1)} * ways + ((uint32_t{lfsr} >> 1) & (ways - 1));
    }
    static const std::array<uint8_t, 256> kLfsrNext;
  };
  uint64_t l1_grant(uint32_t addr, uint64_t t);  // arbitrates one L1 access at cycle t, returns the grant cycle
  bool eu_access(uint32_t off, bool write, uint32_t& v, uint64_t& cycles);
  bool dma_access(uint32_t off, bool write, uint32_t& v, uint64_t& cycles);
  bool refuse(const char* unit, const std::string& what);
  void dma_step(uint64_t t);
  // N-EUREKA (cluster_neureka.cpp)
  struct NeJob {
    neureka::Job job;
    uint32_t id;
    uint64_t enqueued;
  };
  bool ne_access(uint32_t off, bool write, uint32_t& v, uint64_t& cycles);
  uint64_t ne_next() const;   // cycle of the engine's next event (~0: idle)
  void ne_step();             // that event: start a job, one beat's bank claims, or the job's end
  bool ne_idle() const { return !ne_active_ && ne_q_.empty(); }
  bool step_core(uint32_t q, uint64_t n, ClusterResult& r);
  uint64_t next_event(uint64_t t, ClusterResult& r);
  void sleep(State s);
  bool workers_done() const {  // every team worker asleep for good
    for (uint32_t c = 0; c < cfg_.cores; ++c)
      if ((team_mask_ >> c & 1) && state_[c] != State::done) return false;
    return true;
  }
  void wake(uint32_t c, uint64_t at, uint64_t CoreStats::*counter);

  ClusterConfig cfg_;
  uint32_t nb_ = 0;                  // ISS cores: the workers (0..cores-1) and the controller (id cores) if any
  std::vector<uint8_t> l1_, l2_;
  std::vector<std::unique_ptr<rv32::Core>> cores_;
  std::vector<State> state_;
  // Per core: its cycle counter when State::run, ~0 otherwise (kept by step_core and wake; the
  // lockstep pass reads this flat array instead of each core's state and counter).
  std::vector<uint64_t> ready_;
  void set_ready(uint32_t q) { ready_[q] = state_[q] == State::run ? cores_[q]->cycles : ~uint64_t{0}; }
  std::vector<uint64_t> slept_at_;
  std::vector<std::deque<uint32_t>> dispatch_;
  static constexpr unsigned kSlotBits = 11;  // reservation window per bank: 2048 cycles
  std::vector<uint64_t> bank_slot_;  // per bank: 2^kSlotBits slots, cycle + 1 when reserved
  uint64_t last_arrival_ = 0;        // latest barrier arrival (cycles) of the current barrier
  std::vector<CoreStats> stats_;
  std::vector<ICache> l0i_;          // per core (the controller's is l0_ctl)
  std::vector<ICache> l1i_;          // shared L1 icache banks
  uint32_t iline_bits_ = 4, ibank_bits_ = 1;
  DmaStats dma_stats_;
  uint32_t cur_ = 0;                 // core being stepped
  uint32_t running_ = 0;             // cores in State::run
  uint64_t wake_min_ = ~uint64_t{0};  // earliest wake-up during the current lockstep pass
  uint64_t rot_t_ = ~uint64_t{0};    // cycle of which rot_ is the rotation start
  uint32_t rot_ = 0;
  uint64_t now_ = 0;                 // global cycle
  uint32_t team_mask_ = 0, arrived_ = 0;
  uint64_t barriers_ = 0;
  uint32_t bank_mask_ = 0;
  // DMA
  uint32_t dma_reg_[6] = {0, 0, 0, 1, 0, 0};
  std::deque<DmaJob> dma_q_;
  uint32_t dma_next_id_ = 0, dma_done_ = 0;
  uint64_t dma_ready_ = 0;           // next cycle the DMA may move a beat
  uint32_t dma_row_ = 0, dma_off_ = 0;
  bool dma_started_ = false;
  std::vector<uint32_t> dma_waiting_for_;  // per core: transfer id it sleeps on
  // N-EUREKA
  std::vector<uint8_t> wmem_;
  std::unique_ptr<neureka::Neureka> ne_;
  uint32_t ne_reg_[16] = {};
  std::deque<NeJob> ne_q_;
  bool ne_active_ = false;
  uint64_t ne_start_ = 0, ne_delay_ = 0, ne_total_ = 0, ne_prev_end_ = 0;
  struct NeBeat {
    uint64_t cycle;       // in the job's stall-free schedule
    uint32_t addr, bytes;
  };
  std::vector<NeBeat> ne_beats_;
  size_t ne_i_ = 0;
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> ne_writes_;  // committed at the job's end
  uint32_t ne_cur_id_ = 0, ne_next_id_ = 0, ne_done_ = 0;
  std::vector<uint32_t> ne_waiting_for_;
  NeurekaStats ne_stats_;
  struct Rewind {
    bool active = false;
    uint32_t pc = 0;
    uint64_t instret = 0, cycles = 0;
    uint32_t lmask = 0, wmask = 0;
    uint32_t lpcount[2] = {};
    uint32_t x[32];
  } rewind_;
  std::optional<uint32_t> tohost_;
  std::vector<rv32::ElfSegment> segments_;  // of the last load(), for restart()
  uint32_t entry_ = 0;
  // The 1 KiB blocks written since load()/restart() (host, cores, DMA, N-EUREKA): restart()
  // restores only those (the rest still holds zeros or, in L2, the segments).
  struct Dirty {
    static constexpr unsigned kBits = 10;
    std::vector<uint8_t> is;       // per block: written
    std::vector<uint32_t> blocks;  // the blocks written, in the order of their first write
    void init(size_t bytes) { is.assign((bytes >> kBits) + 1, 0), blocks.clear(); }
    void set(uint32_t b) {
      if (!is[b]) is[b] = 1, blocks.push_back(b);
    }
  };
  Dirty l1_dirty_, l2_dirty_, wmem_dirty_;
  static void mark(Dirty& d, uint32_t off, uint32_t n) {
    if (n == 0) return;
    for (uint32_t b = off >> Dirty::kBits; b <= (off + n - 1) >> Dirty::kBits; ++b) d.set(b);
  }
  void mark_l2(uint32_t off, uint32_t n) { mark(l2_dirty_, off, n); }
  // Bank reservations of earlier runs: a slot holds (cycle + slot_base_ + 1) when reserved, so
  // restart() forgets them all by moving slot_base_ past every value stored (no clearing).
  uint64_t slot_base_ = 0, slot_max_ = 0;  // slot_max_: the largest value stored since restart()
  rv32::HtifState htif_;
  std::string error_;
};

}  // namespace slm::cluster
