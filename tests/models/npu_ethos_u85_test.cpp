// The Ethos-U85-class NPU model driven through its register window with hand-written command
// streams: it computes from memory and writes back, raises its interrupt at NPU_OP_STOP, and
// reports a malformed stream as a fault (command index, word, cause), never a host crash.
#include <cstring>

#include <gtest/gtest.h>

#include "models/cpu/host_cpu.h"
#include "models/npu/command_stream.h"
#include "models/npu/ethos_u85.h"
#include "models/npu/weight_stream.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"

namespace slm {
namespace {

using namespace npu;

constexpr uint64_t kSram = 0x20000000, kRegs = 0x50004000, kCmd = kSram + 0x8000;

struct NpuRun {
  uint32_t status = 0;
  std::optional<Fault> fault;
  std::vector<uint8_t> sram;  // the first 64 KiB of SRAM after the run
  uint64_t end_fs = 0;
};

// Loads `mem` bytes at the start of SRAM, runs the command stream on the tiny-npu platform
// (variant `variant`), returns the status, the fault and SRAM.
NpuRun run_stream(const std::vector<uint32_t>& words, const std::vector<uint8_t>& mem, const std::string& variant = "ethos-u85-256") {
  platform::register_types();
  const config::PlatformConfig cfg = config::load_platform(test::fixture("tiny-npu.yaml"), {"npu.variant=" + variant});
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform p(cfg, root);
  auto& npu = p.get<EthosU85>("npu", "NPU");
  auto& cpu = p.get<HostCpu>("cpu", "CPU");
  p.memory("sram").load(0, mem.data(), mem.size());
  p.memory("sram").load(kCmd - kSram, words.data(), words.size() * 4);
  NpuRun r;
  sc_core::sc_spawn([&] {
    cpu.write32(kRegs + EthosU85::REG_BASEP0, static_cast<uint32_t>(kSram));
    cpu.write32(kRegs + EthosU85::REG_REGIONCFG, 0);
    cpu.write32(kRegs + EthosU85::REG_QBASE, static_cast<uint32_t>(kCmd));
    cpu.write32(kRegs + EthosU85::REG_QSIZE, static_cast<uint32_t>(words.size() * 4));
    cpu.write32(kRegs + EthosU85::REG_CMD, 1);
    sc_core::wait(npu.irq_event());
    r.status = cpu.read32(kRegs + EthosU85::REG_STATUS);
    r.end_fs = sc_core::sc_time_stamp().value();
  });
  sc_core::sc_start();
  r.fault = npu.fault();
  r.sram.resize(0x10000);
  p.memory("sram").peek(0, r.sram.data(), r.sram.size());
  return r;
}

// IFM/IFM2/OFM registers of a 1 x 1 x n int8 tensor at `off` in region 0.
void set_fm(CommandWriter& w, uint16_t region_op, uint16_t base_op, uint16_t depth_op, uint16_t prec_op, uint16_t zp_op,
            uint16_t stride_c_op, uint32_t off, int n, int bytes, int zp) {
  w.cmd0(region_op, 0);
  w.cmd1(base_op, off);
  if (depth_op) w.cmd0(depth_op, static_cast<uint16_t>(n - 1));
  w.cmd0(prec_op, static_cast<uint16_t>((bytes == 1 ? 0 : bytes == 2 ? 1 : 2) | PREC_SIGNED));
  w.cmd0(zp_op, static_cast<uint16_t>(zp));
  w.cmd1(stride_c_op, static_cast<uint32_t>(bytes));
}

}  // namespace

TEST(NpuCommandStream, EncodesDecodesAndDisassembles) {
  CommandWriter w;
  w.cmd0(NPU_SET_IFM_REGION, 3);
  w.addr(NPU_SET_IFM_BASE0, 0x12'3456'7890ull);
  w.cmd0(NPU_OP_ELEMENTWISE, EW_ADD);
  w.cmd0(NPU_OP_STOP, 0xFFFF);
  ASSERT_EQ(w.words().size(), 5u);
  EXPECT_EQ(w.words()[1] & 0xFFFF, 0x4000u);  // cmd1: opcode bit 14
  std::optional<Fault> f;
  const auto cmds = decode(w.words().data(), w.words().size(), &f);
  EXPECT_FALSE(f);
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(cmds[1].address(), 0x12'3456'7890ull);
  EXPECT_EQ(cmds[2].opcode, NPU_OP_ELEMENTWISE);
  EXPECT_EQ(cmds[2].param, EW_ADD);
  const std::string text = disassemble(cmds);
  EXPECT_NE(text.find("NPU_SET_IFM_BASE0"), std::string::npos) << text;
  EXPECT_NE(text.find("NPU_OP_STOP"), std::string::npos);
  // Register writes that do not change a value are not emitted twice.
  CommandWriter d;
  d.set0(NPU_SET_OFM_ZERO_POINT, 5);
  d.set0(NPU_SET_OFM_ZERO_POINT, 5);
  d.set0(NPU_SET_OFM_ZERO_POINT, 6);
  EXPECT_EQ(d.commands(), 2u);
}

TEST(NpuCommandStream, DecodingReportsTheFirstBadCommand) {
  const uint32_t unknown[] = {0x00000104, 0x00000777};  // NPU_SET_IFM_DEPTH_M1, then opcode 0x777
  std::optional<Fault> f;
  auto cmds = decode(unknown, 2, &f);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->index, 1u);
  EXPECT_EQ(f->word, 1u);
  EXPECT_NE(f->cause.find("unknown opcode 0x0777"), std::string::npos) << f->cause;
  const uint32_t truncated[] = {0x00004010};  // NPU_SET_OFM_BASE0 without its payload
  f.reset();
  decode(truncated, 1, &f);
  ASSERT_TRUE(f);
  EXPECT_NE(f->cause.find("ends before its payload"), std::string::npos) << f->cause;
  EXPECT_NE(f->str().find("command 0 (word 0, 0x00004010)"), std::string::npos) << f->str();
}

