// EthosU85 operations: the datapath (values) and the block pipeline (timing) of each
// operation command. See ethos_u85.h and docs/npu.md for the model.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "models/npu/ethos_u85_internal.h"
#include "models/npu/weight_stream.h"
#include "workloads/common/error.h"

namespace slm {

using namespace npu;
using namespace npu_detail;

namespace {
constexpr uint64_t kMaxViewElements = uint64_t{1} << 26;
int div_up(int a, int b) { return (a + b - 1) / b; }
}  // namespace

void EthosU85::check_view(const Command& c, const View& v, const char* what) const {
  if (v.elements() > kMaxViewElements)
    raise(c, std::string(what) + " of " + std::to_string(v.h) + " x " + std::to_string(v.w) + " x " + std::to_string(v.c) +
                 " elements is larger than this model handles (2^26)");
}

// ---- memory <-> dense buffers -----------------------------------------------------------

namespace {
// Element conversions between memory bytes and the dense int64 buffers, one loop per element
// type (load_elem / store_elem element by element, hoisted out of the loop).
template <typename T>
void load_run(const uint8_t* src, int n, int64_t* dst, size_t step) {
  for (int i = 0; i < n; ++i) {
    T e;
    std::memcpy(&e, src + size_t(i) * sizeof(T), sizeof(T));
    dst[size_t(i) * step] = static_cast<int64_t>(e);
  }
}
void load_elems(const uint8_t* src, int n, int eb, bool is_signed, int64_t* dst, size_t step) {
  switch (eb * 2 + (is_signed ? 1 : 0)) {
    case 3: load_run<int8_t>(src, n, dst, step); return;
    case 2: load_run<uint8_t>(src, n, dst, step); return;
    case 5: load_run<int16_t>(src, n, dst, step); return;
    case 4: load_run<uint16_t>(src, n, dst, step); return;
    case 9: load_run<int32_t>(src, n, dst, step); return;
    case 8: load_run<uint32_t>(src, n, dst, step); return;
    case 16: case 17: load_run<int64_t>(src, n, dst, step); return;
    default:
      for (int i = 0; i < n; ++i) dst[size_t(i) * step] = load_elem(src + size_t(i) * size_t(eb), eb, is_signed);
  }
}
template <typename T>
void store_run(uint8_t* dst, int n, const int64_t* src, size_t step) {
  for (int i = 0; i < n; ++i) {
    const T e = static_cast<T>(src[size_t(i) * step]);
    std::memcpy(dst + size_t(i) * sizeof(T), &e, sizeof(T));
  }
}
void store_elems(uint8_t* dst, int n, int eb, const int64_t* src, size_t step) {
  switch (eb) {
    case 1: store_run<uint8_t>(dst, n, src, step); return;
    case 2: store_run<uint16_t>(dst, n, src, step); return;
    case 4: store_run<uint32_t>(dst, n, src, step); return;
    case 8: store_run<uint64_t>(dst, n, src, step); return;
    default:
      for (int i = 0; i < n; ++i) store_elem(dst + size_t(i) * size_t(eb), eb, src[size_t(i) * step]);
  }
}
}  // namespace

uint64_t EthosU85::read_box(const View& v, int y0, int y1, int x0, int x1, int z0, int z1, std::vector<int64_t>& dst,
                            uint64_t issue, OpStats& st) {
  // Broadcast axes (stride 0) are read once and replicated.
  const int ry1 = v.sy == 0 ? y0 + 1 : y1, rx1 = v.sx == 0 ? x0 + 1 : x1, rz1 = v.sc == 0 ? z0 + 1 : z1;
  const int eb = v.bytes;
  uint64_t done = issue;
  std::vector<uint8_t>& buf = box_buf_;
  auto idx = [&](int y, int x, int z) { return (static_cast<size_t>(y) * v.w + static_cast<size_t>(x)) * v.c + static_cast<size_t>(z); };
  const size_t steps[3] = {1, static_cast<size_t>(v.c), static_cast<size_t>(v.w) * static_cast<size_t>(v.c)};
  // The runs (n elements along an axis: 0 z, 1 x, 2 y), in issue order, read as one gather
  // (each run timed as its own transfer, issued one cycle after the previous run's last burst).
  std::vector<BoxRun>& runs = box_runs_;
  runs.clear();
  std::vector<BurstTrain::Row>& rows = box_rows_;
  rows.clear();
  uint64_t total = 0;
  auto run = [&](int y, int x, int z, int n, int axis) {
    runs.push_back({idx(y, x, z), n, axis});
    rows.push_back({v.base + static_cast<uint64_t>(v.at(y, x, z)), static_cast<uint64_t>(n) * static_cast<uint64_t>(eb)});
    total += rows.back().len;
  };
  if (v.sc == eb && rz1 - z0 > 1) {
    for (int y = y0; y < ry1; ++y)
      for (int x = x0; x < rx1; ++x) run(y, x, z0, rz1 - z0, 0);
  } else if (v.sx == eb && rx1 - x0 > 1) {
    for (int y = y0; y < ry1; ++y)
      for (int z = z0; z < rz1; ++z) run(y, x0, z, rx1 - x0, 1);
  } else if (v.sy == eb && ry1 - y0 > 1) {
    for (int x = x0; x < rx1; ++x)
      for (int z = z0; z < rz1; ++z) run(y0, x, z, ry1 - y0, 2);
  } else {
    for (int y = y0; y < ry1; ++y)
      for (int x = x0; x < rx1; ++x)
        for (int z = z0; z < rz1; ++z) run(y, x, z, 1, 0);
  }
  if (buf.size() < total) buf.resize(total);  // only grows (a shrink and regrow would zero-fill again)
  done = std::max(done, gather_rows(v.region, rows, buf.data(), issue, &st));
  const uint8_t* p = buf.data();
  for (const BoxRun& r : runs) {
    load_elems(p, r.n, eb, v.is_signed, dst.data() + r.dst, steps[r.axis]);
    p += size_t(r.n) * size_t(eb);
  }
  // Replicate broadcast axes.
  if (ry1 != y1 || rx1 != x1 || rz1 != z1)
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x)
        for (int z = z0; z < z1; ++z)
          dst[idx(y, x, z)] = dst[idx(std::min(y, ry1 - 1), std::min(x, rx1 - 1), std::min(z, rz1 - 1))];
  return done;
}

