// The TLM NPU model's functional MAC rate on the same kind of tile as BM_RtlMacArray (a
// stories260K-shaped FC: 64 outputs x 64 inputs), for docs/rtl.md: a command stream of 64
// fully connected ops (1 position each) on the tiny-npu test platform, ethos-u85-128 and -512;
// only sc_start() is timed (manual time), not the platform's elaboration.
#include <chrono>
#include <cstring>
#include <random>

#include <benchmark/benchmark.h>

#include "models/common/clock.h"
#include "models/cpu/host_cpu.h"
#include "models/npu/command_stream.h"
#include "models/npu/ethos_u85.h"
#include "models/npu/weight_stream.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"

namespace {

using namespace slm;
using namespace slm::npu;

constexpr uint64_t kSram = 0x20000000, kRegs = 0x50004000, kCmd = kSram + 0x8000;
constexpr int kN = 64, kK = 64, kOps = 64;

void set_fm(CommandWriter& w, uint16_t region_op, uint16_t base_op, uint16_t depth_op, uint16_t prec_op, uint16_t zp_op,
            uint16_t stride_c_op, uint32_t off, int n, int zp) {
  w.cmd0(region_op, 0);
  w.cmd1(base_op, off);
  w.cmd0(depth_op, static_cast<uint16_t>(n - 1));
  w.cmd0(prec_op, static_cast<uint16_t>(0 | PREC_SIGNED));
  w.cmd0(zp_op, static_cast<uint16_t>(zp));
  w.cmd1(stride_c_op, 1);
}

void BM_NpuModelFc(benchmark::State& st) {
  const std::string variant = st.range(0) == 128 ? "ethos-u85-128" : "ethos-u85-512";
  std::mt19937_64 rng(42);
  std::vector<int8_t> W(kN * kK);
  for (auto& v : W) v = int8_t(int(rng() % 256) - 128);
  std::vector<uint8_t> mem(0x4000, 0);
  for (int k = 0; k < kK; ++k) mem[0x100 + k] = uint8_t(rng());
  std::vector<ChannelScale> sc(kN, ChannelScale{0, 1 << 30, 36});
  const auto stream = encode_weight_stream(WeightStreamHeader{kN, kK, 16, 32, false}, W.data(), sc.data());
  std::memcpy(mem.data() + 0x1000, stream.data(), stream.size());
  CommandWriter w;
  set_fm(w, NPU_SET_IFM_REGION, NPU_SET_IFM_BASE0, NPU_SET_IFM_DEPTH_M1, NPU_SET_IFM_PRECISION, NPU_SET_IFM_ZERO_POINT, NPU_SET_IFM_STRIDE_C, 0x100, kK, 3);
  set_fm(w, NPU_SET_OFM_REGION, NPU_SET_OFM_BASE0, NPU_SET_OFM_DEPTH_M1, NPU_SET_OFM_PRECISION, NPU_SET_OFM_ZERO_POINT, NPU_SET_OFM_STRIDE_C, 0x800, kN, 1);
  w.cmd0(NPU_SET_WEIGHT_REGION, 0);
  w.cmd1(NPU_SET_WEIGHT_BASE, 0x1000);
  w.cmd1(NPU_SET_WEIGHT_LENGTH, static_cast<uint32_t>(stream.size()));
  w.cmd0(NPU_SET_OFM_BLK_DEPTH_M1, 15);
  for (int i = 0; i < kOps; ++i) w.cmd0(NPU_OP_CONV, 0);
  w.cmd0(NPU_OP_STOP, 0xFFFF);
  const auto& words = w.words();
  platform::register_types();
  const config::PlatformConfig cfg =
      config::load_platform(SLMSIM_SOURCE_DIR "/tests/fixtures/configs/tiny-npu.yaml", {"npu.variant=" + variant});
  for (auto _ : st) {
    sim_reset_kernel();
    stats::Group root("soc");
    platform::Platform p(cfg, root);
    auto& npu = p.get<EthosU85>("npu", "NPU");
    auto& cpu = p.get<HostCpu>("cpu", "CPU");
    p.memory("sram").load(0, mem.data(), mem.size());
    p.memory("sram").load(kCmd - kSram, words.data(), words.size() * 4);
    uint32_t status = 0;
    sc_core::sc_spawn([&] {
      cpu.write32(kRegs + EthosU85::REG_BASEP0, static_cast<uint32_t>(kSram));
      cpu.write32(kRegs + EthosU85::REG_REGIONCFG, 0);
      cpu.write32(kRegs + EthosU85::REG_QBASE, static_cast<uint32_t>(kCmd));
      cpu.write32(kRegs + EthosU85::REG_QSIZE, static_cast<uint32_t>(words.size() * 4));
      cpu.write32(kRegs + EthosU85::REG_CMD, 1);
      sc_core::wait(npu.irq_event());
      status = cpu.read32(kRegs + EthosU85::REG_STATUS);
    });
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    st.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (npu.fault()) {
      st.SkipWithError(npu.fault()->str().c_str());
      break;
    }
    benchmark::DoNotOptimize(status);
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * kOps * kN * kK);  // items = MACs
}
BENCHMARK(BM_NpuModelFc)->Arg(128)->Arg(512)->ArgName("macs")->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
