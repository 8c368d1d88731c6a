// Functional speed of the N-EUREKA model (Google Benchmark): simulated MACs per wall-second
// (items_per_second) on microLlama-shaped jobs. Run: build/models/neureka/neureka_bench.
#include <random>

#include <benchmark/benchmark.h>

#include "models/neureka/neureka.h"

namespace {

using namespace slm::neureka;

void BM_NeurekaJob(benchmark::State& st) {
  const int64_t m = st.range(0), k = st.range(1), n = st.range(2);
  VectorMemory tcdm(1 << 20);
  std::mt19937 rng(1);
  for (auto& b : tcdm.bytes()) b = uint8_t(rng());
  Job j;
  j.m = m, j.k = k, j.n = n, j.x_stride = k, j.w_stride = k, j.y_stride = n;
  j.x_addr = 0, j.w_addr = 0x40000, j.y_addr = 0x80000, j.mult_addr = 0xC0000, j.shift_addr = 0xC1000;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t mult = 1 << 30;
    const uint8_t shift = 40;
    tcdm.write(j.mult_addr + 4 * uint64_t(i), &mult, 4);
    tcdm.write(j.shift_addr + uint64_t(i), &shift, 1);
  }
  Neureka e;
  uint64_t cycles = 0;
  for (auto _ : st) cycles = e.run(j, tcdm).total;
  st.SetItemsProcessed(int64_t(st.iterations()) * m * k * n);
  st.counters["sim_cycles"] = double(cycles);
}
BENCHMARK(BM_NeurekaJob)->Args({1, 64, 256})->Args({64, 64, 256})->Args({64, 256, 64});

}  // namespace

BENCHMARK_MAIN();
