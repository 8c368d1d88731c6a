// N-EUREKA model: job validation, the 1x1-mode datapath and the cycle formula (neureka.h).
#include "models/neureka/neureka.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "workloads/common/error.h"
#include "workloads/quant/fixedpoint.h"

namespace slm::neureka {

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 24;     // m, n: sanity bound (keeps address math in 64 bits)
constexpr int64_t kMaxK = 65536;                  // |sum x*w| <= 2^14 * 2^16 = 2^30: int32 accumulators
constexpr int64_t kMaxStride = int64_t{1} << 32;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
// The image width the M rows are laid out with (spatial_w, at most m).
int64_t img_w(const Job& j) { return std::min(j.spatial_w, j.m); }

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::fc_1x1: return "fc_1x1";
    case Mode::conv_3x3: return "conv_3x3";
    case Mode::depthwise_3x3: return "depthwise_3x3";
  }
  return "?";
}

// The byte span [lo, hi) a strided (rows x cols) matrix occupies.
struct Span {
  uint64_t lo = 0, hi = 0;
  const char* what = "";
};
Span span(const char* what, uint64_t addr, int64_t rows, int64_t stride, int64_t cols) {
  return {addr, addr + uint64_t(rows - 1) * uint64_t(stride) + uint64_t(cols), what};
}
bool overlap(const Span& a, const Span& b) { return a.lo < b.hi && b.lo < a.hi; }

// One 6x6 spatial tile of the M rows (laid out as an image spatial_w wide).
struct Tile {
  int64_t row0 = 0, col0 = 0;  // image coordinates of the tile's top-left pixel
  int h = 0, w = 0;            // extent on the PE array
};

std::vector<Tile> spatial_tiles(const Job& j, const NeurekaConfig& c) {
  const int64_t W = img_w(j), H = ceil_div(j.m, W);
  std::vector<Tile> t;
  for (int64_t i = 0; i < H; i += c.h_size)
    for (int64_t k = 0; k < W; k += c.w_size)
      t.push_back({i, k, int(std::min<int64_t>(c.h_size, H - i)), int(std::min<int64_t>(c.w_size, W - k))});
  return t;
}

void add_phases(Timing& t, const Timing& p) {
  t.setup += p.setup, t.act_load += p.act_load, t.matrixvec += p.matrixvec, t.norm += p.norm,
      t.streamout += p.streamout;
}

// Cycles of one (spatial tile, output tile) pair without stalls.
Timing tile_cycles(const NeurekaConfig& c, int64_t kb, int64_t n_j, const Tile& s) {
  Timing t;
  const int64_t act_pixel = ceil_div(c.tp_in, c.act_bytes_per_cycle);
  const int64_t w_word = ceil_div(int64_t{c.tp_in} * c.qw / 8, c.weight_bytes_per_cycle);
  t.act_load = uint64_t(kb * (c.overhead_ld_1x1 + int64_t{c.h_size} * c.w_size * act_pixel));
  t.matrixvec = uint64_t(kb * (c.overhead_mv + n_j * w_word));
  t.norm = uint64_t(1 + c.norm_shift_overhead + ceil_div(n_j * c.norm_bits, 8 * int64_t{c.quant_per_cycle}) +
                    c.norm_mult_overhead + ceil_div(n_j, c.norm_adders) + c.norm_bias_overhead);
  const int64_t store = ceil_div(n_j, c.out_bytes_per_cycle);
  t.streamout = uint64_t((int64_t(s.h - 1) * c.w_size + s.w) * store + c.streamout_overhead);
  return t;
}

void finish(Timing& t) { t.total = t.setup + t.act_load + t.matrixvec + t.norm + t.streamout + t.stalls; }

}  // namespace

const char* port_name(Port p) { return p == Port::tcdm ? "tcdm" : "wmem"; }

