// The cluster's architecture: L1 bank arbitration with exact cycle counts derived from the
// documented policy (models/cluster/cluster.h), barriers (cores sleep), fork/join through
// the dispatch FIFO, DMA 1D/2D correctness and timing, deadlock and bad-input errors.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/models/cluster/cluster_harness.h"
#include "workloads/common/error.h"

using namespace slm;
using namespace slm::test;

namespace {
uint32_t csrr_mhartid(uint32_t rd) { return i_type(0xF14, 0, 2, rd, 0x73); }
uint32_t slli(uint32_t rd, uint32_t rs, uint32_t sh) { return i_type(static_cast<int32_t>(sh), rs, 1, rd, 0x13); }
uint32_t add(uint32_t rd, uint32_t a, uint32_t b) { return r_type(0, b, a, 0, rd, 0x33); }

// Every core: a0 = L1 + (hartid << shift) (shift < 0: a0 = L1, the same word for all);
// `loads` x lw t1, 0(a0); then sleep for good.
// Cycles: lui, csrr, slli/andi, add take 1 cycle each, so the first load issues at cycle 4.
std::vector<uint32_t> hammer(int shift, int loads) {
  const uint32_t scale = shift < 0 ? i_type(0, 5, 7, 5, 0x13) /* andi t0, t0, 0 */ : slli(5, 5, static_cast<uint32_t>(shift));
  std::vector<uint32_t> p = {lui(10, 0x10000), csrr_mhartid(5), scale, add(10, 10, 5)};
  for (int i = 0; i < loads; ++i) p.push_back(lw(6, 10, 0));
  p.push_back(lui(11, 0x10201));
  p.push_back(lw(7, 11, -2024));  // 0x10200818: event unit sleep
  return p;
}

// With ideal fetch (icache.enabled 0): these tests count the bank policy's cycles exactly; fetch
// stalls are counted in cluster_icache_test.cpp.
cluster::ClusterResult run_raw(const std::vector<uint32_t>& prog, uint32_t cores, cluster::ClusterConfig cfg = {}) {
  cfg.cores = cores;
  cfg.icache = 0;
  cfg.controller = 0;  // raw SPMD programs: every core runs them
  cluster::Cluster cl(cfg);
  cl.load(raw(prog));
  return cl.run(1'000'000);
}
}  // namespace

TEST(ClusterBanks, TwoCoresSameBankTakeLongerExactly) {
  constexpr int L = 10;
  // Different banks (shift 2: core c reads word c): no conflict; loads end at 4 + L, then
  // lui (1) and the event-unit load (1 + periph_latency_cycles).
  const uint32_t tail = 2u + cluster::ClusterConfig{}.periph_latency_cycles;
  const auto diff = run_raw(hammer(2, L), 2);
  ASSERT_EQ(diff.stop, rv32::Stop::exit) << diff.error;
  for (int c = 0; c < 2; ++c) {
    EXPECT_EQ(diff.cores[c].bank_stall_cycles, 0u);
    EXPECT_EQ(diff.cores[c].cycles, 4u + L + tail);
  }
  // Same word. Cycle 4: the rotation starts at requester 4 mod 3 = 1, so core 1
  // wins and core 0 waits 1 cycle; from then on each core's load finds the bank reserved by
  // the other's and waits 1 cycle: every load after the first costs 2 cycles on both cores.
  const auto same = run_raw(hammer(-1, L), 2);
  ASSERT_EQ(same.stop, rv32::Stop::exit) << same.error << same.trap.text();
  EXPECT_EQ(same.cores[1].bank_stall_cycles, uint64_t(L - 1));
  EXPECT_EQ(same.cores[0].bank_stall_cycles, uint64_t(L));
  EXPECT_EQ(same.cores[1].cycles, 5u + 2u * (L - 1) + tail);
  EXPECT_EQ(same.cores[0].cycles, 6u + 2u * (L - 1) + tail);
  EXPECT_GT(same.cycles, diff.cycles);
}

