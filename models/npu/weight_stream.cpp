#include "models/npu/weight_stream.h"

#include <algorithm>
#include <cstring>

namespace slm::npu {

namespace {
uint32_t cb_of(const WeightStreamHeader& h, uint32_t ob) { return std::min<uint32_t>(h.ofm_block_depth, h.n - ob * h.ofm_block_depth); }
uint32_t d_of(const WeightStreamHeader& h, uint32_t db) { return std::min<uint32_t>(h.ifm_block_depth, h.k - db * h.ifm_block_depth); }
uint64_t wbytes(const WeightStreamHeader& h, uint32_t cb, uint32_t d) { return h.sparse ? uint64_t{cb} * (d / 4) * 3 : uint64_t{cb} * d; }
uint32_t n_depth_blocks(const WeightStreamHeader& h) { return (h.k + h.ifm_block_depth - 1) / h.ifm_block_depth; }
uint32_t n_ofm_blocks(const WeightStreamHeader& h) { return (h.n + h.ofm_block_depth - 1) / h.ofm_block_depth; }
uint64_t block_total(const WeightStreamHeader& h, uint32_t ob) {
  // Scale records, then the depth blocks: all full but the last (O(1): called per block).
  const uint32_t cb = cb_of(h, ob), ndb = n_depth_blocks(h);
  if (ndb == 0) return uint64_t{cb} * kScaleRecordBytes;
  return uint64_t{cb} * kScaleRecordBytes + uint64_t{ndb - 1} * wbytes(h, cb, h.ifm_block_depth) + wbytes(h, cb, d_of(h, ndb - 1));
}
void put(std::vector<uint8_t>& v, uint64_t x, int bytes) {
  for (int i = 0; i < bytes; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
}
uint64_t get(const uint8_t* p, int bytes) {
  uint64_t x = 0;
  for (int i = 0; i < bytes; ++i) x |= uint64_t{p[i]} << (8 * i);
  return x;
}
}  // namespace

uint64_t weight_stream_bytes(const WeightStreamHeader& h) {
  uint64_t b = kWeightStreamHeaderBytes;
  // All full OFM blocks are alike; only the last may differ.
  const uint32_t nob = n_ofm_blocks(h);
  if (nob == 0) return b;
  b += uint64_t{nob - 1} * block_total(h, 0) + block_total(h, nob - 1);
  return b;
}

bool is_sparse_2_4(const int8_t* w, uint32_t n, uint32_t k) {
  if (k % 4) return false;
  for (uint64_t i = 0; i < uint64_t{n} * k; i += 4) {
    int nz = 0;
    for (int j = 0; j < 4; ++j) nz += w[i + j] != 0;
    if (nz > 2) return false;
  }
  return true;
}

std::vector<uint8_t> encode_weight_stream_header(const WeightStreamHeader& h) {
  std::vector<uint8_t> s;
  s.insert(s.end(), {'S', 'L', 'M', 'W', 1, static_cast<uint8_t>(h.sparse ? 1 : 0), 0, 0});
  put(s, h.n, 4);
  put(s, h.k, 4);
  put(s, h.ofm_block_depth, 2);
  put(s, h.ifm_block_depth, 2);
  put(s, h.zero_rate_q16, 4);
  return s;
}

std::vector<uint8_t> encode_weight_stream(const WeightStreamHeader& h, const int8_t* w, const ChannelScale* scales) {
  WeightStreamHeader hz = h;
  uint64_t zeros = 0;
  for (uint64_t i = 0; i < uint64_t{h.n} * h.k; ++i) zeros += w[i] == 0;
  hz.zero_rate_q16 = static_cast<uint32_t>(zeros * 65536 / std::max<uint64_t>(uint64_t{h.n} * h.k, 1));
  std::vector<uint8_t> s = encode_weight_stream_header(hz);
  s.reserve(weight_stream_bytes(h));
  for (uint32_t ob = 0; ob < n_ofm_blocks(h); ++ob) {
    const uint32_t cb = cb_of(h, ob), c0 = ob * h.ofm_block_depth;
    for (uint32_t c = 0; c < cb; ++c) {
      const ChannelScale& sc = scales[c0 + c];
      put(s, static_cast<uint64_t>(sc.bias), 5);
      put(s, static_cast<uint32_t>(sc.multiplier), 4);
      s.push_back(sc.shift & 63);
    }
    for (uint32_t db = 0; db < n_depth_blocks(h); ++db) {
      const uint32_t d = d_of(h, db), k0 = db * h.ifm_block_depth;
      for (uint32_t c = 0; c < cb; ++c) {
        const int8_t* row = w + uint64_t{c0 + c} * h.k + k0;
        if (!h.sparse) {
          s.insert(s.end(), reinterpret_cast<const uint8_t*>(row), reinterpret_cast<const uint8_t*>(row) + d);
          continue;
        }
        for (uint32_t g = 0; g < d; g += 4) {
          int8_t vals[2] = {0, 0};
          uint8_t pos[2] = {0, 1};
          int m = 0;
          for (uint8_t j = 0; j < 4 && m < 2; ++j)
            if (row[g + j] != 0) vals[m] = row[g + j], pos[m] = j, ++m;
          if (m == 1 && pos[0] == 1) pos[1] = 0;  // keep the two positions distinct
          if (m == 1 && pos[0] != 1 && pos[1] == pos[0]) pos[1] = pos[0] == 0 ? 1 : 0;
          s.push_back(static_cast<uint8_t>(vals[0]));
          s.push_back(static_cast<uint8_t>(vals[1]));
          s.push_back(static_cast<uint8_t>(pos[0] | (pos[1] << 2)));
        }
      }
    }
  }
  return s;
}

std::string WeightStreamView::open(const uint8_t* stream, uint64_t len) {
  data = stream;
  bytes = len;
  if (len < kWeightStreamHeaderBytes) return "weight stream of " + std::to_string(len) + " bytes is shorter than its header";
  if (std::memcmp(stream, "SLMW", 4) != 0) return "weight stream has no SLMW header";
  if (stream[4] != 1) return "weight stream version " + std::to_string(stream[4]) + " (this NPU reads 1)";
  if (stream[5] & ~1u) return "weight stream flags 0x" + std::to_string(stream[5]) + " unknown";
  h.sparse = stream[5] & 1;
  h.n = static_cast<uint32_t>(get(stream + 8, 4));
  h.k = static_cast<uint32_t>(get(stream + 12, 4));
  h.ofm_block_depth = static_cast<uint16_t>(get(stream + 16, 2));
  h.ifm_block_depth = static_cast<uint16_t>(get(stream + 18, 2));
  h.zero_rate_q16 = static_cast<uint32_t>(get(stream + 20, 4));
  if (h.zero_rate_q16 > 65536) return "weight stream zero rate " + std::to_string(h.zero_rate_q16) + " / 65536 exceeds 1";
  if (h.n == 0 || h.k == 0 || h.ofm_block_depth == 0 || h.ifm_block_depth == 0 || h.n > (1u << 24) || h.k > (1u << 24))
    return "weight stream header has a zero or oversized dimension";
  if (h.sparse && (h.k % 4 || h.ifm_block_depth % 4)) return "sparse weight stream with a depth not a multiple of 4";
  const uint64_t need = weight_stream_bytes(h);
  if (need != len) return "weight stream holds " + std::to_string(len) + " bytes, its header describes " + std::to_string(need);
  return "";
}

uint64_t WeightStreamView::block_offset(uint32_t ob) const {
  return kWeightStreamHeaderBytes + uint64_t{ob} * block_total(h, 0);
}
uint64_t WeightStreamView::block_bytes(uint32_t ob) const { return block_total(h, ob); }

uint64_t WeightStreamView::depth_block_offset(uint32_t ob, uint32_t db) const {
  const uint32_t cb = cb_of(h, ob);
  uint64_t off = block_offset(ob) + uint64_t{cb} * kScaleRecordBytes;
  // All depth blocks but the last are full.
  off += uint64_t{db} * wbytes(h, cb, h.ifm_block_depth);
  return off;
}

ChannelScale WeightStreamView::scale(uint32_t ob, uint32_t c) const { return scale_at(scale_records(ob), c); }

ChannelScale WeightStreamView::scale_at(const uint8_t* records, uint32_t c) {
  const uint8_t* p = records + uint64_t{c} * kScaleRecordBytes;
  ChannelScale s;
  uint64_t b = get(p, 5);
  if (b & (uint64_t{1} << 39)) b |= ~((uint64_t{1} << 40) - 1);  // sign-extend int40
  s.bias = static_cast<int64_t>(b);
  s.multiplier = static_cast<int32_t>(get(p + 5, 4));
  s.shift = p[9] & 63;
  return s;
}

const int8_t* WeightStreamView::weights_ptr(uint32_t ob, uint32_t db, uint32_t c) const {
  if (h.sparse) return nullptr;
  return reinterpret_cast<const int8_t*>(data + depth_block_offset(ob, db) + uint64_t{c} * d_of(h, db));
}

void WeightStreamView::weights(uint32_t ob, uint32_t db, uint32_t c, int8_t* out) const {
  const uint32_t d = d_of(h, db);
  const uint8_t* p = data + depth_block_offset(ob, db);
  if (!h.sparse) {
    std::memcpy(out, p + uint64_t{c} * d, d);
    return;
  }
  const uint8_t* g = p + uint64_t{c} * (d / 4) * 3;
  std::memset(out, 0, d);
  for (uint32_t i = 0; i < d / 4; ++i, g += 3) {
    out[i * 4 + (g[2] & 3)] = static_cast<int8_t>(g[0]);
    out[i * 4 + ((g[2] >> 2) & 3)] = static_cast<int8_t>(g[1]);
  }
}

}  // namespace slm::npu