bool VectorMemory::read(uint64_t addr, void* dst, uint64_t n) {
  if (!contains(addr, n)) return false;
  if (n) std::memcpy(dst, bytes_.data() + (addr - base_), n);
  return true;
}
bool VectorMemory::write(uint64_t addr, const void* src, uint64_t n) {
  if (!contains(addr, n)) return false;
  if (n) std::memcpy(bytes_.data() + (addr - base_), src, n);
  return true;
}

Neureka::Neureka(NeurekaConfig cfg) : cfg_(cfg) {
  const NeurekaConfig& c = cfg_;
  auto pos = [](const char* f, int v) {
    if (v <= 0) throw err("neureka config: ", f, " = ", v, ": must be >= 1");
  };
  pos("tp_in", c.tp_in), pos("tp_out", c.tp_out), pos("h_size", c.h_size), pos("w_size", c.w_size);
  pos("quant_per_cycle", c.quant_per_cycle), pos("norm_bits", c.norm_bits), pos("norm_adders", c.norm_adders);
  pos("act_bytes_per_cycle", c.act_bytes_per_cycle), pos("weight_bytes_per_cycle", c.weight_bytes_per_cycle);
  pos("out_bytes_per_cycle", c.out_bytes_per_cycle);
  if (c.qw != 8) throw err("neureka config: qw = ", c.qw, ": only 8-bit weights are modelled");
  for (auto [f, v] : {std::pair{"overhead_ld_1x1", c.overhead_ld_1x1}, {"overhead_mv", c.overhead_mv},
                      {"norm_shift_overhead", c.norm_shift_overhead}, {"norm_mult_overhead", c.norm_mult_overhead},
                      {"norm_bias_overhead", c.norm_bias_overhead}, {"streamout_overhead", c.streamout_overhead},
                      {"job_overhead", c.job_overhead}})
    if (v < 0) throw err("neureka config: ", f, " = ", v, ": must be >= 0");
}

void Neureka::validate(const Job& j, const Memory& tcdm, const Memory* wmem) const {
  if (j.mode != Mode::fc_1x1)
    throw err("neureka job: mode = ", mode_name(j.mode), ": unsupported (only fc_1x1, the 1x1 mode as GEMM, is modelled)");
  for (auto [f, v] : {std::pair{"m", j.m}, {"n", j.n}})
    if (v < 1 || v > kMaxDim) throw err("neureka job: ", f, " = ", v, ": must be in [1, ", kMaxDim, "]");
  if (j.k < 1 || j.k > kMaxK) throw err("neureka job: k = ", j.k, ": must be in [1, ", kMaxK, "] (int32 accumulators)");
  if (j.x_stride < j.k || j.x_stride > kMaxStride) throw err("neureka job: x_stride = ", j.x_stride, ": must be in [k = ", j.k, ", 2^32]");
  if (j.w_stride < j.k || j.w_stride > kMaxStride) throw err("neureka job: w_stride = ", j.w_stride, ": must be in [k = ", j.k, ", 2^32]");
  if (j.y_stride < j.n || j.y_stride > kMaxStride) throw err("neureka job: y_stride = ", j.y_stride, ": must be in [n = ", j.n, ", 2^32]");
  if (j.spatial_w < 1 || j.spatial_w > kMaxDim) throw err("neureka job: spatial_w = ", j.spatial_w, ": must be in [1, ", kMaxDim, "]");
  for (auto [f, v] : {std::pair{"x_zp", j.x_zp}, {"y_zp", j.y_zp}, {"act_min", j.act_min}, {"act_max", j.act_max}})
    if (v < -128 || v > 127) throw err("neureka job: ", f, " = ", v, ": must be in [-128, 127] (int8)");
  if (j.act_min > j.act_max) throw err("neureka job: act_min = ", j.act_min, " > act_max = ", j.act_max);
  if (j.weights_from_wmem && wmem == nullptr) throw err("neureka job: weights_from_wmem is set but no weight memory is connected");

  const Span x = span("x", j.x_addr, j.m, j.x_stride, j.k), y = span("y", j.y_addr, j.m, j.y_stride, j.n),
             w = span("w", j.w_addr, j.n, j.w_stride, j.k), mult = span("mult", j.mult_addr, 1, 0, 4 * j.n),
             shift = span("shift", j.shift_addr, 1, 0, j.n), bias = span("bias", j.bias_addr, 1, 0, 4 * j.n);
  std::vector<Span> tc{x, y, mult, shift};
  if (j.has_bias) tc.push_back(bias);
  if (!j.weights_from_wmem) tc.push_back(w);
  for (const Span& s : tc)
    if (!tcdm.contains(s.lo, s.hi - s.lo))
      throw err("neureka job: ", s.what, " [0x", std::hex, s.lo, ", 0x", s.hi, ") is outside the TCDM [0x", tcdm.base(),
                ", 0x", tcdm.base() + tcdm.size(), ")");
  if (j.weights_from_wmem && !wmem->contains(w.lo, w.hi - w.lo))
    throw err("neureka job: w [0x", std::hex, w.lo, ", 0x", w.hi, ") is outside the weight memory [0x", wmem->base(),
              ", 0x", wmem->base() + wmem->size(), ")");
  for (const Span& s : tc)
    if (s.what != y.what && overlap(s, y))
      throw err("neureka job: the output y [0x", std::hex, y.lo, ", 0x", y.hi, ") overlaps ", s.what, " [0x", s.lo, ", 0x",
                s.hi, ")");
}