TEST(ClusterBanks, EightCoresOneBankServeOneAccessPerCycle) {
  constexpr int L = 6;
  // shift 6: core c reads L1 + 64 c, all in bank 0 (16 banks x 4 bytes). The bank is busy every
  // cycle from cycle 4: the 8 L accesses end at cycle 4 + 8L; the first round waits 0+1+..+7 = 28
  // cycles in total, every later access waits 7 (the 7 other cores are served in between).
  const auto r = run_raw(hammer(6, L), 8);
  ASSERT_EQ(r.stop, rv32::Stop::exit) << r.error;
  uint64_t stall = 0, last = 0;
  const uint32_t tail = 2u + cluster::ClusterConfig{}.periph_latency_cycles;  // lui + the sleep load
  for (const auto& c : r.cores) {
    stall += c.bank_stall_cycles;
    last = std::max<uint64_t>(last, c.cycles - tail);
  }
  EXPECT_EQ(last, 4u + 8u * L);
  EXPECT_EQ(stall, 28u + 56u * (L - 1));
  // shift 2: 8 different banks, no stall at all.
  const auto d = run_raw(hammer(2, L), 8);
  for (const auto& c : d.cores) EXPECT_EQ(c.bank_stall_cycles, 0u);
  // 16 banks configured as 1 bank: everything conflicts even with shift 2.
  cluster::ClusterConfig one;
  one.l1_banks = 1;
  const auto o = run_raw(hammer(2, L), 8, one);
  uint64_t s1 = 0;
  for (const auto& c : o.cores) s1 += c.bank_stall_cycles;
  EXPECT_EQ(s1, 28u + 56u * (L - 1));
}

