// C++ driver of the verilated NPU MAC array (npu_mac_array.sv): streams a fully connected tile
// through it micro-block by micro-block and collects the outputs and the cycle count.
//
// Computed: y[p, c] for p < m positions, c < n channels, exactly as the RTL computes it (the
// RTL, not this driver, does the arithmetic); cycles from the first input beat to the last
// output. The driver pads K to a multiple of 8 (zero weights) and partial micro-blocks (zero
// activations and weights; their outputs are dropped). Micro-blocks go channel group by channel
// group, the position groups inner (a channel group's weights are decoded once, then reused).
// The weight decoder (optional, FcTile::weights_per_cycle): a ready/valid source that turns out
// that many weights per cycle into a buffer of one micro-block's weights; a beat whose weights
// are new (the first position group of a channel group) waits until the decoder has produced
// its live weights (channels x depth lanes inside the tile); beats that reuse weights do not.
// Not modelled: memory (activations are always there).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace slm::rtl {

// One fully connected tile: x (m, k) activations (int8 or int16 values), w (n, k) int8,
// per-channel bias, multiplier and shift (QMul of workloads/quant/fixedpoint.h).
struct FcTile {
  bool a16 = false;  // int16 activations (then x_zp must be 0)
  int m = 0, n = 0, k = 0;
  std::vector<int16_t> x;
  std::vector<int8_t> w;
  std::vector<int64_t> bias;  // (n), within the accumulator's 48 bits
  std::vector<int32_t> mult;  // (n), >= 0
  std::vector<int32_t> shift; // (n), in [0, 63]
  int32_t x_zp = 0, y_zp = 0;
  int32_t act_min = -128, act_max = 127;
  // Upstream stalls (tests): in_valid low for one cycle after every idle_every-th accepted beat
  // (0: a beat is offered every cycle). Valid drops only between beats, as ready/valid requires.
  int idle_every = 0;
  // The weight decoder's throughput in weights per cycle (0: not modelled, a beat every cycle).
  double weights_per_cycle = 0;
};

struct FcResult {
  std::vector<int32_t> y;  // (m, n)
  uint64_t cycles = 0;     // first input beat .. last output, inclusive
  uint64_t micro_blocks = 0;
  uint64_t idle_cycles = 0;  // cycles the driver held in_valid low before the last beat
  uint64_t starved_cycles = 0;  // cycles in_valid was low because the weight decoder was behind
};

// The array's shape (the verilated configuration).
struct MacArrayShape {
  int macs, ub_hw, ub_c, lanes, out_lanes, acc_bits;
};

class MacArray {
 public:
  virtual ~MacArray() = default;
  virtual const MacArrayShape& shape() const = 0;
  // Streams the tile; slm::Error on a malformed tile (sizes, zero point with int16).
  virtual FcResult run(const FcTile& t) = 0;
  // Clock cycles simulated so far (all runs).
  virtual uint64_t total_cycles() const = 0;
};

// macs = 128 or 512 (the configurations built by models/rtl/CMakeLists.txt); slm::Error otherwise.
std::unique_ptr<MacArray> make_mac_array(int macs);

// The header comment's formula for the cycles of one tile streamed back to back:
// NB x P + (NU - 1) x max(NB x P, NG) + NG + 3, NU micro-blocks, NB = ceil(K/8) beats, P = 2
// for int16, NG output groups per micro-block.
uint64_t formula_cycles(const MacArrayShape& s, int m, int n, int k, bool a16);

}  // namespace slm::rtl