uint64_t EthosU85::write_box(const View& v, int y0, int y1, int x0, int x1, int z0, int z1, const std::vector<int64_t>& src,
                             uint64_t issue, OpStats& st) {
  const int eb = v.bytes;
  uint64_t done = issue;
  std::vector<uint8_t>& buf = box_buf_;
  auto idx = [&](int y, int x, int z) { return (static_cast<size_t>(y) * v.w + static_cast<size_t>(x)) * v.c + static_cast<size_t>(z); };
  const size_t steps[3] = {1, static_cast<size_t>(v.c), static_cast<size_t>(v.w) * static_cast<size_t>(v.c)};
  auto run = [&](int y, int x, int z, int n, int axis) {
    const size_t len = static_cast<size_t>(n) * eb;
    if (buf.size() < len) buf.resize(len);  // only grows (shared with read_box)
    store_elems(buf.data(), n, eb, src.data() + idx(y, x, z), steps[axis]);
    done = std::max(done, transfer(true, v.region, v.base + static_cast<uint64_t>(v.at(y, x, z)), buf.data(), len, issue, &st));
    issue += clk_.period_fs();
  };
  if (v.sc == eb && z1 - z0 > 1) {
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) run(y, x, z0, z1 - z0, 0);
  } else if (v.sx == eb && x1 - x0 > 1) {
    for (int y = y0; y < y1; ++y)
      for (int z = z0; z < z1; ++z) run(y, x0, z, x1 - x0, 1);
  } else {
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x)
        for (int z = z0; z < z1; ++z) run(y, x, z, 1, 0);
  }
  return done;
}

// ---- output stage -------------------------------------------------------------------------

int64_t EthosU85::output_stage(__int128 v, int32_t m, int shift, bool acc48) const {
  const Regs& r = *r_;
  int64_t x;
  if (acc48) {
    // 48-bit accumulator, 16-bit scale (TFLite's 16x8 / TOSA apply_scale_16): the value is
    // saturated to 48 bits, the multiplier rounded to 16 bits, the shift reduced by 16.
    constexpr int64_t hi = (int64_t{1} << 47) - 1, lo = -(int64_t{1} << 47);
    const int64_t a = v > hi ? hi : (v < lo ? lo : static_cast<int64_t>(v));
    int64_t m16 = (int64_t{m} + (1 << 15)) >> 16;
    if (m16 > 32767) m16 = 32767;
    x = rshr(__int128{a} * m16, shift - 16);
  } else {
    x = rshr(v * m, shift);
  }
  x += r.ofm.zp;
  int64_t lo = type_min(r.ofm.bytes, r.ofm.is_signed), hi = type_max(r.ofm.bytes, r.ofm.is_signed);
  if (r.activation & kActClipEnable) lo = std::max<int64_t>(lo, r.act_min), hi = std::min<int64_t>(hi, r.act_max);
  x = std::clamp(x, lo, hi);
  const uint16_t fn = r.activation & 0x1F;
  if (fn >= kActTable0) {
    // LUT RAM slot (fn - 16) x 256 bytes; the table format follows the OFM type.
    const uint8_t* t = lut_ram_.data() + size_t(fn - kActTable0) * 256;
    auto entry = [&](int bytes, int64_t i) {
      const size_t off = size_t(i) * size_t(bytes);
      if (t + off + bytes > lut_ram_.data() + lut_ram_.size()) return int64_t{0};
      return load_elem(t + off, bytes, true);
    };
    if (r.ofm.bytes == 1) {
      x = entry(1, x + 128);
    } else if (r.ofm.bytes == 2) {  // 513 entries, x = -32768 + 128 j, 7-bit interpolation
      const int64_t u = x + 32768, j = u >> 7, f = u & 127;
      const int64_t a = entry(2, j), b = entry(2, j + 1);
      x = std::clamp<int64_t>(a + rshr(__int128{b - a} * f, 7), -32768, 32767);
    } else {  // 257 int32 entries over [0, 2^14), 6-bit interpolation (the softmax exp table)
      const int64_t u = std::clamp<int64_t>(x, 0, (256 << 6) - 1), j = u >> 6, f = u & 63;
      const int64_t a = entry(4, j), b = entry(4, j + 1);
      x = a + rshr(__int128{b - a} * f, 6);
    }
  }
  return x;
}

