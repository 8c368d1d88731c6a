// Offline quantisation and the quantised-model file (see quant_model.h).
#include "workloads/quant/quant_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <tuple>

#include "workloads/common/error.h"
#include "workloads/common/io.h"
#include "workloads/quant/int_model.h"
#include "workloads/quant/golden.h"

namespace slm::quant {
namespace {

using nlohmann::json;

constexpr char kMagic[8] = {'S', 'L', 'M', 'Q', 'U', 'A', 'N', 'T'};
constexpr uint64_t kAlign = 64;
constexpr uint64_t kMaxHeaderBytes = 256ull << 20;
constexpr uint64_t kMaxBlobBytes = 64ull << 30;

int dtype_bits(const std::string& d) {
  if (d == "i4") return 4;
  if (d == "i8") return 8;
  if (d == "i16" || d == "u16") return 16;
  if (d == "i32" || d == "f32") return 32;
  return 0;
}

Blob make_blob(const std::string& dtype, std::vector<int64_t> shape) {
  Blob b{dtype, std::move(shape), {}};
  b.bytes.assign(blob_bytes(b.dtype, b.shape), 0);
  return b;
}

template <typename E>
std::vector<uint8_t> bytes_of(const std::vector<E>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(E));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

double silu_q(ActQ x, ActQ y, double xq) {
  const double r = (xq - x.zp) * x.scale;
  return std::round(r / (1.0 + std::exp(-r)) / y.scale) + y.zp;
}

json qmul_json(double real, const std::string& what, bool acc64) {
  QMul q = quantize_multiplier(real, what.c_str());
  if (acc64 && q.m != 0 && q.shift < 17)
    throw err(what, ": multiplier ", real, " too large for the int64 (Acc48) requantisation path (must be < 2^14)");
  return to_json(q);
}

// Builds every tensor and parameter of the quantised model.
class Quantizer {
 public:
  Quantizer(const llama2::Model& m, Precision p, const Ranges& r, QuantModel& out)
      : model_(m), c_(m.config), prec_(p), ranges_(r), q_(out) {}

  void run() {
    q_.params["act"] = json::object();
    q_.params["ops"] = json::object();
    make_acts();
    make_tables();
    const auto& w = model_.weights;
    const int64_t D = c_.dim, KV = c_.kv_dim(), H = c_.hidden_dim;
    if (c_.has_vocab()) make_embed();
    for (int l = 0; l < c_.n_layers; ++l) {
      std::string p = "l" + std::to_string(l) + ".";
      rmsnorm(p + "att_norm", w.rms_att.data() + l * D, D, p + "x_in", p + "att_norm");
      matmul(p + "wq", w.wq.data() + l * D * D, D, D, p + "att_norm", p + "q", acc_wide());
      matmul(p + "wk", w.wk.data() + l * KV * D, KV, D, p + "att_norm", p + "k", acc_wide());
      matmul(p + "wv", w.wv.data() + l * KV * D, KV, D, p + "att_norm", p + "v", acc_wide());
      rope(p + "rope_q", p + "q", p + "q_rope");
      rope(p + "rope_k", p + "k", p + "k_rope");
      scores(p);
      attn_values(p);
      matmul(p + "wo", w.wo.data() + l * D * D, D, D, p + "att_out", p + "wo_out", acc_wide());
      add(p + "add_att", p + "x_in", p + "wo_out", p + "x_mid");
      rmsnorm(p + "ffn_norm", w.rms_ffn.data() + l * D, D, p + "x_mid", p + "ffn_norm");
      matmul(p + "w1", w.w1.data() + l * H * D, H, D, p + "ffn_norm", p + "h1", acc_wide());
      matmul(p + "w3", w.w3.data() + l * H * D, H, D, p + "ffn_norm", p + "h3", acc_wide());
      silu(p + "silu", p + "h1", p + "silu");
      mul(p + "mul", p + "silu", p + "h3", p + "gated");
      matmul(p + "w2", w.w2.data() + l * D * H, D, H, p + "gated", p + "w2_out", acc_wide());
      std::string next = l + 1 < c_.n_layers ? "l" + std::to_string(l + 1) + ".x_in" : "x_final";
      add(p + "add_ffn", p + "x_mid", p + "w2_out", next);
    }
    rmsnorm("final.rmsnorm", w.rms_final.data(), D, "x_final", "final_norm");
    if (c_.has_vocab()) make_cls();
  }

