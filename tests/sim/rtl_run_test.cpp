// `slmsim run --rtl` (sim/rtlcheck): every fully connected op of a short stories260K run
// (../shared/models/stories260K.bin; skipped when absent, FAIL when CI=true) goes through the
// verilated MAC array, operands taken from simulated memory and the op's weight stream, and
// its outputs are compared with the NPU model's.
//   - the clean run passes: every FC op of every step checked, no mismatch, on 512 and 128 MACs;
//   - the verdict can fail: a bit flipped in one weight as the RTL receives it is reported at
//     that op and step, in that weight's output channel only, and nowhere else;
//   - the RTL reads the operands the NPU read: a bit flipped in simulated memory, in a weight of
//     l0.wq's stream, makes the run not bit-exact, yet the RTL agrees with the NPU model (it
//     computed from the same faulty weight) and differs from the golden model there;
//   - the command: exit 0 and PASS when clean, exit 3 with the op and element when not, exit 2
//     for a malformed --rtl-fault, an RTL size that is not built, or a run without values.
#include <gtest/gtest.h>

#include "models/common/clock.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "sim/rtlcheck/rtl_check.h"
#include "workloads/llama2/load.h"
#include "tests/common/cli.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"

namespace slm {
namespace {

constexpr int kPrefill = 8, kSteps = 11;  // 8-token prefill + 3 decode steps
constexpr int kFcPerStep = 5 * 7 + 1;     // stories260K: 5 layers x 7 projections + the classifier

nlohmann::json run_checked(const std::string& model, rtlcheck::Options ro, const std::vector<std::string>& sets = {}) {
  replay::SessionOptions o;
  o.config = test::source_dir() + "/configs/mcu-ethos-u85.yaml";
  o.model = model;
  o.prefill_tokens = kPrefill;
  o.steps = kSteps;
  o.sets = sets;
  rtlcheck::Checker ck(std::move(ro));
  ck.attach(o);
  nlohmann::json rep = replay::run_session(o);
  EXPECT_TRUE(rep["bit_exact"].get<bool>()) << "the NPU model itself is bit-exact with the golden model";
  nlohmann::json r = ck.report();
  EXPECT_EQ(r["passed"].get<bool>(), ck.passed());
  return r;
}

void expect_clean(const nlohmann::json& r, int macs) {
  EXPECT_TRUE(r["passed"].get<bool>());
  EXPECT_EQ(r["macs"].get<int>(), macs);
  EXPECT_EQ(r["ops_checked"].get<uint64_t>(), uint64_t(kFcPerStep) * (kSteps - kPrefill + 1));
  EXPECT_EQ(r["mismatches"].get<uint64_t>(), 0u);
  EXPECT_EQ(r["golden_mismatches"].get<uint64_t>(), 0u);
  bool prefill_seen = false;
  for (const auto& op : r["ops"]) {
    EXPECT_GT(op["rtl_cycles"].get<uint64_t>(), 0u) << op;
    EXPECT_GT(op["npu_mac_cycles"].get<uint64_t>(), 0u) << op;
    EXPECT_EQ(op["macs"].get<uint64_t>(), op["m"].get<uint64_t>() * op["n"].get<uint64_t>() * op["k"].get<uint64_t>());
    prefill_seen |= op["m"].get<int>() == kPrefill;
  }
  EXPECT_TRUE(prefill_seen) << "prefill ops (M = " << kPrefill << ") are checked";
}

TEST(RtlRun, CleanRunPassesOn512And128Macs) {
  const std::string model = test::shared_model("stories260K.bin");
  if (model.empty()) GTEST_SKIP() << "../shared/models/stories260K.bin absent";
  expect_clean(run_checked(model, {}), 512);
  expect_clean(run_checked(model, {128, {}, 8}, {"npu.variant=ethos-u85-128"}), 128);
}

TEST(RtlRun, AWeightFaultIsReportedAtItsOpStepAndChannel) {
  const std::string model = test::shared_model("stories260K.bin");
  if (model.empty()) GTEST_SKIP() << "../shared/models/stories260K.bin absent";
  // l0.wq is 64 x 64: weight 130 is channel 2, depth 2. cls is 512 x 64: weight 4500 is channel 70.
  rtlcheck::Options ro;
  ro.faults = {"l0.wq@0:130:6", "cls@3:4500:7"};
  ro.max_listed = 1000;
  const nlohmann::json r = run_checked(model, ro);
  EXPECT_FALSE(r["passed"].get<bool>());
  EXPECT_EQ(r["ops_mismatched"].get<uint64_t>(), 2u);
  EXPECT_TRUE(r["faults_not_applied"].empty());
  int seen = 0;
  for (const auto& op : r["ops"]) {
    const std::string name = op["op"];
    const int step = op["step"];
    const bool wq = name == "l0.wq" && step == 0, cls = name == "cls" && step == 3;
    if (!wq && !cls) {
      EXPECT_EQ(op["mismatches"].get<uint64_t>(), 0u) << name << " step " << step;
      continue;
    }
    ++seen;
    const uint64_t col = wq ? 2 : 70;
    ASSERT_GE(op["mismatches"].get<uint64_t>(), 1u) << name;
    EXPECT_LE(op["mismatches"].get<uint64_t>(), op["m"].get<uint64_t>()) << name << ": at most one element per position";
    EXPECT_EQ(op["first_mismatches"].size(), op["mismatches"].get<uint64_t>());
    for (const auto& f : op["first_mismatches"]) {
      EXPECT_EQ(f["col"].get<uint64_t>(), col) << name << ": only the faulty weight's channel";
      EXPECT_EQ(f["index"].get<uint64_t>(), f["row"].get<uint64_t>() * op["n"].get<uint64_t>() + col);
      EXPECT_NE(f["expected"], f["got"]);
    }
    // The NPU model (and so the run) did not see the fault: its output still equals golden.
    EXPECT_EQ(op["golden_mismatches"].get<uint64_t>(), op["mismatches"].get<uint64_t>());
  }
  EXPECT_EQ(seen, 2);
}

TEST(RtlRun, OperandsAreTheOnesTheNpuReadFromMemory) {
  const std::string model = test::shared_model("stories260K.bin");
  if (model.empty()) GTEST_SKIP() << "../shared/models/stories260K.bin absent";
  const std::string cfg_file = test::source_dir() + "/configs/mcu-ethos-u85.yaml";
  // Where the mapper placed l0.wq's encoded stream (the run's layout: same model shape and steps).
  platform::register_types();
  const config::PlatformConfig cfg = config::load_platform(cfg_file);
  std::string mem;
  uint64_t off = 0;
  {
    sim_reset_kernel();
    stats::Group root("soc");
    platform::Platform plat(cfg, root);
    const replay::Setup s = replay::prepare(plat, llama2::resolve_config("stories260K"), quant::Precision::w8a16, false, kSteps);
    const replay::Region& r = s.layout->region("npu.l0.wq.stream");
    mem = r.memory;
    off = r.addr - plat.base(mem);
  }
  replay::SessionOptions o;
  o.config = cfg_file;
  o.model = model;
  o.prefill_tokens = kPrefill;
  o.steps = kSteps;
  // The stream: a 24-byte header, 64 scale records of 10 bytes, then channel 0's weights: weight 5, bit 6.
  o.faults = {mem + ":" + std::to_string(off + 24 + 64 * 10 + 5) + ":6"};
  rtlcheck::Checker ck({});
  ck.attach(o);
  const nlohmann::json rep = replay::run_session(o);
  ASSERT_EQ(rep["bit_exact"], false) << "the fault reached the NPU's output";
  EXPECT_EQ(rep["first_mismatch"]["op"], "l0.wq");
  const nlohmann::json r = ck.report();
  EXPECT_TRUE(r["passed"].get<bool>()) << "the RTL computed from the same (faulty) weight as the NPU";
  EXPECT_EQ(r["mismatches"].get<uint64_t>(), 0u);
  const nlohmann::json& first = r["ops"].at(0);
  ASSERT_EQ(first["op"], "l0.wq");
  EXPECT_GT(first["golden_mismatches"].get<uint64_t>(), 0u) << "so the RTL differs from the golden model there";
  // Negative twin: the clean run's RTL equals the golden model everywhere (expect_clean above).
}

TEST(RtlRun, BadSpecsAreErrors) {
  for (const char* spec : {"l0.wq", "l0.wq:1", ":1:2", "l0.wq:x:1", "l0.wq:1:8", "l0.wq@-1:1:1", "l0.wq@a:1:1"})
    EXPECT_THROW(rtlcheck::Checker({0, {spec}, 8}), Error) << spec;
  EXPECT_THROW(rtlcheck::Checker({256, {}, 8}), Error);
}

TEST(RtlRun, CommandExitStatusAndReport) {
  const std::string model = test::shared_model("stories260K.bin");
  if (model.empty()) GTEST_SKIP() << "../shared/models/stories260K.bin absent";
  const std::string cfg = " --config '" + test::source_dir() + "/configs/mcu-ethos-u85.yaml'";
  const std::string base = "run" + cfg + " --model '" + model + "' --prefill-tokens 8 --steps 10 --quiet --rtl";
  const auto ok = test::run_slmsim(base);
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("RTL verdict: PASS"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find(" l0.wq "), std::string::npos) << ok.out;
  const std::string json = test::write_temp("rtl.json", "");
  const auto bad = test::run_slmsim(base + " --rtl-fault l1.w2@1:200:5 --json '" + json + "'");
  EXPECT_EQ(bad.status, 3) << bad.err;
  EXPECT_NE(bad.out.find("RTL verdict: FAIL"), std::string::npos) << bad.out;
  // l1.w2 is 64 x 172: weight 200 is channel 1; step 1 is the first decode step (one position).
  EXPECT_NE(bad.out.find("mismatch: op l1.w2 step 1 element 1 (row 0, col 1)"), std::string::npos) << bad.out;
  const nlohmann::json rep = nlohmann::json::parse(test::read_file(json));
  EXPECT_FALSE(rep["rtl"]["passed"].get<bool>());
  EXPECT_EQ(rep["rtl"]["ops_mismatched"].get<uint64_t>(), 1u);
  for (const std::string& args : {base + " --rtl-fault nonsense", base + " --rtl-macs 256", base + " --shape-only",
                                  "run" + cfg + " --model stories260K --rtl-macs 128"}) {
    const auto r = test::run_slmsim(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace slm
