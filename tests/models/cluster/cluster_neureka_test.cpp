// N-EUREKA inside the cluster (models/cluster/cluster_neureka.cpp): a core programs the
// engine through its registers, the engine reads L1 and the weight memory, writes its outputs
// into L1, and its TCDM accesses compete for the L1 banks with the cores. Outputs equal
// golden::matmul; a job's cycles equal the engine's formula when nothing competes and grow by
// exactly the bank-conflict delay when cores hammer the same banks.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/models/cluster/cluster_harness.h"
#include "workloads/common/error.h"

using namespace slm;
using namespace slm::test;

namespace {
std::string kernels() { return rv32_program("cluster_kernels"); }

cluster::ClusterConfig ne_config(uint32_t cores) {
  cluster::ClusterConfig cfg;
  cfg.cores = cores;
  cfg.neureka = 1;
  cfg.wmem_size_bytes = 1u << 20;
  return cfg;
}
// For raw SPMD programs (every core runs them): no controller core.
cluster::ClusterConfig raw_ne_config(uint32_t cores) {
  cluster::ClusterConfig cfg = ne_config(cores);
  cfg.controller = 0;
  return cfg;
}

struct NeRun {
  std::vector<int8_t> y;
  cluster::ClusterResult r;
};
NeRun run_ne_gemm(const std::string& elf, const Gemm& g, uint32_t cores, bool wmem, bool corrupt = false) {
  cluster::Cluster cl(ne_config(cores));
  cl.load(rv32::read_elf(elf));
  const cluster::GemmLayout L = cluster::write_neureka_gemm_job(cl, g, 64000, wmem);
  if (corrupt) {
    uint8_t* w = wmem ? cl.host(cluster::kWmemBase, static_cast<uint32_t>(g.w.size())) : cl.host(cluster::kIoBase + L.w, 1);
    w[wmem ? g.w.size() / 2 : 0] ^= 0x10;
  }
  NeRun out;
  out.r = cl.run(1'000'000'000ull);
  EXPECT_EQ(out.r.stop, rv32::Stop::exit) << out.r.trap.text() << " " << out.r.error;
  EXPECT_EQ(out.r.exit_code, 0);
  out.y = cluster::read_gemm_output(cl, g);
  return out;
}

neureka::Job job_of(const Gemm& g) {
  neureka::Job j;
  j.m = g.m, j.n = g.n, j.k = g.k;
  return j;
}

void li(std::vector<uint32_t>& p, uint32_t rd, uint32_t v) {
  p.push_back(lui(rd, (v + 0x800u) >> 12));
  p.push_back(addi(rd, rd, static_cast<int32_t>(v << 20) >> 20));
}
void sleep_forever(std::vector<uint32_t>& p) {
  p.push_back(lui(12, 0x10201));
  p.push_back(lw(28, 12, -2024));  // 0x10200818: event unit sleep
}

// L1 placement of a hand-programmed job (raw program test).
constexpr uint32_t kX = cluster::kL1Base + 0x1000, kW = cluster::kL1Base + 0x3000, kMult = cluster::kL1Base + 0x5000,
                   kShift = cluster::kL1Base + 0x5400, kY = cluster::kL1Base + 0x6000;

// Core 0 programs one job from the registers below, triggers it and waits; every other core
// loads `loads` words cycling over the 16 words at kX (the banks the engine's activation
// loads use), then sleeps.
std::vector<uint32_t> ne_program(const Gemm& g, int loads, uint32_t extra_flags = 0) {
  std::vector<uint32_t> p = {i_type(0xF14, 0, 2, 5, 0x73) /* csrr t0, mhartid */, 0 /* bne t0, x0, hammer */};
  p.push_back(lui(11, 0x10201));  // a1 = N-EUREKA registers
  const std::pair<uint32_t, uint32_t> regs[] = {
      {cluster::kNeM, uint32_t(g.m)},  {cluster::kNeK, uint32_t(g.k)},       {cluster::kNeN, uint32_t(g.n)},
      {cluster::kNeXAddr, kX},         {cluster::kNeXStride, uint32_t(g.k)}, {cluster::kNeWAddr, kW},
      {cluster::kNeWStride, uint32_t(g.k)}, {cluster::kNeYAddr, kY},         {cluster::kNeYStride, uint32_t(g.n)},
      {cluster::kNeMultAddr, kMult},   {cluster::kNeShiftAddr, kShift},
      {cluster::kNeZp, (uint32_t(g.x_zp) & 0xffu) | ((uint32_t(g.y_zp) & 0xffu) << 8)},
      {cluster::kNeFlags, extra_flags}};
  for (auto [off, v] : regs) {
    li(p, 6, v);
    p.push_back(sw(6, 11, static_cast<int32_t>(off)));
  }
  p.push_back(lw(7, 11, cluster::kNeTrigger));
  p.push_back(sw(7, 11, cluster::kNeWait));
  sleep_forever(p);
  p[1] = b_type(static_cast<int32_t>((p.size() - 1) * 4), 0, 5, 1);  // bne t0, x0 -> hammer
  p.push_back(lui(10, kX >> 12));
  for (int i = 0; i < loads; ++i) p.push_back(lw(6, 10, 4 * (i % 16)));
  sleep_forever(p);
  return p;
}

void put_job_data(cluster::Cluster& cl, const Gemm& g) {
  std::memcpy(cl.host(kX, uint32_t(g.x.size())), g.x.data(), g.x.size());
  std::memcpy(cl.host(kW, uint32_t(g.w.size())), g.w.data(), g.w.size());
  for (int32_t j = 0; j < g.n; ++j) {
    std::memcpy(cl.host(kMult + 4 * uint32_t(j), 4), &g.rq[size_t(j)].m, 4);
    *cl.host(kShift + uint32_t(j), 1) = static_cast<uint8_t>(g.rq[size_t(j)].shift);
  }
}

std::vector<int8_t> y_of(cluster::Cluster& cl, const Gemm& g) {
  const uint8_t* y = cl.host(kY, uint32_t(g.m * g.n));
  return {y, y + g.m * g.n};
}

// The hand-programmed job of ne_program (the other cores hammering x's banks with 3000 loads)
// on `cores` cores: the run ends normally and y equals `gold`.
cluster::ClusterResult run_hand_job(const Gemm& g, uint32_t cores, uint32_t quantum, const std::vector<int8_t>& gold,
                                    uint32_t icache = 1) {
  cluster::ClusterConfig cfg = raw_ne_config(cores);
  cfg.quantum_cycles = quantum;
  cfg.icache = icache;
  cluster::Cluster cl(cfg);
  cl.load(raw(ne_program(g, 3000)));
  put_job_data(cl, g);
  auto r = cl.run(10'000'000);
  EXPECT_EQ(r.stop, rv32::Stop::exit) << r.error << r.trap.text();
  EXPECT_EQ(y_of(cl, g), gold) << "cores " << cores << " quantum " << quantum;
  return r;
}
}  // namespace

TEST(ClusterNeureka, GemmEqualsGoldenWeightsFromL1AndWeightMemoryOn1And8Cores) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  struct Shape { int32_t m, n, k; };
  // microLlama's decode and prefill FC shapes, and shapes that leave partial channel blocks.
  for (const Shape s : {Shape{1, 256, 64}, Shape{64, 64, 64}, Shape{3, 50, 40}, Shape{40, 33, 100}}) {
    const Gemm g = random_gemm(s.m, s.n, s.k, 77u + static_cast<uint32_t>(s.n * 3 + s.k));
    const auto gold = golden_gemm(g);
    EXPECT_GE(distinct(gold), std::min<size_t>(gold.size() / 3, 20)) << "test data: outputs must not all saturate";
    for (uint32_t cores : {1u, 8u})
      for (bool wmem : {false, true}) {
        const NeRun run = run_ne_gemm(elf, g, cores, wmem);
        EXPECT_EQ(run.y, gold) << "m " << s.m << " n " << s.n << " k " << s.k << " cores " << cores << " wmem " << wmem;
        EXPECT_EQ(run.r.neureka.jobs, 1u);
        EXPECT_EQ(run.r.neureka.macs, uint64_t(s.m) * s.n * s.k);
        EXPECT_EQ(run.r.neureka.wmem_read_bytes > 0, wmem);
        // Only core 0 takes part; it sleeps while the engine works.
        EXPECT_GT(run.r.cores[0].neureka_wait_cycles, 0u);
      }
  }
}