 private:
  bool a16() const { return is_a16(prec_); }
  bool acc_wide() const { return a16() || prec_ == Precision::w4a8; }

  const Range& range(const std::string& name) const {
    auto it = ranges_.find(name);
    if (it == ranges_.end()) throw err("calibration: no activation range for tensor '", name, "'");
    return it->second;
  }
  // Per-tensor activation quantisation from the calibrated range (docs: "Calibration").
  ActQ act_from_range(const Range& r, bool int16) const {
    ActQ a;
    if (int16) {
      double amax = std::max({std::fabs(r.min), std::fabs(r.max), 1e-8});
      a.scale = amax / 32767.0;
      a.zp = 0;
    } else {
      double lo = std::min(r.min, 0.0), hi = std::max(r.max, 0.0);
      if (hi - lo < 1e-8) hi = lo + 1e-8;
      a.scale = (hi - lo) / 255.0;
      a.zp = static_cast<int32_t>(std::clamp<double>(std::round(-128.0 - lo / a.scale), -128, 127));
    }
    return a;
  }
  void set_act(const std::string& name, ActQ a) { q_.params["act"][name] = {{"scale", a.scale}, {"zp", a.zp}}; }

  void make_acts() {
    static const char* kLayerActs[] = {"x_in", "att_norm", "q", "k", "v", "q_rope", "k_rope", "att_out",
                                       "wo_out", "x_mid", "ffn_norm", "h1", "h3", "silu", "gated", "w2_out"};
    for (int l = 0; l < c_.n_layers; ++l)
      for (const char* n : kLayerActs) {
        std::string key = "l" + std::to_string(l) + "." + n;
        set_act(key, act_from_range(range(key), a16()));
      }
    set_act("x_final", act_from_range(range("x_final"), a16()));
    set_act("final_norm", act_from_range(range("final_norm"), a16()));
    // Logits: int16, one common symmetric scale for every precision (argmax/KL need it).
    if (c_.has_vocab()) set_act("logits", act_from_range(range("logits"), true));
    // Attention probabilities: fixed TFLite softmax output quantisation.
    set_act("att_probs", a16() ? ActQ{1.0 / 32768.0, 0} : ActQ{1.0 / 256.0, -128});
  }

  void make_tables() {
    std::vector<int16_t> cs, sn;
    build_rope_tables(c_, cs, sn);
    const int64_t half = c_.head_size() / 2;
    q_.tensors["rope.cos"] = Blob{"i16", {c_.seq_len, half}, bytes_of(cs)};
    q_.tensors["rope.sin"] = Blob{"i16", {c_.seq_len, half}, bytes_of(sn)};
    std::vector<int32_t> e = build_exp_lut();
    q_.tensors["softmax.exp_lut"] = Blob{"i32", {static_cast<int64_t>(e.size())}, bytes_of(e)};
  }

  // int8 per-row symmetric weights (TFLite per-channel): q = round(w / s), s = max|w| / 127.
  void quant_rows_i8(const float* w, int64_t n, int64_t k, Blob& data, std::vector<double>& scale) {
    scale.assign(static_cast<size_t>(n), 1.0);
    for (int64_t j = 0; j < n; ++j) {
      double amax = 0;
      for (int64_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(static_cast<double>(w[j * k + i])));
      scale[j] = amax > 0 ? amax / 127.0 : 1.0;
      for (int64_t i = 0; i < k; ++i)
        data.as<int8_t>()[j * k + i] = static_cast<int8_t>(std::clamp<double>(std::round(w[j * k + i] / scale[j]), -127, 127));
    }
  }

