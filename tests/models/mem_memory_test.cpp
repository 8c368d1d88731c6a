// Memory timing laws (exact simulated time), access rules, sparse store, DMI.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/models/harness.h"
#include "workloads/common/error.h"

using namespace slm;
using namespace slm::test;
using sc_core::sc_time;

// Law: an uncontended transfer of N bytes over a W-byte port at latency L completes
// L + ceil(N / W) cycles after the arrival edge.
TEST(Memory, UncontendedTransferTakesLatencyPlusBeats) {
  stats::Group root("soc");
  Memory mem("mem", mem_params(4096, 16, 5), root);
  Initiator ini("ini");
  ini.socket.bind(mem.socket);
  std::vector<uint8_t> buf(100, 7);
  run_thread([&] {
    sc_time done;
    ASSERT_EQ(ini.access(tlm::TLM_WRITE_COMMAND, 0, buf.data(), 100, done), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(done, ns(5 + 7));  // ceil(100/16) = 7
    sc_core::wait(ns(50));
    ASSERT_EQ(ini.access(tlm::TLM_READ_COMMAND, 0, buf.data(), 16, done, ns(3)), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(done, ns(50 + 3 + 5 + 1));
  });
  EXPECT_EQ(mem.uncontended_cycles(100, true), 12u);
  EXPECT_EQ(mem.stats().find("write_bytes")->value, 100u);
  EXPECT_EQ(mem.stats().find("read_bytes")->value, 16u);
  EXPECT_EQ(mem.stats().find("busy_cycles")->value, 8u);
}

// A 32 MHz memory counts in its own cycles: 2 cycles = 62.5 ns exactly.
TEST(Memory, OwnClockDomain) {
  stats::Group root("soc");
  auto p = mem_params(4096, 4, 1);
  p.clock_hz = 32'000'000;
  Memory mem("mem", p, root);
  Initiator ini("ini");
  ini.socket.bind(mem.socket);
  uint8_t buf[4] = {};
  run_thread([&] {
    sc_time done;
    ini.access(tlm::TLM_READ_COMMAND, 0, buf, 4, done, ns(1));  // arrives mid-cycle: waits for the edge
    EXPECT_EQ(done, sc_time::from_value(31'250'000ull * 3));   // edge 1 + 1 latency + 1 beat
  });
}

// Law: bank conflicts serialise. Two ports, two banks (interleave 64 B); two accesses at
// the same time to different banks finish together, to the same bank one after the other.
TEST(Memory, BankConflictsSerialise) {
  stats::Group root("soc");
  auto p = mem_params(4096, 16, 2);
  p.banks = 2, p.ports = 2, p.bank_interleave_bytes = 64;
  Memory mem("mem", p, root);
  Initiator ini("ini");  // the socket must be bound; masters are modelled by calling account()
  ini.socket.bind(mem.socket);
  run_thread([&] {
    const sc_time t = sc_core::sc_time_stamp();
    const sc_time d0 = mem.account(0, 64, false, t);    // bank 0
    const sc_time d1 = mem.account(64, 64, false, t);   // bank 1: parallel
    EXPECT_EQ(d0, ns(2 + 4));
    EXPECT_EQ(d1, ns(2 + 4));
    const sc_time d2 = mem.account(128, 64, false, ns(100));  // bank 0
    const sc_time d3 = mem.account(256, 64, false, ns(100));  // bank 0 again: waits 4 beats
    EXPECT_EQ(d2, ns(106));
    EXPECT_EQ(d3, ns(110));
  });
  EXPECT_EQ(mem.stats().find("bank_conflicts")->value, 1u);
  EXPECT_EQ(mem.stats().find("stall_cycles")->value, 4u);
}

// Two masters sharing one port share its bandwidth: the second waits for the first's beats.
TEST(Memory, OnePortIsShared) {
  stats::Group root("soc");
  Memory mem("mem", mem_params(4096, 8, 3), root);
  Initiator ini("ini");
  ini.socket.bind(mem.socket);
  run_thread([&] {
    EXPECT_EQ(mem.account(0, 64, false, sc_core::SC_ZERO_TIME), ns(3 + 8));
    EXPECT_EQ(mem.account(1024, 64, false, sc_core::SC_ZERO_TIME), ns(3 + 16));
  });
}

TEST(Memory, DramRowMissAddsExtraCycles) {
  stats::Group root("soc");
  auto p = mem_params(1 << 20, 16, 10);
  p.kind = "dram", p.row_bytes = 1024, p.row_miss_extra_cycles = 20;
  Memory mem("mem", p, root);
  Initiator ini("ini");
  ini.socket.bind(mem.socket);
  run_thread([&] {
    EXPECT_EQ(mem.account(0, 16, false, ns(0)), ns(20 + 10 + 1));      // miss: opens row 0
    EXPECT_EQ(mem.account(512, 16, false, ns(100)), ns(100 + 10 + 1));  // hit
    EXPECT_EQ(mem.account(4096, 16, false, ns(200)), ns(200 + 30 + 1));  // miss
  });
  EXPECT_EQ(mem.stats().find("row_misses")->value, 2u);
}

// MRAM: asymmetric read and write latency.
TEST(Memory, MramWritesAreSlowerThanReads) {
  stats::Group root("soc");
  auto p = mem_params(4096, 8, 3);
  p.kind = "mram", p.write_latency_cycles = 30;
  Memory mem("mram", p, root);
  Initiator ini("ini");
  ini.socket.bind(mem.socket);
  run_thread([&] {
    EXPECT_EQ(mem.account(0, 32, false, ns(0)), ns(3 + 4));
    EXPECT_EQ(mem.account(1024, 32, true, ns(100)), ns(100 + 30 + 4));
  });
}

TEST(Memory, FlashRejectsRunTimeWritesButAcceptsPreload) {
  stats::Group root("soc");
  auto p = mem_params(4096, 16, 8);
  p.kind = "flash";
  Memory mem("flash", p, root);
  Initiator ini("ini");
  ini.socket.bind(mem.socket);
  const uint8_t image[4] = {1, 2, 3, 4};
  mem.load(100, image, 4);
  run_thread([&] {
    uint8_t buf[4] = {9, 9, 9, 9};
    sc_time done;
    EXPECT_EQ(ini.access(tlm::TLM_WRITE_COMMAND, 100, buf, 4, done), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(ini.access(tlm::TLM_READ_COMMAND, 100, buf, 4, done), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(0, std::memcmp(buf, image, 4));
    EXPECT_EQ(ini.access(tlm::TLM_READ_COMMAND, 4094, buf, 4, done), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  });
  EXPECT_EQ(mem.stats().find("errors")->value, 2u);
}

TEST(Memory, SparseStoreDoesNotAllocateCapacity) {
  stats::Group root("soc");
  auto p = mem_params(8ull << 30, 32, 20);  // 8 GiB DRAM
  p.kind = "dram";
  Memory mem("dram", p, root);
  const uint64_t far = (8ull << 30) - 8;
  const uint64_t v = 0x1122334455667788ull;
  mem.load(far, &v, 8);
  uint64_t back = 0, zero = 1;
  mem.peek(far, &back, 8);
  mem.peek(1ull << 32, &zero, 8);  // never written
  EXPECT_EQ(back, v);
  EXPECT_EQ(zero, 0u);
  EXPECT_THROW(mem.load(far, &v, 16), slm::Error);
}

TEST(Memory, DmiGivesDirectPointerToThePage) {
  stats::Group root("soc");
  Memory mem("mem", mem_params(1 << 20, 16, 2), root);
  Initiator ini("ini");
  ini.socket.bind(mem.socket);
  const uint32_t v = 0xdeadbeef;
  mem.load(70000, &v, 4);
  tlm::tlm_generic_payload tx;
  tlm::tlm_dmi dmi;
  tx.set_address(70000);
  ASSERT_TRUE(ini.socket->get_direct_mem_ptr(tx, dmi));
  EXPECT_LE(dmi.get_start_address(), 70000u);
  EXPECT_GE(dmi.get_end_address(), 70003u);
  uint32_t got;
  std::memcpy(&got, dmi.get_dmi_ptr() + (70000 - dmi.get_start_address()), 4);
  EXPECT_EQ(got, v);
  EXPECT_TRUE(dmi.is_write_allowed());
}

TEST(Memory, BadParamsAreErrors) {
  auto p = mem_params(4096, 16, 1);
  p.kind = "eeprom";
  EXPECT_THROW(p.validate("soc.mem"), slm::Error);
  p = mem_params(0, 16, 1);
  try {
    p.validate("soc.mem");
    FAIL() << "size 0 accepted";
  } catch (const slm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("soc.mem: field size_bytes = 0"), std::string::npos) << e.what();
  }
  p = mem_params(4096, 16, 1);
  p.row_miss_extra_cycles = 3;  // not dram
  EXPECT_THROW(p.validate("soc.mem"), slm::Error);
}
