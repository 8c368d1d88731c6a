// Ethos-U85-class NPU: the configuration table and the per-block cycle formulas.
//
// The five variants (ethos-u85-128 ... -2048) are one table (anchors A2, from Vela 5.1.0's
// s_EthosU85Configs): MACs, cores, OFM micro-blocks, internal RAM sizes, AXI port counts and
// per-channel read buffers. The cycle formulas follow Vela 5.1's U85 performance model
// (anchors A3/B4, ethos_u85_performance.cpp), written out here from their published
// structure:
//
//   MAC cycles of one OFM block (convolution / vector product / matmul / reduce-sum):
//     per IFM depth block:  max(wd_bound, ifm_block_depth/8 x uB_hw) x uB_c x (ifm_bits/8)
//     wd_bound = 32 x ublock_depth / (8 x cores) for ops whose weights come through the
//     weight decoder (0 otherwise); halved for 2:4 sparse weights;
//     + an accumulator delay of 2 (3 for Acc48 on 128 MACs) when uB_hw = uB_c = 1.
//   AO (output unit) cycles of a block = ceil(ao_cycles_per_element x elements), by OFM type;
//     an activation (LUT) in the same pass takes max(AO, activation cycles per element).
//   Command-issue limit per block = (IFM + OFM memory cycles of the block + MAC + AO) / 4;
//     each stage of a block lasts at least that long.
//   Weight decoder: weights per cycle = (8 + (zero_rate - 0.5) x 24 / 0.4) x cores, the zero
//     rate clamped to [0.5, 0.9] (Vela's WeightDecodeCycles).
//   Element-wise: AO cycles per element by OFM type (DIV and the integer special functions:
//     33 cycles per element).
// The MAC count changes how long an op takes, never its values.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace slm::npu {

struct UBlock {
  int h = 1, w = 1, c = 1;
  int elements() const { return h * w * c; }
};

struct Variant {
  const char* name;                 // "ethos-u85-512"
  int macs, cores;
  std::vector<UBlock> ublocks;      // OFM micro-block shapes (H x W x C)
  uint32_t ifm_ram_bytes, acc_ram_bytes, ob_ram_bytes, cb_ram_bytes;
  int axi_sram_ports, axi_ext_ports;
  // AO cycles per output element by OFM type: int8, int16, int32, int64,
  // 32-bit to the chaining buffer, 32-bit binary element-wise (anchors A3).
  std::array<double, 6> ao_cycles;
  // Activation (LUT) cycles per element: normal, H<->W transpose or W reverse.
  std::array<double, 2> activation_cycles;
  // Weight-channel read buffer (Vela 5.1.0 channelRBs[Weight] x 16 B; anchors A2 gives the
  // 512's 256 x 16 B = 4 KiB). Bounds how much of an operation's weight stream the NPU can
  // fetch before the operation starts.
  uint32_t weight_rb_bytes;
};

// The table (anchors A2/A3). name() lists the valid names for messages.
const std::vector<Variant>& variants();
const Variant& variant(const std::string& name);  // slm::Error naming the valid ones
std::string variant_names();

constexpr uint32_t kLutRamBytes = 2048;       // LUT RAM (anchors A2)
constexpr int kAxiPortBytesPerCycle = 16;     // AXI5 data width: 16 B/cycle (anchors A2)
constexpr double kDivCyclesPerElement = 33;   // DIV (anchors A3)

enum class OfmType { i8, i16, i32, i64 };
int bits_of(OfmType t);
double ao_cycles_per_element(const Variant& v, OfmType t, bool binary_elementwise_32);

// Block configuration of one MAC-type op (Vela's FindBlockConfig, simplified:
// docs/npu.md "Block configuration").
struct BlockConfig {
  UBlock ublock;
  int ofm_h = 1, ofm_w = 1, ofm_c = 1;   // OFM block
  int ifm_depth = 64;                    // IFM block depth
  bool acc48 = false;
};

enum class MacOp { vector_product, matmul, reduce_sum };

// Chooses the micro-block and block for an OFM of h x w x c computed from an IFM of depth
// `ifm_depth` with `ifm_bits`-bit activations.
BlockConfig choose_block(const Variant& v, MacOp op, int ofm_h, int ofm_w, int ofm_c, int ifm_depth, int ifm_bits,
                         bool sparse);

// MAC cycles of one OFM block of the given (clipped) size, over one IFM depth block of
// `depth` (<= cfg.ifm_depth) elements.
uint64_t mac_cycles_per_depth_block(const Variant& v, MacOp op, const BlockConfig& cfg, int blk_h, int blk_w, int blk_c,
                                    int depth, int ifm_bits, bool sparse);
// AO cycles of a block of `elements` outputs (with a LUT activation if `lut`).
uint64_t ao_cycles_per_block(const Variant& v, OfmType t, uint64_t elements, bool lut, bool binary_elementwise_32 = false);
// Weights the decoder turns out per cycle for weights with `zero_rate` zeros.
double weight_decoder_rate(const Variant& v, double zero_rate);

}  // namespace slm::npu
