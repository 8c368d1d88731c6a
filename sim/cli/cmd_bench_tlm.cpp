// slmsim bench tlm — simulation speed of the TLM models on a DMA-heavy scenario.
//
//   slmsim bench tlm [--bytes 15000000] [--burst-bytes 64] [--quantum-ns 10] [--channels 2]
// Scenario (a decode step's weight stream): a 2-channel DMA copies `bytes` from an
// LPDDR-like DRAM (16 B/cycle at 1 GHz, latency 32, row miss +20) over a 16 B crossbar
// into a 256 KiB SRAM (2 ports x 16 B/cycle, latency 2) in 64 KiB tiles, channels taking
// tiles alternately, 8 bursts in flight per channel. Every burst is two TLM transactions
// (read + write) through Bus -> Memory with data copied. Prints the simulated time and
// the wall-clock rates: TLM transactions/s and simulated bytes/s. Numbers, not assertions.
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "models/dma/dma.h"
#include "models/interconnect/bus.h"
#include "models/mem/memory.h"
#include "sim/cli/commands.h"
#include "workloads/common/error.h"

namespace slm::cli {
namespace {

struct BenchTlmOptions {
  uint64_t bytes = 15'000'000;
  uint32_t burst_bytes = 64;
  double quantum_ns = 10;
  uint32_t channels = 2;
};

constexpr uint64_t kDramBase = 0x8000'0000, kDramBytes = 1ull << 30;
constexpr uint64_t kSramBase = 0x2000'0000, kSramBytes = 256 * 1024, kTileBytes = 64 * 1024;

void run(const BenchTlmOptions& o) {
  if (o.bytes == 0 || o.bytes > kDramBytes) throw err("bench tlm: --bytes = ", o.bytes, ": must be in [1, ", kDramBytes, "]");
  if (o.burst_bytes == 0 || o.burst_bytes > kTileBytes)
    throw err("bench tlm: --burst-bytes = ", o.burst_bytes, ": must be in [1, ", kTileBytes, "]");
  if (!(o.quantum_ns >= 0) || o.quantum_ns > 1e9) throw err("bench tlm: --quantum-ns = ", o.quantum_ns, ": must be in [0, 1e9]");
  if (o.channels == 0 || o.channels > 4) throw err("bench tlm: --channels = ", o.channels, ": must be in [1, 4]");
  sim_init();
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(o.quantum_ns, sc_core::SC_NS));

  stats::Group root("soc");
  Memory::Params dp;
  dp.kind = "dram", dp.size_bytes = kDramBytes, dp.width_bytes = 16, dp.clock_hz = 1'000'000'000;
  dp.read_latency_cycles = 32, dp.write_latency_cycles = 32, dp.banks = 8, dp.bank_interleave_bytes = 2048;
  dp.row_bytes = 2048, dp.row_miss_extra_cycles = 20, dp.max_outstanding = 64;
  Memory::Params sp;
  sp.size_bytes = kSramBytes, sp.width_bytes = 16, sp.clock_hz = 1'000'000'000, sp.ports = 2, sp.banks = 4;
  sp.read_latency_cycles = 2, sp.write_latency_cycles = 2, sp.max_outstanding = 64;
  Bus::Params bp;
  bp.width_bytes = 16, bp.clock_hz = 1'000'000'000, bp.latency_cycles = 1, bp.max_outstanding = 64;
  Dma::Params mp;
  mp.channels = o.channels, mp.burst_bytes = o.burst_bytes, mp.max_outstanding = 8, mp.queue_depth = 4;
  mp.clock_hz = 1'000'000'000;
  Memory dram("dram", dp, root), sram("sram", sp, root);
  Bus bus("bus", bp, root);
  Dma dma("dma", mp, root);
  dma.socket.bind(bus.in);
  bus.out.bind(dram.socket);
  bus.out.bind(sram.socket);
  bus.address_map().add("dram", kDramBase, kDramBytes, 0);
  bus.address_map().add("sram", kSramBase, kSramBytes, 1);

  sc_core::sc_spawn([&] {
    std::vector<Dma::Ticket> tickets;
    uint64_t done = 0;
    for (uint64_t k = 0; done < o.bytes; ++k) {
      const uint64_t n = std::min(kTileBytes, o.bytes - done);
      tickets.push_back(dma.submit(unsigned(k % o.channels),
                                   DmaDescriptor::linear(kDramBase + done, kSramBase + (k % 4) * kTileBytes, n)));
      done += n;
    }
    for (auto t : tickets) dma.wait(t);
  });
  const auto t0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const double sim_s = sc_core::sc_time_stamp().to_seconds();
  const uint64_t tx = bus.stats().find("transactions")->value;
  const uint64_t moved = dma.stats().find("bytes")->value;
  std::printf("scenario          : %llu B DRAM -> SRAM, %u B bursts, %u channels, quantum %.0f ns\n",
              (unsigned long long)o.bytes, o.burst_bytes, o.channels, o.quantum_ns);
  std::printf("simulated time    : %.6f ms (%.2f GB/s simulated bandwidth)\n", sim_s * 1e3,
              sim_s > 0 ? double(moved) / sim_s * 1e-9 : 0.0);
  std::printf("TLM transactions  : %llu\n", (unsigned long long)tx);
  std::printf("wall time         : %.3f s\n", wall_s);
  std::printf("transactions/s    : %.3f M\n", double(tx) / wall_s * 1e-6);
  std::printf("simulated bytes/s : %.1f MB/s (bytes moved per wall-clock second)\n", double(moved) / wall_s * 1e-6);
}

}  // namespace

void register_bench_tlm(CLI::App& bench) {
  auto o = std::make_shared<BenchTlmOptions>();
  auto* cmd = bench.add_subcommand("tlm", "Simulated TLM transactions and bytes per wall-clock second (DMA stream)");
  cmd->add_option("--bytes", o->bytes, "bytes to stream from DRAM to SRAM (default 15000000, ~stories15M weights)");
  cmd->add_option("--burst-bytes", o->burst_bytes, "DMA burst size in bytes (default 64)");
  cmd->add_option("--quantum-ns", o->quantum_ns, "TLM global quantum in ns (default 10; 0 = exact arbitration)");
  cmd->add_option("--channels", o->channels, "DMA channels sharing the stream (default 2)");
  cmd->callback([o] { run(*o); });
}

}  // namespace slm::cli