// ---- NPU_OP_CONV: fully connected (weights from the weight stream) and matmul (IFM2) -----

void EthosU85::exec_conv(const Command& c, OpStats& st) {
  Regs& r = *r_;
  const bool matmul = c.param & 1;
  if (c.param & ~uint16_t{1}) raise(c, "NPU_OP_CONV parameter 0x" + std::to_string(c.param) + " not modelled");
  if (r.kernel_w != 1 || r.kernel_h != 1) raise(c, "convolution kernels larger than 1x1 are not modelled");
  const View& ifm = r.ifm;
  const View& ofm = r.ofm;
  check_view(c, ifm, "IFM");
  check_view(c, ofm, "OFM");
  if (ifm.h != ofm.h || ifm.w != ofm.w)
    raise(c, "a 1x1 convolution needs the IFM and OFM of equal height and width (" + std::to_string(ifm.h) + "x" +
                 std::to_string(ifm.w) + " vs " + std::to_string(ofm.h) + "x" + std::to_string(ofm.w) + ")");
  if (ifm.bytes > 2) raise(c, "IFM of " + std::to_string(ifm.bytes * 8) + " bits: the MAC array takes 8- or 16-bit activations");
  if (ofm.bytes > 4) raise(c, "OFM of 64 bits is not modelled for convolutions");
  const int K = ifm.c, N = ofm.c, H = ofm.h, W = ofm.w;
  const bool acc48 = r.acc_format == 1;
  const int ifm_bits = ifm.bytes * 8;

  // Weights: the encoded stream, or IFM2 (N x K, element (n, k) at n * stride_x + k * stride_c).
  std::vector<uint8_t>& stream = stream_buf_;
  WeightStreamView ws;
  double wd_rate = 1;
  // IFM2 of a matmul (read whole by the blocks below before any use): a buffer that only grows,
  // not zero-filled per op (the K/V matrices of the attention, 98 KB each, 72 per step).
  std::vector<int64_t>& w2 = ifm2_buf_;
  View wv = r.ifm2;
  bool sparse = false;
  BlockConfig cfg;
  const uint64_t t0 = st.start_fs;
  // The weight stream may start before the operation, as soon as the weight channel is free:
  // its first weight_rb_bytes (header included) fill the weight read buffer while the previous
  // operations finish; the rest waits for the operation (Vela hides a fetch in the previous
  // op's slack, anchors B4; the buffer size is Vela's channelRBs[Weight], anchors A2).
  const uint64_t w0 = std::min<uint64_t>(t0, std::max<uint64_t>(weight_free_fs_, sc_core::sc_time_stamp().value()));
  uint64_t early_left = var_->weight_rb_bytes;  // bytes of this stream that may still be issued before t0
  uint64_t hdr_done = t0;
  // The stream's bytes are borrowed from the memory that holds them (no host-side copy;
  // nothing writes memory while the operation reads its weights, the OFM is written after
  // the MACs) or, where the target cannot lend them, copied into `stream`. wseen: the
  // stream's bytes [0, wseen) have been read.
  const uint8_t* wsrc = nullptr;
  uint64_t wseen = 0;
  auto to_buffer = [&] {  // from now on the bytes live in `stream`
    if (wsrc) std::memcpy(stream.data(), wsrc, wseen);
    wsrc = nullptr;
  };
  auto wread = [&](uint64_t from, uint64_t len, uint64_t& issue) {
    const uint8_t* got = nullptr;
    const uint64_t done = transfer(false, r.weight_region, r.weight_base + from, stream.data() + from, len, issue, &st, &got);
    if (from == 0 && wseen == 0) {
      wsrc = got;
    } else if (got != (wsrc ? wsrc + from : nullptr)) {
      to_buffer();
      if (got) std::memcpy(stream.data() + from, got, len);
    }
    wseen = std::max(wseen, from + len);
    return done;
  };
  if (!matmul) {
    if (r.weight_length < kWeightStreamHeaderBytes || r.weight_length > (uint64_t{1} << 31))
      raise(c, "WEIGHT_LENGTH " + std::to_string(r.weight_length) + " cannot hold a weight stream");
    // The buffer only grows (a resize to a larger op's stream would zero-fill it first).
    if (stream.size() < r.weight_length) stream.resize(r.weight_length);
    uint64_t hdr_issue = w0;
    hdr_done = wread(0, kWeightStreamHeaderBytes, hdr_issue);
    early_left -= std::min<uint64_t>(early_left, kWeightStreamHeaderBytes);
    // Parse the header alone first: the sizes it declares must match the registers.
    WeightStreamView probe;
    std::string why = probe.open(wsrc ? wsrc : stream.data(), r.weight_length);
    if (!why.empty() && why.find("holds") == std::string::npos) raise(c, why);
    if (probe.h.n != uint32_t(N) || probe.h.k != uint32_t(K))
      raise(c, "weight stream is " + std::to_string(probe.h.n) + " x " + std::to_string(probe.h.k) + ", the operation " +
                   std::to_string(N) + " x " + std::to_string(K));
    if (!why.empty()) raise(c, why);
    sparse = probe.h.sparse;
    // The weight decoder's rate follows the stream's zero rate (Vela's WeightDecodeCycles).
    wd_rate = weight_decoder_rate(*var_, probe.h.zero_rate());
    cfg = choose_block(*var_, MacOp::vector_product, H, W, N, K, ifm_bits, sparse);
    cfg.ofm_c = probe.h.ofm_block_depth;
    cfg.ifm_depth = probe.h.ifm_block_depth;
    if (r.ofm_blk_c != cfg.ofm_c) raise(c, "OFM_BLK_DEPTH " + std::to_string(r.ofm_blk_c) + " differs from the weight stream's OFM block depth " + std::to_string(cfg.ofm_c));
  } else {
    wv.h = 1, wv.w = N, wv.c = K;
    check_view(c, wv, "IFM2");
    if (r.ifm2.w != N) raise(c, "matmul IFM2 width " + std::to_string(r.ifm2.w) + " differs from the OFM depth " + std::to_string(N));
    if (wv.bytes > 2) raise(c, "matmul IFM2 of more than 16 bits is not modelled");
    if (w2.size() < size_t(wv.elements())) w2.resize(size_t(wv.elements()));
    cfg = choose_block(*var_, MacOp::matmul, H, W, N, K, ifm_bits, false);
  }
  cfg.acc48 = acc48;
  cfg.ofm_h = std::min(std::max(r.ofm_blk_h, 1), H);
  cfg.ofm_w = std::min(std::max(r.ofm_blk_w, 1), W);
  if (matmul) cfg.ofm_c = std::min(std::max(r.ofm_blk_c, 1), N);
  const int D = std::max(1, std::min(cfg.ifm_depth, K));  // Vela costs every depth block as a full one
  const int n_db = div_up(K, cfg.ifm_depth);
  const int bh = div_up(H, cfg.ofm_h), bw = div_up(W, cfg.ofm_w), bc = div_up(N, cfg.ofm_c);
  // 16 x 16 matmuls take two passes over the IFM2 bytes (the MAC array multiplies 16 x 8).
  const int passes = matmul && wv.bytes == 2 ? 2 : 1;

  std::vector<int64_t> x(ifm.elements(), 0), y(ofm.elements(), 0);
  // ---- timing: the block pipeline, issuing the reads as it goes ----------------------------
  const uint64_t P = clk_.period_fs();
  uint64_t mac_end = t0, ao_end = t0, wd_end = std::min(t0, hdr_done), end = t0;
  std::vector<uint64_t> mac_start_hist, wd_start_hist;  // per unit, for buffer recycling
  uint64_t w_chain = w0;                                 // issue time of the last weight burst
  struct Pending { int y0, y1, x0, x1, c0, c1; uint64_t at; };
  std::vector<Pending> writes;
  uint64_t unit = 0;
  for (int by = 0; by < bh; ++by)
    for (int bx = 0; bx < bw; ++bx)
      for (int bcb = 0; bcb < bc; ++bcb) {
        const int y0 = by * cfg.ofm_h, y1 = std::min(H, y0 + cfg.ofm_h);
        const int x0 = bx * cfg.ofm_w, x1 = std::min(W, x0 + cfg.ofm_w);
        const int c0 = bcb * cfg.ofm_c, c1 = std::min(N, c0 + cfg.ofm_c);
        uint64_t block_mac = 0;
        for (int db = 0; db < n_db; ++db, ++unit) {
          const int k0 = db * cfg.ifm_depth, k1 = std::min(K, k0 + cfg.ifm_depth);
          // IFM: double-buffered in the IFM RAM (the read of unit u waits for the MACs of u-2).
          const uint64_t ifm_issue = std::max(t0, unit >= 2 ? mac_start_hist[unit - 2] : t0);
          const uint64_t ifm_done = read_box(ifm, y0, y1, x0, x1, k0, k1, x, ifm_issue, st);
          // Weights: fetched weight_prefetch_blocks units ahead of the decoder.
          uint64_t w_ready;
          uint64_t w_issue = std::max(hdr_done, unit >= p_.weight_prefetch_blocks ? wd_start_hist[unit - p_.weight_prefetch_blocks] : w0);
          w_issue = std::max(w_issue, w_chain);
          if (matmul) w_issue = std::max(w_issue, t0);  // IFM2 comes through the IFM channel, not the weight buffer
          uint64_t weights_in_unit = uint64_t(c1 - c0) * uint64_t(k1 - k0);
          if (!matmul) {
            WeightStreamView lay;
            lay.h.n = uint32_t(N), lay.h.k = uint32_t(K), lay.h.ofm_block_depth = uint16_t(cfg.ofm_c),
            lay.h.ifm_block_depth = uint16_t(cfg.ifm_depth), lay.h.sparse = sparse;
            const uint64_t from = db == 0 ? lay.block_offset(uint32_t(bcb)) : lay.depth_block_offset(uint32_t(bcb), uint32_t(db));
            const uint64_t to = db + 1 < n_db ? lay.depth_block_offset(uint32_t(bcb), uint32_t(db + 1))
                                               : lay.block_offset(uint32_t(bcb)) + lay.block_bytes(uint32_t(bcb));
            if (to > r.weight_length) raise(c, "weight stream shorter than its blocks");
            // Weights are refetched for every OFM block row/column (Vela: weightsRefetch).
            // The part beyond the read buffer's early share is issued from the operation's start.
            const uint64_t early = w_issue < t0 ? std::min(early_left, to - from) : 0;
            early_left -= early;
            uint64_t w_done = 0;
            if (early) w_done = wread(from, early, w_issue);
            if (early < to - from) {
              w_issue = std::max(w_issue, t0);
              w_done = wread(from + early, to - from - early, w_issue);
            }
            w_chain = w_issue;
            st.weight_bytes += to - from;
            const uint64_t wd_cyc = static_cast<uint64_t>(std::ceil(double(weights_in_unit) / wd_rate));
            const uint64_t wd_start = std::max(wd_end, w_done);
            wd_start_hist.push_back(wd_start);
            wd_end = clk_.next_edge_fs(wd_start) + wd_cyc * P;
            st.wd_cycles += wd_cyc;
            weights_decoded_ += weights_in_unit;
            w_ready = wd_end;
          } else {
            // IFM2 rows n in [c0, c1), depth k in [k0, k1): through the IFM stream channel.
            wd_start_hist.push_back(w_issue);
            w_ready = read_box(wv, 0, 1, c0, c1, k0, k1, w2, w_issue, st);
          }
          const uint64_t macc = mac_cycles_per_depth_block(*var_, matmul ? MacOp::matmul : MacOp::vector_product, cfg,
                                                           y1 - y0, x1 - x0, c1 - c0, D, ifm_bits, sparse) * passes;
          // Command-issue limit: (memory + MAC + AO) / 4 per block.
          const uint64_t mem_cyc = clk_.to_cycles_fs(ifm_done - ifm_issue);
          const uint64_t ao_blk = db + 1 == n_db ? ao_cycles_per_block(*var_, ofm.bytes == 1 ? OfmType::i8 : ofm.bytes == 2 ? OfmType::i16 : OfmType::i32,
                                                                      uint64_t(y1 - y0) * (x1 - x0) * (c1 - c0), (r.activation & 0x1F) >= kActTable0)
                                                 : 0;
          const uint64_t cmd = (mem_cyc + macc + ao_blk + 3) / 4;
          const uint64_t ms = clk_.next_edge_fs(std::max({mac_end, ifm_done, w_ready}));
          mac_start_hist.push_back(ms);
          mac_end = ms + std::max(macc, cmd) * P;
          block_mac += macc;
          st.cmd_cycles += cmd;
          if (db + 1 == n_db) {
            const uint64_t as = std::max(mac_end, ao_end);
            ao_end = as + std::max(ao_blk, cmd) * P;
            st.ao_cycles += ao_blk;
            ao_elements_ += uint64_t(y1 - y0) * (x1 - x0) * (c1 - c0);
            writes.push_back({y0, y1, x0, x1, c0, c1, ao_end});
          }
        }
        st.mac_cycles += block_mac;
        ++st.blocks;
      }
  const uint64_t macs = uint64_t(H) * W * N * K;
  st.macs = macs;
  (ifm_bits == 8 ? macs_8x8_ : macs_16x8_) += macs;

  // ---- values: the MAC array in its dataflow order ------------------------------------------
  if (!matmul) {
    // Borrowed bytes serve only if every byte of the stream was read.
    if (wsrc && wseen < r.weight_length) to_buffer();
    std::string why = ws.open(wsrc ? wsrc : stream.data(), r.weight_length);
    if (!why.empty()) raise(c, why);
  }
  // IFM minus its zero point: 16 bits wide when it fits (the MAC array's 16-bit input),
  // else 32 bits.
  std::vector<int32_t> xz(x.size());
  bool fits16 = true;
  for (size_t i = 0; i < x.size(); ++i) {
    xz[i] = static_cast<int32_t>(x[i] - ifm.zp);
    fits16 &= xz[i] >= -32768 && xz[i] <= 32767;
  }
  std::vector<int16_t> x16(fits16 ? x.size() : 0);
  for (size_t i = 0; i < x16.size(); ++i) x16[i] = static_cast<int16_t>(xz[i]);
  std::vector<int64_t> acc(static_cast<size_t>(H) * W * N, 0);
  std::vector<int8_t> wrow(static_cast<size_t>(cfg.ifm_depth));
  std::vector<int32_t> w2row(static_cast<size_t>(cfg.ifm_depth));
  const size_t npos = size_t(H) * W;
  for (int bcb = 0; bcb < bc; ++bcb) {
    const int c0 = bcb * cfg.ofm_c, c1 = std::min(N, c0 + cfg.ofm_c);
    for (int db = 0; db < n_db; ++db) {
      const int k0 = db * cfg.ifm_depth, d = std::min(K, k0 + cfg.ifm_depth) - k0;
      // Dense streams: the block's channels lie d weights apart from its first one.
      const int8_t* wblock = matmul ? nullptr : ws.weights_ptr(uint32_t(bcb), uint32_t(db), 0);
      for (int n = c0; n < c1; ++n) {
        if (!matmul) {
          const int8_t* wp = wblock ? wblock + size_t(n - c0) * size_t(d) : nullptr;
          if (!wp) {
            ws.weights(uint32_t(bcb), uint32_t(db), uint32_t(n - c0), wrow.data());
            wp = wrow.data();
          }
          for (size_t p = 0; p < npos; ++p) {
            int32_t part = 0;  // |part| < 2^29 over one depth block of at most 128
            if (fits16) {
              const int16_t* a = x16.data() + p * K + k0;
              for (int k = 0; k < d; ++k) part += int32_t{a[k]} * wp[k];
            } else {
              const int32_t* a = xz.data() + p * K + k0;
              for (int k = 0; k < d; ++k) part += a[k] * wp[k];
            }
            acc[p * N + n] += part;
          }
        } else {
          for (int k = 0; k < d; ++k) w2row[size_t(k)] = static_cast<int32_t>(w2[size_t(n) * K + size_t(k0 + k)] - wv.zp);
          for (size_t p = 0; p < npos; ++p) {
            const int32_t* a = xz.data() + p * K + k0;
            int64_t part = 0;
            for (int k = 0; k < d; ++k) part += int64_t{a[k]} * w2row[size_t(k)];
            acc[p * N + n] += part;
          }
        }
      }
    }
    // Output stage for this OFM block: bias and per-channel scale (stream) or OFM_SCALE.
    const uint8_t* srec = matmul ? nullptr : ws.scale_records(uint32_t(bcb));
    for (int n = c0; n < c1; ++n) {
      int32_t m = r.ofm_m;
      int sh = r.ofm_shift;
      int64_t bias = 0;
      if (!matmul) {
        const ChannelScale s = WeightStreamView::scale_at(srec, uint32_t(n - c0));
        m = s.multiplier, sh = s.shift, bias = s.bias;
      }
      for (size_t p = 0; p < npos; ++p) y[p * N + n] = output_stage(__int128{acc[p * N + n]} + bias, m, sh, acc48);
    }
  }
  if (!matmul) weight_free_fs_ = w_chain;
  // ---- OFM writes at the end of each block's AO --------------------------------------------
  end = ao_end;
  for (const auto& wr : writes) end = std::max(end, write_box(ofm, wr.y0, wr.y1, wr.x0, wr.x1, wr.c0, wr.c1, y, wr.at, st));
  st.end_fs = end;
}

