// Vela cross-check: the fully connected layers of stories15M (w8a16) on the Arm demo's
// ethos-u85-512 (configs/mcu-ethos-u85.yaml), computed here independently with Vela 5.1's
// U85 formulas (anchors A3, B4, B7), against the NPU model's per-op figures (--csv).
//   MAC cycles:   ceil(K/64) x ceil(N/16) x max(32 x 16 / (8 x 2), 64 / 8) x 2   (B7: 64 per 64x16 block)
//   decoder:      N x K / 16 weights per cycle (dense weights: zero rate clamped to 0.5)
//   weight bytes: the encoded stream (24-byte header, 10 bytes of scale per channel, N x K)
//   access:       bytes / ChannelBW; ChannelBW = min(peak, burst x min(RB/(burst/16),
//                 outstanding x ports x 0.8) / latency x 0.8)              (B4)
//   op:           max(NPU cycles, access cycles)                             (B4)
// The model must agree exactly on MAC cycles and bytes, within 1% on decoder cycles, and
// take at most 1.35 times Vela's op estimate: Vela's channel bandwidth is the peak here, the
// model streams 128-byte bursts two at a time with the storage's latency and the NPU's clock
// edges between them (docs/npu.md, "Vela cross-check"). It may take less than Vela's estimate
// by no more than the weight read buffer (4 KiB, anchors A2) fetched at the channel bandwidth:
// that much of an op's stream can be fetched during the previous operations.
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "sim/replay/session.h"
#include "sim/report/report.h"
#include "tests/sim/harness.h"

namespace slm {
namespace {


}  // namespace

TEST(NpuVelaCrossCheck, Stories15MFullyConnectedLayersOnU85_512) {
  replay::SessionOptions o;
  o.config = test::source_dir() + "/configs/mcu-ethos-u85.yaml";
  o.model = "stories15M";
  o.precision = "w8a16";
  o.steps = 2;
  o.calibration = {1, 8, 1'000'000};
  o.csv_path = test::write_temp("vela.csv", "");
  const auto rep = replay::run_session(o);
  ASSERT_EQ(rep["bit_exact"], true);
  // The demo's storage and NPU, as Vela sees them (anchors B2, Flash_Low; our config).
  const double npu_hz = 32e6, storage_hz = 12.5e6;
  const double peak = 16.0 * storage_hz / npu_hz;           // B/NPU cycle
  const double latency = 2.0 * npu_hz / storage_hz;         // 2 storage cycles in NPU cycles
  const double burst = 128, rb_weight = 256, outstanding = 2, ports = 1;
  const double channel_bw = std::min(peak, burst * std::min(rb_weight / (burst / 16), outstanding * ports * 0.8) / latency * 0.8);
  size_t checked = 0;
  for (const auto& r : report::read_ops_csv(o.csv_path)) {
    if (r.at("step") != "1" || r.at("kind") != "matmul") continue;
    const int64_t n = std::stoll(r.at("n")), k = std::stoll(r.at("k"));
    const uint64_t vela_mac = uint64_t((k + 63) / 64) * uint64_t((n + 15) / 16) * std::max<uint64_t>(32 * 16 / (8 * 2), 64 / 8) * 2;
    EXPECT_EQ(std::stoull(r.at("mac_cycles")), vela_mac) << r.at("name");
    const double vela_wd = double(n * k) / 16.0;
    EXPECT_NEAR(std::stod(r.at("wd_cycles")), vela_wd, 0.01 * vela_wd) << r.at("name");
    const uint64_t stream = 24 + uint64_t(n) * 10 + uint64_t(n * k);
    EXPECT_EQ(std::stoull(r.at("bytes_storage")), stream) << r.at("name");
    const double access = double(stream) / channel_bw;
    const double vela_op = std::max({double(vela_mac), vela_wd, access});
    const double model_op = std::stod(r.at("cycles"));
    const double prefetch = 4096.0 / channel_bw;
    EXPECT_GE(model_op, vela_op - prefetch) << r.at("name");
    EXPECT_LE(model_op, 1.35 * vela_op) << r.at("name") << ": model " << model_op << " vs Vela " << vela_op;
    ++checked;
  }
  EXPECT_EQ(checked, 6u * 7 + 1) << "every FC op of a decode step: 7 per layer and the classifier";
}

}  // namespace slm
