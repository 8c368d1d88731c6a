// The NPU's encoded weight stream: one stream per fully connected op, holding the weights
// and their per-channel scales and biases, in the order the NPU consumes them (as Vela
// encodes weights for a chosen block configuration; anchors B4). Format (little-endian):
//
//   header, 24 bytes: "SLMW", version u8 (1), flags u8 (bit 0: 2:4 sparse), u16 0,
//                     n u32 (output channels), k u32 (input depth),
//                     ofm_block_depth u16, ifm_block_depth u16,
//                     zero rate u32 (fraction of zero weights, Q16; the decoder's speed depends
//                     on it, as Vela's WeightDecodeCycles does)
//   for each OFM block of ofm_block_depth channels (the last may be shorter, cb channels):
//     cb scale records of 10 bytes: bias int40, multiplier int32, shift u8 (bits [5:0])
//     for each IFM depth block of ifm_block_depth (the last may be shorter, d):
//       dense:  cb x d int8 weights, channel-major
//       sparse: cb x d/4 groups of 3 bytes: the two kept int8 values, then their positions
//               in the group (2 bits each, low bits first); d a multiple of 4
//
// Not modelled: Vela's weight compression (palettes, zero runs): the stream is
// uncompressed, so it is never smaller than the weights (docs/npu.md, "Gaps").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slm::npu {

struct WeightStreamHeader {
  uint32_t n = 0, k = 0;
  uint16_t ofm_block_depth = 16, ifm_block_depth = 64;
  bool sparse = false;
  uint32_t zero_rate_q16 = 0;  // set by encode_weight_stream()
  double zero_rate() const { return zero_rate_q16 / 65536.0; }
};

constexpr uint32_t kWeightStreamHeaderBytes = 24;
constexpr uint32_t kScaleRecordBytes = 10;

struct ChannelScale {
  int64_t bias = 0;        // int40
  int32_t multiplier = 0;
  uint8_t shift = 0;       // 0..63
};

// Bytes of a stream for these dimensions (no data needed).
uint64_t weight_stream_bytes(const WeightStreamHeader& h);
// True if every group of 4 consecutive weights along k (per row) has at most 2 non-zeros
// and k is a multiple of 4 (the weights can be encoded 2:4 sparse).
bool is_sparse_2_4(const int8_t* w, uint32_t n, uint32_t k);
// The 24-byte header alone (zero rate from h.zero_rate_q16): a timing-only run writes just
// the headers, since the decoder's pace needs only the dimensions and the zero rate.
std::vector<uint8_t> encode_weight_stream_header(const WeightStreamHeader& h);
// Encodes weights w (n x k, row-major) with one scale per channel.
std::vector<uint8_t> encode_weight_stream(const WeightStreamHeader& h, const int8_t* w, const ChannelScale* scales);

// Reading a stream: the header (validated against the bytes available), then blocks.
// slm::Error-free: problems are returned as a message (the NPU turns them into a fault).
struct WeightStreamView {
  WeightStreamHeader h;
  const uint8_t* data = nullptr;
  uint64_t bytes = 0;
  // Parses and checks the header and total size; "" if valid, else the reason.
  std::string open(const uint8_t* stream, uint64_t len);
  // Offset of OFM block `ob` (its scale records) and of depth block `db` inside it.
  uint64_t block_offset(uint32_t ob) const;
  uint64_t depth_block_offset(uint32_t ob, uint32_t db) const;
  uint64_t block_bytes(uint32_t ob) const;  // scales + all its depth blocks
  ChannelScale scale(uint32_t ob, uint32_t c) const;
  // The same from OFM block ob's first scale record (scale_records(ob)), for a loop over its
  // channels: scale(ob, c) == scale_at(scale_records(ob), c).
  const uint8_t* scale_records(uint32_t ob) const { return data + block_offset(ob); }
  static ChannelScale scale_at(const uint8_t* records, uint32_t c);
  // Dense weights of depth block db for channel c of OFM block ob into out[0..d).
  void weights(uint32_t ob, uint32_t db, uint32_t c, int8_t* out) const;
  // Dense streams: a pointer to those d weights in the stream (no copy); nullptr if sparse.
  const int8_t* weights_ptr(uint32_t ob, uint32_t db, uint32_t c) const;
};

}  // namespace slm::npu
