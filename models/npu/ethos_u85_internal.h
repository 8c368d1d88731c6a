// Internal state of the EthosU85 model shared by its two source files (not an API).
#pragma once
#include <cstdint>
#include <cstring>

#include "models/npu/ethos_u85.h"

namespace slm {

struct EthosU85::Port {
  Resource data;  // 16 B per NPU cycle
};

struct EthosU85::View {
  uint32_t region = 0;
  uint64_t base = 0;
  int h = 1, w = 1, c = 1;
  int64_t sy = 0, sx = 0, sc = 0;
  int bytes = 1;        // element size
  bool is_signed = true;
  int32_t zp = 0;
  uint64_t elements() const { return uint64_t(h) * uint64_t(w) * uint64_t(c); }
  int64_t at(int y, int x, int z) const { return int64_t(y) * sy + int64_t(x) * sx + int64_t(z) * sc; }
};

struct EthosU85::Regs {
  View ifm, ifm2, ofm;
  uint16_t ifm2_broadcast = 0;
  int16_t ifm2_scalar = 0;
  int ofm_blk_h = 1, ofm_blk_w = 1, ofm_blk_c = 16;
  int kernel_w = 1, kernel_h = 1;
  uint16_t kernel_stride = 0;
  uint16_t acc_format = 0, activation = 0;
  int16_t act_min = 0, act_max = 0;
  uint32_t weight_region = 0, scale_region = 0;
  uint64_t weight_base = 0, weight_length = 0, scale_base = 0, scale_length = 0;
  int32_t ofm_m = 1 << 30, opa_m = 1 << 30, opb_m = 1 << 30;
  uint8_t ofm_shift = 30, opa_shift = 30, opb_shift = 30, left_shift = 0;
  uint16_t dma_src_region = 0, dma_dst_region = 0;
  uint64_t dma_src = 0, dma_dst = 0, dma_len = 0;
};

namespace npu_detail {

inline int64_t sext(uint64_t v, int bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  v &= bits == 64 ? ~uint64_t{0} : ((uint64_t{1} << bits) - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

inline int64_t load_elem(const uint8_t* p, int bytes, bool is_signed) {
  uint64_t v = 0;
  std::memcpy(&v, p, static_cast<size_t>(bytes));
  if (bytes == 8) return static_cast<int64_t>(v);
  return is_signed ? sext(v, bytes * 8) : static_cast<int64_t>(v);
}

inline void store_elem(uint8_t* p, int bytes, int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v);
  std::memcpy(p, &u, static_cast<size_t>(bytes));  // little-endian host
}

inline int64_t rshr(__int128 x, int s) {  // round half up
  if (s <= 0) return static_cast<int64_t>(x);
  return static_cast<int64_t>((x + (__int128{1} << (s - 1))) >> s);
}

inline int64_t type_min(int bytes, bool is_signed) {
  if (!is_signed) return 0;
  return bytes == 8 ? INT64_MIN : -(int64_t{1} << (bytes * 8 - 1));
}
inline int64_t type_max(int bytes, bool is_signed) {
  if (bytes == 8) return INT64_MAX;
  return is_signed ? (int64_t{1} << (bytes * 8 - 1)) - 1 : (int64_t{1} << (bytes * 8)) - 1;
}

inline uint64_t isqrt(uint64_t x) {  // floor(sqrt(x)), bitwise restoring
  uint64_t r = 0, bit = uint64_t{1} << 62;
  while (bit > x) bit >>= 2;
  while (bit) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return r;
}

}  // namespace npu_detail


}  // namespace slm
