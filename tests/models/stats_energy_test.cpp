// Stats registry (attach, dump, derived formulas) and energy costing from a saved dump.
#include <gtest/gtest.h>

#include "sim/energy/energy.h"
#include "tests/models/harness.h"
#include "workloads/common/error.h"

using namespace slm;
using namespace slm::test;

TEST(Stats, GroupsAttachDumpAndDetach) {
  stats::Group root("soc");
  auto mem = std::make_unique<stats::Group>("sram", &root);
  auto& rb = mem->counter("read_bytes", "bytes", "bytes read");
  rb += 1000;
  mem->formula("bw", "bytes/s", "read_bytes / s", [&rb](double s) { return double(rb.value) / s; });
  ++root.child("dma").child("ch0").counter("bursts", "transactions", "bursts");
  const auto j = root.to_json(2.0);
  EXPECT_EQ(j["sram"]["read_bytes"], 1000);
  EXPECT_EQ(j["sram"]["bw"], 500.0);
  EXPECT_EQ(j["dma"]["ch0"]["bursts"], 1);
  EXPECT_EQ(root.to_json(2.0, true)["sram"]["read_bytes"]["unit"], "bytes");
  std::vector<std::string> paths;
  root.for_each([&](const std::string& p, const stats::Counter&) { paths.push_back(p); });
  EXPECT_EQ(paths, (std::vector<std::string>{"soc.dma.ch0.bursts", "soc.sram.read_bytes"}));
  EXPECT_THROW(stats::Group("sram", &root), slm::Error);  // two components named alike
  root.reset();
  EXPECT_EQ(rb.value, 0u);
  mem.reset();  // detaches
  EXPECT_FALSE(root.to_json(1.0).contains("sram"));
}

namespace {
// A finished run's saved artefacts: stats dump + bindings (what a report JSON holds).
struct SavedRun {
  nlohmann::json stats, bindings;
  double seconds = 0;
  energy::Table table;
};

SavedRun simulate_and_save() {
  SavedRun s;
  DmaPlatform p(16, 4, dma_params(1, 64, 4));
  p.src->load(0, std::vector<uint8_t>(4096, 1).data(), 4096);
  run_thread([&] {
    p.dma->wait(p.dma->submit(0, DmaDescriptor::linear(DmaPlatform::kSrc, DmaPlatform::kDst0, 4096)));
    p.engine->compute(elem_op(500), Precision::w8a8);
  });
  s.seconds = sc_core::sc_time_stamp().to_seconds();
  energy::Bindings b;
  b.add(p.src->stats().path(), Memory::energy_events());
  b.add(p.dst0->stats().path(), Memory::energy_events());
  b.add(p.bus->stats().path(), Bus::energy_events());
  b.add(p.dma->stats().path(), Dma::energy_events());
  b.add(p.engine->stats().path(), ComputeEngine::energy_events());
  nlohmann::json root;
  root["soc"] = p.root.to_json(s.seconds, true);
  s.stats = nlohmann::json::parse(root.dump());  // through text, as from a file
  s.bindings = nlohmann::json::parse(b.to_json().dump());
  auto mp = mem_params(1, 16, 1);
  mp.read_pj_per_byte = 1.5, mp.write_pj_per_byte = 2.25, mp.leakage_mw = 0.3;
  s.table["soc.src"] = energy::table_entry(mp);
  s.table["soc.dst0"] = energy::table_entry(mp);
  s.table["soc.bus"] = {{"pj_per_byte", 0.1}, {"leakage_mw", 0.05}};
  s.table["soc.dma"] = {{"pj_per_byte", 0.2}, {"leakage_mw", 0.01}};
  ComputeEngine::Params cp;
  cp.mac_pj_w8a8 = 0.4, cp.elem_op_pj = 0.7, cp.leakage_mw = 1.0;
  s.table["soc.engine"] = energy::table_entry(cp);
  return s;
}
}  // namespace

TEST(Energy, CountsTimesTablePlusLeakage) {
  const SavedRun s = simulate_and_save();
  const auto r = energy::cost(s.stats, energy::Bindings::from_json(s.bindings, "run.json"), s.table, s.seconds);
  // src was read 4096 B; dst0 written 4096 B; the engine did 500 element ops.
  EXPECT_EQ(r.components.at("soc.src").dynamic_pj, 4096 * 1.5);
  EXPECT_EQ(r.components.at("soc.dst0").dynamic_pj, 4096 * 2.25);
  EXPECT_EQ(r.components.at("soc.engine").dynamic_pj, 500 * 0.7);
  EXPECT_EQ(r.components.at("soc.bus").dynamic_pj, 8192 * 0.1);
  EXPECT_DOUBLE_EQ(r.components.at("soc.engine").leakage_pj, 1.0 * s.seconds * 1e9);
  // The total is the sum of its components.
  double sum = 0;
  for (const auto& [path, c] : r.components) sum += c.total_pj();
  EXPECT_EQ(r.total_pj(), sum);
  const auto j = r.to_json(2);
  EXPECT_DOUBLE_EQ(j["uj_per_token"].get<double>(), r.total_pj() * 1e-6 / 2);
}

TEST(Energy, RecostWithDoubledTableDoublesDynamicExactly) {
  const SavedRun s = simulate_and_save();
  const auto bindings = energy::Bindings::from_json(s.bindings, "run.json");
  energy::Table doubled = s.table;
  for (auto& [path, entry] : doubled)
    for (auto& [param, v] : entry)
      if (param != "leakage_mw") v *= 2;
  const auto a = energy::cost(s.stats, bindings, s.table, s.seconds);
  const auto b = energy::cost(s.stats, bindings, energy::table_from_json(energy::table_to_json(doubled), "t"), s.seconds);
  EXPECT_GT(a.dynamic_pj, 0);
  EXPECT_EQ(b.dynamic_pj, 2 * a.dynamic_pj);
  EXPECT_EQ(b.leakage_pj, a.leakage_pj);
  for (const auto& [path, c] : a.components) EXPECT_EQ(b.components.at(path).dynamic_pj, 2 * c.dynamic_pj) << path;
}

TEST(Energy, MissingEntriesAreErrors) {
  const SavedRun s = simulate_and_save();
  const auto bindings = energy::Bindings::from_json(s.bindings, "run.json");
  energy::Table t = s.table;
  t["soc.bus"].erase("pj_per_byte");
  try {
    energy::cost(s.stats, bindings, t, s.seconds);
    FAIL() << "missing param accepted";
  } catch (const slm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'soc.bus' has no 'pj_per_byte'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(energy::table_from_json(nlohmann::json{{"soc.bus", {{"pj_per_byte", -1}}}}, "t.json"), slm::Error);
  EXPECT_THROW(energy::Bindings::from_json(nlohmann::json{{"soc.bus", {{{"param", 1}}}}}, "r.json"), slm::Error);
  nlohmann::json no_counter = s.stats;
  no_counter["soc"]["bus"].erase("bytes");
  EXPECT_THROW(energy::cost(no_counter, bindings, s.table, s.seconds), slm::Error);
}