  // int4: groups of 32 along K, group scale = max|w| / 7, row scale = max group scale,
  // sub-scale = round(group / row * 2^15) (uint16), values round(w / (row * sub / 2^15)).
  void quant_rows_i4(const float* w, int64_t n, int64_t k, Blob& data, Blob& sub, std::vector<double>& scale) {
    const int64_t G = golden::n_groups(k), rb = (k + 1) / 2;
    scale.assign(static_cast<size_t>(n), 1.0);
    std::vector<double> gs(static_cast<size_t>(G));
    for (int64_t j = 0; j < n; ++j) {
      double rmax = 0;
      for (int64_t g = 0; g < G; ++g) {
        double amax = 0;
        for (int64_t i = g * golden::kGroupSize; i < std::min(k, (g + 1) * golden::kGroupSize); ++i)
          amax = std::max(amax, std::fabs(static_cast<double>(w[j * k + i])));
        gs[g] = amax / 7.0;
        rmax = std::max(rmax, gs[g]);
      }
      scale[j] = rmax > 0 ? rmax : 1.0;
      for (int64_t g = 0; g < G; ++g) {
        uint16_t s = static_cast<uint16_t>(std::lround(gs[g] / scale[j] * (1 << golden::kSubScaleBits)));
        sub.as<uint16_t>()[j * G + g] = s;
        double eff = scale[j] * s / (1 << golden::kSubScaleBits);
        for (int64_t i = g * golden::kGroupSize; i < std::min(k, (g + 1) * golden::kGroupSize); ++i) {
          int v = eff > 0 ? static_cast<int>(std::clamp<double>(std::round(w[j * k + i] / eff), -8, 7)) : 0;
          uint8_t& byte = data.as<uint8_t>()[j * rb + i / 2];
          byte = static_cast<uint8_t>((i & 1) ? ((byte & 0x0F) | ((v & 0x0F) << 4)) : ((byte & 0xF0) | (v & 0x0F)));
        }
      }
    }
  }

  void store_scale(const std::string& name, const std::vector<double>& s) {
    Blob b = make_blob("f32", {static_cast<int64_t>(s.size())});
    for (size_t i = 0; i < s.size(); ++i) b.as<float>()[i] = static_cast<float>(s[i]);
    q_.tensors[name] = std::move(b);
  }

  // Per-output-channel requantisation x_scale * w_scale[j] (* 2^-15 for int4) / y_scale.
  void store_requant(const std::string& name, const std::vector<double>& ws, double xs, double ys, bool acc64, bool i4) {
    Blob b = make_blob("i32", {static_cast<int64_t>(ws.size()), 2});
    for (size_t j = 0; j < ws.size(); ++j) {
      double real = xs * ws[j] / ys * (i4 ? std::ldexp(1.0, -golden::kSubScaleBits) : 1.0);
      QMul qm = qmul_from_json(qmul_json(real, name, acc64), name);
      b.as<int32_t>()[2 * j] = qm.m;
      b.as<int32_t>()[2 * j + 1] = qm.shift;
    }
    q_.tensors[name] = std::move(b);
  }

  void store_row_sum(const std::string& name, const Blob& w, int64_t n, int64_t k) {
    Blob b = make_blob("i32", {n});
    for (int64_t j = 0; j < n; ++j) {
      int32_t s = 0;
      for (int64_t i = 0; i < k; ++i) s += w.as<int8_t>()[j * k + i];
      b.as<int32_t>()[j] = s;
    }
    q_.tensors[name] = std::move(b);
  }

  void matmul(const std::string& name, const float* w, int64_t n, int64_t k, const std::string& x,
              const std::string& y, bool acc64) {
    const bool i4 = prec_ == Precision::w4a8;
    std::vector<double> ws;
    if (i4) {
      Blob data = make_blob("i4", {n, k}), sub = make_blob("u16", {n, golden::n_groups(k)});
      quant_rows_i4(w, n, k, data, sub, ws);
      q_.tensors[name] = std::move(data);
      q_.tensors[name + ".group_sub"] = std::move(sub);
    } else {
      Blob data = make_blob("i8", {n, k});
      quant_rows_i8(w, n, k, data, ws);
      store_row_sum(name + ".row_sum", data, n, k);
      q_.tensors[name] = std::move(data);
    }
    store_scale(name + ".scale", ws);
    finish_matmul(name, name, ws, x, y, acc64, i4);
  }

  void finish_matmul(const std::string& name, const std::string& weight, const std::vector<double>& ws,
                     const std::string& x, const std::string& y, bool acc64, bool i4) {
    ActQ xa = q_.act(x), ya = q_.act(y);
    store_requant(name + ".requant", ws, xa.scale, ya.scale, acc64, i4);
    q_.params["ops"][name] = {{"weight", weight}, {"w_format", i4 ? "i4" : "i8"}, {"x", x}, {"y", y},
                              {"x_zp", xa.zp}, {"y_zp", ya.zp}, {"x_scale", xa.scale}, {"y_scale", ya.scale}};
  }

