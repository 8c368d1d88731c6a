// Burst trains (models/common/burst_train.h): one b_transport standing for a stream of bursts
// costs exactly what the bursts cost issued one by one with the same rule
// issue_i = max(issue_{i-1} + period, done_{i-k}).
#include <gtest/gtest.h>

#include "models/common/burst_train.h"
#include "tests/models/harness.h"

namespace slm {
namespace {

struct Case {
  uint32_t mem_width, mem_latency, mem_outstanding, bus_latency, burst, k;
  bool dram;
};

struct Platform {
  stats::Group root{"soc"};
  std::unique_ptr<Memory> mem;
  std::unique_ptr<Bus> bus;
  std::unique_ptr<test::Initiator> ini;
  explicit Platform(const Case& c) {
    Memory::Params mp = test::mem_params(1 << 20, c.mem_width, c.mem_latency);
    mp.max_outstanding = c.mem_outstanding;
    if (c.dram) mp.kind = "dram", mp.row_bytes = 256, mp.row_miss_extra_cycles = 7, mp.banks = 2, mp.bank_interleave_bytes = 128;
    mem = std::make_unique<Memory>("mem", mp, root);
    Bus::Params bp;
    bp.width_bytes = 64, bp.clock_hz = 500'000'000, bp.latency_cycles = c.bus_latency, bp.max_outstanding = 64;
    bus = std::make_unique<Bus>("bus", bp, root);
    ini = std::make_unique<test::Initiator>("ini");
    ini->socket.bind(bus->in);
    bus->out.bind(mem->socket);
    bus->address_map().add("mem", 0, 1 << 20, 0);
  }
};

constexpr uint64_t kPeriod = 1'000'000;  // the initiator's clock: 1 GHz

// Completion of each burst, issued one transaction at a time.
std::vector<uint64_t> one_by_one(const Case& c, uint64_t addr, uint64_t len, std::vector<uint8_t>& data) {
  Platform p(c);
  std::vector<uint64_t> done;
  test::run_thread([&] {
    std::vector<uint8_t> buf(len);
    uint64_t issue = 0;
    for (uint64_t a = addr; a < addr + len;) {
      const uint64_t n = std::min<uint64_t>(c.burst - a % c.burst, addr + len - a);
      if (!done.empty()) issue += kPeriod;
      if (done.size() >= c.k) issue = std::max(issue, done[done.size() - c.k]);
      sc_core::sc_time t;
      p.ini->access(tlm::TLM_READ_COMMAND, a, buf.data() + (a - addr), static_cast<unsigned>(n), t,
                    sc_core::sc_time::from_value(issue));
      done.push_back(t.value());
      a += n;
    }
    data = buf;
  });
  return done;
}

// Options of a train read: memory contents loaded first, BurstTrain::borrow_read, the
// initiator buffer's fill byte, and where to put the bytes a borrowing read was lent.
struct ReadOpts {
  const std::vector<uint8_t>* preload = nullptr;
  bool borrow = false;
  uint8_t fill = 0;
  std::vector<uint8_t>* lent = nullptr;
};

std::vector<uint64_t> as_train(const Case& c, uint64_t addr, uint64_t len, std::vector<uint8_t>& data, uint64_t& last,
                               const ReadOpts& o = {}) {
  Platform p(c);
  if (o.preload) p.mem->load(addr, o.preload->data(), len);
  std::vector<uint64_t> done;
  test::run_thread([&] {
    std::vector<uint8_t> buf(len, o.fill);
    BurstTrain train;
    train.burst_bytes = c.burst, train.max_outstanding = c.k, train.issue_period_fs = kPeriod;
    train.borrow_read = o.borrow;
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(addr);
    tx.set_data_ptr(buf.data());
    tx.set_data_length(static_cast<unsigned>(len));
    tx.set_streaming_width(static_cast<unsigned>(len));
    tx.set_extension(&train);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    p.ini->socket->b_transport(tx, delay);
    tx.clear_extension(&train);
    EXPECT_TRUE(tx.is_response_ok());
    done = train.done;
    last = delay.value();
    data = buf;
    if (o.lent) {
      o.lent->clear();
      if (train.borrowed) o.lent->assign(train.borrowed, train.borrowed + len);
    }
  });
  return done;
}

void check(const Case& c, uint64_t addr, uint64_t len) {
  std::vector<uint8_t> a, b;
  sim_reset_kernel();
  const auto ref = one_by_one(c, addr, len, a);
  sim_reset_kernel();
  uint64_t last = 0;
  const auto got = as_train(c, addr, len, b, last);
  ASSERT_EQ(ref.size(), got.size());
  EXPECT_EQ(ref, got);
  EXPECT_EQ(last, *std::max_element(ref.begin(), ref.end()));
  EXPECT_EQ(a, b);
}

}  // namespace

TEST(BurstTrain, PortBoundStreamCostsWhatItsBurstsCost) {
  check({16, 4, 64, 2, 64, 16, false}, 0, 4096);
}

TEST(BurstTrain, LatencyBoundStreamCostsWhatItsBurstsCost) {
  check({16, 20, 64, 1, 128, 2, false}, 0, 8192);
  check({16, 20, 1, 1, 128, 4, false}, 0, 2048);  // the memory's own limit binds
}

TEST(BurstTrain, UnalignedStartAndRowMissesCostWhatTheirBurstsCost) {
  check({8, 3, 8, 3, 64, 3, true}, 100, 3000);
}

TEST(BurstTrain, ATrainCountsEveryBurstInTheStats) {
  sim_reset_kernel();
  uint64_t last = 0;
  const Case c{16, 4, 64, 2, 64, 16, false};
  Platform p(c);
  test::run_thread([&] {
    std::vector<uint8_t> buf(1000);
    BurstTrain train;
    train.burst_bytes = 64, train.max_outstanding = 4, train.issue_period_fs = kPeriod;
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(0);
    tx.set_data_ptr(buf.data());
    tx.set_data_length(1000);
    tx.set_streaming_width(1000);
    tx.set_extension(&train);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    p.ini->socket->b_transport(tx, delay);
    tx.clear_extension(&train);
    last = delay.value();
  });
  EXPECT_EQ(p.mem->stats().find("reads")->value, 16u);  // ceil(1000 / 64)
  EXPECT_EQ(p.mem->stats().find("read_bytes")->value, 1000u);
  EXPECT_EQ(p.bus->stats().find("transactions")->value, 16u);
  EXPECT_GT(last, 0u);
}

// A read that borrows the data (BurstTrain::borrow_read) is charged exactly as the copying
// read, leaves the initiator's buffer alone and lends a pointer to the memory's bytes.
TEST(BurstTrain, ABorrowedReadCostsWhatACopyCostsAndLendsTheBytes) {
  const Case c{16, 4, 64, 2, 64, 16, false};
  const uint64_t addr = 100, len = 70000;  // unaligned, longer than the memory's 64 KiB pages
  std::vector<uint8_t> pattern(len);
  for (uint64_t i = 0; i < len; ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 3);
  auto run = [&](bool borrow, std::vector<uint8_t>& buf, std::vector<uint8_t>& lent, uint64_t& last) {
    sim_reset_kernel();
    return as_train(c, addr, len, buf, last, ReadOpts{&pattern, borrow, 0xEE, &lent});
  };
  std::vector<uint8_t> copied, copied_lent, buf, lent;
  uint64_t last_copy = 0, last_borrow = 0;
  const auto ref = run(false, copied, copied_lent, last_copy);
  const auto got = run(true, buf, lent, last_borrow);
  EXPECT_EQ(copied, pattern);
  EXPECT_TRUE(copied_lent.empty());  // nothing lent unless asked
  EXPECT_EQ(ref, got);
  EXPECT_EQ(last_copy, last_borrow);
  EXPECT_EQ(lent, pattern);
  EXPECT_EQ(buf, std::vector<uint8_t>(len, 0xEE));  // not copied
}

}  // namespace slm