TEST(EthosU85, ComputesAnElementwiseAddFromMemory) {
  // y = sat(((a - 3) + (b + 1)) / 2 - 4): OPA/OPB scale 1/2 (m = 2^30, shift 31), OFM scale 1.
  std::vector<uint8_t> mem(0x1000, 0);
  const int n = 37;
  for (int i = 0; i < n; ++i) mem[0x100 + i] = static_cast<uint8_t>(int8_t(i * 7 - 120)), mem[0x200 + i] = static_cast<uint8_t>(int8_t(100 - i * 5));
  CommandWriter w;
  set_fm(w, NPU_SET_IFM_REGION, NPU_SET_IFM_BASE0, NPU_SET_IFM_DEPTH_M1, NPU_SET_IFM_PRECISION, NPU_SET_IFM_ZERO_POINT, NPU_SET_IFM_STRIDE_C, 0x100, n, 1, 3);
  set_fm(w, NPU_SET_IFM2_REGION, NPU_SET_IFM2_BASE0, 0, NPU_SET_IFM2_PRECISION, NPU_SET_IFM2_ZERO_POINT, NPU_SET_IFM2_STRIDE_C, 0x200, n, 1, -1);
  set_fm(w, NPU_SET_OFM_REGION, NPU_SET_OFM_BASE0, NPU_SET_OFM_DEPTH_M1, NPU_SET_OFM_PRECISION, NPU_SET_OFM_ZERO_POINT, NPU_SET_OFM_STRIDE_C, 0x300, n, 1, -4);
  w.cmd1(NPU_SET_OPA_SCALE, 1u << 30, 31);
  w.cmd1(NPU_SET_OPB_SCALE, 1u << 30, 31);
  w.cmd1(NPU_SET_OFM_SCALE, 1, 0);
  w.cmd0(NPU_OP_ELEMENTWISE, EW_ADD);
  w.cmd0(NPU_OP_STOP, 0xFFFF);
  const NpuRun r = run_stream(w.words(), mem);
  EXPECT_FALSE(r.fault) << r.fault->str();
  EXPECT_EQ(r.status & EthosU85::ST_END, uint32_t{EthosU85::ST_END});
  for (int i = 0; i < n; ++i) {
    auto half = [](int64_t v) { return (v + 1) >> 1; };  // round half up
    const int64_t a = int8_t(i * 7 - 120) - 3, b = int8_t(100 - i * 5) + 1;
    const int64_t want = std::clamp<int64_t>(half(a) + half(b) - 4, -128, 127);
    EXPECT_EQ(int8_t(r.sram[0x300 + i]), want) << i;
  }
  EXPECT_EQ(r.sram[0x300 + n], 0) << "nothing written past the OFM";
}