  void make_embed() {
    const int64_t V = c_.vocab_size, D = c_.dim;
    Blob t = make_blob("i8", {V, D});
    quant_rows_i8(model_.weights.token_embedding.data(), V, D, t, emb_scale_);
    store_row_sum("embed.row_sum", t, V, D);
    q_.tensors["embed.table"] = std::move(t);
    store_scale("embed.scale", emb_scale_);
    ActQ ya = q_.act("l0.x_in");
    Blob rm = make_blob("i32", {V, 2});
    for (int64_t r = 0; r < V; ++r) {
      QMul qm = quantize_multiplier(emb_scale_[r] / ya.scale, "embed.row_mul");
      rm.as<int32_t>()[2 * r] = qm.m;
      rm.as<int32_t>()[2 * r + 1] = qm.shift;
    }
    q_.tensors["embed.row_mul"] = std::move(rm);
    q_.params["ops"]["embed"] = {{"y", "l0.x_in"}, {"y_zp", ya.zp}, {"y_scale", ya.scale}};
  }

  // Classifier: int8 per row in every precision (shares embed.table when the model does).
  void make_cls() {
    const int64_t V = c_.vocab_size, D = c_.dim;
    std::vector<double> ws = emb_scale_;
    std::string weight = "embed.table";
    if (!c_.shared_classifier) {
      Blob data = make_blob("i8", {V, D});
      quant_rows_i8(model_.weights.wcls.data(), V, D, data, ws);
      store_row_sum("cls.row_sum", data, V, D);
      q_.tensors["cls"] = std::move(data);
      store_scale("cls.scale", ws);
      weight = "cls";
    } else {
      q_.tensors["cls.row_sum"] = q_.tensors.at("embed.row_sum");
    }
    finish_matmul("cls", weight, ws, "final_norm", "logits", a16(), false);
  }

  // Gain quantised per channel: round(g / y_scale * 2^shift) in int16, one shift per tensor.
  void rmsnorm(const std::string& name, const float* g, int64_t n, const std::string& x, const std::string& y) {
    ActQ xa = q_.act(x), ya = q_.act(y);
    double gmax = 1e-12;
    for (int64_t i = 0; i < n; ++i) gmax = std::max(gmax, std::fabs(g[i] / ya.scale));
    int shift = static_cast<int>(std::floor(std::log2(32767.0 / gmax)));
    shift = std::clamp(shift, -29, 30);
    Blob gb = make_blob("i16", {n});
    for (int64_t i = 0; i < n; ++i)
      gb.as<int16_t>()[i] = static_cast<int16_t>(std::clamp<double>(std::round(std::ldexp(g[i] / ya.scale, shift)), -32767, 32767));
    q_.tensors[name + ".gain"] = std::move(gb);
    double eps_q = std::min(std::round(c_.norm_eps / (xa.scale * xa.scale)), 2147483647.0);
    q_.params["ops"][name] = {{"x", x}, {"y", y}, {"x_zp", xa.zp}, {"y_zp", ya.zp}, {"eps_q", static_cast<int64_t>(eps_q)},
                              {"gain_shift", shift}, {"x_scale", xa.scale}, {"y_scale", ya.scale}};
  }

  void rope(const std::string& name, const std::string& x, const std::string& y) {
    ActQ xa = q_.act(x), ya = q_.act(y);
    q_.params["ops"][name] = {{"x", x}, {"y", y}, {"x_zp", xa.zp}, {"y_zp", ya.zp},
                              {"mul", qmul_json(xa.scale / 32767.0 / ya.scale, name, false)}};
  }

  void scores(const std::string& p) {
    ActQ qa = q_.act(p + "q_rope"), ka = q_.act(p + "k_rope");
    double real = qa.scale * ka.scale / std::sqrt(static_cast<double>(c_.head_size())) * (1 << golden::kScoreFracBits);
    q_.params["ops"][p + "attn_scores"] = {{"q_zp", qa.zp}, {"k_zp", ka.zp}, {"score_frac_bits", golden::kScoreFracBits},
                                           {"mul", qmul_json(real, p + "attn_scores", a16())}};
    ActQ pa = q_.act("att_probs");
    q_.params["ops"][p + "softmax"] = {{"out_zp", pa.zp}, {"out_scale", pa.scale}};
  }

  void attn_values(const std::string& p) {
    ActQ pa = q_.act("att_probs"), va = q_.act(p + "v"), ya = q_.act(p + "att_out");
    q_.params["ops"][p + "attn_values"] = {{"p_zp", pa.zp}, {"v_zp", va.zp}, {"y_zp", ya.zp},
                                           {"mul", qmul_json(pa.scale * va.scale / ya.scale, p + "attn_values", a16())}};
  }