Timing Neureka::estimate(const Job& j) const {
  if (j.mode != Mode::fc_1x1 || j.m < 1 || j.n < 1 || j.k < 1 || j.spatial_w < 1)
    throw err("neureka estimate: invalid job (mode ", mode_name(j.mode), ", m ", j.m, ", k ", j.k, ", n ", j.n,
              ", spatial_w ", j.spatial_w, ")");
  const NeurekaConfig& c = cfg_;
  Timing t;
  const int64_t kb = ceil_div(j.k, c.tp_in), nb = ceil_div(j.n, c.tp_out);
  const auto tiles = spatial_tiles(j, c);
  t.setup = uint64_t(c.job_overhead);
  for (const Tile& s : tiles)
    for (int64_t b = 0; b < nb; ++b) add_phases(t, tile_cycles(c, kb, std::min<int64_t>(c.tp_out, j.n - b * c.tp_out), s));
  t.macs = uint64_t(j.m) * uint64_t(j.n) * uint64_t(j.k);
  t.spatial_tiles = tiles.size(), t.out_tiles = uint64_t(nb), t.in_blocks = uint64_t(kb);
  finish(t);
  return t;
}

Timing Neureka::run(const Job& j, Memory& tcdm, Memory* wmem, std::vector<Access>* tcdm_trace) {
  validate(j, tcdm, wmem);
  const NeurekaConfig& c = cfg_;
  Memory& wm = j.weights_from_wmem ? *wmem : tcdm;
  const Port wport = j.weights_from_wmem ? Port::wmem : Port::tcdm;
  Timing t = estimate(j);
  t.stalls = 0;

  uint64_t cyc = uint64_t(c.job_overhead);  // the stall-free schedule's clock (tcdm_trace)
  auto note = [&](uint64_t at, uint64_t addr, uint64_t n, bool write) {
    if (tcdm_trace) tcdm_trace->push_back({at, addr, static_cast<uint32_t>(n), write});
  };
  uint64_t at = 0;  // cycle of the next timed access
  auto rd = [&](Memory& mem, Port p, uint64_t addr, void* dst, uint64_t n, bool timed) {
    if (!mem.read(addr, dst, n))
      throw err("neureka: ", port_name(p), " read of ", n, " B at 0x", std::hex, addr, " failed");
    if (!timed) return;
    if (p == Port::tcdm) note(at, addr, n, false);
    (p == Port::wmem ? t.wmem_read_bytes : t.tcdm_read_bytes) += n;
    if (mem.cost) t.stalls += mem.cost(p, addr, n, false);
  };

  // Normalisation parameters are checked before anything is written (an invalid job writes
  // nothing); the timed reads happen again per output tile below.
  {
    std::vector<int32_t> mult(size_t(j.n));
    std::vector<uint8_t> shift(size_t(j.n));
    rd(tcdm, Port::tcdm, j.mult_addr, mult.data(), uint64_t(4 * j.n), false);
    rd(tcdm, Port::tcdm, j.shift_addr, shift.data(), uint64_t(j.n), false);
    for (int64_t i = 0; i < j.n; ++i) {
      if (mult[size_t(i)] < 0)
        throw err("neureka job: multiplier of channel ", i, " = ", mult[size_t(i)], " (at 0x", std::hex,
                  j.mult_addr + 4 * uint64_t(i), "): must be in [0, 2^31)");
      if (shift[size_t(i)] < 1 || shift[size_t(i)] > 62)
        throw err("neureka job: shift of channel ", i, " = ", int(shift[size_t(i)]), " (at 0x", std::hex,
                  j.shift_addr + uint64_t(i), "): must be in [1, 62]");
    }
  }

  const int P = c.h_size * c.w_size, TI = c.tp_in, TO = c.tp_out;
  std::vector<int8_t> xbuf(size_t(P) * TI), wword(static_cast<size_t>(TI));
  std::vector<int32_t> acc(size_t(TO) * P), wsum(static_cast<size_t>(TO)), mult(static_cast<size_t>(TO)), bias(static_cast<size_t>(TO));
  std::vector<uint8_t> shift(static_cast<size_t>(TO));
  std::vector<int8_t> out(static_cast<size_t>(TO));
  std::vector<int64_t> prow(static_cast<size_t>(P));  // row of M held by each PE, -1 = idle
  const int64_t kb = ceil_div(j.k, TI), nb = ceil_div(j.n, TO);
  const uint64_t act_pixel = uint64_t(ceil_div(c.tp_in, c.act_bytes_per_cycle));
  const uint64_t w_word = uint64_t(ceil_div(int64_t{c.tp_in} * c.qw / 8, c.weight_bytes_per_cycle));

  for (const Tile& s : spatial_tiles(j, c)) {
    for (int p = 0; p < P; ++p) {
      const int a = p / c.w_size, b = p % c.w_size;
      const int64_t r = (s.row0 + a) * img_w(j) + s.col0 + b;
      prow[size_t(p)] = (a < s.h && b < s.w && r < j.m) ? r : -1;
    }
    std::vector<int> live;
    for (int p = 0; p < P; ++p)
      if (prow[size_t(p)] >= 0) live.push_back(p);
    for (int64_t ob = 0; ob < nb; ++ob) {
      const int64_t n0 = ob * TO;
      const int nj = int(std::min<int64_t>(TO, j.n - n0));
      std::fill(acc.begin(), acc.end(), 0);
      std::fill(wsum.begin(), wsum.end(), 0);
      for (int64_t ib = 0; ib < kb; ++ib) {
        const int64_t k0 = ib * TI;
        const int kc = int(std::min<int64_t>(TI, j.k - k0));
        // Activation load: one pixel of up to tp_in channels per access, zero-padded.
        std::fill(xbuf.begin(), xbuf.end(), int8_t{0});
        for (int p = 0; p < P; ++p)
          if (prow[size_t(p)] >= 0) {
            at = cyc + uint64_t(c.overhead_ld_1x1) + uint64_t(p) * act_pixel;
            rd(tcdm, Port::tcdm, j.x_addr + uint64_t(prow[size_t(p)]) * uint64_t(j.x_stride) + uint64_t(k0),
               xbuf.data() + size_t(p) * TI, uint64_t(kc), true);
          }
        cyc += uint64_t(c.overhead_ld_1x1) + uint64_t(P) * act_pixel;
        // Matrix-vector: one output channel's weight word per step, every PE accumulates.
        for (int o = 0; o < nj; ++o) {
          std::fill(wword.begin(), wword.end(), int8_t{0});
          at = cyc + uint64_t(c.overhead_mv) + uint64_t(o) * w_word;
          rd(wm, wport, j.w_addr + uint64_t(n0 + o) * uint64_t(j.w_stride) + uint64_t(k0), wword.data(), uint64_t(kc), true);
          int32_t ws = 0;
          for (int ci = 0; ci < TI; ++ci) ws += wword[size_t(ci)];
          wsum[size_t(o)] += ws;
          int32_t* ao = acc.data() + size_t(o) * P;
          for (int p : live) {  // idle PEs (no row of M) hold zeros and are never stored
            const int8_t* xp = xbuf.data() + size_t(p) * TI;
            int32_t d = 0;
            for (int ci = 0; ci < TI; ++ci) d += int32_t{xp[ci]} * wword[size_t(ci)];
            ao[p] += d;
          }
        }
        cyc += uint64_t(c.overhead_mv) + uint64_t(nj) * w_word;
      }
      // Normalisation / quantisation: shifts, multipliers, biases of this output tile.
      const uint64_t mult_cycles = uint64_t(ceil_div(int64_t{nj} * c.norm_bits, 8 * int64_t{c.quant_per_cycle}));
      at = cyc;
      rd(tcdm, Port::tcdm, j.shift_addr + uint64_t(n0), shift.data(), uint64_t(nj), true);
      at = cyc + 1 + uint64_t(c.norm_shift_overhead);
      rd(tcdm, Port::tcdm, j.mult_addr + 4 * uint64_t(n0), mult.data(), 4 * uint64_t(nj), true);
      std::fill(bias.begin(), bias.end(), 0);
      at = cyc + 1 + uint64_t(c.norm_shift_overhead) + mult_cycles + uint64_t(c.norm_mult_overhead);
      if (j.has_bias) rd(tcdm, Port::tcdm, j.bias_addr + 4 * uint64_t(n0), bias.data(), 4 * uint64_t(nj), true);
      cyc += 1 + uint64_t(c.norm_shift_overhead) + mult_cycles + uint64_t(c.norm_mult_overhead) +
             uint64_t(ceil_div(nj, c.norm_adders)) + uint64_t(c.norm_bias_overhead);
      const uint64_t store = uint64_t(ceil_div(nj, c.out_bytes_per_cycle));
      for (int p = 0; p < P; ++p) {
        const int64_t r = prow[size_t(p)];
        if (r < 0) continue;
        for (int o = 0; o < nj; ++o) {
          const int64_t a = int64_t{acc[size_t(o) * P + p]} - int64_t{j.x_zp} * wsum[size_t(o)] + bias[size_t(o)];
          const quant::QMul q{mult[size_t(o)], int32_t{shift[size_t(o)]}};
          const int64_t v = quant::requant32(quant::saturate<int32_t>(a), q) + j.y_zp;
          const int64_t sv = quant::saturate<int8_t>(v);
          out[size_t(o)] = int8_t(std::clamp<int64_t>(sv, j.act_min, j.act_max));
        }
        // Stream-out: one pixel (nj channels) per store.
        const uint64_t addr = j.y_addr + uint64_t(r) * uint64_t(j.y_stride) + uint64_t(n0);
        if (!tcdm.write(addr, out.data(), uint64_t(nj)))
          throw err("neureka: tcdm write of ", nj, " B at 0x", std::hex, addr, " failed");
        note(cyc + uint64_t(p) * store, addr, uint64_t(nj), true);
        t.tcdm_write_bytes += uint64_t(nj);
        if (tcdm.cost) t.stalls += tcdm.cost(Port::tcdm, addr, uint64_t(nj), true);
      }
      cyc += uint64_t((int64_t(s.h - 1) * c.w_size + s.w) * int64_t(store) + c.streamout_overhead);
    }
  }
  finish(t);
  if (cyc != t.total - t.stalls)
    throw err("neureka: internal error: the access schedule ends at cycle ", cyc, ", the formula at ", t.total - t.stalls);
  return t;
}

}  // namespace slm::neureka