TEST(EthosU85, AFullyConnectedLayerMatchesAHandComputedOne) {
  // y[n] = sat(rshr(sum_k (x[k] - 2) w[n][k] x 3, 2) + 1): int8 x int8, 5 outputs of depth 70
  // (a partial IFM depth block), scale records in the stream.
  const int N = 5, K = 70;
  std::vector<int8_t> W(N * K);
  std::vector<uint8_t> mem(0x4000, 0);
  for (int i = 0; i < N * K; ++i) W[i] = static_cast<int8_t>((i * 37) % 255 - 127);
  for (int k = 0; k < K; ++k) mem[0x100 + k] = static_cast<uint8_t>(int8_t((k * 11) % 200 - 100));
  std::vector<ChannelScale> sc(N, ChannelScale{0, 3, 2});
  sc[4].bias = -1000;
  WeightStreamHeader h{N, K, 16, 32, false};
  const auto stream = encode_weight_stream(h, W.data(), sc.data());
  std::memcpy(mem.data() + 0x1000, stream.data(), stream.size());
  CommandWriter w;
  set_fm(w, NPU_SET_IFM_REGION, NPU_SET_IFM_BASE0, NPU_SET_IFM_DEPTH_M1, NPU_SET_IFM_PRECISION, NPU_SET_IFM_ZERO_POINT, NPU_SET_IFM_STRIDE_C, 0x100, K, 1, 2);
  set_fm(w, NPU_SET_OFM_REGION, NPU_SET_OFM_BASE0, NPU_SET_OFM_DEPTH_M1, NPU_SET_OFM_PRECISION, NPU_SET_OFM_ZERO_POINT, NPU_SET_OFM_STRIDE_C, 0x800, N, 1, 1);
  w.cmd0(NPU_SET_WEIGHT_REGION, 0);
  w.cmd1(NPU_SET_WEIGHT_BASE, 0x1000);
  w.cmd1(NPU_SET_WEIGHT_LENGTH, static_cast<uint32_t>(stream.size()));
  w.cmd0(NPU_SET_OFM_BLK_DEPTH_M1, 15);
  w.cmd0(NPU_OP_CONV, 0);
  w.cmd0(NPU_OP_STOP, 0xFFFF);
  for (const char* v : {"ethos-u85-128", "ethos-u85-2048"}) {
    const NpuRun r = run_stream(w.words(), mem, v);
    ASSERT_FALSE(r.fault) << r.fault->str();
    for (int n = 0; n < N; ++n) {
      int64_t acc = sc[n].bias;
      for (int k = 0; k < K; ++k) acc += int64_t(int8_t(mem[0x100 + k]) - 2) * W[n * K + k];
      const int64_t want = std::clamp<int64_t>(((acc * 3 + 2) >> 2) + 1, -128, 127);
      EXPECT_EQ(int8_t(r.sram[0x800 + n]), want) << v << " channel " << n;
    }
  }
}

TEST(WeightStream, ScaleRecordsReadBackPerOfmBlock) {
  // 37 channels in OFM blocks of 16 (the last one partial): every channel's bias (int40, either
  // sign), multiplier and shift read back from its block's records as encoded.
  const uint32_t N = 37, K = 20;
  std::vector<int8_t> W(N * K, 1);
  std::vector<ChannelScale> sc(N);
  for (uint32_t n = 0; n < N; ++n)
    sc[n] = ChannelScale{(n % 2 ? -1 : 1) * (int64_t{1} << (n % 39)) - int64_t(n), int32_t(n * 2654435761u), uint8_t(n % 64)};
  const WeightStreamHeader h{N, K, 16, 32, false};
  const auto stream = encode_weight_stream(h, W.data(), sc.data());
  WeightStreamView v;
  ASSERT_EQ(v.open(stream.data(), stream.size()), "");
  for (uint32_t n = 0; n < N; ++n) {
    const ChannelScale got = WeightStreamView::scale_at(v.scale_records(n / 16), n % 16);
    EXPECT_EQ(got.bias, sc[n].bias) << n;
    EXPECT_EQ(got.multiplier, sc[n].multiplier) << n;
    EXPECT_EQ(got.shift, sc[n].shift) << n;
    EXPECT_EQ(v.scale(n / 16, n % 16).bias, got.bias) << n;
  }
}