// ---- NPU_OP_ELEMENTWISE -----------------------------------------------------------------------

void EthosU85::exec_elementwise(const Command& c, OpStats& st) {
  Regs& r = *r_;
  const uint16_t mode = c.param;
  const bool binary = mode == EW_MUL || mode == EW_ADD || mode == EW_SUB || mode == EW_MIN || mode == EW_MAX;
  const bool unary = mode == EW_ABS || mode == EW_RECIP46 || mode == EW_RSQRT46;
  if (!binary && !unary) raise(c, "element-wise mode " + std::to_string(mode) + " is not modelled");
  const View& ofm = r.ofm;
  check_view(c, ofm, "OFM");
  const int H = ofm.h, W = ofm.w, C = ofm.c;
  View a = r.ifm, b = r.ifm2;
  // Operands have the OFM's shape; an axis of size 1 or stride 0 broadcasts.
  auto fit = [&](View& v, const char* what) {
    for (auto [have, want, stride] : {std::tuple<int&, int, int64_t&>{v.h, H, v.sy}, {v.w, W, v.sx}, {v.c, C, v.sc}}) {
      if (have != want && have != 1)
        raise(c, std::string(what) + " shape " + std::to_string(v.h) + "x" + std::to_string(v.w) + "x" + std::to_string(v.c) +
                     " does not match or broadcast to the OFM's " + std::to_string(H) + "x" + std::to_string(W) + "x" + std::to_string(C));
      if (have == 1 && want != 1) stride = 0;
      have = want;
    }
  };
  fit(a, "IFM");
  // IFM2 has no depth register: it has the OFM's shape, except on the axes IFM2_BROADCAST
  // marks (bit 0 H, bit 1 W, bit 2 C; bit 7: the IFM2_SCALAR value instead of a tensor).
  const bool scalar = (r.ifm2_broadcast & 0x80) != 0;
  b.h = (r.ifm2_broadcast & 1) ? 1 : H;
  b.w = (r.ifm2_broadcast & 2) ? 1 : W;
  b.c = (r.ifm2_broadcast & 4) ? 1 : C;
  if (binary && !scalar) fit(b, "IFM2");
  std::vector<int64_t> xa(ofm.elements(), 0), xb(binary && !scalar ? ofm.elements() : 0, 0), y(ofm.elements(), 0);
  // Blocks of output elements the output buffer holds: whole rows of C.
  const int ofm_bits = ofm.bytes * 8;
  const uint64_t ob_elems = std::max<uint64_t>(1, var_->ob_ram_bytes * 8 / std::max(ofm_bits, 8));
  const int rows_per_block = static_cast<int>(std::max<uint64_t>(1, ob_elems / uint64_t(C)));
  const bool special = mode == EW_RECIP46 || mode == EW_RSQRT46;
  const OfmType ot = ofm.bytes == 1 ? OfmType::i8 : ofm.bytes == 2 ? OfmType::i16 : ofm.bytes == 4 ? OfmType::i32 : OfmType::i64;
  const bool bin32 = binary && (a.bytes == 4 || (!scalar && b.bytes == 4));
  const bool lut = (r.activation & 0x1F) >= kActTable0;
  const uint64_t P = clk_.period_fs();
  uint64_t ao_end = st.start_fs, end = st.start_fs;
  std::vector<uint64_t> start_hist;
  struct Pending { int y0, y1; uint64_t at; };
  std::vector<Pending> writes;
  const int rows = H * W;  // rows of C elements, in (y, x) order
  for (int r0 = 0, blk = 0; r0 < rows; r0 += rows_per_block, ++blk) {
    const int r1 = std::min(rows, r0 + rows_per_block);
    const uint64_t issue = std::max(st.start_fs, blk >= 2 ? start_hist[size_t(blk - 2)] : st.start_fs);
    uint64_t in_done = issue;
    for (int rr = r0; rr < r1; ++rr) {
      const int yy = rr / W, xx = rr % W;
      in_done = std::max(in_done, read_box(a, yy, yy + 1, xx, xx + 1, 0, C, xa, issue, st));
      if (!xb.empty()) in_done = std::max(in_done, read_box(b, yy, yy + 1, xx, xx + 1, 0, C, xb, issue, st));
    }
    const uint64_t elems = uint64_t(r1 - r0) * uint64_t(C);
    const uint64_t ao = special ? static_cast<uint64_t>(std::ceil(kDivCyclesPerElement * double(elems)))
                                : ao_cycles_per_block(*var_, ot, elems, lut, bin32);
    // Command-issue limit: (IFM read + OFM write at one port's 16 B/cycle + AO) / 4.
    const uint64_t mem = clk_.to_cycles_fs(in_done - issue) + (elems * uint64_t(ofm.bytes) + kAxiPortBytesPerCycle - 1) / kAxiPortBytesPerCycle;
    const uint64_t cmd = (mem + ao + 3) / 4;
    const uint64_t s = clk_.next_edge_fs(std::max(in_done, ao_end));
    start_hist.push_back(s);
    ao_end = s + std::max(ao, cmd) * P;
    st.ao_cycles += ao;
    st.cmd_cycles += cmd;
    ++st.blocks;
    ao_elements_ += elems;
    writes.push_back({r0, r1, ao_end});
  }
  // Values.
  const bool scaled_inputs = binary && (mode == EW_ADD || mode == EW_SUB) && a.bytes <= 2 && (scalar || b.bytes <= 2);
  for (size_t i = 0; i < y.size(); ++i) {
    const int64_t va = xa[i] - a.zp;
    const int64_t vb = binary ? (scalar ? int64_t{r.ifm2_scalar} : xb[i]) - (scalar ? 0 : b.zp) : 0;
    __int128 v = 0;
    switch (mode) {
      case EW_MUL: v = __int128{va} * vb; break;
      case EW_ADD:
      case EW_SUB:
        if (scaled_inputs) {  // TFLite ADD: inputs shifted left, rescaled to a common scale
          const int64_t as = rshr(__int128{va * (int64_t{1} << r.left_shift)} * r.opa_m, r.opa_shift);
          const int64_t bs = rshr(__int128{vb * (int64_t{1} << r.left_shift)} * r.opb_m, r.opb_shift);
          v = mode == EW_ADD ? __int128{as} + bs : __int128{as} - bs;
        } else {
          v = mode == EW_ADD ? __int128{va} + vb : __int128{va} - vb;
        }
        break;
      case EW_MIN: v = std::min(va, vb); break;
      case EW_MAX: v = std::max(va, vb); break;
      case EW_ABS: v = va < 0 ? -__int128{va} : __int128{va}; break;
      case EW_RECIP46: v = va >= 1 ? (int64_t{1} << 46) / va : INT64_MAX; break;
      case EW_RSQRT46: {
        const uint64_t ms = static_cast<uint64_t>(std::clamp<int64_t>(va, 1, (int64_t{1} << 32) - 1));
        v = (int64_t{1} << 46) / static_cast<int64_t>(isqrt(ms << 32));
        break;
      }
      default: break;
    }
    y[i] = output_stage(v, r.ofm_m, r.ofm_shift, false);
  }
  end = ao_end;
  for (const auto& wr : writes)
    for (int rr = wr.y0; rr < wr.y1; ++rr)
      end = std::max(end, write_box(ofm, rr / W, rr / W + 1, rr % W, rr % W + 1, 0, C, y, wr.at, st));
  st.end_fs = end;
}

