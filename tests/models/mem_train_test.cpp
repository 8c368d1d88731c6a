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

// ---- A memory's per-train charging against account_fs() burst by burst ------------------------
// Two memories of the same parameters see the same random sequence: trains (random bursts,
// limits, in-flight lists, hops, reads and writes) and single transactions of other masters at
// random times, with simulated time moving on now and then (so that calendars forget). One
// memory gets each train as a BurstTrain; the other gets the train's bursts one by one through
// account_fs() with the same issue rule. Every completion, every counter and the answers to
// later requests must be the same.
namespace slm {
namespace {

struct Lcg {
  uint64_t s;
  uint64_t next(uint64_t n) {  // [0, n)
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (s >> 33) % n;
  }
};

// The train's rule applied by hand, each burst charged by account_fs().
std::vector<uint64_t> by_hand(Memory& m, const BurstTrain& t, uint64_t off, uint64_t len, bool wr, uint64_t issue,
                              uint64_t now, std::vector<uint64_t>& iss) {
  std::vector<uint64_t> done;
  iss.clear();
  const uint64_t k = std::max<uint32_t>(t.max_outstanding, 1);
  for (uint64_t a = off, i = 0; a < off + len; ++i) {
    const uint64_t n = std::min<uint64_t>(t.burst_bytes - a % t.burst_bytes, off + len - a);
    if (i) issue += t.issue_period_fs;
    const uint64_t nb = t.in_flight.size();
    if (nb + i >= k) {
      const uint64_t j = nb + i - k;
      issue = std::max(issue, j < nb ? t.in_flight[j] : done[j - nb]);
    }
    uint64_t arr = issue;
    for (const auto& h : t.hops) arr = (arr + h.period_fs - 1) / h.period_fs * h.period_fs + h.latency_fs;
    iss.push_back(issue);
    done.push_back(m.account_fs(a, n, wr, arr, now));
    a += n;
  }
  return done;
}

void same_as_per_burst(Memory::Params mp, uint64_t seed) {
  sim_reset_kernel();
  stats::Group root{"soc"};
  Memory fast("fast", mp, root), ref("ref", mp, root);
  test::Initiator ini("ini"), unused("unused");
  ini.socket.bind(fast.socket);
  unused.socket.bind(ref.socket);  // (ref is driven through account_fs only)
  Lcg rng{seed};
  const uint64_t P = fast.clock().period_fs();
  size_t trains = 0;
  test::run_thread([&] {
    std::vector<uint8_t> buf(8192);
    for (int step = 0; step < 300; ++step) {
      const uint64_t now = sc_core::sc_time_stamp().value();
      const uint64_t r = rng.next(10);
      if (r < 6) {  // a train
        BurstTrain t;
        t.burst_bytes = uint32_t(16) << rng.next(4);
        t.max_outstanding = uint32_t(1 + rng.next(5));
        t.issue_period_fs = P / 2 + rng.next(3 * P);
        for (uint64_t f = rng.next(4), base = now + rng.next(8 * P); f; --f) t.in_flight.push_back(base += rng.next(4 * P));
        for (uint64_t h = rng.next(3); h; --h) t.hops.push_back({P / 3 + 1 + rng.next(2 * P), rng.next(3 * P)});
        const bool wr = rng.next(3) == 0;
        const uint64_t len = 1 + rng.next(2000), off = rng.next(mp.size_bytes - len);
        const uint64_t issue = now + rng.next(20 * P);
        tlm::tlm_generic_payload tx;
        tx.set_command(wr ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        tx.set_address(off);
        tx.set_data_ptr(buf.data());
        tx.set_data_length(unsigned(len));
        tx.set_streaming_width(unsigned(len));
        BurstTrain copy = t;
        tx.set_extension(&t);
        sc_core::sc_time delay = sc_core::sc_time::from_value(issue - now);
        ini.socket->b_transport(tx, delay);
        tx.clear_extension(&t);
        ASSERT_TRUE(tx.is_response_ok());
        std::vector<uint64_t> iss;
        const auto want = by_hand(ref, copy, off, len, wr, issue, now, iss);
        ASSERT_EQ(t.done, want) << "step " << step;
        ASSERT_EQ(t.issue, iss) << "step " << step;
        ASSERT_EQ(delay.value() + now, std::max(issue, *std::max_element(want.begin(), want.end())));
        ++trains;
      } else if (r < 9) {  // another master's transaction
        const bool wr = rng.next(2) == 0;
        const uint64_t len = 1 + rng.next(300), off = rng.next(mp.size_bytes - len), at = now + rng.next(200 * P);
        ASSERT_EQ(fast.account_fs(off, len, wr, at, now), ref.account_fs(off, len, wr, at, now)) << "step " << step;
      } else {
        sc_core::wait(sc_core::sc_time::from_value(rng.next(100 * P)));
      }
      ASSERT_EQ(fast.stats().to_json(0), ref.stats().to_json(0)) << "step " << step;
    }
  });
  EXPECT_GT(trains, 100u);
}

}  // namespace

TEST(MemoryTrain, OnePortOneBankChargesAsAccountFsBurstByBurst) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Memory::Params mp = test::mem_params(1 << 16, uint32_t(4) << (seed % 3), uint32_t(seed % 4));
    mp.max_outstanding = uint32_t(1 + seed % 3);
    if (seed % 2) mp.kind = "dram", mp.row_bytes = 512, mp.row_miss_extra_cycles = uint32_t(seed);
    same_as_per_burst(mp, seed);
  }
}