TEST(EthosU85, MalformedStreamsAreFaultsNotCrashes) {
  std::vector<uint8_t> mem(0x1000, 0);
  struct Bad { std::vector<uint32_t> words; const char* cause; uint32_t index; };
  const std::vector<Bad> cases = {
      {{0x00000777, 0xFFFF0000}, "unknown opcode", 0},
      {{0x0000010F | (9u << 16), 0xFFFF0000}, "region 9 does not exist", 0},
      {{NPU_OP_DEPTHWISE, 0xFFFF0000}, "NPU_OP_DEPTHWISE is not modelled", 0},
      {{NPU_SET_IFM_REGION}, "without NPU_OP_STOP", 1},
      {{NPU_SET_OFM_PRECISION | (0x77u << 16), 0xFFFF0000}, "precision value", 0},
      {{NPU_SET_OFM_DEPTH_M1 | (0xFFFFu << 16), NPU_SET_OFM_WIDTH_M1 | (0xFFFFu << 16), NPU_OP_ELEMENTWISE | (EW_ADD << 16), 0xFFFF0000},
       "larger than this model handles", 2},
      {{NPU_SET_WEIGHT_LENGTH | 0x4000u, 100, NPU_OP_CONV, 0xFFFF0000}, "no SLMW header", 1},
      {{NPU_SET_IFM_BASE0 | 0x4000u, 0x7FFFFFF0, NPU_SET_OFM_BASE0 | 0x4000u, 0x800, NPU_OP_ELEMENTWISE | (EW_ABS << 16), 0xFFFF0000},
       "AXI read", 2},
  };
  for (const auto& c : cases) {
    const NpuRun r = run_stream(c.words, mem);
    ASSERT_TRUE(r.fault) << c.cause;
    EXPECT_NE(r.fault->cause.find(c.cause), std::string::npos) << r.fault->str();
    EXPECT_EQ(r.fault->index, c.index) << r.fault->str();
    EXPECT_TRUE(r.status & EthosU85::ST_IRQ);
    EXPECT_TRUE(r.status & EthosU85::ST_PARSE_ERROR);
  }
}

TEST(EthosU85, RegisterWindowIdentifiesTheVariant) {
  platform::register_types();
  const config::PlatformConfig cfg = config::load_platform(test::fixture("tiny-npu.yaml"), {"npu.variant=ethos-u85-1024"});
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform p(cfg, root);
  auto& cpu = p.get<HostCpu>("cpu", "CPU");
  uint32_t id = 0, config = 0;
  bool refused = false;
  sc_core::sc_spawn([&] {
    id = cpu.read32(kRegs + EthosU85::REG_ID);
    config = cpu.read32(kRegs + EthosU85::REG_CONFIG);
    try {
      cpu.read32(kRegs + 0x4000);  // past the 16 KiB window: unmapped
    } catch (const Error&) {
      refused = true;
    }
  });
  sc_core::sc_start();
  EXPECT_EQ(id >> 28, 2u);
  EXPECT_EQ(config & 15, 10u);  // log2(1024) MACs
  EXPECT_TRUE(refused);
}

}  // namespace slm