TEST(ClusterNeureka, AFlippedWeightBitChangesTheOutput) {
  const auto elf = kernels();
  SKIP_IF_EMPTY(elf, "cluster_kernels.elf");
  const Gemm g = random_gemm(1, 256, 64, 9);
  const auto gold = golden_gemm(g);
  for (bool wmem : {false, true}) {
    const NeRun bad = run_ne_gemm(elf, g, 8, wmem, true);
    size_t diff = 0;
    for (size_t i = 0; i < gold.size(); ++i) diff += bad.y[i] != gold[i];
    EXPECT_GE(diff, 1u) << "wmem " << wmem;
    EXPECT_LE(diff, 1u) << "one weight feeds one output (m = 1)";
  }
}

TEST(ClusterNeureka, JobCyclesAreTheFormulaAloneAndGrowByTheBankDelayUnderContention) {
  const Gemm g = random_gemm(36, 64, 64, 21);
  const auto gold = golden_gemm(g);
  const neureka::Timing est = neureka::Neureka(cluster::ClusterConfig{}.ne).estimate(job_of(g));
  // Alone (one core, nothing else touches L1 while the job runs): exactly the formula.
  {
    const auto r = run_hand_job(g, 1, 0, gold);
    EXPECT_EQ(r.neureka.jobs, 1u);
    EXPECT_EQ(r.neureka.bank_stall_cycles, 0u);
    EXPECT_EQ(r.neureka.busy_cycles, est.total);
    // x once per output tile (2), the weights, 5 bytes of normalisation per channel
    EXPECT_EQ(r.neureka.tcdm_read_bytes, uint64_t(36 * 64 * 2 + 64 * 64 + 64 * 5));
    // core 0: trigger, then asleep until the job's end
    EXPECT_GE(r.cores[0].neureka_wait_cycles + 10, est.total);
  }
  // Seven cores hammer the banks of x while the job runs: the engine loses arbitration, its
  // job takes longer by exactly its bank delay, and the values do not change.
  uint64_t cycles[2] = {};
  for (int rep = 0; rep < 2; ++rep) {
    const auto r = run_hand_job(g, 8, 0, gold);
    EXPECT_GT(r.neureka.bank_stall_cycles, 0u);
    EXPECT_EQ(r.neureka.busy_cycles, est.total + r.neureka.bank_stall_cycles);
    uint64_t core_stalls = 0;
    for (uint32_t c = 1; c < 8; ++c) core_stalls += r.cores[c].bank_stall_cycles;
    EXPECT_GT(core_stalls, 0u);
    cycles[rep] = r.cycles;
  }
  EXPECT_EQ(cycles[0], cycles[1]) << "deterministic";
}

