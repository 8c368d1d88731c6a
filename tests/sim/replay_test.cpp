// The replay with real data on the platform: tensors live in simulated memory, engines read
// and write them there, the bit-exact verdict compares what they wrote with the golden
// model, a bit flipped in memory is reported at the op that reads it, and host work runs on
// the host CPU's cost table.
#include <gtest/gtest.h>

#include "models/common/clock.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"

namespace slm {
namespace {

replay::SessionOptions tiny_session(int steps, const std::string& config = "tiny.yaml") {
  replay::SessionOptions o;
  o.config = test::fixture(config);
  o.model = "stories260K";
  o.steps = steps;
  o.calibration = {2, 16, 1'000'000};
  return o;
}

// Where a tensor is placed for this config (offset in its memory).
std::pair<std::string, uint64_t> where_is(const std::string& config, const std::string& tensor, int steps) {
  platform::register_types();
  const config::PlatformConfig cfg = config::load_platform(test::fixture(config));
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  const auto mc = llama2::resolve_config("stories260K");
  const replay::Setup s = replay::prepare(plat, mc, quant::Precision::w8a16, false, steps);
  const replay::Region& r = s.layout->region(tensor);
  return {r.memory, r.addr - plat.base(r.memory)};
}

}  // namespace

TEST(Replay, EveryOpIsCheckedAgainstTheGoldenModel) {
  auto rep = replay::run_session(tiny_session(4));
  EXPECT_EQ(rep["bit_exact"], true);
  ASSERT_EQ(rep["engines"].size(), 1u);
  EXPECT_EQ(rep["engines"][0]["engine"], "eng");
  EXPECT_EQ(rep["engines"][0]["values_computed_by"].get<std::string>().rfind("golden kernels", 0), 0u);
  EXPECT_EQ(rep["engines"][0]["ops_checked"], rep["sim"]["ops"]);
  EXPECT_FALSE(rep.contains("first_mismatch"));
}

TEST(Replay, AFlippedWeightBitIsReportedAtTheOpThatReadsIt) {
  const auto [mem, off] = where_is("tiny.yaml", "l2.w1", 6);
  EXPECT_EQ(mem, "mem");
  auto o = tiny_session(6);
  o.precision = "w8a16";
  o.faults = {mem + ":" + std::to_string(off + 100) + ":6"};  // weight 100 of l2.w1 (row 1)
  auto rep = replay::run_session(o);
  EXPECT_EQ(rep["bit_exact"], false);
  ASSERT_TRUE(rep.contains("first_mismatch"));
  const auto& m = rep["first_mismatch"];
  EXPECT_EQ(m["op"], "l2.w1") << m;
  EXPECT_EQ(m["step"], 0);
  EXPECT_EQ(m["tensor"], "l2.h1");
  EXPECT_EQ(m["element"], 1) << "weight 100 of a 64-wide row belongs to output channel 1";
  EXPECT_NE(m["expected"], m["got"]);
  ASSERT_EQ(rep["faults"].size(), 1u);
  EXPECT_EQ(rep["faults"][0]["tensor"], "l2.w1");
  EXPECT_EQ(rep["faults"][0]["byte_in_tensor"], 100);
  // Ops before it were unaffected: every earlier op of step 0 matched.
  EXPECT_GT(rep["ops_checked"].get<uint64_t>(), rep["ops_mismatched"].get<uint64_t>());
}

TEST(Replay, AFaultLaterInTheRunIsSeenFromThatStepOn) {
  const auto [mem, off] = where_is("tiny.yaml", "l0.wq", 6);
  auto o = tiny_session(6);
  o.faults = {mem + ":" + std::to_string(off) + ":7@20us"};
  auto rep = replay::run_session(o);
  ASSERT_TRUE(rep.contains("first_mismatch"));
  EXPECT_EQ(rep["first_mismatch"]["op"], "l0.wq");
  EXPECT_GT(rep["first_mismatch"]["step"].get<int>(), 0);
  EXPECT_NEAR(rep["faults"][0]["time_s"].get<double>(), 20e-6, 1e-12);
}

TEST(Replay, FlippingABitTwiceRestoresIt) {
  const auto [mem, off] = where_is("tiny.yaml", "l1.wo", 4);
  auto o = tiny_session(4);
  const std::string f = mem + ":" + std::to_string(off + 7) + ":2";
  o.faults = {f, f};
  EXPECT_EQ(replay::run_session(o)["bit_exact"], true);
}

TEST(Replay, BadFaultSpecsAreRefused) {
  for (const auto& [spec, want] : std::vector<std::pair<std::string, std::string>>{
           {"nowhere:0:1", "'nowhere' is not a memory"},
           {"mem:0x", "expected MEMORY:ADDRESS:BIT"},
           {"mem:zz:1", "address 'zz' is not a number"},
           {"mem:0:8", "bit 8 must be in [0, 7]"},
           {"mem:99999999999:0", "is outside mem"},
           {"mem:0:1@3 parsecs", "--fault mem:0:1@3 parsecs"}}) {
    auto o = tiny_session(2);
    o.faults = {spec};
    try {
      replay::run_session(o);
      ADD_FAILURE() << spec << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  }
}

TEST(Replay, HostWorkRunsOnTheHostCpu) {
  auto rep = replay::run_session(tiny_session(4, "tiny-host.yaml"));
  EXPECT_EQ(rep["bit_exact"], true);
  ASSERT_EQ(rep["engines"].size(), 2u);
  EXPECT_EQ(rep["engines"][1]["engine"], "cpu");
  EXPECT_EQ(rep["engines"][1]["kind"], "host");
  EXPECT_EQ(rep["engines"][1]["ops_checked"], 2 * 4);  // embed + argmax per step
  // The host's busy cycles are its cost table: per step 100 + 2 x 64 (embed) + 100 + 3 x 512 (argmax).
  const uint64_t prefill_embed = 100 + 2 * 64, argmax = 100 + 3 * 512;
  EXPECT_EQ(rep["stats"]["soc"]["cpu"]["busy_cycles"]["value"].get<uint64_t>(), 4 * (prefill_embed + argmax));
  // ... and it read the logits (512 x 2 bytes) and one embedding row (64 B + 8 B row_mul) per step through the bus.
  EXPECT_GE(rep["stats"]["soc"]["cpu"]["bytes_read"]["value"].get<uint64_t>(), 4 * (1024 + 72));
}

TEST(Layout, TheArenaReusesTheBytesOfDeadTensors) {
  platform::register_types();
  const config::PlatformConfig cfg = config::load_platform(test::fixture("tiny.yaml"));
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  const auto mc = llama2::resolve_config("stories260K");
  replay::Setup s = replay::prepare(plat, mc, quant::Precision::w8a8, false, 8);
  quant::IntTransformer shape(mc, quant::Precision::w8a8);
  trace::StepCollector c;
  const int32_t tok = 1;
  shape.forward(std::span<const int32_t>(&tok, 1), 3, trace::Phase::decode, &c);
  const auto& ops = c.steps[0].ops;
  s.layout->plan_step(ops, 3);
  uint64_t sum = 0;
  std::set<std::string> seen;
  for (const auto& op : ops)
    for (const auto* l : {&op.inputs, &op.outputs})
      for (const auto& t : *l)
        if (t.role == trace::Role::activation && seen.insert(t.name).second) sum += replay::full_bytes(t);
  EXPECT_LT(s.layout->arena_peak(), sum / 4) << "liveness lets later tensors reuse earlier ones' bytes";
  // An op's output never overlaps its inputs.
  for (const auto& op : ops)
    for (const auto& o : op.outputs)
      for (const auto& i : op.inputs) {
        if (o.role != trace::Role::activation || i.role != trace::Role::activation) continue;
        const auto lo = s.layout->loc(op, o), li = s.layout->loc(op, i);
        EXPECT_TRUE(lo.addr + lo.bytes() <= li.addr || li.addr + li.bytes() <= lo.addr) << op.name;
      }
}

TEST(Layout, AMemoryTooSmallIsNamed) {
  auto o = tiny_session(4);
  o.precision = "w8a8";
  o.sets = {"mem.size_bytes=300 KiB"};
  try {
    replay::run_session(o);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory too small"), std::string::npos) << e.what();
  }
  const uint64_t persistent = replay::check_capacity(o.config, {}, o.model, "w8a8", 4).at("mem");
  o.sets = {"mem.size_bytes=" + std::to_string(persistent + 64)};  // the weights fit, the activations do not
  try {
    replay::run_session(o);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("activation arena"), std::string::npos) << e.what();
  }
}

}  // namespace slm
