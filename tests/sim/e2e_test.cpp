// End to end: the generic engine's decode time equals the replay's documented formula to
// the femtosecond, in a weight-bandwidth-bound and a compute-bound config; tokens/s and
// uJ/token are recomputed from the reported counters; two runs give identical reports.
//
// Formula (sim/replay/replay.h, docs/timing-model.md), prefetch_across_ops off:
//   op = sum of operand loads + weight pipeline + output stores (+ compute for ops without weights)
//   weight pipeline over tiles i (two slots): dma_start_i = max(dma_end_{i-1}, comp_end_{i-2}),
//     dma_end_i = dma_start_i + D_i, comp_end_i = edge(max(dma_end_i, comp_end_{i-1})) + C_i,
//   which for n equal tiles and one clock is D + (n-1) max(D, C) + C; edge() is the engine's
//   next clock edge (compute starts on its own clock).
// D (a DMA copy of b bytes) is measured on the same platform in isolation, and checked to grow
// by exactly b/W cycles per b bytes (the weight memory's width W); C is the engine's formula.
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "models/common/clock.h"
#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "sim/report/report.h"
#include "tests/sim/harness.h"
#include "workloads/eval/prepare.h"

namespace slm {
using sc_core::sc_time;
using trace::Role;

namespace {

struct Measured {
  std::map<std::pair<int, uint64_t>, sc_time> copy;  // (direction, bytes) -> duration; 0 = mem->buf, 1 = buf->mem
};

// Durations of isolated DMA copies mem->buf and buf->mem on a fresh instance of the platform.
Measured measure_copies(const config::PlatformConfig& cfg, const std::set<std::pair<int, uint64_t>>& need) {
  Measured m;
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform plat(cfg, root);
  const uint64_t mem = plat.base("mem"), buf = plat.base("buf");
  sc_core::sc_spawn([&] {
    for (const auto& [dir, bytes] : need) {
      const sc_time t0 = sc_core::sc_time_stamp();
      Dma& d = plat.dma("dma");
      auto t = d.submit(1, dir == 0 ? DmaDescriptor::linear(mem, buf, bytes) : DmaDescriptor::linear(buf, mem, bytes));
      d.wait(t);
      m.copy[{dir, bytes}] = sc_core::sc_time_stamp() - t0;
      sc_core::wait(plat.dma("dma").clock().cycles(1000));  // idle gap: nothing in flight
    }
  });
  sc_core::sc_start();
  return m;
}

struct ReplayRun {
  replay::Result result;
  config::PlatformConfig cfg;
  uint64_t tile_bytes = 0, operand_size = 0;
  std::unique_ptr<quant::QuantModel> qm;
};

ReplayRun replay_tiny(const std::vector<std::string>& sets, int steps) {
  platform::register_types();
  ReplayRun r;
  r.cfg = config::load_platform(test::fixture("tiny.yaml"), sets);
  r.qm = std::make_unique<quant::QuantModel>(
      eval::prepare_quant_model("stories260K", quant::Precision::w8a8, eval::CalibrationSpec{2, 16, 1'000'000}, 1));
  quant::IntTransformer model(*r.qm);
  sim_reset_kernel();
  stats::Group root("soc");
  platform::Platform plat(r.cfg, root);
  replay::Options o;
  o.prompt_tokens = {1};
  o.steps = steps;
  o.next_token = [](const replay::StepView& v) { return v.argmax == 1 ? 2 : v.argmax; };  // never stop early
  replay::check_options(model.config(), o);
  replay::Setup setup = replay::prepare(plat, model.config(), model.precision(), true, o.steps);
  replay::load_values(setup, *r.qm);
  replay::Replayer rep("replay", plat, &model, root, std::move(setup), o);
  sc_core::sc_start();
  EXPECT_TRUE(rep.error().empty()) << rep.error();
  r.result = rep.result();
  const uint64_t buf_size = plat.memory("buf").params().size_bytes;
  r.tile_bytes = r.cfg.engine.tile_bytes ? r.cfg.engine.tile_bytes : buf_size / 4;
  r.operand_size = buf_size - 2 * r.tile_bytes;
  return r;
}

bool streamed(const trace::Op& op, const trace::TensorRef& t) {
  bool has_w = false;
  for (const auto& x : op.inputs) has_w |= x.role == Role::weight;
  return t.role == Role::weight || (t.role == Role::param && has_w);
}

// Checks every decode op's duration against the formula; returns (sum D, sum C) over tiles.
std::pair<double, double> check_formula(const ReplayRun& r) {
  // Which copies the formula needs.
  std::set<std::pair<int, uint64_t>> need;
  auto chunks = [&](uint64_t bytes, int dir, auto&& fn) {
    for (uint64_t done = 0; done < bytes; done += r.operand_size) fn(dir, std::min(bytes - done, r.operand_size));
  };
  for (const auto& o : r.result.ops) {
    uint64_t stream = 0;
    for (const auto& t : o.op.inputs) {
      if (streamed(o.op, t)) stream += t.bytes;
      else if (t.bytes) chunks(t.bytes, 0, [&](int d, uint64_t b) { need.insert({d, b}); });
    }
    for (const auto& t : o.op.outputs)
      if (t.bytes) chunks(t.bytes, 1, [&](int d, uint64_t b) { need.insert({d, b}); });
    for (uint64_t b = 0; b < stream; b += r.tile_bytes) need.insert({0, std::min(r.tile_bytes, stream - b)});
  }
  need.insert({0, r.tile_bytes / 2});
  const Measured m = measure_copies(r.cfg, need);
  // The weight memory sustains exactly width_bytes per cycle: D grows by b/W cycles per b bytes.
  {
    const auto& mp = r.cfg.params<Memory::Params>("mem");
    const Clock clk(mp.clock_hz);
    const sc_time d_full = m.copy.at({0, r.tile_bytes}), d_half = m.copy.at({0, r.tile_bytes / 2});
    EXPECT_EQ(clk.to_cycles(d_full - d_half), (r.tile_bytes / 2 + mp.width_bytes - 1) / mp.width_bytes);
  }
  const auto& ep = r.cfg.params<ComputeEngine::Params>("eng");
  const Clock eclk(ep.clock_hz);
  double sum_d = 0, sum_c = 0;
  size_t checked = 0;
  for (const auto& o : r.result.ops) {
    if (o.step == 0) continue;  // decode steps
    // Absolute times: compute starts on an engine clock edge (the engine may run slower).
    sc_time t = o.start;
    uint64_t stream = 0;
    for (const auto& tr : o.op.inputs) {
      if (streamed(o.op, tr)) stream += tr.bytes;
      else if (tr.bytes) chunks(tr.bytes, 0, [&](int d, uint64_t b) { t += m.copy.at({d, b}); });
    }
    auto engine_cycles = [&](uint64_t macs, uint64_t elem) {
      return macs ? (macs + ep.macs_per_cycle_w8a8 - 1) / ep.macs_per_cycle_w8a8
                  : (elem + ep.elem_ops_per_cycle - 1) / ep.elem_ops_per_cycle;
    };
    if (stream == 0) {
      EXPECT_EQ(o.cycles, engine_cycles(o.op.macs, o.op.elem_ops)) << o.op.name;
      t = eclk.next_edge(t) + eclk.cycles(o.cycles);
    } else {
      // Two-slot pipeline recurrence (see the file comment).
      const sc_time t1 = t;
      std::vector<sc_time> dma_end, comp_end;
      uint64_t macs_done = 0, elem_done = 0;
      for (uint64_t i = 0, b = 0; b < stream; ++i, b += r.tile_bytes) {
        const uint64_t bytes = std::min(r.tile_bytes, stream - b);
        const sc_time D = m.copy.at({0, bytes});
        auto share = [&](uint64_t total, uint64_t& done) {
          const uint64_t upto = static_cast<uint64_t>((static_cast<unsigned __int128>(total) * (b + bytes)) / stream);
          const uint64_t v = upto - done;
          done = upto;
          return v;
        };
        const uint64_t macs = share(o.op.macs, macs_done), elem = share(o.op.elem_ops, elem_done);
        const sc_time C = eclk.cycles(engine_cycles(macs, elem));
        sc_time start = i ? dma_end[i - 1] : t1;
        if (i >= 2) start = std::max(start, comp_end[i - 2]);
        dma_end.push_back(start + D);
        comp_end.push_back(eclk.next_edge(std::max(dma_end[i], i ? comp_end[i - 1] : t1)) + C);
        sum_d += D.to_seconds();
        sum_c += C.to_seconds();
      }
      t = comp_end.back();
    }
    for (const auto& tr : o.op.outputs)
      if (tr.bytes) chunks(tr.bytes, 1, [&](int d, uint64_t b) { t += m.copy.at({d, b}); });
    const sc_time expect = t - o.start;
    EXPECT_EQ((o.end - o.start).value(), expect.value()) << o.op.name << " at step " << o.step;
    ++checked;
  }
  EXPECT_GT(checked, 50u);
  // Steps are back to back: a decode step's time is the sum of its ops.
  for (size_t s = 1; s < r.result.steps.size(); ++s) {
    sc_time sum = sc_core::SC_ZERO_TIME;
    for (const auto& o : r.result.ops) if (o.step == s) sum += o.end - o.start;
    EXPECT_EQ((r.result.steps[s].end - r.result.steps[s].start).value(), sum.value());
  }
  return {sum_d, sum_c};
}

// A quick session on tiny.yaml: synthetic stories260K, small calibration.
replay::SessionOptions tiny_session(int steps) {
  replay::SessionOptions o;
  o.config = test::fixture("tiny.yaml");
  o.model = "stories260K";
  o.steps = steps;
  o.calibration = {2, 16, 1'000'000};
  return o;
}

const std::vector<std::string> kNoPrefetch = {"engine.prefetch_across_ops=false", "engine.tile_bytes=4 KiB"};

}  // namespace

TEST(EndToEnd, WeightBandwidthBoundDecodeFollowsTheFormula) {
  auto sets = kNoPrefetch;
  sets.push_back("mem.width_bytes=4");  // slow weight memory: 4 B/cycle
  sets.push_back("eng.macs_per_cycle_w8a8=64");
  ReplayRun r = replay_tiny(sets, 4);
  auto [d, c] = check_formula(r);
  EXPECT_GT(d, 3 * c) << "config meant to be weight-bandwidth-bound";
  EXPECT_EQ(r.result.ops_mismatched(), 0u);
  EXPECT_GT(r.result.ops_checked(), 0u);
}

TEST(EndToEnd, ComputeBoundDecodeFollowsTheFormula) {
  auto sets = kNoPrefetch;
  sets.push_back("mem.width_bytes=64");
  sets.push_back("bus.width_bytes=64");
  sets.push_back("eng.macs_per_cycle_w8a8=64");
  sets.push_back("eng.clock_hz=10 MHz");  // slow engine
  ReplayRun r = replay_tiny(sets, 4);
  auto [d, c] = check_formula(r);
  EXPECT_GT(c, 3 * d) << "config meant to be compute-bound";
}

TEST(EndToEnd, PrefetchAcrossOpsNeverSlowsDecode) {
  ReplayRun off = replay_tiny(kNoPrefetch, 3);
  ReplayRun on = replay_tiny({"engine.tile_bytes=4 KiB"}, 3);
  ASSERT_EQ(off.result.steps.size(), on.result.steps.size());
  const auto dec = [](const ReplayRun& r) { return r.result.steps.back().end - r.result.steps.front().end; };
  EXPECT_LT(dec(on), dec(off));
}

TEST(EndToEnd, ReportMetricsRecomputeFromCounters) {
  replay::SessionOptions o = tiny_session(6);
  o.precision = "w8a8";
  const auto rep = replay::run_session(o);
  const auto& dec = rep["decode"];
  ASSERT_EQ(dec["tokens"].get<uint64_t>(), 5u);  // 6 positions: 1 prefill, 5 decode steps
  EXPECT_DOUBLE_EQ(dec["tokens_per_s"].get<double>(), 5.0 / dec["seconds"].get<double>());
  EXPECT_DOUBLE_EQ(dec["cycles_per_token"].get<double>(), dec["seconds"].get<double>() * 100e6 / 5.0);
  // uJ/token = (sum over components of events x table + leakage x seconds) / tokens.
  const auto& counters = rep["windows"]["decode"]["counters"]["soc"];
  const auto& table = rep["energy"]["table"];
  const auto& bindings = rep["energy"]["bindings"];
  double pj = 0;
  for (auto it = bindings.begin(); it != bindings.end(); ++it) {
    const std::string comp = it.key().substr(4);  // "soc.mem" -> "mem"
    for (const auto& b : it.value())
      pj += table[it.key()][b["param"].get<std::string>()].get<double>() * counters[comp][b["counter"].get<std::string>()].get<double>();
    pj += table[it.key()]["leakage_mw"].get<double>() * dec["seconds"].get<double>() * 1e9;
  }
  EXPECT_NEAR(dec["uj_per_token"].get<double>(), pj * 1e-6 / 5.0, 1e-9 * pj);
  EXPECT_GT(pj, 0);
  double sum = 0;
  for (auto it = rep["energy_uj_by_component"].begin(); it != rep["energy_uj_by_component"].end(); ++it) sum += it.value().get<double>();
  EXPECT_NEAR(sum, rep["energy"]["total_uj"].get<double>(), 1e-9 * sum);
  EXPECT_EQ(rep["bit_exact"], true);
  for (const char* k : {"time_to_first_token_s"}) EXPECT_TRUE(rep["prefill"].contains(k));
  for (const char* k : {"energy_uj_by_component", "bottleneck", "tokens", "text", "bit_exact"}) EXPECT_TRUE(rep.contains(k)) << k;
}

TEST(EndToEnd, RecostWithADoubledTableDoublesDynamicEnergyExactly) {
  replay::SessionOptions o = tiny_session(4);
  nlohmann::json rep = replay::run_session(o);
  const nlohmann::json before = rep["energy"]["windows"];
  energy::Table t = energy::table_from_json(rep["energy"]["table"], "report");
  for (auto& [path, entry] : t)
    for (auto& [k, v] : entry)
      if (k != "leakage_mw") v *= 2;
  report::apply_energy(rep, t);
  for (const char* w : {"prefill", "decode", "run"}) {
    const auto& a = before[w];
    const auto& b = rep["energy"]["windows"][w];
    EXPECT_EQ(b["dynamic_pj"].get<double>(), 2 * a["dynamic_pj"].get<double>()) << w;
    EXPECT_EQ(b["leakage_pj"].get<double>(), a["leakage_pj"].get<double>()) << w;
    EXPECT_GT(a["dynamic_pj"].get<double>(), 0) << w;
  }
}

TEST(EndToEnd, BottleneckNamesTheLimitingResource) {
  replay::SessionOptions o = tiny_session(4);
  o.sets = {"mem.width_bytes=2"};  // weights trickle in
  auto rep = replay::run_session(o);
  EXPECT_EQ(rep["bottleneck"]["resource"], "soc.mem") << rep["bottleneck"];
  EXPECT_EQ(rep["bottleneck"]["kind"], "memory");
  o.sets = {"mem.width_bytes=64", "bus.width_bytes=64", "eng.clock_hz=1 MHz"};  // slow engine
  rep = replay::run_session(o);
  EXPECT_EQ(rep["bottleneck"]["resource"], "soc.eng") << rep["bottleneck"];
  EXPECT_EQ(rep["bottleneck"]["kind"], "compute");
  EXPECT_GT(rep["bottleneck"]["utilisation"].get<double>(), 0.9);
}

TEST(EndToEnd, CsvAndTimelineDescribeEveryOpAndChannel) {
  replay::SessionOptions o = tiny_session(3);
  o.csv_path = test::write_temp("ops.csv", "");
  o.timeline_path = test::write_temp("timeline.json", "");
  const auto rep = replay::run_session(o);
  std::ifstream csv(o.csv_path);
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("step,phase,pos,op_index,name,kind,", 0), 0u) << header;
  size_t rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, rep["sim"]["ops"].get<size_t>());
  std::ifstream tl(o.timeline_path);
  const auto j = nlohmann::json::parse(tl);
  std::map<std::string, int> tracks;  // track name -> tid
  std::map<int, size_t> events;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "M") tracks[e["args"]["name"].get<std::string>()] = e["tid"].get<int>();
    if (e["ph"] == "X") {
      ++events[e["tid"].get<int>()];
      EXPECT_GE(e["dur"].get<double>(), 0.0);
    }
  }
  ASSERT_TRUE(tracks.count("eng (ops)") && tracks.count("dma.ch0") && tracks.count("dma.ch1"));
  EXPECT_EQ(events[tracks["eng (ops)"]], rep["sim"]["ops"].get<size_t>());  // one event per op on the engine track
  EXPECT_GT(events[tracks["dma.ch0"]], 0u);                                 // weight tiles on channel 0
  EXPECT_GT(events[tracks["dma.ch1"]], 0u);                                 // operand moves on channel 1
}

TEST(EndToEnd, TwoRunsGiveIdenticalReports) {
  replay::SessionOptions o = tiny_session(5);
  const std::string a = replay::run_session(o).dump(), b = replay::run_session(o).dump();
  EXPECT_EQ(a, b);
}

TEST(EndToEnd, RealStoryOnTheEthosMcuIsBitExact) {
  const std::string model = test::shared_model("stories260K.bin"), tok = test::shared_model("tok512.bin");
  if (model.empty() || tok.empty()) GTEST_SKIP() << "../shared/models/stories260K.bin or tok512.bin not found";
  replay::SessionOptions o;
  o.config = test::source_dir() + "/configs/mcu-ethos-u85.yaml";
  o.model = model;
  o.tokenizer = tok;
  o.precision = "w8a16";
  o.steps = 40;
  const auto rep = replay::run_session(o);
  EXPECT_EQ(rep["bit_exact"], true);
  EXPECT_EQ(rep["text"].get<std::string>().rfind("Once upon a time", 0), 0u) << rep["text"];
  // The fixed-shape graph reads the whole 512-position KV cache from storage every step.
  EXPECT_EQ(rep["bottleneck"]["resource"], "soc.storage");
}

}  // namespace slm
