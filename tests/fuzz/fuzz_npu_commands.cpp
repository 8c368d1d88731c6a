// libFuzzer target: the NPU command-stream decoder, disassembler and the NPU executing the
// stream on a small platform (SRAM + a slower memory on a crossbar, data in both). Any input
// must end as a decoded stream or a Fault (command index, word, cause) - never a crash,
// a hang or an unbounded allocation.
// Seeds: tests/fuzz/corpus/npu/ (streams written by `slmsim npu compile`, truncated variants).
#include <cstdint>
#include <cstring>
#include <vector>

#include <systemc>

#include "models/common/clock.h"
#include "models/cpu/host_cpu.h"
#include "models/interconnect/bus.h"
#include "models/mem/memory.h"
#include "models/npu/command_stream.h"
#include "models/npu/ethos_u85.h"
#include "workloads/common/error.h"

namespace {

constexpr uint64_t kSram = 0x20000000, kMem = 0x60000000, kRegs = 0x50004000;

void execute(const std::vector<uint32_t>& words) {
  using namespace slm;
  sim_reset_kernel();
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  stats::Group root("soc");
  Memory::Params sp;
  sp.size_bytes = 1 << 20, sp.width_bytes = 16, sp.clock_hz = 100'000'000, sp.ports = 2;
  Memory sram("sram", sp, root);
  Memory::Params mp = sp;
  mp.kind = "dram", mp.size_bytes = 4 << 20, mp.width_bytes = 8, mp.ports = 1;
  Memory mem("mem", mp, root);
  Bus::Params bp;
  bp.width_bytes = 16, bp.clock_hz = 100'000'000;
  Bus bus("bus", bp, root);
  EthosU85::Params np;
  np.variant = "ethos-u85-256";
  np.clock_hz = 100'000'000;
  EthosU85 npu("npu", np, root);
  HostCpu::Params hp;
  hp.clock_hz = 100'000'000;
  HostCpu cpu("cpu", hp, root);
  npu.axi_sram.bind(bus.in);
  npu.axi_ext.bind(bus.in);
  cpu.socket.bind(bus.in);
  bus.out.bind(sram.socket);
  bus.out.bind(mem.socket);
  bus.out.bind(npu.regs);
  bus.address_map().add("sram", kSram, sp.size_bytes, 0);
  bus.address_map().add("mem", kMem, mp.size_bytes, 1);
  bus.address_map().add("npu", kRegs, np.register_window_bytes, 2);
  // Some data for the stream to read: a ramp in both memories.
  std::vector<uint8_t> ramp(64 << 10);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<uint8_t>(i * 31 + 7);
  sram.load(0, ramp.data(), ramp.size());
  mem.load(0, ramp.data(), ramp.size());
  const uint64_t cmd = kSram + (512 << 10);
  sram.load(cmd - kSram, words.data(), words.size() * 4);
  sc_core::sc_spawn([&] {
    cpu.write32(kRegs + EthosU85::REG_BASEP0, static_cast<uint32_t>(kSram));
    cpu.write32(kRegs + EthosU85::REG_BASEP0 + 8, static_cast<uint32_t>(kMem));
    cpu.write32(kRegs + EthosU85::REG_REGIONCFG, 1u << 2);
    cpu.write32(kRegs + EthosU85::REG_QBASE, static_cast<uint32_t>(cmd));
    cpu.write32(kRegs + EthosU85::REG_QSIZE, static_cast<uint32_t>(words.size() * 4));
    cpu.write32(kRegs + EthosU85::REG_CMD, 1);
    sc_core::wait(npu.irq_event());
    sc_core::sc_stop();
  });
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_SEC));  // a bound: a stream that never ends is a hang
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (256 << 10)) return 0;  // commands beyond this say nothing new
  std::vector<uint32_t> words(size / 4);
  if (!words.empty()) std::memcpy(words.data(), data, words.size() * 4);
  std::optional<slm::npu::Fault> f;
  const auto cmds = slm::npu::decode(words.data(), words.size(), &f);
  (void)slm::npu::disassemble(cmds);
  if (f) (void)f->str();
  if (!words.empty()) execute(words);
  return 0;
}
