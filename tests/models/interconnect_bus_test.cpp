// Bus: address map rules, routing with address translation, latency and shared bandwidth.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/models/harness.h"
#include "workloads/common/error.h"

using namespace slm;
using namespace slm::test;
using sc_core::sc_time;

TEST(AddressMap, OverlapIsAnErrorNamingBothRanges) {
  AddressMap m;
  m.add("sram", 0x1000, 0x1000, 0);
  m.add("flash", 0x2000, 0x1000, 1);  // adjacent is fine
  try {
    m.add("mram", 0x2800, 0x100, 2);
    FAIL() << "overlap accepted";
  } catch (const slm::Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("'mram' [0x2800, 0x2900)"), std::string::npos) << w;
    EXPECT_NE(w.find("'flash' [0x2000, 0x3000)"), std::string::npos) << w;
  }
  EXPECT_THROW(m.add("big", 0x0, 0x1001, 2), slm::Error);
  EXPECT_THROW(m.add("wrap", ~0ull - 10, 100, 2), slm::Error);
  EXPECT_EQ(m.find(0x1fff)->name, "sram");
  EXPECT_EQ(m.find(0x1ffe, 4), nullptr);  // straddles two entries
  EXPECT_EQ(m.find(0x3000), nullptr);
}

struct TwoMasterBus {
  stats::Group root{"soc"};
  Memory mem;
  Bus bus;
  Initiator a{"a"}, b{"b"};
  static Bus::Params bus_params(uint32_t latency) {
    Bus::Params p;
    p.clock_hz = 1'000'000'000, p.width_bytes = 16, p.latency_cycles = latency;
    return p;
  }
  TwoMasterBus(uint32_t bus_latency, uint32_t mem_latency)
      : mem("mem", mem_params(4096, 16, mem_latency), root), bus("bus", bus_params(bus_latency), root) {
    a.socket.bind(bus.in);
    b.socket.bind(bus.in);
    bus.out.bind(mem.socket);
    bus.address_map().add("mem", 0x8000, 4096, 0);
  }
};

// Uncontended through the bus: bus latency + memory latency + beats (equal widths/clocks).
TEST(Bus, UncontendedAddsFabricLatency) {
  TwoMasterBus t(2, 4);
  run_thread([&] {
    std::vector<uint8_t> d(64, 3);
    sc_time done;
    ASSERT_EQ(t.a.access(tlm::TLM_WRITE_COMMAND, 0x8010, d.data(), 64, done), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(done, ns(2 + 4 + 4));
    uint8_t x = 0;
    t.mem.peek(0x10, &x, 1);  // the target saw the offset
    EXPECT_EQ(x, 3);
    ASSERT_EQ(t.a.access(tlm::TLM_READ_COMMAND, 0x9000, d.data(), 4, done), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  });
  EXPECT_EQ(t.bus.stats().find("decode_errors")->value, 1u);
  EXPECT_EQ(t.bus.stats().find("bytes")->value, 64u);
}

// Two masters streaming into one target port share its bandwidth. Bus latency 1, memory
// latency 1, 64 B = 4 beats: alone, a master does one transfer per 6 cycles; together the
// port is busy without a gap from cycle 2 (first data beat) for 8 x 4 cycles, and the two
// masters alternate (quantum 0: each synchronises after every transfer).
TEST(Bus, TwoMastersShareOnePort) {
  TwoMasterBus t(1, 1);
  sc_time last_a, last_b;
  auto master = [&](Initiator& ini, uint64_t base, sc_time& last) {
    std::vector<uint8_t> d(64);
    for (int i = 0; i < 4; ++i) {
      sc_time done;
      ini.access(tlm::TLM_READ_COMMAND, base + 64 * i, d.data(), 64, done);
      sc_core::wait(done - sc_core::sc_time_stamp());
      last = done;
    }
  };
  sc_core::sc_spawn([&] { master(t.a, 0x8000, last_a); });
  sc_core::sc_spawn([&] { master(t.b, 0x8400, last_b); });
  sc_core::sc_start();
  EXPECT_EQ(std::max(last_a, last_b), ns(2 + 8 * 4));
  EXPECT_EQ(std::min(last_a, last_b), ns(2 + 8 * 4 - 4));  // the other finished one transfer earlier
  EXPECT_EQ(t.mem.stats().find("busy_cycles")->value, 32u);
  EXPECT_EQ(t.bus.stats().find("link_busy_cycles")->value, 32u);
  const auto j = t.root.to_json(sc_core::sc_time_stamp().to_seconds());
  EXPECT_EQ(j["bus"]["in0"]["bytes"], 256);  // an even split of the port
  EXPECT_EQ(j["bus"]["in1"]["bytes"], 256);
}

// Topology: two masters reading two different memories at the same time run in parallel
// on a crossbar and serialise on a shared bus (one link, 4 bus cycles per 64 B).
namespace {
std::pair<sc_time, sc_time> two_targets(const std::string& topology) {
  stats::Group root("soc");
  Memory m0("m0", mem_params(4096, 16, 1), root), m1("m1", mem_params(4096, 16, 1), root);
  Bus::Params bp;
  bp.clock_hz = 1'000'000'000, bp.width_bytes = 16, bp.latency_cycles = 1, bp.topology = topology;
  Bus bus("bus", bp, root);
  Initiator a("a"), b("b");
  a.socket.bind(bus.in);
  b.socket.bind(bus.in);
  bus.out.bind(m0.socket);
  bus.out.bind(m1.socket);
  bus.address_map().add("m0", 0x0, 4096, 0);
  bus.address_map().add("m1", 0x1000, 4096, 1);
  sc_time da, db;
  run_thread([&] {
    std::vector<uint8_t> d(64);
    a.access(tlm::TLM_READ_COMMAND, 0x0, d.data(), 64, da);
    b.access(tlm::TLM_READ_COMMAND, 0x1000, d.data(), 64, db);
  });
  return {da, db};
}
}  // namespace

TEST(Bus, CrossbarLinksAreIndependentSharedBusSerialises) {
  const auto xbar = two_targets("crossbar");
  EXPECT_EQ(xbar.first, ns(1 + 1 + 4));
  EXPECT_EQ(xbar.second, ns(1 + 1 + 4));
  sim_reset_kernel();  // second elaboration in this process
  const auto shared = two_targets("shared");
  EXPECT_EQ(shared.first, ns(1 + 1 + 4));
  EXPECT_EQ(shared.second, ns(1 + 1 + 4 + 4));  // waits for the one link
}