// The quantum mode runs the engine in its windows with the same rule, after the cores' whole
// window: same outputs; under this adversarial contention (7 cores on the job's banks every
// cycle) the engine loses more claims than in lockstep: +8 % run cycles (3,019 -> 3,253), +20 %
// job cycles (972 -> 1,167) measured; how many it loses depends on where the cores' loads fall in
// the window (+11 % with the 1-cycle register latency before 2026-12-04) (docs/siracusa.md); with
// a tiny job the runs are cycle-identical.
TEST(ClusterNeureka, QuantumModeSameOutputsRunWithin10AndJobWithin25Percent) {
  const Gemm g = random_gemm(36, 64, 64, 21);
  const auto gold = golden_gemm(g);
  uint64_t cyc[2] = {}, busy[2] = {};
  // Ideal fetch: the claim order below is a property of the arbitration alone; with the
  // instruction cache the cores' fetch stalls differ between the modes and so does their load
  // stream against the engine (the cache's own lockstep-vs-quantum bound: cluster_icache_test.cpp).
  for (uint32_t quantum : {0u, 64u}) {
    const auto r = run_hand_job(g, 8, quantum, gold, 0);
    EXPECT_EQ(r.neureka.jobs, 1u);
    cyc[quantum ? 1 : 0] = r.cycles;
    busy[quantum ? 1 : 0] = r.neureka.busy_cycles;
  }
  EXPECT_NEAR(double(cyc[1]), double(cyc[0]), 0.10 * double(cyc[0]));
  EXPECT_NEAR(double(busy[1]), double(busy[0]), 0.25 * double(busy[0])) << "the job's own cycles under contention";
  EXPECT_GE(busy[1], busy[0]) << "the engine claims after the cores' window: it cannot win more than in lockstep";
}

