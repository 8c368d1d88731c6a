// iss_run_tlm: see tlm_system.h.
#include "sim/iss/tlm_system.h"

#include <chrono>
#include <memory>
#include <vector>

#include <sys/resource.h>

#include "models/interconnect/bus.h"
#include "models/mem/memory.h"
#include "sim/iss/rv32_tlm.h"
#include "workloads/common/error.h"

namespace slm::iss {
namespace {
double cpu_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec) + double(u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}
}  // namespace

TlmRunResult run_tlm(const std::string& elf, uint32_t cores, uint32_t mem_base, uint64_t mem_size_bytes,
                     uint32_t mem_latency_cycles) {
  const rv32::ElfImage img = rv32::read_elf(elf);
  stats::Group root("iss");
  // params: a single-cycle-class SRAM and a crossbar at the core clock (100 MHz).
  Memory::Params mp;
  mp.kind = "sram";
  mp.size_bytes = mem_size_bytes;
  mp.clock_hz = 100'000'000;
  mp.read_latency_cycles = mp.write_latency_cycles = mem_latency_cycles;  // + 1 beat
  mp.width_bytes = 4;
  mp.max_outstanding = 64;
  Bus::Params bp;
  bp.clock_hz = 100'000'000;
  bp.latency_cycles = 0;
  // instantiate
  Memory mem("mem", mp, root);
  Bus bus("bus", bp, root);
  std::vector<std::unique_ptr<Rv32Tlm>> harts;
  rv32::HtifState htif;
  for (uint32_t h = 0; h < cores; ++h) {
    Rv32Tlm::Params p;
    p.hart_id = h;
    p.dmi_base = mem_base;
    p.dmi_size_bytes = mem_size_bytes;
    harts.push_back(std::make_unique<Rv32Tlm>(("hart" + std::to_string(h)).c_str(), p, root));
  }
  // bind + address map
  for (auto& h : harts) h->socket.bind(bus.in);
  bus.out.bind(mem.socket);
  bus.address_map().add("mem", mem_base, mem_size_bytes, 0);
  for (const auto& s : img.segments) {
    if (s.addr < mem_base || uint64_t{s.addr} + s.mem_size > mem_base + mem_size_bytes)
      throw err(elf, ": segment at 0x", std::hex, s.addr, " is outside the memory [0x", mem_base, ", 0x", mem_base + mem_size_bytes, ")");
    mem.load(s.addr - mem_base, s.data.data(), s.data.size());
  }
  const auto th = img.symbol("tohost");
  for (auto& h : harts) h->start(img.entry, th ? *th : 0, &htif);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_now();
  sc_core::sc_start();
  TlmRunResult r;
  r.cpu_seconds = cpu_now() - c0;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.sim_seconds = sc_core::sc_time_stamp().to_seconds();
  r.exited = htif.exited;
  r.exit_code = htif.exit_code;
  r.console = htif.console;
  r.error = htif.error;
  for (auto& h : harts) r.instructions += h->core().instret;
  r.hart0_cycles = harts[0]->core().cycles;
  if (harts[0]->core().stop_reason() == rv32::Stop::trap) r.error = harts[0]->core().trap_report().text();
  return r;
}

}  // namespace slm::iss
