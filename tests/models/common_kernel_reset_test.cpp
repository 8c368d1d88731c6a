// sim_reset_kernel(): several complete simulations in one process (needed by the Python
// module). Each run elaborates a fresh platform, simulates, dumps its stats and destroys
// the platform; the kernel is then replaced. The dumps must be identical byte for byte.
#include <gtest/gtest.h>

#include "tests/models/harness.h"

using namespace slm;
using namespace slm::test;

TEST(KernelReset, SequentialSimulationsInOneProcessAreIdentical) {
  std::vector<ContendedResult> runs;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) sim_reset_kernel();
    runs.push_back(run_contended(sc_core::SC_ZERO_TIME, 16));
    EXPECT_EQ(sc_core::sc_time_stamp(), runs.back().last);  // time restarted at 0 each run
  }
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(runs[i].first, runs[0].first);
    EXPECT_EQ(runs[i].last, runs[0].last);
    EXPECT_EQ(runs[i].stats_json, runs[0].stats_json);
  }
  EXPECT_EQ(runs[0].last, ns(2 * 4 + (2 * 16 + 1) * 4));  // the exact contended result
}

// Without a reset, a second elaboration after sc_start is refused by SystemC; with one,
// module names can be reused.
TEST(KernelReset, NamesCanBeReusedAfterReset) {
  for (int i = 0; i < 2; ++i) {
    sim_reset_kernel();
    stats::Group root("soc");
    Memory mem("mem", mem_params(4096, 16, 2), root);
    Initiator ini("ini");
    ini.socket.bind(mem.socket);
    sc_core::sc_time done;
    uint8_t buf[16] = {};
    run_thread([&] { ini.access(tlm::TLM_READ_COMMAND, 0, buf, 16, done); });
    EXPECT_EQ(done, ns(3));
  }
}