// ---- NPU_OP_POOL: reductions over the IFM depth ------------------------------------------------

void EthosU85::exec_pool(const Command& c, OpStats& st) {
  Regs& r = *r_;
  const uint16_t mode = c.param;
  if (mode != POOL_MAX && mode != POOL_AVERAGE && mode != POOL_REDUCE_SUM) raise(c, "pooling mode " + std::to_string(mode) + " is not modelled");
  if (r.kernel_w != 1 || r.kernel_h != 1) raise(c, "pooling windows are not modelled (this model reduces over the IFM depth)");
  const View& ifm = r.ifm;
  const View& ofm = r.ofm;
  check_view(c, ifm, "IFM");
  check_view(c, ofm, "OFM");
  if (ofm.c != 1 || ofm.h != ifm.h || ofm.w != ifm.w)
    raise(c, "a depth reduction maps an IFM of HxWxC to an OFM of HxWx1");
  const int H = ifm.h, W = ifm.w, C = ifm.c;
  std::vector<int64_t> x(ifm.elements(), 0), y(ofm.elements(), 0);
  const int ifm_bits = ifm.bytes * 8;
  BlockConfig cfg = choose_block(*var_, MacOp::reduce_sum, H, W, 1, C, std::min(ifm_bits, 16), false);
  const int D = std::min(cfg.ifm_depth, C);
  const int n_db = div_up(C, cfg.ifm_depth);
  const OfmType ot = ofm.bytes == 1 ? OfmType::i8 : ofm.bytes == 2 ? OfmType::i16 : ofm.bytes == 4 ? OfmType::i32 : OfmType::i64;
  const bool lut = (r.activation & 0x1F) >= kActTable0;
  const uint64_t P = clk_.period_fs();
  uint64_t mac_end = st.start_fs, ao_end = st.start_fs, end = st.start_fs;
  std::vector<uint64_t> start_hist;
  struct Pending { int y0, y1, x0, x1; uint64_t at; };
  std::vector<Pending> writes;
  for (int y0 = 0; y0 < H; y0 += cfg.ofm_h)
    for (int x0 = 0; x0 < W; x0 += cfg.ofm_w) {
      const int y1 = std::min(H, y0 + cfg.ofm_h), x1 = std::min(W, x0 + cfg.ofm_w);
      const size_t u = start_hist.size();
      const uint64_t issue = std::max(st.start_fs, u >= 2 ? start_hist[u - 2] : st.start_fs);
      const uint64_t in_done = read_box(ifm, y0, y1, x0, x1, 0, C, x, issue, st);
      // ReduceSum-type MAC cycles per depth block (32- and 64-bit inputs cost like 16-bit ones x2).
      const uint64_t macc = mac_cycles_per_depth_block(*var_, MacOp::reduce_sum, cfg, y1 - y0, x1 - x0, 1, D, std::min(ifm_bits, 16), false) *
                            uint64_t(n_db) * uint64_t(std::max(1, ifm_bits / 16));
      const uint64_t ao = ao_cycles_per_block(*var_, ot, uint64_t(y1 - y0) * (x1 - x0), lut);
      const uint64_t cmd = (clk_.to_cycles_fs(in_done - issue) + macc + ao + 3) / 4;
      const uint64_t s = clk_.next_edge_fs(std::max(in_done, mac_end));
      start_hist.push_back(s);
      mac_end = s + std::max(macc, cmd) * P;
      ao_end = std::max(mac_end, ao_end) + std::max(ao, cmd) * P;
      st.mac_cycles += macc;
      st.ao_cycles += ao;
      st.cmd_cycles += cmd;
      ++st.blocks;
      ao_elements_ += uint64_t(y1 - y0) * (x1 - x0);
      writes.push_back({y0, y1, x0, x1, ao_end});
    }
  for (int p = 0; p < H * W; ++p) {
    const int64_t* row = x.data() + size_t(p) * C;
    __int128 v = 0;
    if (mode == POOL_MAX) {
      int64_t m = row[0] - ifm.zp;
      for (int i = 1; i < C; ++i) m = std::max(m, row[i] - ifm.zp);
      v = m;
    } else {
      __int128 s = 0;
      for (int i = 0; i < C; ++i) s += row[i] - ifm.zp;
      if (mode == POOL_AVERAGE) {  // round half up: floor((sum + C/2) / C)
        const __int128 num = s + C / 2;
        v = num >= 0 ? num / C : -((-num + C - 1) / C);
      } else {
        v = s;
      }
    }
    y[size_t(p)] = output_stage(v, r.ofm_m, r.ofm_shift, false);
  }
  end = ao_end;
  for (const auto& wr : writes) end = std::max(end, write_box(ofm, wr.y0, wr.y1, wr.x0, wr.x1, 0, 1, y, wr.at, st));
  st.end_fs = end;
}