  void silu(const std::string& name, const std::string& x, const std::string& y) {
    ActQ xa = q_.act(x), ya = q_.act(y);
    if (a16()) {
      std::vector<int16_t> t = build_silu_lut_i16(xa, ya);
      q_.tensors[name + ".lut"] = Blob{"i16", {static_cast<int64_t>(t.size())}, bytes_of(t)};
    } else {
      std::vector<int8_t> t = build_silu_lut_i8(xa, ya);
      q_.tensors[name + ".lut"] = Blob{"i8", {static_cast<int64_t>(t.size())}, bytes_of(t)};
    }
    q_.params["ops"][name] = {{"x", x}, {"y", y}, {"x_zp", xa.zp}, {"y_zp", ya.zp}, {"x_scale", xa.scale}, {"y_scale", ya.scale}};
  }

  void mul(const std::string& name, const std::string& a, const std::string& b, const std::string& y) {
    ActQ aa = q_.act(a), ba = q_.act(b), ya = q_.act(y);
    q_.params["ops"][name] = {{"a_zp", aa.zp}, {"b_zp", ba.zp}, {"y_zp", ya.zp},
                              {"mul", qmul_json(aa.scale * ba.scale / ya.scale, name, false)}};
  }

  // TFLite ADD: inputs scaled to 2 max(scale) with a left shift of 20 (int8) / 15 (int16).
  void add(const std::string& name, const std::string& a, const std::string& b, const std::string& y) {
    ActQ aa = q_.act(a), ba = q_.act(b), ya = q_.act(y);
    const int ls = a16() ? 15 : 20;
    const double twice_max = 2.0 * std::max(aa.scale, ba.scale);
    q_.params["ops"][name] = {{"a_zp", aa.zp}, {"b_zp", ba.zp}, {"y_zp", ya.zp}, {"left_shift", ls},
                              {"a_mul", qmul_json(aa.scale / twice_max, name, false)},
                              {"b_mul", qmul_json(ba.scale / twice_max, name, false)},
                              {"y_mul", qmul_json(twice_max / (std::ldexp(1.0, ls) * ya.scale), name, false)}};
  }

  const llama2::Model& model_;
  const llama2::ModelConfig& c_;
  Precision prec_;
  const Ranges& ranges_;
  QuantModel& q_;
  std::vector<double> emb_scale_;
};

json config_json(const llama2::ModelConfig& c) {
  return {{"dim", c.dim}, {"hidden_dim", c.hidden_dim}, {"n_layers", c.n_layers}, {"n_heads", c.n_heads},
          {"n_kv_heads", c.n_kv_heads}, {"vocab_size", c.vocab_size}, {"seq_len", c.seq_len},
          {"shared_classifier", c.shared_classifier}, {"norm_eps", c.norm_eps}, {"rope_theta", c.rope_theta},
          {"name", c.name}};
}

llama2::ModelConfig config_from_json(const json& j, const std::string& path) {
  llama2::ModelConfig c;
  auto geti = [&](const char* k, int lo, int hi) {
    if (!j.contains(k) || !j[k].is_number_integer()) throw err(path, ": header config field '", k, "' missing or not an integer");
    int64_t v = j[k].get<int64_t>();
    if (v < lo || v > hi) throw err(path, ": header config field ", k, " = ", v, ": must be in [", lo, ", ", hi, "]");
    return static_cast<int>(v);
  };
  c.dim = geti("dim", 2, 1 << 16);
  c.hidden_dim = geti("hidden_dim", 1, 1 << 18);
  c.n_layers = geti("n_layers", 1, 1024);
  c.n_heads = geti("n_heads", 1, 1024);
  c.n_kv_heads = geti("n_kv_heads", 1, 1024);
  c.vocab_size = geti("vocab_size", 0, 1 << 20);
  c.seq_len = geti("seq_len", 1, 1 << 20);
  if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 || c.head_size() % 2 != 0)
    throw err(path, ": header config: inconsistent heads (dim ", c.dim, ", n_heads ", c.n_heads, ", n_kv_heads ", c.n_kv_heads, ")");
  auto opt = [&](const char* k, bool (json::*is)() const noexcept, const char* type) {
    if (j.contains(k) && !(j[k].*is)()) throw err(path, ": header config field '", k, "' = ", j[k].dump(), ": must be ", type);
    return j.contains(k);
  };
  if (opt("shared_classifier", &json::is_boolean, "a boolean")) c.shared_classifier = j["shared_classifier"].get<bool>();
  if (opt("norm_eps", &json::is_number, "a number")) c.norm_eps = j["norm_eps"].get<float>();
  if (opt("rope_theta", &json::is_number, "a number")) c.rope_theta = j["rope_theta"].get<float>();
  if (opt("name", &json::is_string, "a string")) c.name = j["name"].get<std::string>();
  if (!(c.norm_eps > 0 && c.norm_eps < 1)) throw err(path, ": header config field norm_eps = ", c.norm_eps, ": must be in (0, 1)");
  if (!(c.rope_theta > 1 && std::isfinite(c.rope_theta))) throw err(path, ": header config field rope_theta = ", c.rope_theta, ": must be a finite number > 1");
  return c;
}

}  // namespace

