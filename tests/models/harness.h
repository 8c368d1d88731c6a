// Test harness for the TLM models: a stub initiator and a small DMA platform.
//
// Stub initiator: issues one b_transport at (now + delay) and reports the absolute
// completion time, like a VCML stimulus module. Platform: Dma -> Bus -> {src, dst0, dst1}
// memories, all at 1 GHz (1 cycle = 1 ns) so expected times read as cycle counts.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/common/clock.h"
#include "models/compute/compute_engine.h"
#include "models/dma/dma.h"
#include "models/interconnect/bus.h"
#include "models/mem/memory.h"
#include "models/common/stats.h"

namespace slm::test {

// Makes sure the 1 fs resolution is set before the first sc_time is built (sim_init).
inline sc_core::sc_time ns(double v) {
  sim_init();
  return sc_core::sc_time(v, sc_core::SC_NS);
}

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket{"socket"};
  explicit Initiator(sc_core::sc_module_name n) : sc_module(n) {}

  // Returns the response; `done` = absolute completion time.
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len,
                                  sc_core::sc_time& done, sc_core::sc_time delay = sc_core::SC_ZERO_TIME) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(data);
    tx.set_data_length(len);
    tx.set_streaming_width(len);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(tx, delay);
    done = sc_core::sc_time_stamp() + delay;
    return tx.get_response_status();
  }
};

// Runs `body` as an SC_THREAD at time 0 and simulates until everything is idle.
inline void run_thread(const std::function<void()>& body) {
  sc_core::sc_spawn(body, "test_body");
  sc_core::sc_start();
}

// Memory params at 1 GHz with the given width/latency, one port, one bank, deep queue.
inline Memory::Params mem_params(uint64_t size, uint32_t width, uint32_t latency) {
  Memory::Params p;
  p.size_bytes = size, p.width_bytes = width, p.clock_hz = 1'000'000'000;
  p.read_latency_cycles = latency, p.write_latency_cycles = latency;
  p.max_outstanding = 256;
  return p;
}

// DMA platform: one Dma (1 GHz) on a crossbar Bus (1 GHz, 64 B wide, latency 0) to three
// memories: src at 0x0, dst0 at 0x100000, dst1 at 0x200000 (1 MiB each).
struct DmaPlatform {
  static constexpr uint64_t kSrc = 0x0, kDst0 = 0x100000, kDst1 = 0x200000, kSize = 0x100000;
  stats::Group root{"soc"};
  std::unique_ptr<Memory> src, dst0, dst1;
  std::unique_ptr<Bus> bus;
  std::unique_ptr<Dma> dma;
  std::unique_ptr<ComputeEngine> engine;

  DmaPlatform(uint32_t mem_width, uint32_t mem_latency, const Dma::Params& dp) {
    src = std::make_unique<Memory>("src", mem_params(kSize, mem_width, mem_latency), root);
    dst0 = std::make_unique<Memory>("dst0", mem_params(kSize, mem_width, mem_latency), root);
    dst1 = std::make_unique<Memory>("dst1", mem_params(kSize, mem_width, mem_latency), root);
    Bus::Params bp;
    bp.width_bytes = 64, bp.clock_hz = 1'000'000'000, bp.latency_cycles = 0, bp.max_outstanding = 1024;
    bus = std::make_unique<Bus>("bus", bp, root);
    dma = std::make_unique<Dma>("dma", dp, root);
    ComputeEngine::Params cp;
    cp.clock_hz = 1'000'000'000, cp.elem_ops_per_cycle = 1;
    engine = std::make_unique<ComputeEngine>("engine", cp, root);
    dma->socket.bind(bus->in);
    bus->out.bind(src->socket);
    bus->out.bind(dst0->socket);
    bus->out.bind(dst1->socket);
    bus->address_map().add("src", kSrc, kSize, 0);
    bus->address_map().add("dst0", kDst0, kSize, 1);
    bus->address_map().add("dst1", kDst1, kSize, 2);
  }
};

inline Dma::Params dma_params(uint32_t channels, uint32_t burst, uint32_t outstanding) {
  Dma::Params p;
  p.channels = channels, p.burst_bytes = burst, p.max_outstanding = outstanding, p.clock_hz = 1'000'000'000;
  return p;
}

// An element-wise op of `n` element operations (n cycles on the harness engine).
inline trace::Op elem_op(uint64_t n) {
  trace::Op op;
  op.kind = trace::OpKind::add;
  op.elem_ops = n;
  return op;
}

}  // namespace slm::test

namespace slm::test {

// The contended DMA scenario: two channels (16 outstanding, 64 B bursts) each copy
// n_bursts x 64 B from the one src port, channel 0 to dst0, channel 1 to dst1; memories
// 16 B wide, latency 4. Returns both completion times (sorted) and the stats dump.
struct ContendedResult {
  sc_core::sc_time first, last;
  std::string stats_json;
};
inline ContendedResult run_contended(const sc_core::sc_time& quantum, uint32_t n_bursts) {
  tlm::tlm_global_quantum::instance().set(quantum);
  ContendedResult r;
  DmaPlatform p(16, 4, dma_params(2, 64, 16));
  std::vector<uint8_t> pattern(n_bursts * 64);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = uint8_t(i * 7 + 1);
  p.src->load(0, pattern.data(), pattern.size());
  sc_core::sc_time done0, done1;
  run_thread([&] {
    const auto t0 = p.dma->submit(0, DmaDescriptor::linear(DmaPlatform::kSrc, DmaPlatform::kDst0, n_bursts * 64));
    const auto t1 = p.dma->submit(1, DmaDescriptor::linear(DmaPlatform::kSrc, DmaPlatform::kDst1, n_bursts * 64));
    p.dma->wait(t0);
    p.dma->wait(t1);
    done0 = p.dma->completion_time(t0);
    done1 = p.dma->completion_time(t1);
  });
  r.first = std::min(done0, done1);
  r.last = std::max(done0, done1);
  r.stats_json = p.root.to_json(sc_core::sc_time_stamp().to_seconds(), true).dump(1);
  return r;
}

}  // namespace slm::test
