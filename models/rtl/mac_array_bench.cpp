// Simulation speed of the verilated NPU MAC array (Google Benchmark): MACs simulated per
// wall-clock second at 128 and 512 MACs, int8 and int16 activations, on a stories260K-shaped
// attention-projection tile (32 tokens x 64 outputs x 64 inputs, random values), next to the
// golden matmul (workloads/quant/golden.h) on the same tile. Run: build/models/rtl/rtl_bench.
// The TLM NPU model on the same MAC count: npu_model_bench.cpp. Numbers, not assertions;
// docs/rtl.md records them.
#include <random>

#include <benchmark/benchmark.h>

#include "models/rtl/mac_array_sim.h"
#include "workloads/quant/golden.h"

namespace {

using namespace slm;

rtl::FcTile tile(bool a16) {
  std::mt19937_64 rng(42);
  rtl::FcTile t;
  t.a16 = a16, t.m = 32, t.n = 64, t.k = 64;
  for (int i = 0; i < t.m * t.k; ++i) t.x.push_back(int16_t(a16 ? int(rng() % 65536) - 32768 : int(rng() % 256) - 128));
  for (int i = 0; i < t.n * t.k; ++i) t.w.push_back(int8_t(int(rng() % 256) - 128));
  t.bias.assign(size_t(t.n), 0);
  t.mult.assign(size_t(t.n), 1 << 30);
  t.shift.assign(size_t(t.n), a16 ? 40 : 36);
  if (a16) t.act_min = -32768, t.act_max = 32767;
  return t;
}

void BM_RtlMacArray(benchmark::State& st) {
  const int macs = int(st.range(0));
  const bool a16 = st.range(1) != 0;
  auto a = rtl::make_mac_array(macs);
  const rtl::FcTile t = tile(a16);
  uint64_t cycles = 0;
  for (auto _ : st) {
    rtl::FcResult r = a->run(t);
    cycles += r.cycles;
    benchmark::DoNotOptimize(r.y.data());
  }
  const double n = double(st.iterations());
  st.SetItemsProcessed(int64_t(n) * t.m * t.n * t.k);  // items = MACs of the tile
  st.counters["sim_cycles_per_s"] = benchmark::Counter(double(cycles), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RtlMacArray)->ArgsProduct({{128, 512}, {0, 1}})->ArgNames({"macs", "a16"})->Unit(benchmark::kMicrosecond);

void BM_GoldenMatmul(benchmark::State& st) {
  const bool a16 = st.range(0) != 0;
  const rtl::FcTile t = tile(a16);
  std::vector<quant::QMul> rq(size_t(t.n), quant::QMul{t.mult[0], t.shift[0]});
  quant::golden::WeightView w;
  w.n = t.n, w.k = t.k, w.data = t.w.data(), w.requant = rq.data();
  std::vector<int8_t> x8(t.x.begin(), t.x.end()), y8(size_t(t.m) * t.n);
  std::vector<int16_t> y16(y8.size());
  for (auto _ : st) {
    // matmul_ref: the plain loop (the NPU model's own MAC loop is of this kind).
    if (a16) quant::golden::matmul_ref<int16_t, int16_t>(t.x.data(), t.m, 0, w, 0, y16.data());
    else quant::golden::matmul_ref<int8_t, int8_t>(x8.data(), t.m, 0, w, 0, y8.data());
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * t.m * t.n * t.k);
}
BENCHMARK(BM_GoldenMatmul)->Arg(0)->Arg(1)->ArgName("a16")->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