// ---- NPU_OP_DMA_START: memory to memory, or into the LUT RAM -----------------------------------

void EthosU85::exec_dma(const Command& c, OpStats& st) {
  Regs& r = *r_;
  if (r.dma_len == 0 || r.dma_len > (16u << 20)) raise(c, "DMA0_LEN " + std::to_string(r.dma_len) + " must be in [1, 16 MiB]");
  const uint32_t src_region = r.dma_src_region & 7;
  const bool to_lut = (r.dma_dst_region & 0x100) != 0;
  std::vector<uint8_t> buf(r.dma_len);
  // The DMA runs beside the kernels: it starts now and completes on its own.
  uint64_t issue = st.start_fs;
  uint64_t done = transfer(false, src_region, r.dma_src, buf.data(), buf.size(), issue, &st);
  if (to_lut) {
    if (r.dma_dst > kLutRamBytes || r.dma_len > kLutRamBytes - r.dma_dst)
      raise(c, "DMA into the LUT RAM at " + std::to_string(r.dma_dst) + " + " + std::to_string(r.dma_len) + " exceeds its 2048 bytes");
    std::memcpy(lut_ram_.data() + r.dma_dst, buf.data(), buf.size());
  } else {
    uint64_t wissue = done;
    done = transfer(true, r.dma_dst_region & 7, r.dma_dst, buf.data(), buf.size(), wissue, &st);
  }
  dma_bytes_ += r.dma_len;
  dma_done_ = std::max(dma_done_, done);
  st.end_fs = done;
}

}  // namespace slm
