#include "models/npu/ethos_u85_arch.h"

#include <algorithm>
#include <cmath>

#include "workloads/common/error.h"

namespace slm::npu {

const std::vector<Variant>& variants() {
  // anchors A2 (Vela 5.1.0 s_EthosU85Configs) and A3 (output / activation cycles).
  static const std::vector<Variant> v = {
      {"ethos-u85-128", 128, 1, {{1, 2, 8}, {1, 1, 16}}, 8192, 8192, 2048, 768, 2, 1,
       {0.5, 0.5, 0.5, 1, 1, 1}, {0.5, 1}, 2048},
      {"ethos-u85-256", 256, 1, {{1, 2, 16}, {1, 4, 8}, {2, 2, 8}}, 16384, 16384, 2048, 1536, 2, 1,
       {0.25, 0.25, 0.25, 0.5, 0.5, 0.5}, {0.25, 0.5}, 2048},
      {"ethos-u85-512", 512, 2, {{2, 2, 16}, {1, 4, 16}}, 16384, 32768, 4096, 3072, 2, 1,
       {0.125, 0.125, 0.25, 0.5, 0.25, 0.25}, {0.125, 0.25}, 4096},
      {"ethos-u85-1024", 1024, 4, {{2, 2, 32}, {1, 4, 32}, {2, 4, 16}}, 16384, 65536, 4096, 6144, 2, 2,
       {0.0625, 0.125, 0.25, 0.5, 0.125, 0.25}, {0.0625, 0.125}, 6656},
      {"ethos-u85-2048", 2048, 4, {{2, 2, 64}, {1, 4, 64}, {4, 4, 16}}, 32768, 131072, 8192, 12288, 4, 2,
       {0.03125, 0.0625, 0.125, 0.25, 0.0625, 0.125}, {0.03125, 0.0625}, 8192},
  };
  return v;
}

std::string variant_names() {
  std::string s;
  for (const auto& v : variants()) s += (s.empty() ? "" : ", ") + std::string(v.name);
  return s;
}

const Variant& variant(const std::string& name) {
  for (const auto& v : variants())
    if (name == v.name) return v;
  throw err("unknown NPU variant '", name, "' (one of ", variant_names(), ")");
}

int bits_of(OfmType t) {
  switch (t) {
    case OfmType::i8: return 8;
    case OfmType::i16: return 16;
    case OfmType::i32: return 32;
    case OfmType::i64: return 64;
  }
  return 8;
}

double ao_cycles_per_element(const Variant& v, OfmType t, bool binary_elementwise_32) {
  if (binary_elementwise_32) return v.ao_cycles[5];
  switch (t) {
    case OfmType::i8: return v.ao_cycles[0];
    case OfmType::i16: return v.ao_cycles[1];
    case OfmType::i32: return v.ao_cycles[2];
    case OfmType::i64: return v.ao_cycles[3];
  }
  return v.ao_cycles[0];
}

namespace {
int div_up(int a, int b) { return (a + b - 1) / b; }
int round_up(int a, int b) { return div_up(a, b) * b; }
}  // namespace

BlockConfig choose_block(const Variant& v, MacOp op, int ofm_h, int ofm_w, int ofm_c, int ifm_depth, int ifm_bits,
                         bool sparse) {
  BlockConfig cfg;
  cfg.acc48 = ifm_bits == 16;
  // IFM block depth (Vela 5.1 FindBlockConfig): 64; 32 for 32-bit IFMs or for 128/256-MAC
  // configs on 16-deep micro-blocks; 128 for 2:4 sparse int8.
  // Micro-block: the one that covers the OFM with the fewest micro-blocks; ties go to the
  // deeper one (a batch-1 vector product has one live spatial position).
  int best = -1;
  for (const auto& ub : v.ublocks) {
    const int n = div_up(ofm_h, ub.h) * div_up(ofm_w, ub.w) * div_up(ofm_c, ub.c);
    if (best < 0 || n < best || (n == best && ub.c > cfg.ublock.c)) best = n, cfg.ublock = ub;
  }
  cfg.ifm_depth = 64;
  if (ifm_bits == 32 || ((v.macs == 128 || v.macs == 256) && cfg.ublock.c == 16 && !sparse)) cfg.ifm_depth = 32;
  else if (sparse && ifm_bits == 8) cfg.ifm_depth = 128;
  cfg.ifm_depth = std::min(cfg.ifm_depth, round_up(std::max(ifm_depth, 1), 8));
  // OFM block: the largest H x W first (a vector product's cost per output element is
  // 1 / (H x W)), then the deepest, that double-buffers in the accumulator and IFM RAMs.
  const int acc_bytes = cfg.acc48 ? 8 : 4;
  const int bw = std::min(round_up(ofm_w, cfg.ublock.w), 128), bh = std::min(round_up(ofm_h, cfg.ublock.h), 128);
  const int cmax = std::min(round_up(ofm_c, 16), 1024);
  for (int h = bh; h >= cfg.ublock.h; h -= cfg.ublock.h)
    for (int w = bw; w >= cfg.ublock.w; w -= cfg.ublock.w) {
      if (op == MacOp::reduce_sum) {  // one output per position: depth 1 (rounded to a granule)
        if (2ull * h * w * 16 * acc_bytes <= v.acc_ram_bytes && 2ull * h * w * cfg.ifm_depth * (ifm_bits / 8) <= v.ifm_ram_bytes) {
          cfg.ofm_h = h, cfg.ofm_w = w, cfg.ofm_c = 1;
          return cfg;
        }
        continue;
      }
      for (int c = cmax; c >= 16; c -= 16) {
        const uint64_t acc = 2ull * h * w * c * acc_bytes;
        const uint64_t ifm = 2ull * h * w * cfg.ifm_depth * (ifm_bits / 8);
        if (acc <= v.acc_ram_bytes && ifm <= v.ifm_ram_bytes) {
          cfg.ofm_h = h, cfg.ofm_w = w, cfg.ofm_c = c;
          return cfg;
        }
      }
    }
  cfg.ofm_h = cfg.ublock.h, cfg.ofm_w = cfg.ublock.w, cfg.ofm_c = 16;
  return cfg;
}

uint64_t mac_cycles_per_depth_block(const Variant& v, MacOp op, const BlockConfig& cfg, int blk_h, int blk_w, int blk_c,
                                    int depth, int ifm_bits, bool sparse) {
  const int ub_hw = div_up(blk_h, cfg.ublock.h) * div_up(blk_w, cfg.ublock.w);
  const int ub_c = op == MacOp::reduce_sum ? 1 : div_up(blk_c, cfg.ublock.c);
  // Weight-decoder bound per kernel step (anchors A3): only for weights from the decoder.
  const int wd_bound = op == MacOp::vector_product ? 32 * cfg.ublock.c / (8 * v.cores) : 0;
  uint64_t cycles = static_cast<uint64_t>(std::max(wd_bound, div_up(depth, 8) * ub_hw)) * ub_c *
                    static_cast<uint64_t>(ifm_bits / 8);
  if (sparse && op == MacOp::vector_product) cycles /= 2;
  // Accumulator write-back delay when one micro-block is all the block holds.
  if (ub_hw == 1 && ub_c == 1) cycles += (cfg.acc48 && v.macs <= 128) ? 3 : 2;
  return std::max<uint64_t>(cycles, 1);
}

uint64_t ao_cycles_per_block(const Variant& v, OfmType t, uint64_t elements, bool lut, bool binary_elementwise_32) {
  double per = ao_cycles_per_element(v, t, binary_elementwise_32);
  if (lut) per = std::max(per, v.activation_cycles[0]);
  return static_cast<uint64_t>(std::ceil(per * static_cast<double>(elements)));
}

double weight_decoder_rate(const Variant& v, double zero_rate) {
  zero_rate = std::clamp(zero_rate, 0.5, 0.9);
  return (8.0 + (zero_rate - 0.5) * (32.0 - 8.0) / 0.4) * v.cores;
}

}  // namespace slm::npu