// Misaligned loads/stores reach the cluster's memories as the core splits them at the word
// boundary (parts of 1, 2 or 3 bytes): every part must move exactly its bytes.
TEST(ClusterMemory, MisalignedAccessesMoveTheirBytes) {
  const std::vector<uint32_t> prog = {lui(10, 0x10000),                   // x10 = L1
                                      lw(6, 10, 1),                       // 3 + 1 bytes
                                      s_type(0x40, 6, 10, 2, 0x23),       // sw x6, 0x40(x10)
                                      i_type(3, 10, 1, 7, 0x03),          // lh x7, 3(x10): 1 + 1
                                      s_type(0x44, 7, 10, 2, 0x23),       // sw x7, 0x44(x10)
                                      s_type(0x49, 6, 10, 2, 0x23),       // sw x6, 0x49(x10): 3 + 1
                                      lui(11, 0x10201), lw(7, 11, -2024)};  // event unit: sleep
  cluster::ClusterConfig cfg;
  cfg.cores = 1;
  cfg.controller = 0;
  cluster::Cluster cl(cfg);
  cl.load(raw(prog));
  uint8_t* l1 = cl.host(0x10000000u, 0x80);
  for (int i = 0; i < 8; ++i) l1[i] = static_cast<uint8_t>(0x80 + i);
  const auto r = cl.run(1'000'000);
  ASSERT_EQ(r.stop, rv32::Stop::exit) << r.error << r.trap.text();
  uint32_t w0, w1;
  std::memcpy(&w0, l1 + 0x40, 4);
  std::memcpy(&w1, l1 + 0x44, 4);
  EXPECT_EQ(w0, 0x84838281u);
  EXPECT_EQ(w1, 0xffff8483u);
  const uint8_t want[6] = {0, 0x81, 0x82, 0x83, 0x84, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(l1[0x48 + i], want[i]) << i;
}

TEST(ClusterEventUnit, BarrierWaitsForEveryCoreAndSleepingRetiresNothing) {
  const auto elf = rv32_program("cluster_kernels");
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  for (uint32_t ctl : {1u, 0u}) {
  SCOPED_TRACE("controller " + std::to_string(ctl));
  cluster::ClusterConfig cfg;
  cfg.controller = ctl;
  cluster::Cluster cl(cfg);
  cl.load(rv32::read_elf(elf));
  uint8_t* io = cl.host(kClIo, 0x400);
  const uint32_t job[13] = {kClMagic, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x100, 40};
  std::memcpy(io, job, sizeof job);
  const auto r = cl.run(100'000'000);
  ASSERT_EQ(r.stop, rv32::Stop::exit) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  // Two in the test and the final one in main; without a controller also the start-up barrier
  // (with one, the controller's fork starts the workers instead).
  EXPECT_EQ(r.barriers, ctl ? 3u : 4u);
  uint32_t st[8][4];
  std::memcpy(st, io + 0x100, sizeof st);
  for (int b = 0; b < 2; ++b) {
    uint32_t max_before = 0, min_after = ~0u, max_after = 0;
    for (int c = 0; c < 8; ++c) {
      max_before = std::max(max_before, st[c][2 * b]);
      min_after = std::min(min_after, st[c][2 * b + 1]);
      max_after = std::max(max_after, st[c][2 * b + 1]);
    }
    EXPECT_GT(min_after, max_before) << "barrier " << b << ": a core left before the last one arrived";
    EXPECT_LE(max_after - min_after, 4u) << "barrier " << b << ": cores are released together";
  }
  // Core 0 does no work before barrier 1 and waits for core 7's 7 x 40 iterations.
  EXPECT_GT(r.cores[0].barrier_wait_cycles, 7u * 40u);
  for (const auto& c : r.cores) EXPECT_LE(c.instructions + c.barrier_wait_cycles, c.cycles) << "asleep = no instructions";
  }
}

// The controller core (id = workers) initialises, forks the workers and joins them: the outputs
// equal golden and the SPMD start's, every worker slept until the fork, the controller slept in
// the join until the last worker finished, and a worker-0 status reaches the exit code.
TEST(ClusterController, ForksJoinsAndGivesTheSameOutputsAsTheSpmdStart) {
  const auto elf = rv32_program("cluster_kernels");
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const rv32::ElfImage img = rv32::read_elf(elf);
  const Gemm g = random_gemm(3, 64, 64, 11);
  for (uint32_t cores : {1u, 8u}) {
    std::vector<int8_t> outs[2];
    uint64_t cycles[2] = {};
    for (uint32_t ctl : {0u, 1u}) {
      cluster::ClusterConfig cfg;
      cfg.cores = cores;
      cfg.controller = ctl;
      cluster::Cluster cl(cfg);
      cl.load(img);
      cluster::write_gemm_job(cl, g, cluster::kGemmUntiled, 64000);
      const auto r = cl.run(100'000'000);
      ASSERT_EQ(r.stop, rv32::Stop::exit) << r.error << r.trap.text();
      EXPECT_EQ(r.exit_code, 0);
      outs[ctl] = cluster::read_gemm_output(cl, g);
      cycles[ctl] = r.cycles;
      ASSERT_EQ(r.cores.size(), cores);
      EXPECT_EQ(r.has_controller, ctl == 1);
      if (!ctl) continue;
      EXPECT_GT(r.controller.instructions, 20u) << "the controller ran the start-up code";
      uint64_t all = r.controller.instructions;
      for (uint32_t c = 0; c < cores; ++c) {
        all += r.cores[c].instructions;
        EXPECT_GT(r.cores[c].dispatch_wait_cycles, 20u) << "worker " << c << " slept until the fork (the .data/.bss copy)";
      }
      EXPECT_EQ(all, r.instructions);
      // The join: asleep from the fork until the last worker went to sleep for good.
      EXPECT_GT(r.controller.barrier_wait_cycles, r.cores[0].cycles / 2);
      EXPECT_LE(r.controller.instructions + r.controller.barrier_wait_cycles, r.controller.cycles);
    }
    EXPECT_EQ(outs[1], golden_gemm(g)) << cores << " cores";
    EXPECT_EQ(outs[1], outs[0]);
    EXPECT_NE(cycles[1], cycles[0]) << "the controller's fork/join is timed, not free";
  }
  // A failing kernel's status (3: the L1 budget cannot hold a tile) reaches the controller's exit.
  cluster::Cluster cl(cluster::ClusterConfig{});
  cl.load(img);
  cluster::write_gemm_job(cl, g, cluster::kGemmTiled, 64);
  const auto r = cl.run(100'000'000);
  ASSERT_EQ(r.stop, rv32::Stop::exit) << r.error;
  EXPECT_EQ(r.exit_code, 3);
}

// A join that can never end (every worker joins instead of finishing) is a deadlock naming the
// controller; the controller's register reads 0 without one.
TEST(ClusterController, AJoinNoWorkerEndsIsADeadlockNamingTheController) {
  const std::vector<uint32_t> prog = {lui(11, 0x10201), lw(7, 11, -2012), 0x0000006fu};  // lw x7, 0x824: join; j .
  cluster::ClusterConfig cfg;
  cfg.cores = 2;
  cluster::Cluster cl(cfg);
  cl.load(raw(prog));
  const auto r = cl.run(1'000'000);
  EXPECT_EQ(r.stop, rv32::Stop::halted_by_peer);
  EXPECT_NE(r.error.find("deadlock"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("controller 2 join"), std::string::npos) << r.error;
  cfg.controller = 2;
  EXPECT_THROW(cfg.validate(), slm::Error);
}

TEST(ClusterEventUnit, ForkJoinThroughDispatchFifo) {
  const auto elf = rv32_program("cluster_kernels");
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  cluster::ClusterConfig cfg;
  cluster::Cluster cl(cfg);
  cl.load(rv32::read_elf(elf));
  uint8_t* io = cl.host(kClIo, 0x400);
  const uint32_t job[13] = {kClMagic, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x100, 1000};
  std::memcpy(io, job, sizeof job);
  std::memset(io + 0x100, 0xee, 64);
  const auto r = cl.run(100'000'000);
  ASSERT_EQ(r.stop, rv32::Stop::exit) << r.error;
  uint32_t out[16];
  std::memcpy(out, io + 0x100, sizeof out);
  EXPECT_EQ(out[0], 0u);
  for (uint32_t c = 1; c < 8; ++c) {
    EXPECT_EQ(out[2 * c], 1000u + c);
    EXPECT_EQ(out[2 * c + 1], 1001u + c);
    EXPECT_GT(r.cores[c].dispatch_wait_cycles, 200u) << "core " << c << " slept until core 0 pushed";
  }
}

namespace {
struct DmaRun {
  cluster::ClusterResult r;
  std::vector<uint8_t> out, expect;
};
// op 12: 1D n bytes, 2D m rows x k bytes with L2 stride `stride`, both back to L2.
DmaRun run_dma(uint32_t n, uint32_t m, uint32_t k, uint32_t stride, bool hammer_banks) {
  DmaRun d;
  const auto elf = rv32_program("cluster_kernels");
  if (elf.empty()) return d;
  cluster::ClusterConfig cfg;
  cfg.icache = 0;  // ideal fetch: core 0's programming between transfers takes its instruction cycles only (the wait bound below)
  cluster::Cluster cl(cfg);
  cl.load(rv32::read_elf(elf));
  const uint32_t ox = 0x100, ow = 0x4000, oy = 0x20000;
  uint8_t* io = cl.host(kClIo, 0x40000);
  const uint32_t job[13] = {kClMagic, 12, m, n, k, 0, 0, 0, ox, ow, 0, oy, (stride << 8) | (hammer_banks ? 1u : 0u)};
  std::memcpy(io, job, sizeof job);
  std::mt19937 rng(42);
  for (uint32_t i = 0; i < 0x1c000; ++i) io[ox + i] = static_cast<uint8_t>(rng());
  d.expect.assign(io + ox, io + ox + n);
  for (uint32_t r = 0; r < m; ++r) d.expect.insert(d.expect.end(), io + ow + r * stride, io + ow + r * stride + k);
  d.r = cl.run(200'000'000);
  d.out.assign(io + oy, io + oy + n + m * k);
  return d;
}
}  // namespace

TEST(ClusterDma, OneAndTwoDimensionalCopiesAndTiming) {
  SKIP_IF_EMPTY(rv32_program("cluster_kernels"), "cluster_kernels.elf");
  const uint32_t n = 1000, m = 12, k = 36, stride = 100;
  const auto d = run_dma(n, m, k, stride, false);
  ASSERT_EQ(d.r.stop, rv32::Stop::exit) << d.r.error;
  EXPECT_EQ(d.out, d.expect);
  // 4 transfers: in 1D, in 2D, out 1D, out 2D. Without competing cores every beat (8 bytes of
  // a row) takes one cycle: busy = 2 x (ceil(1000/8) + 12 x ceil(36/8)).
  EXPECT_EQ(d.r.dma.transfers, 4u);
  EXPECT_EQ(d.r.dma.bytes, 2u * (n + m * k));
  EXPECT_EQ(d.r.dma.bank_stall_cycles, 0u);
  EXPECT_EQ(d.r.dma.busy_cycles, 2u * (125u + 12u * 5u));
  // Core 0 slept through all four transfers: at least the beats plus each transfer's start latency.
  const cluster::ClusterConfig cfg;
  EXPECT_GE(d.r.cores[0].dma_wait_cycles, d.r.dma.busy_cycles + 4u * (cfg.dma_setup_cycles + cfg.l2_latency_cycles) - 4u * 8u);
  // With the 7 other cores reading the destination banks, the DMA loses arbitration sometimes,
  // the copy still arrives intact and takes longer.
  const auto h = run_dma(n, m, k, stride, true);
  ASSERT_EQ(h.r.stop, rv32::Stop::exit) << h.r.error;
  EXPECT_EQ(h.out, h.expect);
  EXPECT_GT(h.r.dma.bank_stall_cycles, 0u);
  EXPECT_GT(h.r.dma.busy_cycles, d.r.dma.busy_cycles);
  // Deterministic.
  const auto h2 = run_dma(n, m, k, stride, true);
  EXPECT_EQ(h2.r.cycles, h.r.cycles);
  EXPECT_EQ(h2.r.dma.bank_stall_cycles, h.r.dma.bank_stall_cycles);
}

TEST(ClusterErrors, BadRequestsAndConfigsAreClearErrors) {
  // Waiting for a DMA transfer that was never started.
  const std::vector<uint32_t> p = {lui(11, 0x10200), addi(12, 0, 5), sw(12, 11, 0x420)};
  const auto r = run_raw(p, 1);
  EXPECT_EQ(r.stop, rv32::Stop::halted_by_peer);
  EXPECT_NE(r.error.find("wait for transfer 5, which was never started"), std::string::npos) << r.error;
  // Everyone asleep in a barrier that core 1 never reaches (it sleeps for good first): deadlock.
  // core 0: barrier; core 1: sleep. Both run the same code: branch on hartid.
  const std::vector<uint32_t> q = {csrr_mhartid(5), lui(11, 0x10201), b_type(8, 0, 5, 1) /* bne t0, x0, +8 */,
                                   lw(7, 11, -2040) /* 0x10200808 barrier */, lw(7, 11, -2024) /* sleep */};
  const auto d = run_raw(q, 2);
  EXPECT_EQ(d.stop, rv32::Stop::halted_by_peer);
  EXPECT_NE(d.error.find("deadlock"), std::string::npos) << d.error;
  EXPECT_NE(d.error.find("core 0 barrier"), std::string::npos) << d.error;
  // A core spinning alone (j .) stops at the cycle limit, in lockstep and quantum mode.
  for (uint32_t qc : {0u, 16u}) {
    cluster::ClusterConfig sc;
    sc.quantum_cycles = qc;
    sc.cores = 2;
    sc.controller = 0;
    cluster::Cluster cl(sc);
    cl.load(raw({0x0000006fu}));  // jal x0, 0
    const auto s = cl.run(1000);
    EXPECT_EQ(s.stop, rv32::Stop::limit) << qc;
    EXPECT_GE(s.cycles, 1000u);
    EXPECT_LE(s.cycles, 1000u + 2u * 16u + 2u) << "quantum " << qc;  // a window's run is counted in instructions: 2-cycle jal may overshoot it by a window
  }
  // Configs.
  cluster::ClusterConfig c;
  c.cores = 9;
  EXPECT_THROW({ cluster::Cluster x(c); }, slm::Error);
  try {
    cluster::Cluster x(c);
  } catch (const slm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cores = 9"), std::string::npos) << e.what();
  }
  c = {};
  c.l1_banks = 3;
  EXPECT_THROW({ cluster::Cluster x(c); }, slm::Error);
  c = {};
  c.l2_size_bytes = 1000;
  EXPECT_THROW({ cluster::Cluster x(c); }, slm::Error);
}