void build_rope_tables(const llama2::ModelConfig& c, std::vector<int16_t>& cos_q15, std::vector<int16_t>& sin_q15) {
  const int hs = c.head_size(), half = hs / 2;
  cos_q15.assign(static_cast<size_t>(c.seq_len) * half, 0);
  sin_q15.assign(static_cast<size_t>(c.seq_len) * half, 0);
  for (int pos = 0; pos < c.seq_len; ++pos)
    for (int i = 0; i < half; ++i) {
      const double a = pos * std::pow(static_cast<double>(c.rope_theta), -2.0 * i / hs);
      cos_q15[static_cast<size_t>(pos) * half + i] = static_cast<int16_t>(std::lround(std::cos(a) * 32767.0));
      sin_q15[static_cast<size_t>(pos) * half + i] = static_cast<int16_t>(std::lround(std::sin(a) * 32767.0));
    }
}

std::vector<int32_t> build_exp_lut() {
  std::vector<int32_t> e(golden::kExpLutSteps + 1);
  for (int j = 0; j <= golden::kExpLutSteps; ++j)
    e[j] = static_cast<int32_t>(std::lround(std::exp(-j / 16.0) * golden::kExpOneQ15));
  return e;
}

std::vector<int8_t> build_silu_lut_i8(ActQ x, ActQ y) {
  std::vector<int8_t> t(256);
  for (int j = 0; j < 256; ++j) t[j] = static_cast<int8_t>(std::clamp(silu_q(x, y, j - 128.0), -128.0, 127.0));
  return t;
}

std::vector<int16_t> build_silu_lut_i16(ActQ x, ActQ y) {
  std::vector<int16_t> t(513);
  for (int j = 0; j <= 512; ++j) t[j] = static_cast<int16_t>(std::clamp(silu_q(x, y, -32768.0 + 128.0 * j), -32768.0, 32767.0));
  return t;
}

const char* to_string(Precision p) {
  switch (p) {
    case Precision::w8a8: return "w8a8";
    case Precision::w8a16: return "w8a16";
    case Precision::w4a8: return "w4a8";
  }
  return "?";
}

Precision precision_from_string(const std::string& s) {
  for (Precision p : kAllPrecisions)
    if (s == to_string(p)) return p;
  throw err("precision '", s, "': must be one of w8a8, w8a16, w4a8");
}

uint64_t blob_bytes(const std::string& dtype, const std::vector<int64_t>& shape) {
  const int bits = dtype_bits(dtype);
  if (bits == 0) throw err("unknown tensor dtype '", dtype, "'");
  uint64_t elems = 1;
  for (int64_t d : shape) {
    if (d < 0 || d > (int64_t{1} << 40)) throw err("tensor dimension ", d, " out of range");
    elems *= static_cast<uint64_t>(d);
  }
  if (bits == 4) {
    uint64_t cols = shape.empty() ? 1 : static_cast<uint64_t>(shape.back());
    return elems / std::max<uint64_t>(cols, 1) * ((cols + 1) / 2);
  }
  return elems * static_cast<uint64_t>(bits / 8);
}

json to_json(QMul q) { return {{"m", q.m}, {"shift", q.shift}}; }

QMul qmul_from_json(const json& j, const std::string& what) {
  if (!j.is_object() || !j.contains("m") || !j.contains("shift") || !j["m"].is_number_integer() || !j["shift"].is_number_integer())
    throw err(what, ": multiplier must be an object {\"m\": int, \"shift\": int}");
  int64_t m = j["m"].get<int64_t>(), s = j["shift"].get<int64_t>();
  if (!(m == 0 || (m >= (int64_t{1} << 30) && m < (int64_t{1} << 31))) || s < 1 || s > 62)
    throw err(what, ": multiplier m = ", m, ", shift = ", s, ": need m in [2^30, 2^31) or 0 and shift in [1, 62]");
  return QMul{static_cast<int32_t>(m), static_cast<int32_t>(s)};
}