TEST(ClusterNeureka, BadJobsAndMissingEngineAreClearErrors) {
  const Gemm g = random_gemm(4, 32, 32, 3);
  {  // k = 0 in the registers: refused at the trigger, naming the core, the job and the field
    Gemm bad = g;
    bad.k = 0;
    cluster::Cluster cl(raw_ne_config(1));
    cl.load(raw(ne_program(bad, 0)));
    const auto r = cl.run(1'000'000);
    EXPECT_EQ(r.stop, rv32::Stop::halted_by_peer);
    EXPECT_NE(r.error.find("core 0: N-EUREKA: job 0: neureka job: k = 0"), std::string::npos) << r.error;
  }
  {  // an unknown flag bit
    cluster::Cluster cl(raw_ne_config(1));
    cl.load(raw(ne_program(g, 0, 4)));
    const auto r = cl.run(1'000'000);
    EXPECT_NE(r.error.find("flags 0x4"), std::string::npos) << r.error;
  }
  {  // weights from the weight memory, but the cluster has none
    cluster::ClusterConfig cfg = raw_ne_config(1);
    cfg.wmem_size_bytes = 0;
    cluster::Cluster cl(cfg);
    cl.load(raw(ne_program(g, 0, 2)));
    const auto r = cl.run(1'000'000);
    EXPECT_NE(r.error.find("no weight memory"), std::string::npos) << r.error;
  }
  {  // no engine: its registers do not exist (an access fault, not a silent no-op)
    cluster::ClusterConfig cfg = raw_ne_config(1);
    cfg.neureka = 0;
    cluster::Cluster cl(cfg);
    cl.load(raw(ne_program(g, 0)));
    const auto r = cl.run(1'000'000);
    EXPECT_EQ(r.stop, rv32::Stop::trap);
  }
  cluster::ClusterConfig cfg;
  cfg.neureka = 2;
  EXPECT_THROW(cfg.validate(), Error);
  cfg.neureka = 1;
  cfg.wmem_size_bytes = 16u << 20;
  EXPECT_THROW(cfg.validate(), Error);
}