namespace slm {
namespace {

struct GatherRun {
  NpuRun run;
  nlohmann::json stats;
  uint64_t gathers = 0;
};

// Runs `words` on tiny-npu with region 1 on the external memory (`ext` at its start), strided
// reads gathered or not, while the memories are busy with bookings of another master made
// before the NPU starts (accesses every 130 ns over the first 60 us: contention in the
// memories' slot pools and port calendars).
GatherRun run_gathered(const std::vector<uint32_t>& words, const std::vector<uint8_t>& mem, const std::vector<uint8_t>& ext,
                       bool gather, bool contention) {
  platform::register_types();
  const config::PlatformConfig cfg = config::load_platform(test::fixture("tiny-npu.yaml"), {});
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform p(cfg, root);
  auto& npu = p.get<EthosU85>("npu", "NPU");
  auto& cpu = p.get<HostCpu>("cpu", "CPU");
  npu.set_gather_reads(gather);
  p.memory("sram").load(0, mem.data(), mem.size());
  p.memory("sram").load(kCmd - kSram, words.data(), words.size() * 4);
  p.memory("mem").load(0, ext.data(), ext.size());
  GatherRun g;
  sc_core::sc_spawn([&] {
    if (contention)
      for (uint64_t t = 0; t < 60'000'000'000ull; t += 130'000'000ull) {
        p.memory("sram").account_fs((t / 1000) % 0x8000, 48, (t / 130'000'000ull) % 3 == 0, t);
        p.memory("mem").account_fs((t / 700) % 0x8000, 96, false, t + 50'000'000ull);
      }
    cpu.write32(kRegs + EthosU85::REG_BASEP0, static_cast<uint32_t>(kSram));
    cpu.write32(kRegs + EthosU85::REG_BASEP0 + 8, 0x60000000u);
    cpu.write32(kRegs + EthosU85::REG_REGIONCFG, 1u << 2);  // region 1: external class
    cpu.write32(kRegs + EthosU85::REG_QBASE, static_cast<uint32_t>(kCmd));
    cpu.write32(kRegs + EthosU85::REG_QSIZE, static_cast<uint32_t>(words.size() * 4));
    cpu.write32(kRegs + EthosU85::REG_CMD, 1);
    sc_core::wait(npu.irq_event());
    g.run.status = cpu.read32(kRegs + EthosU85::REG_STATUS);
    g.run.end_fs = sc_core::sc_time_stamp().value();
  });
  sc_core::sc_start();
  g.run.fault = npu.fault();
  g.run.sram.resize(0x10000);
  p.memory("sram").peek(0, g.run.sram.data(), g.run.sram.size());
  g.stats = root.to_json(sc_core::sc_time_stamp().to_seconds());
  g.gathers = npu.gathers();
  return g;
}

}  // namespace

TEST(EthosU85, GatheredStridedReadsTakeExactlyTheTimesOfOneTrainPerRow) {
  // Two operations whose reads are many rows of one view: an element-wise add of two strided
  // int16 views (every element its own row: RoPE's even/odd views), one in SRAM and one in the
  // external memory, and a fully connected layer over 8 IFM rows of 100 bytes at a 160-byte
  // stride in the external memory (rows crossing 128-byte bursts: the K/V rows of attention).
  // Gathered or one train per row, the run must end at the same femtosecond with the same
  // results and every counter equal (cycles, stalls, bank conflicts, per-initiator bytes),
  // with and without another master's bookings in the memories.
  const int C = 40, N = 5, K = 100, Wd = 8;
  std::vector<uint8_t> mem(0x4000, 0), ext(0x4000, 0);
  for (int i = 0; i < 4 * C * 2; ++i) mem[0x100 + i] = static_cast<uint8_t>(i * 29 + 7);
  for (int i = 0; i < 4 * C * 3; ++i) ext[0x200 + 2 * i] = static_cast<uint8_t>(i * 13 + 1), ext[0x201 + 2 * i] = static_cast<uint8_t>(i % 5);
  for (int i = 0; i < Wd * 160; ++i) ext[0x1000 + i] = static_cast<uint8_t>((i * 11) % 200 - 100);
  std::vector<int8_t> Wt(N * K);
  for (int i = 0; i < N * K; ++i) Wt[i] = static_cast<int8_t>((i * 37) % 255 - 127);
  std::vector<ChannelScale> sc(N, ChannelScale{0, 3, 2});
  const auto stream = encode_weight_stream(WeightStreamHeader{N, K, 16, 32, false}, Wt.data(), sc.data());
  std::memcpy(mem.data() + 0x2000, stream.data(), stream.size());
  CommandWriter w;
  // Element-wise: OFM 1 x 4 x C int16; IFM every other int16 (stride_c 4) in SRAM; IFM2 every
  // third (stride_c 6) in region 1.
  set_fm(w, NPU_SET_IFM_REGION, NPU_SET_IFM_BASE0, NPU_SET_IFM_DEPTH_M1, NPU_SET_IFM_PRECISION, NPU_SET_IFM_ZERO_POINT, NPU_SET_IFM_STRIDE_C, 0x100, C, 2, 0);
  w.cmd1(NPU_SET_IFM_STRIDE_C, 4);
  w.cmd0(NPU_SET_IFM_WIDTH0_M1, 3);
  w.cmd1(NPU_SET_IFM_STRIDE_X, 4 * C);
  set_fm(w, NPU_SET_IFM2_REGION, NPU_SET_IFM2_BASE0, 0, NPU_SET_IFM2_PRECISION, NPU_SET_IFM2_ZERO_POINT, NPU_SET_IFM2_STRIDE_C, 0x200, C, 2, 0);
  w.cmd0(NPU_SET_IFM2_REGION, 1);
  w.cmd1(NPU_SET_IFM2_STRIDE_C, 6);
  w.cmd0(NPU_SET_IFM2_WIDTH0_M1, 3);
  w.cmd1(NPU_SET_IFM2_STRIDE_X, 6 * C);
  set_fm(w, NPU_SET_OFM_REGION, NPU_SET_OFM_BASE0, NPU_SET_OFM_DEPTH_M1, NPU_SET_OFM_PRECISION, NPU_SET_OFM_ZERO_POINT, NPU_SET_OFM_STRIDE_C, 0x800, C, 2, 0);
  w.cmd0(NPU_SET_OFM_WIDTH_M1, 3);
  w.cmd1(NPU_SET_OFM_STRIDE_X, 2 * C);
  w.cmd1(NPU_SET_OPA_SCALE, 1u << 30, 31);
  w.cmd1(NPU_SET_OPB_SCALE, 1u << 30, 31);
  w.cmd1(NPU_SET_OFM_SCALE, 1, 0);
  w.cmd0(NPU_OP_ELEMENTWISE, EW_ADD);
  // Fully connected over 1 x Wd x K int8 rows (stride_x 160) in region 1, OFM 1 x Wd x N.
  set_fm(w, NPU_SET_IFM_REGION, NPU_SET_IFM_BASE0, NPU_SET_IFM_DEPTH_M1, NPU_SET_IFM_PRECISION, NPU_SET_IFM_ZERO_POINT, NPU_SET_IFM_STRIDE_C, 0x1000, K, 1, 2);
  w.cmd0(NPU_SET_IFM_REGION, 1);
  w.cmd0(NPU_SET_IFM_WIDTH0_M1, Wd - 1);
  w.cmd1(NPU_SET_IFM_STRIDE_X, 160);
  set_fm(w, NPU_SET_OFM_REGION, NPU_SET_OFM_BASE0, NPU_SET_OFM_DEPTH_M1, NPU_SET_OFM_PRECISION, NPU_SET_OFM_ZERO_POINT, NPU_SET_OFM_STRIDE_C, 0xC00, N, 1, 1);
  w.cmd0(NPU_SET_OFM_WIDTH_M1, Wd - 1);
  w.cmd1(NPU_SET_OFM_STRIDE_X, N);
  w.cmd0(NPU_SET_WEIGHT_REGION, 0);
  w.cmd1(NPU_SET_WEIGHT_BASE, 0x2000);
  w.cmd1(NPU_SET_WEIGHT_LENGTH, static_cast<uint32_t>(stream.size()));
  w.cmd0(NPU_SET_OFM_BLK_DEPTH_M1, 15);
  w.cmd0(NPU_SET_OFM_BLK_WIDTH_M1, 3);
  w.cmd0(NPU_OP_CONV, 0);
  w.cmd0(NPU_OP_STOP, 0xFFFF);
  uint64_t end_alone = 0;
  for (bool contention : {false, true}) {
    const GatherRun a = run_gathered(w.words(), mem, ext, true, contention);
    if (!contention) end_alone = a.run.end_fs;
    else EXPECT_GT(a.run.end_fs, end_alone) << "the other master's bookings delay the NPU";
    const GatherRun b = run_gathered(w.words(), mem, ext, false, contention);
    ASSERT_FALSE(a.run.fault) << a.run.fault->str();
    ASSERT_FALSE(b.run.fault) << b.run.fault->str();
    EXPECT_GT(a.gathers, 0u) << "the strided reads went as gathers";
    EXPECT_EQ(b.gathers, 0u);
    EXPECT_EQ(a.run.end_fs, b.run.end_fs) << "contention " << contention;
    EXPECT_EQ(a.run.sram, b.run.sram);
    EXPECT_EQ(a.stats.dump(1), b.stats.dump(1)) << "contention " << contention;
    // The results are the operations' (not just equal): one output of each by hand.
    const int64_t ia = int16_t(mem[0x100] | mem[0x101] << 8), ib = int16_t(ext[0x200] | ext[0x201] << 8);
    EXPECT_EQ(int16_t(a.run.sram[0x800] | a.run.sram[0x801] << 8), std::clamp<int64_t>(((ia + 1) >> 1) + ((ib + 1) >> 1), -32768, 32767));
    int64_t acc = 0;
    for (int k = 0; k < K; ++k) acc += int64_t(int8_t(ext[0x1000 + 160 * 3 + k]) - 2) * Wt[k];
    EXPECT_EQ(int8_t(a.run.sram[0xC00 + 3 * N]), std::clamp<int64_t>(((acc * 3 + 2) >> 2) + 1, -128, 127));
  }
}

}  // namespace slm
