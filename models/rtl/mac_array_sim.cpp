#include "models/rtl/mac_array_sim.h"

#include <algorithm>
#include <type_traits>

#include "Vmac128.h"
#include "Vmac512.h"
#include "verilated.h"
#include "workloads/common/error.h"

namespace slm::rtl {

namespace {

// Bit-field access to a verilated port: VlWide<N> (more than 64 bits) or an integer.
template <std::size_t N>
void put(VlWide<N>& port, int lsb, int width, uint64_t v) {
  if (width <= 32 && lsb % 32 + width <= 32) {  // a field inside one word (every 8- or 16-bit lane)
    const uint32_t mask = (width == 32 ? ~0u : ((1u << width) - 1)) << (lsb % 32);
    port[lsb / 32] = (port[lsb / 32] & ~mask) | ((static_cast<uint32_t>(v) << (lsb % 32)) & mask);
    return;
  }
  for (int b = 0; b < width; ++b) {
    const int i = lsb + b;
    const uint32_t bit = 1u << (i % 32);
    if ((v >> b) & 1) port[i / 32] |= bit;
    else port[i / 32] &= ~bit;
  }
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
void put(T& port, int lsb, int width, uint64_t v) {
  const T mask = static_cast<T>(((width >= 64) ? ~uint64_t{0} : ((uint64_t{1} << width) - 1)) << lsb);
  port = static_cast<T>((port & ~mask) | ((static_cast<T>(v) << lsb) & mask));
}
template <std::size_t N>
uint64_t get(const VlWide<N>& port, int lsb, int width) {
  if (width <= 32 && lsb % 32 + width <= 32)
    return (port[lsb / 32] >> (lsb % 32)) & (width == 32 ? ~0u : ((1u << width) - 1));
  uint64_t v = 0;
  for (int b = 0; b < width; ++b) v |= uint64_t{(port[(lsb + b) / 32] >> ((lsb + b) % 32)) & 1u} << b;
  return v;
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
uint64_t get(const T& port, int lsb, int width) {
  return (static_cast<uint64_t>(port) >> lsb) & ((uint64_t{1} << width) - 1);
}
int64_t sext(uint64_t v, int bits) { return static_cast<int64_t>(v << (64 - bits)) >> (64 - bits); }

template <typename V>
class Driver final : public MacArray {
 public:
  explicit Driver(MacArrayShape s) : s_(s), ctx_(std::make_unique<VerilatedContext>()), v_(std::make_unique<V>(ctx_.get())) {
    v_->clk = 0;
    v_->rst_n = 0;
    v_->in_valid = 0;
    v_->eval();
    tick();
    v_->rst_n = 1;
    v_->eval();
  }
  ~Driver() override { v_->final(); }
  const MacArrayShape& shape() const override { return s_; }
  uint64_t total_cycles() const override { return cycles_; }

  FcResult run(const FcTile& t) override {
    check(t);
    const int L = s_.lanes, HW = s_.ub_hw, C = s_.ub_c, NG = HW * C / s_.out_lanes;
    const int nb = (t.k + L - 1) / L, pg = (t.m + HW - 1) / HW, cg = (t.n + C - 1) / C;
    v_->cfg_a16 = t.a16;
    v_->cfg_x_zp = static_cast<uint8_t>(t.x_zp);
    v_->cfg_y_zp = static_cast<uint16_t>(t.y_zp);
    v_->cfg_act_min = static_cast<uint16_t>(t.act_min);
    v_->cfg_act_max = static_cast<uint16_t>(t.act_max);
    v_->cfg_nbeats = static_cast<uint16_t>(nb);
    FcResult r;
    r.y.assign(size_t(t.m) * t.n, 0);
    r.micro_blocks = uint64_t(pg) * cg;
    const uint64_t total_groups = r.micro_blocks * NG;
    // Micro-block u: channel group u / pg, position group u % pg (weights reused across positions).
    const double rate = t.weights_per_cycle;
    const double cap = double(C) * L * nb;  // the decoder's buffer: one micro-block's weights
    double credit = 0;
    bool paid = false;  // the decoder has produced the offered beat's weights
    uint64_t ub = 0, beat = 0, groups = 0, cyc = 0, accepted_beats = 0;
    bool idle = false;
    while (groups < total_groups) {
      bool offer = !idle && ub < r.micro_blocks;
      if (rate > 0) {
        credit = std::min(cap, credit + rate);
        if (offer && !paid) {
          if (ub % uint64_t(pg) != 0) {
            paid = true;  // reused weights
          } else {
            const int cgi = int(ub / uint64_t(pg));
            const double need = double(std::min(C, t.n - cgi * C)) * std::min(L, t.k - int(beat) * L);
            if (credit >= need) credit -= need, paid = true;
          }
        }
        if (offer && !paid) offer = false, ++r.starved_cycles;
      }
      if (idle) {
        v_->in_valid = 0;
        ++r.idle_cycles;
      } else if (offer) {
        load_beat(t, int(ub % uint64_t(pg)), int(ub / uint64_t(pg)), int(beat), nb);
        v_->in_valid = 1;
      } else {
        v_->in_valid = 0;
      }
      v_->eval();
      const bool accepted = v_->in_valid && v_->in_ready;
      tick();
      ++cyc;
      idle = false;
      if (accepted) {
        paid = false;
        if (++beat == uint64_t(nb)) beat = 0, ++ub;
        idle = t.idle_every > 0 && ++accepted_beats % uint64_t(t.idle_every) == 0 && ub < r.micro_blocks;
      }
      if (v_->out_valid) {
        const uint64_t u = groups / NG;
        const int g = static_cast<int>(get(v_->out_group, 0, 16));
        if (g != int(groups % NG)) throw err("RTL output group ", g, " out of order (expected ", groups % NG, ")");
        const int p0 = int(u % uint64_t(pg)) * HW, c0 = int(u / uint64_t(pg)) * C;
        for (int i = 0; i < s_.out_lanes; ++i) {
          const int e = g * s_.out_lanes + i, p = p0 + e / C, c = c0 + e % C;
          if (p < t.m && c < t.n) r.y[size_t(p) * t.n + c] = int32_t(sext(get(v_->out_data, i * 16, 16), 16));
        }
        ++groups;
        r.cycles = cyc;
      }
      if (cyc > 16 + 4 * (total_groups + uint64_t(nb) * 2 * r.micro_blocks) + r.idle_cycles + r.starved_cycles)
        throw err("RTL MAC array hung");
    }
    v_->in_valid = 0;
    return r;
  }

 private:
  void tick() {
    v_->clk = 1;
    v_->eval();
    v_->clk = 0;  // the falling edge triggers nothing: the next eval() settles it with the new inputs
    ++cycles_;
  }
  void check(const FcTile& t) const {
    if (t.m < 1 || t.n < 1 || t.k < 1) throw err("RTL tile: m, n, k must be >= 1 (", t.m, ", ", t.n, ", ", t.k, ")");
    if ((t.k + s_.lanes - 1) / s_.lanes > 65535) throw err("RTL tile: k = ", t.k, " exceeds 65535 beats");
    if (t.x.size() != size_t(t.m) * t.k || t.w.size() != size_t(t.n) * t.k || t.bias.size() != size_t(t.n) ||
        t.mult.size() != size_t(t.n) || t.shift.size() != size_t(t.n))
      throw err("RTL tile: operand sizes do not match m = ", t.m, ", n = ", t.n, ", k = ", t.k);
    if (!(t.weights_per_cycle >= 0) || t.weights_per_cycle > 1e6)
      throw err("RTL tile: weights_per_cycle = ", t.weights_per_cycle, " (0 or a positive rate)");
    if (t.a16 && t.x_zp != 0) throw err("RTL tile: int16 activations need x_zp = 0 (got ", t.x_zp, ")");
    if (!t.a16 && (t.x_zp < -128 || t.x_zp > 127)) throw err("RTL tile: x_zp = ", t.x_zp, " outside int8");
    for (int c = 0; c < t.n; ++c)
      if (t.mult[c] < 0 || t.shift[c] < 0 || t.shift[c] > 63)
        throw err("RTL tile: channel ", c, " multiplier ", t.mult[c], " / shift ", t.shift[c], " out of range");
  }
  void load_beat(const FcTile& t, int pgi, int cgi, int beat, int nb) {
    const int L = s_.lanes;
    for (int p = 0; p < s_.ub_hw; ++p)
      for (int k = 0; k < L; ++k) {
        const int pos = pgi * s_.ub_hw + p, kk = beat * L + k;
        // Padding: activations 0 (their weights are 0 too).
        const int16_t x = (pos < t.m && kk < t.k) ? t.x[size_t(pos) * t.k + kk] : int16_t{0};
        put(v_->in_act, (p * L + k) * 16, 16, static_cast<uint16_t>(x));
      }
    for (int c = 0; c < s_.ub_c; ++c) {
      const int ch = cgi * s_.ub_c + c;
      for (int k = 0; k < L; ++k) {
        const int kk = beat * L + k;
        const int8_t w = (ch < t.n && kk < t.k) ? t.w[size_t(ch) * t.k + kk] : int8_t{0};
        put(v_->in_wgt, (c * L + k) * 8, 8, static_cast<uint8_t>(w));
      }
      if (beat == nb - 1) {
        const bool live = ch < t.n;
        put(v_->in_bias, c * s_.acc_bits, s_.acc_bits, static_cast<uint64_t>(live ? t.bias[ch] : 0));
        put(v_->in_mult, c * 32, 32, static_cast<uint32_t>(live ? t.mult[ch] : 0));
        put(v_->in_shift, c * 6, 6, static_cast<uint32_t>(live ? t.shift[ch] : 1));
      }
    }
  }

  MacArrayShape s_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> v_;
  uint64_t cycles_ = 0;
};

}  // namespace

std::unique_ptr<MacArray> make_mac_array(int macs) {
  // Keep in step with the -G parameters in models/rtl/CMakeLists.txt.
  if (macs == 128) return std::make_unique<Driver<Vmac128>>(MacArrayShape{128, 1, 16, 8, 2, 48});
  if (macs == 512) return std::make_unique<Driver<Vmac512>>(MacArrayShape{512, 4, 16, 8, 8, 48});
  throw err("RTL MAC array: ", macs, " MACs is not built (128 or 512)");
}

uint64_t formula_cycles(const MacArrayShape& s, int m, int n, int k, bool a16) {
  const uint64_t nu = uint64_t((m + s.ub_hw - 1) / s.ub_hw) * uint64_t((n + s.ub_c - 1) / s.ub_c);
  const uint64_t ng = uint64_t(s.ub_hw * s.ub_c / s.out_lanes);
  const uint64_t mac = uint64_t((k + s.lanes - 1) / s.lanes) * (a16 ? 2 : 1);
  return mac + (nu - 1) * (mac > ng ? mac : ng) + ng + 3;
}

}  // namespace slm::rtl