TEST(MemoryTrain, SeveralPortsAndBanksChargeAsAccountFsBurstByBurst) {
  Memory::Params mp = test::mem_params(1 << 16, 8, 2);
  mp.ports = 2, mp.banks = 4, mp.bank_interleave_bytes = 64, mp.max_outstanding = 3;
  same_as_per_burst(mp, 42);
  mp.kind = "dram", mp.row_bytes = 256, mp.row_miss_extra_cycles = 3, mp.ports = 1;
  same_as_per_burst(mp, 43);
}

}  // namespace slm

namespace slm {
namespace {

// A gather through a bus of two 1 MiB memories mapped with 512 KiB windows (mem0 at 0, mem1 at
// 512 KiB, so that only the bus can tell a row is outside mem0's window): taken when every row
// lies inside the first row's window, refused untouched (nothing booked or counted) when a row
// lies in the other window or runs past the end of its own.
bool gather_through_bus(const std::vector<BurstTrain::Row>& rows, uint64_t& bus_transactions, uint64_t& mem0_reads) {
  sim_reset_kernel();
  stats::Group root{"soc"};
  Memory m0("mem0", test::mem_params(1 << 20, 16, 2), root), m1("mem1", test::mem_params(1 << 20, 16, 2), root);
  Bus::Params bp;
  bp.clock_hz = 1'000'000'000;
  Bus bus("bus", bp, root);
  test::Initiator ini("ini");
  ini.socket.bind(bus.in);
  bus.out.bind(m0.socket);
  bus.out.bind(m1.socket);
  bus.address_map().add("mem0", 0, 1 << 19, 0);
  bus.address_map().add("mem1", 1 << 19, 1 << 19, 1);
  bool taken = false;
  test::run_thread([&] {
    uint64_t total = 0;
    for (const auto& r : rows) total += r.len;
    std::vector<uint8_t> buf(total);
    BurstTrain t;
    t.burst_bytes = 64, t.max_outstanding = 4, t.issue_period_fs = 1'000'000;
    t.rows = rows;
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(rows[0].addr);
    tx.set_data_ptr(buf.data());
    tx.set_data_length(unsigned(rows[0].len));
    tx.set_streaming_width(unsigned(rows[0].len));
    tx.set_extension(&t);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    ini.socket->b_transport(tx, delay);
    tx.clear_extension(&t);
    taken = !t.gather_refused;
  });
  bus_transactions = bus.stats().find("transactions")->value;
  mem0_reads = m0.stats().find("reads")->value;
  return taken;
}

}  // namespace

TEST(BurstTrain, ABusTakesAGatherOnlyWhenEveryRowLiesInTheFirstRowsTarget) {
  uint64_t tr = 0, reads = 0;
  EXPECT_TRUE(gather_through_bus({{0x100, 64}, {0x400, 100}, {0x7FF80, 128}}, tr, reads));
  EXPECT_EQ(tr, 1u + 2u + 2u);  // bursts of 64 B
  EXPECT_EQ(reads, 5u);
  EXPECT_FALSE(gather_through_bus({{0x100, 64}, {(1 << 19) + 0x40, 64}}, tr, reads));  // a row in mem1
  EXPECT_EQ(tr, 0u);
  EXPECT_EQ(reads, 0u);
  EXPECT_FALSE(gather_through_bus({{0x100, 64}, {0x7FFC0, 128}}, tr, reads));  // runs past mem0's window
  EXPECT_EQ(tr, 0u);
  EXPECT_EQ(reads, 0u);
}

}  // namespace slm