const Blob& QuantModel::tensor(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw err("quantised model: tensor '", name, "' is missing");
  return it->second;
}

ActQ QuantModel::act(const std::string& name) const {
  if (!params.contains("act") || !params["act"].contains(name))
    throw err("quantised model: activation quantisation of '", name, "' is missing");
  const json& a = params["act"][name];
  if (!a.is_object() || !a.contains("scale") || !a["scale"].is_number() || !a.contains("zp") || !a["zp"].is_number_integer() ||
      !(a["scale"].get<double>() > 0))
    throw err("quantised model: activation quantisation of '", name, "' needs a scale > 0 and an integer zp");
  return ActQ{a["scale"].get<double>(), a["zp"].get<int32_t>()};
}

const json& QuantModel::op(const std::string& name) const {
  if (!params.contains("ops") || !params["ops"].contains(name))
    throw err("quantised model: parameters of op '", name, "' are missing");
  return params["ops"][name];
}

QuantModel quantize(const llama2::Model& model, Precision precision, const Ranges& ranges, const json& calibration_info) {
  QuantModel q;
  q.config = model.config;
  q.precision = precision;
  q.params["calibration"] = calibration_info;
  Quantizer(model, precision, ranges, q).run();
  return q;
}

void QuantModel::save(const std::string& path) const {
  json h;
  h["format"] = "slmsim-quant";
  h["version"] = kQuantFileVersion;
  h["config"] = config_json(config);
  h["precision"] = to_string(precision);
  h["params"] = params;
  h["tensors"] = json::array();
  uint64_t off = 0;
  for (const auto& [name, b] : tensors) {
    h["tensors"].push_back({{"name", name}, {"dtype", b.dtype}, {"shape", b.shape}, {"offset", off}, {"bytes", b.bytes.size()}});
    off += (b.bytes.size() + kAlign - 1) / kAlign * kAlign;
  }
  const std::string hs = h.dump();
  io::AtomicOfstream out(path);  // a temporary file in the same folder, renamed when complete
  std::ostream& f = out.stream();
  const uint32_t ver = kQuantFileVersion, hlen = static_cast<uint32_t>(hs.size());
  f.write(kMagic, 8);
  f.write(reinterpret_cast<const char*>(&ver), 4);
  f.write(reinterpret_cast<const char*>(&hlen), 4);
  f.write(hs.data(), static_cast<std::streamsize>(hs.size()));
  const std::string zeros(kAlign, '\0');
  uint64_t pos = 16 + hs.size();
  f.write(zeros.data(), static_cast<std::streamsize>((kAlign - pos % kAlign) % kAlign));
  for (const auto& [name, b] : tensors) {
    f.write(reinterpret_cast<const char*>(b.bytes.data()), static_cast<std::streamsize>(b.bytes.size()));
    f.write(zeros.data(), static_cast<std::streamsize>((kAlign - b.bytes.size() % kAlign) % kAlign));
  }
  out.commit();
}