// Cluster::restart() gives a cluster in the state of a new one: a sequence of different kernel
// runs (tiled, untiled and N-EUREKA GEMMs, a weight-memory job, the DMA test's bank conflicts)
// on one restarted cluster gives the same outputs, cycles, instructions and counters as each
// run on a new cluster.
TEST(ClusterRestart, RunsAfterRestartEqualRunsOnANewCluster) {
  const auto elf_path = kernels();
  SKIP_IF_EMPTY(elf_path, "cluster_kernels.elf");
  const rv32::ElfImage elf = rv32::read_elf(elf_path);
  struct Run {
    int kind;  // 0 core GEMM (op), 1 N-EUREKA (wmem), 2 N-EUREKA (L1)
    uint32_t op;
    Gemm g;
  };
  const std::vector<Run> runs = {{0, cluster::kGemmTiled, random_gemm(2, 64, 64, 1)},
                                 {1, 0, random_gemm(8, 96, 64, 2)},
                                 {0, cluster::kGemmUntiled, random_gemm(1, 40, 36, 3)},
                                 {2, 0, random_gemm(3, 50, 40, 4)},
                                 {0, cluster::kGemmTiled, random_gemm(4, 256, 64, 5)}};
  auto go = [&](cluster::Cluster& cl, const Run& r) {
    if (r.kind == 0) cluster::write_gemm_job(cl, r.g, r.op, 4096);
    else cluster::write_neureka_gemm_job(cl, r.g, 64000, r.kind == 1);
    const cluster::ClusterResult res = cl.run(100'000'000);
    EXPECT_EQ(res.stop, rv32::Stop::exit) << res.error;
    return std::make_pair(res, cluster::read_gemm_output(cl, r.g));
  };
  cluster::Cluster reused(ne_config(8));
  reused.load(elf);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i) reused.restart();
    cluster::Cluster fresh(ne_config(8));
    fresh.load(elf);
    const auto a = go(fresh, runs[i]);
    const auto b = go(reused, runs[i]);
    EXPECT_EQ(b.second, a.second) << i;
    EXPECT_EQ(a.second, golden_gemm(runs[i].g)) << i;
    EXPECT_EQ(b.first.cycles, a.first.cycles) << i;
    EXPECT_EQ(b.first.instructions, a.first.instructions) << i;
    EXPECT_EQ(b.first.barriers, a.first.barriers) << i;
    EXPECT_EQ(b.first.dma.busy_cycles, a.first.dma.busy_cycles) << i;
    EXPECT_EQ(b.first.neureka.busy_cycles, a.first.neureka.busy_cycles) << i;
    ASSERT_EQ(b.first.cores.size(), a.first.cores.size());
    for (size_t c = 0; c < a.first.cores.size(); ++c) {
      EXPECT_EQ(b.first.cores[c].cycles, a.first.cores[c].cycles) << i << " core " << c;
      EXPECT_EQ(b.first.cores[c].bank_stall_cycles, a.first.cores[c].bank_stall_cycles) << i << " core " << c;
    }
  }
  // restart() restores only the bytes written since (the ranges the host, the cores, the DMA and
  // N-EUREKA wrote): every byte of L1, L2 and the weight memory is then that of a new cluster.
  reused.restart();
  {
    cluster::Cluster fresh(ne_config(8));
    fresh.load(elf);
    const auto& c = fresh.config();
    for (const auto& [base, size] : {std::pair{cluster::kL1Base, c.l1_size_bytes}, std::pair{cluster::kL2Base, c.l2_size_bytes},
                                     std::pair{cluster::kWmemBase, c.wmem_size_bytes}})
      EXPECT_EQ(std::memcmp(reused.host(base, size), fresh.host(base, size), size), 0) << std::hex << base;
  }
  // The weight memory is cleared: a run after a weight-memory job sees zeros there, as new.
  reused.restart();
  EXPECT_EQ(reused.host(cluster::kWmemBase, 4)[0], 0);
  EXPECT_EQ(reused.host(cluster::kL1Base + 0x4000, 4)[0], 0);
}

// neureka.reg_latency_cycles (GVSoC: 2, the route through cluster_ico) is charged on every core
// access to the job registers: 13 register writes and the trigger read come before the job
// starts, so the job, core 0's wake-up and the run end that many latencies later; the wait
// store finds the job running and sleeps (its latency is inside the sleep).
TEST(ClusterNeureka, RegisterLatencyIsChargedPerRegisterAccess) {
  const Gemm g = random_gemm(1, 64, 64, 5);
  const auto gold = golden_gemm(g);
  uint64_t cycles[2] = {};
  for (uint32_t lat : {2u, 7u}) {
    cluster::ClusterConfig cfg = raw_ne_config(1);
    cfg.icache = 0;
    cfg.neureka_reg_latency_cycles = lat;
    cluster::Cluster cl(cfg);
    cl.load(raw(ne_program(g, 0)));
    put_job_data(cl, g);
    const auto r = cl.run(1'000'000);
    ASSERT_EQ(r.stop, rv32::Stop::exit) << r.error;
    EXPECT_EQ(y_of(cl, g), gold);
    cycles[lat == 7u] = r.cycles;
  }
  EXPECT_EQ(cycles[1] - cycles[0], 5u * 14u);
}