QuantModel QuantModel::load(const std::string& path) {
  const uint64_t size = io::regular_file_size(path, kMaxBlobBytes + kMaxHeaderBytes, "quantised model");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw err(path, ": cannot open quantised model");
  char magic[8];
  uint32_t ver = 0, hlen = 0;
  if (size < 16 || !f.read(magic, 8) || !f.read(reinterpret_cast<char*>(&ver), 4) || !f.read(reinterpret_cast<char*>(&hlen), 4))
    throw err(path, ": too short for a quantised model (", size, " bytes)");
  if (std::memcmp(magic, kMagic, 8) != 0) throw err(path, ": bad magic (not an slmsim quantised model)");
  if (ver != kQuantFileVersion) throw err(path, ": format version ", ver, " not supported (expected ", kQuantFileVersion, ")");
  if (hlen > kMaxHeaderBytes || 16 + uint64_t{hlen} > size) throw err(path, ": header length ", hlen, " exceeds the file size ", size);
  std::string hs(hlen, '\0');
  if (!f.read(hs.data(), hlen)) throw err(path, ": read failed in the header");
  json h;
  try {
    h = json::parse(hs);
  } catch (const json::parse_error& e) {
    throw err(path, ": header is not valid JSON (syntax error at byte ", e.byte, ")");
  } catch (const json::exception&) {
    throw err(path, ": header is not valid JSON");
  }
  if (!h.is_object()) throw err(path, ": header must be a JSON object");
  auto need_field = [&](const char* key, bool (json::*is)() const noexcept, const char* type) -> const json& {
    if (!h.contains(key) || !(h[key].*is)()) throw err(path, ": header field '", key, "' missing or not ", type);
    return h[key];
  };
  QuantModel q;
  if (!h.contains("format") || h["format"] != "slmsim-quant") throw err(path, ": header field format must be \"slmsim-quant\"");
  q.config = config_from_json(need_field("config", &json::is_object, "an object"), path);
  try {
    q.precision = precision_from_string(need_field("precision", &json::is_string, "a string").get<std::string>());
  } catch (const Error& e) {
    throw err(path, ": header field precision: ", e.what());
  }
  q.params = need_field("params", &json::is_object, "an object");
  const json& tensors = need_field("tensors", &json::is_array, "an array");
  const uint64_t blob0 = (16 + uint64_t{hlen} + kAlign - 1) / kAlign * kAlign;
  const uint64_t data_bytes = size > blob0 ? size - blob0 : 0;
  io::check_host_memory(data_bytes, path + ": quantised model data");
  // [offset, end) of every tensor: they must lie inside the data area and not overlap.
  std::vector<std::tuple<uint64_t, uint64_t, std::string>> spans;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const json& t = tensors[i];
    const std::string where = path + ": header tensors[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
      throw err(where, ": must be an object with a string field name");
    const std::string name = t["name"].get<std::string>();
    const std::string tw = path + ": tensor " + name;
    if (q.tensors.count(name)) throw err(tw, ": listed twice");
    if (!t.contains("dtype") || !t["dtype"].is_string()) throw err(tw, ": field dtype missing or not a string");
    if (!t.contains("shape") || !t["shape"].is_array() || t["shape"].size() > 8) throw err(tw, ": field shape missing or not an array of at most 8 dimensions");
    Blob b{t["dtype"].get<std::string>(), {}, {}};
    for (const json& d : t["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t{1} << 40))
        throw err(tw, ": shape entry ", d.dump(), ": must be an integer in [0, 2^40]");
      b.shape.push_back(d.get<int64_t>());
    }
    for (const char* k : {"offset", "bytes"})
      if (!t.contains(k) || !t[k].is_number_unsigned()) throw err(tw, ": field ", k, " = ", t.value(k, json()).dump(), ": must be an integer >= 0");
    const uint64_t off = t["offset"].get<uint64_t>(), nbytes = t["bytes"].get<uint64_t>();
    if (dtype_bits(b.dtype) == 0) throw err(tw, ": unknown dtype '", b.dtype, "'");
    uint64_t want = 0;
    try {
      want = blob_bytes(b.dtype, b.shape);
    } catch (const Error& e) {
      throw err(tw, ": ", e.what());
    }
    if (nbytes != want) throw err(tw, ": bytes ", nbytes, " do not match dtype and shape (", want, " bytes)");
    if (off % kAlign != 0) throw err(tw, ": offset ", off, " is not a multiple of ", kAlign);
    if (off > data_bytes || nbytes > data_bytes - off)
      throw err(tw, ": data [", off, ", +", nbytes, ") is past the end of the file (data area of ", data_bytes, " bytes)");
    spans.emplace_back(off, off + nbytes, name);
    b.bytes.resize(nbytes);
    f.seekg(static_cast<std::streamoff>(blob0 + off));
    if (nbytes && !f.read(reinterpret_cast<char*>(b.bytes.data()), static_cast<std::streamsize>(nbytes))) throw err(tw, ": read failed");
    q.tensors[name] = std::move(b);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i)
    if (std::get<0>(spans[i]) < std::get<1>(spans[i - 1]) && std::get<1>(spans[i]) > std::get<0>(spans[i]))
      throw err(path, ": tensor ", std::get<2>(spans[i]), " at offset ", std::get<0>(spans[i]), " overlaps tensor ", std::get<2>(spans[i - 1]),
                " [", std::get<0>(spans[i - 1]), ", ", std::get<1>(spans[i - 1]), ")");
  // Every parameter the golden kernels will use, checked now (slm::Error naming the file).
  try {
    validate_for_inference(q);
  } catch (const Error& e) {
    throw err(path, ": ", e.what());
  }
  return q;
}

}  // namespace slm::quant
