// Integer transformer step, op emission and the golden dispatcher (see int_model.h).
#include "workloads/quant/int_model.h"

#include <cstring>
#include <type_traits>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::quant {
namespace {

using nlohmann::json;
using trace::DType;
using trace::Op;
using trace::OpKind;
using trace::Role;
using trace::TensorRef;

static_assert(sizeof(QMul) == 8, "QMul arrays are stored as int32 pairs");

template <typename T>
DType act_dtype() { return std::is_same_v<T, int8_t> ? DType::i8 : DType::i16; }

uint64_t dense_bytes(DType d, const std::vector<int64_t>& shape) {
  uint64_t e = 1;
  for (int64_t s : shape) e *= static_cast<uint64_t>(s);
  return (e * static_cast<uint64_t>(trace::dtype_bits(d)) + 7) / 8;
}

TensorRef tref(std::string name, Role role, DType d, std::vector<int64_t> shape, int64_t bytes = -1) {
  TensorRef t;
  t.name = std::move(name);
  t.role = role;
  t.dtype = d;
  t.bytes = bytes >= 0 ? static_cast<uint64_t>(bytes) : dense_bytes(d, shape);
  t.shape = std::move(shape);
  return t;
}

// Every scalar parameter is range-checked where it is read, against what the golden
// kernels define (docs/golden-kernels.md, "Parameter ranges"): an out-of-range value is
// an slm::Error naming the op, the parameter and the value, never undefined behaviour.
int64_t geti(const json& q, const char* key, const std::string& op, int64_t lo, int64_t hi) {
  if (!q.is_object() || !q.contains(key) || !q[key].is_number_integer())
    throw err("op ", op, ": quant parameter '", key, "' missing or not an integer");
  const json& v = q[key];
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi))
    throw err("op ", op, ": quant parameter ", key, " = ", v.get<uint64_t>(), ": must be in [", lo, ", ", hi, "]");
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) throw err("op ", op, ": quant parameter ", key, " = ", x, ": must be in [", lo, ", ", hi, "]");
  return x;
}
// Zero point of a tensor of activation type T (int16 activations are symmetric: 0).
template <typename T>
int32_t zp(const json& q, const char* key, const std::string& op) {
  constexpr bool i8 = std::is_same_v<T, int8_t>;
  return static_cast<int32_t>(geti(q, key, op, i8 ? -128 : 0, i8 ? 127 : 0));
}
// A requantisation multiplier: m in [2^30, 2^31), shift in [1, 62]; zero is refused (every
// output would be the zero point: the parameters are corrupt).
QMul getm(const json& q, const char* key, const std::string& op) {
  if (!q.is_object() || !q.contains(key)) throw err("op ", op, ": quant parameter '", key, "' missing");
  const QMul m = qmul_from_json(q[key], "op " + op + " " + key);
  if (m.m == 0) throw err("op ", op, ": quant parameter ", key, " has multiplier m = 0 (every output would be the zero point)");
  return m;
}

template <typename T>
golden::RmsNormParams rms_from(const json& q, const std::string& op, const int16_t* gain) {
  golden::RmsNormParams p;
  p.x_zp = zp<T>(q, "x_zp", op);
  p.y_zp = zp<T>(q, "y_zp", op);
  p.eps_q = geti(q, "eps_q", op, 0, INT32_MAX);
  p.gain_shift = static_cast<int32_t>(geti(q, "gain_shift", op, -29, 30));  // total shift 30 + gain_shift in [1, 60]
  p.gain = gain;
  return p;
}
template <typename T>
golden::RopeParams rope_from(const json& q, const std::string& op, const int16_t* c, const int16_t* s) {
  return golden::RopeParams{zp<T>(q, "x_zp", op), zp<T>(q, "y_zp", op), getm(q, "mul", op), c, s};
}
template <typename T>
golden::ScoreParams scores_from(const json& q, const std::string& op) {
  return golden::ScoreParams{zp<T>(q, "q_zp", op), zp<T>(q, "k_zp", op), getm(q, "mul", op)};
}
template <typename T>
golden::AttnValueParams values_from(const json& q, const std::string& op) {
  return golden::AttnValueParams{zp<T>(q, "p_zp", op), zp<T>(q, "v_zp", op), zp<T>(q, "y_zp", op), getm(q, "mul", op)};
}
template <typename T>
golden::MulParams mul_from(const json& q, const std::string& op) {
  return golden::MulParams{zp<T>(q, "a_zp", op), zp<T>(q, "b_zp", op), zp<T>(q, "y_zp", op), getm(q, "mul", op)};
}
template <typename T>
golden::AddParams add_from(const json& q, const std::string& op) {
  golden::AddParams p;
  p.a_zp = zp<T>(q, "a_zp", op);
  p.b_zp = zp<T>(q, "b_zp", op);
  p.y_zp = zp<T>(q, "y_zp", op);
  p.left_shift = static_cast<int32_t>(geti(q, "left_shift", op, 0, std::is_same_v<T, int8_t> ? 20 : 15));
  p.a_mul = getm(q, "a_mul", op);
  p.b_mul = getm(q, "b_mul", op);
  p.y_mul = getm(q, "y_mul", op);
  return p;
}
// The softmax exp LUT: exp(0) = 2^15 first, then non-increasing and >= 0 (so the sum of a
// row is >= 2^15 and the reciprocal never divides by zero).
void check_exp_lut(const int32_t* lut, const std::string& what) {
  if (lut[0] != golden::kExpOneQ15) throw err(what, "[0] = ", lut[0], ": must be ", golden::kExpOneQ15, " (exp(0) in Q15)");
  for (int j = 1; j <= golden::kExpLutSteps; ++j)
    if (lut[j] < 0 || lut[j] > lut[j - 1])
      throw err(what, "[", j, "] = ", lut[j], ": must be in [0, ", lut[j - 1], "] (exp is positive and decreasing)");
}

// One matmul's operands and integer parameters.
struct MatMul {
  std::string name, weight, x, y;
  golden::WeightView w;
  int32_t x_zp = 0, y_zp = 0;
};

}  // namespace

struct IntTransformer::Layer {
  golden::RmsNormParams att_norm, ffn_norm;
  MatMul wq, wk, wv, wo, w1, w3, w2;
  golden::RopeParams rope_q, rope_k;
  golden::ScoreParams scores;
  golden::AttnValueParams values;
  golden::AddParams add_att, add_ffn;
  golden::MulParams mul;
  const void* silu_lut = nullptr;
};

// Step buffers (bytes; typed by the activation dtype). Empty in shape-only mode.
struct IntTransformer::Bufs {
  std::vector<uint8_t> x, xm, xb, q, k, v, qr, kr, att, xb2, h1, h3, hs, g;  // (m, width)
  std::vector<int32_t> scores;                                       // (m, n_heads, pos0+m)
  std::vector<uint8_t> probs;                                        // (m, n_heads, pos0+m)
  std::vector<uint8_t> kcache, vcache;                               // (layers, seq_len, kv_dim)
  std::vector<int16_t> logits;                                       // (vocab)
  std::vector<uint8_t> out;                                          // (dim) final norm of the last token
  int32_t next_token = 0;                                            // argmax of the logits
};

IntTransformer::IntTransformer(const QuantModel& qm, int max_positions)
    : cfg_(qm.config), prec_(qm.precision), qm_(&qm), b_(new Bufs) {
  ctx_ = max_positions > 0 && max_positions < cfg_.seq_len ? max_positions : cfg_.seq_len;
  try {
    bind_params();
  } catch (const json::exception&) {
    // Every field is type-checked above; this is a last resort that names no library internals.
    throw err("quantised model ", cfg_.name, ": malformed parameters (a field of params.ops has the wrong JSON type)");
  }
  const uint64_t es = is_a16(prec_) ? 2 : 1;
  const uint64_t kv = uint64_t(cfg_.n_layers) * uint64_t(ctx_) * uint64_t(cfg_.kv_dim()) * es;
  io::check_host_memory(2 * kv + step_buffer_bytes(1), "integer model " + cfg_.name + ": KV cache of " + std::to_string(ctx_) + " positions");
  b_->kcache.assign(kv, 0);
  b_->vcache.assign(kv, 0);
  b_->logits.assign(static_cast<size_t>(cfg_.vocab_size), 0);
}

IntTransformer::IntTransformer(const llama2::ModelConfig& c, Precision p, int max_positions) : cfg_(c), prec_(p), b_(new Bufs) {
  if (c.dim <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.dim % c.n_heads || c.n_heads % c.n_kv_heads || c.n_layers <= 0 || c.seq_len <= 0)
    throw err("integer model: inconsistent shape ", c.name);
  ctx_ = max_positions > 0 && max_positions < cfg_.seq_len ? max_positions : cfg_.seq_len;
}

uint64_t IntTransformer::step_buffer_bytes(int m) const {
  const uint64_t es = is_a16(prec_) ? 2 : 1, M = static_cast<uint64_t>(m), tt = static_cast<uint64_t>(ctx_);
  const uint64_t widths = 6 * uint64_t(cfg_.dim) + 2 * uint64_t(cfg_.kv_dim()) + 4 * uint64_t(cfg_.hidden_dim);
  return M * widths * es + M * uint64_t(cfg_.n_heads) * tt * (4 + es) + uint64_t(cfg_.vocab_size) * 2;
}

IntTransformer::~IntTransformer() = default;

// A stored tensor with the dtype and shape this model needs (slm::Error otherwise, so a
// crafted file can never make a kernel read out of bounds).
static const Blob& need(const QuantModel& q, const std::string& name, const char* dtype, const std::vector<int64_t>& shape) {
  const Blob& b = q.tensor(name);
  if (b.dtype != dtype || b.shape != shape) {
    std::string want;
    for (int64_t d : shape) want += (want.empty() ? "" : "x") + std::to_string(d);
    throw err("quantised model: tensor ", name, " must be ", dtype, " of shape ", want);
  }
  return b;
}

template <typename T>
void IntTransformer::bind_layer(const QuantModel& q, const std::string& p, Layer& L) {
  const int64_t D = cfg_.dim;
  L.att_norm = rms_from<T>(q.op(p + "att_norm"), p + "att_norm", need(q, p + "att_norm.gain", "i16", {D}).as<int16_t>());
  L.ffn_norm = rms_from<T>(q.op(p + "ffn_norm"), p + "ffn_norm", need(q, p + "ffn_norm.gain", "i16", {D}).as<int16_t>());
  L.rope_q = rope_from<T>(q.op(p + "rope_q"), p + "rope_q", rope_cos_, rope_sin_);
  L.rope_k = rope_from<T>(q.op(p + "rope_k"), p + "rope_k", rope_cos_, rope_sin_);
  L.scores = scores_from<T>(q.op(p + "attn_scores"), p + "attn_scores");
  L.values = values_from<T>(q.op(p + "attn_values"), p + "attn_values");
  L.add_att = add_from<T>(q.op(p + "add_att"), p + "add_att");
  L.add_ffn = add_from<T>(q.op(p + "add_ffn"), p + "add_ffn");
  L.mul = mul_from<T>(q.op(p + "mul"), p + "mul");
}

void IntTransformer::bind_params() {
  const QuantModel& q = *qm_;
  const bool i4 = prec_ == Precision::w4a8;
  const int64_t D = cfg_.dim, KV = cfg_.kv_dim(), HID = cfg_.hidden_dim;
  const bool a16 = is_a16(prec_);
  auto mm = [&](const std::string& name, int64_t n, int64_t k, bool int8_only) {
    const json& o = q.op(name);
    MatMul m;
    m.name = name;
    m.weight = o.at("weight").get<std::string>();
    m.x = o.at("x").get<std::string>();
    m.y = o.at("y").get<std::string>();
    if (!o.is_object() || !o.contains("weight") || !o["weight"].is_string() || !o.contains("x") || !o["x"].is_string() ||
        !o.contains("y") || !o["y"].is_string())
      throw err("op ", name, ": quant parameters need string fields weight, x and y");
    m.x_zp = a16 ? zp<int16_t>(o, "x_zp", name) : zp<int8_t>(o, "x_zp", name);
    m.y_zp = (a16 || int8_only) ? static_cast<int32_t>(geti(o, "y_zp", name, -32768, 32767)) : zp<int8_t>(o, "y_zp", name);
    m.w.format = (i4 && !int8_only) ? golden::WFormat::i4 : golden::WFormat::i8;
    m.w.n = n;
    m.w.k = k;
    m.w.data = need(q, m.weight, m.w.format == golden::WFormat::i4 ? "i4" : "i8", {n, k}).as<int8_t>();
    if (m.w.format == golden::WFormat::i4) m.w.group_sub = need(q, name + ".group_sub", "u16", {n, golden::n_groups(k)}).as<uint16_t>();
    else {
      m.w.row_sum = need(q, name + ".row_sum", "i32", {n}).as<int32_t>();
      // The fast int8 path trusts row_sum (zero-point term): it must be the row's sum.
      for (int64_t j = 0; j < n; ++j) {
        int64_t s = 0;
        for (int64_t i = 0; i < k; ++i) s += m.w.data[j * k + i];
        if (s != m.w.row_sum[j])
          throw err("quantised model: tensor ", name, ".row_sum[", j, "] = ", m.w.row_sum[j], ", but row ", j, " of ", m.weight, " sums to ", s);
      }
    }
    const Blob& rq = need(q, name + ".requant", "i32", {n, 2});
    for (int64_t j = 0; j < n; ++j) {
      const QMul qm = qmul_from_json(to_json(rq.as<QMul>()[j]), "quantised model: tensor " + name + ".requant[" + std::to_string(j) + "]");
      if (qm.m == 0) throw err("quantised model: tensor ", name, ".requant[", j, "] has multiplier m = 0");
    }
    m.w.requant = rq.as<QMul>();
    return m;
  };
  const char* act = is_a16(prec_) ? "i16" : "i8";
  if (!q.params.is_object() || !q.params.contains("ops") || !q.params["ops"].is_object())
    throw err("quantised model: params.ops must be an object of op name -> parameters");
  rope_cos_ = need(q, "rope.cos", "i16", {cfg_.seq_len, cfg_.head_size() / 2}).as<int16_t>();
  rope_sin_ = need(q, "rope.sin", "i16", {cfg_.seq_len, cfg_.head_size() / 2}).as<int16_t>();
  exp_lut_ = need(q, "softmax.exp_lut", "i32", {golden::kExpLutSteps + 1}).as<int32_t>();
  check_exp_lut(exp_lut_, "quantised model: tensor softmax.exp_lut");
  layers_.resize(static_cast<size_t>(cfg_.n_layers));
  for (int l = 0; l < cfg_.n_layers; ++l) {
    const std::string p = "l" + std::to_string(l) + ".";
    Layer& L = layers_[l];
    if (a16) bind_layer<int16_t>(q, p, L);
    else bind_layer<int8_t>(q, p, L);
    L.wq = mm(p + "wq", D, D, false);
    L.wk = mm(p + "wk", KV, D, false);
    L.wv = mm(p + "wv", KV, D, false);
    L.wo = mm(p + "wo", D, D, false);
    L.w1 = mm(p + "w1", HID, D, false);
    L.w3 = mm(p + "w3", HID, D, false);
    L.w2 = mm(p + "w2", D, HID, false);
    L.silu_lut = need(q, p + "silu.lut", act, {is_a16(prec_) ? 513 : 256}).bytes.data();
  }
  const int16_t* fg = need(q, "final.rmsnorm.gain", "i16", {D}).as<int16_t>();
  final_norm_ = a16 ? rms_from<int16_t>(q.op("final.rmsnorm"), "final.rmsnorm", fg) : rms_from<int8_t>(q.op("final.rmsnorm"), "final.rmsnorm", fg);
  if (cfg_.has_vocab()) {
    embed_.table = need(q, "embed.table", "i8", {cfg_.vocab_size, D}).as<int8_t>();
    embed_.row_mul = need(q, "embed.row_mul", "i32", {cfg_.vocab_size, 2}).as<QMul>();
    embed_.vocab = cfg_.vocab_size;
    embed_.dim = cfg_.dim;
    embed_.y_zp = a16 ? zp<int16_t>(q.op("embed"), "y_zp", "embed") : zp<int8_t>(q.op("embed"), "y_zp", "embed");
    for (int64_t r = 0; r < cfg_.vocab_size; ++r) {
      const QMul qm = qmul_from_json(to_json(embed_.row_mul[r]), "quantised model: tensor embed.row_mul[" + std::to_string(r) + "]");
      if (qm.m == 0) throw err("quantised model: tensor embed.row_mul[", r, "] has multiplier m = 0");
    }
    MatMul c = mm("cls", cfg_.vocab_size, D, true);
    cls_ = c.w;
    cls_x_zp_ = c.x_zp;
  }
}

void IntTransformer::check_step(int m, int pos0) const {
  if (m < 1) throw err("integer model: a step needs at least one token (got ", m, ")");
  if (pos0 < 0 || int64_t{pos0} + m > ctx_)
    throw err("integer model: positions ", pos0, "..", int64_t{pos0} + m - 1, " exceed ",
              ctx_ < cfg_.seq_len ? "the run's positions " : "seq_len ", ctx_);
  if (!shape_only()) io::check_host_memory(2 * uint64_t(cfg_.n_layers) * uint64_t(ctx_) * uint64_t(cfg_.kv_dim()) * (is_a16(prec_) ? 2 : 1) + step_buffer_bytes(m),
                                           "integer model " + cfg_.name + ": a step of " + std::to_string(m) + " tokens");
}

void IntTransformer::forward(std::span<const int32_t> tokens, int pos0, trace::OpSink* sink) {
  forward(tokens, pos0, tokens.size() > 1 ? trace::Phase::prefill : trace::Phase::decode, sink);
}

void IntTransformer::forward(std::span<const int32_t> tokens, int pos0, trace::Phase phase, trace::OpSink* sink) {
  if (!cfg_.has_vocab()) throw err("integer model: ", cfg_.name, " has no vocabulary; use vector inputs");
  const int m = static_cast<int>(tokens.size());
  check_step(m, pos0);
  if (phase == trace::Phase::decode && m != 1) throw err("integer model: a decode step takes 1 token (got ", m, ")");
  for (int32_t t : tokens)
    if (t < 0 || t >= cfg_.vocab_size) throw err("integer model: token ", t, " outside [0, ", cfg_.vocab_size, ")");
  if (is_a16(prec_)) run<int16_t>(tokens.data(), nullptr, m, pos0, phase, sink);
  else run<int8_t>(tokens.data(), nullptr, m, pos0, phase, sink);
}

void IntTransformer::forward_vectors(const void* x, int m, int pos0, trace::OpSink* sink) {
  if (cfg_.has_vocab()) throw err("integer model: ", cfg_.name, " takes tokens, not vectors");
  check_step(m, pos0);
  if (!shape_only() && x == nullptr) throw err("integer model: no input vectors given");
  const auto phase = m > 1 ? trace::Phase::prefill : trace::Phase::decode;
  if (is_a16(prec_)) run<int16_t>(nullptr, static_cast<const int16_t*>(x), m, pos0, phase, sink);
  else run<int8_t>(nullptr, static_cast<const int8_t*>(x), m, pos0, phase, sink);
}

template <typename T>
void IntTransformer::run(const int32_t* tokens, const T* x_in, int m, int pos0, trace::Phase phase, trace::OpSink* sink) {
  const llama2::ModelConfig& c = cfg_;
  const bool data = qm_ != nullptr;
  const DType A = act_dtype<T>();
  const int64_t D = c.dim, KV = c.kv_dim(), HID = c.hidden_dim, HS = c.head_size(), NH = c.n_heads;
  const int64_t tt = int64_t{pos0} + m, M = m;
  const bool i4 = prec_ == Precision::w4a8;
  const size_t es = sizeof(T);
  uint32_t index = 0;
  auto buf = [&](std::vector<uint8_t>& v, int64_t n) -> T* {
    if (!data) return nullptr;
    if (v.size() < static_cast<size_t>(n) * es) v.resize(static_cast<size_t>(n) * es);
    return reinterpret_cast<T*>(v.data());
  };
  auto emit = [&](Op& op, std::vector<const void*> in, std::vector<const void*> out) {
    if (!sink) return;
    op.index = index++;
    if (data && op.quant.is_null()) op.quant = qm_->params["ops"].value(op.name, json::object());
    if (!data) op.quant = json::object();
    sink->on_op(op, trace::OpOperands{std::move(in), std::move(out), qm_});
  };
  auto mk = [&](const std::string& name, OpKind kind, int layer, int64_t rows, int64_t n, int64_t k) {
    Op op;
    op.name = name;
    op.kind = kind;
    op.layer = layer;
    op.m = rows;
    op.n = n;
    op.k = k;
    return op;
  };
  auto act = [&](const std::string& name, int64_t rows, int64_t width) { return tref(name, Role::activation, A, {rows, width}); };

  if (sink) sink->begin_step(phase, pos0, m);
  T* x = buf(b_->x, M * D);
  T* xb = buf(b_->xb, M * D);
  if (c.has_vocab()) {
    if (data) golden::embed<T>(tokens, M, embed_, x);
    if (sink) {
      Op op = mk("embed", OpKind::embed, -1, M, D, 1);
      op.inputs = {tref("tokens", Role::activation, DType::i32, {M}),
                   tref("embed.table", Role::weight, DType::i8, {c.vocab_size, D}, M * D),
                   tref("embed.row_mul", Role::param, DType::i32, {c.vocab_size, 2}, M * 8)};
      op.outputs = {act("l0.x_in", M, D)};
      op.elem_ops = static_cast<uint64_t>(M * D);
      emit(op, {tokens, embed_.table, embed_.row_mul}, {x});
    }
  } else if (data) {
    std::memcpy(x, x_in, static_cast<size_t>(M * D) * es);
  }

  auto rmsnorm = [&](const std::string& name, int layer, const golden::RmsNormParams& p, const T* in, int64_t rows,
                     T* out, const std::string& xn, const std::string& yn, uint64_t in_offset = 0) {
    if (data) golden::rmsnorm<T>(in, rows, D, p, out);
    if (!sink) return;
    Op op = mk(name, OpKind::rmsnorm, layer, rows, D, 1);
    op.inputs = {act(xn, rows, D), tref(name + ".gain", Role::param, DType::i16, {D})};
    op.inputs[0].offset = in_offset;
    op.outputs = {act(yn, rows, D)};
    op.elem_ops = static_cast<uint64_t>(2 * rows * D);
    op.acc = DType::i64;
    emit(op, {in, p.gain}, {out});
  };
  auto matmul = [&](const MatMul* mmp, const std::string& name, const std::string& wname, int layer, const T* in,
                    int64_t rows, int64_t n, int64_t k, void* out, const std::string& xn, const std::string& yn, bool logits) {
    const bool w4 = i4 && !logits;
    if (data) {
      if (logits) golden::matmul<T, int16_t>(in, rows, mmp->x_zp, mmp->w, 0, static_cast<int16_t*>(out));
      else golden::matmul<T, T>(in, rows, mmp->x_zp, mmp->w, mmp->y_zp, static_cast<T*>(out));
    }
    if (!sink) return;
    Op op = mk(name, OpKind::matmul, layer, rows, n, k);
    op.inputs = {act(xn, rows, k),
                 w4 ? tref(wname, Role::weight, DType::i4, {n, k}, n * ((k + 1) / 2)) : tref(wname, Role::weight, DType::i8, {n, k}),
                 tref(name + ".requant", Role::param, DType::i32, {n, 2})};
    std::vector<const void*> in_ptrs = {in, data ? mmp->w.data : nullptr, data ? mmp->w.requant : nullptr};
    if (w4) {
      op.inputs.push_back(tref(name + ".group_sub", Role::param, DType::i16, {n, golden::n_groups(k)}));
      in_ptrs.push_back(data ? mmp->w.group_sub : nullptr);
    } else {
      op.inputs.push_back(tref(name + ".row_sum", Role::param, DType::i32, {n}));
      in_ptrs.push_back(data ? mmp->w.row_sum : nullptr);
    }
    op.outputs = {logits ? tref(yn, Role::output, DType::i16, {rows, n}) : act(yn, rows, n)};
    op.macs = static_cast<uint64_t>(rows * n * k);
    op.acc = (std::is_same_v<T, int8_t> && !w4) ? DType::i32 : DType::i64;
    emit(op, std::move(in_ptrs), {out});
  };

  T* q = buf(b_->q, M * D);
  T* k = buf(b_->k, M * KV);
  T* v = buf(b_->v, M * KV);
  T* qr = buf(b_->qr, M * D);
  T* kr = buf(b_->kr, M * KV);
  T* att = buf(b_->att, M * D);
  T* xb2 = buf(b_->xb2, M * D);
  T* h1 = buf(b_->h1, M * HID);
  T* h3 = buf(b_->h3, M * HID);
  T* hs = buf(b_->hs, M * HID);
  T* g = buf(b_->g, M * HID);
  T* xm = buf(b_->xm, M * D);  // x_mid (out of place: operands stay valid for the sink)
  int32_t* scores = nullptr;
  T* probs = nullptr;
  if (data) {
    const size_t ns = static_cast<size_t>(M * NH * tt);
    if (b_->scores.size() < ns) b_->scores.resize(ns);
    scores = b_->scores.data();
    probs = buf(b_->probs, M * NH * tt);
  }
  const Layer* L0 = data ? layers_.data() : nullptr;

  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "l" + std::to_string(l) + ".";
    const Layer* L = data ? L0 + l : nullptr;
    T* kc = data ? reinterpret_cast<T*>(b_->kcache.data()) + int64_t{l} * ctx_ * KV : nullptr;
    T* vc = data ? reinterpret_cast<T*>(b_->vcache.data()) + int64_t{l} * ctx_ * KV : nullptr;
    static const golden::RmsNormParams kNoNorm;
    static const MatMul kNoMM;
    rmsnorm(p + "att_norm", l, L ? L->att_norm : kNoNorm, x, M, xb, p + "x_in", p + "att_norm");
    matmul(L ? &L->wq : &kNoMM, p + "wq", p + "wq", l, xb, M, D, D, q, p + "att_norm", p + "q", false);
    matmul(L ? &L->wk : &kNoMM, p + "wk", p + "wk", l, xb, M, KV, D, k, p + "att_norm", p + "k", false);
    matmul(L ? &L->wv : &kNoMM, p + "wv", p + "wv", l, xb, M, KV, D, v, p + "att_norm", p + "v", false);
    // RoPE on q (n_heads) and k (n_kv_heads)
    for (int which = 0; which < 2; ++which) {
      const bool isq = which == 0;
      const int64_t width = isq ? D : KV;
      const int heads = static_cast<int>(width / HS);
      const std::string name = p + (isq ? "rope_q" : "rope_k");
      if (data) golden::rope<T>(isq ? q : k, M, heads, static_cast<int>(HS), pos0, isq ? L->rope_q : L->rope_k, isq ? qr : kr);
      if (sink) {
        Op op = mk(name, OpKind::rope, l, M, width, 1);
        op.heads = heads;
        op.inputs = {act(p + (isq ? "q" : "k"), M, width),
                     tref("rope.cos", Role::param, DType::i16, {c.seq_len, HS / 2}, M * HS),
                     tref("rope.sin", Role::param, DType::i16, {c.seq_len, HS / 2}, M * HS)};
        op.outputs = {act(p + (isq ? "q_rope" : "k_rope"), M, width)};
        op.elem_ops = static_cast<uint64_t>(M * width * 2);
        emit(op, {isq ? q : k, rope_cos_, rope_sin_}, {isq ? qr : kr});
      }
    }
    // KV cache write: rows pos0 .. pos0+m-1
    if (data) {
      std::memcpy(kc + int64_t{pos0} * KV, kr, static_cast<size_t>(M * KV) * es);
      std::memcpy(vc + int64_t{pos0} * KV, v, static_cast<size_t>(M * KV) * es);
    }
    if (sink) {
      Op op = mk(p + "kv_write", OpKind::kv_write, l, M, KV, 1);
      op.inputs = {act(p + "k_rope", M, KV), act(p + "v", M, KV)};
      op.outputs = {tref(p + "kcache", Role::kv_cache, A, {c.seq_len, KV}, M * KV * static_cast<int64_t>(es)),
                    tref(p + "vcache", Role::kv_cache, A, {c.seq_len, KV}, M * KV * static_cast<int64_t>(es))};
      op.elem_ops = static_cast<uint64_t>(2 * M * KV);
      emit(op, {kr, v}, {kc, vc});
    }
    // attention: rows r see t <= pos0 + r
    const uint64_t causal = static_cast<uint64_t>(M * pos0 + M * (M + 1) / 2);  // sum of row lengths
    if (data) golden::attn_scores<T>(qr, M, pos0, kc, c.n_heads, c.n_kv_heads, static_cast<int>(HS), L->scores, scores);
    if (sink) {
      Op op = mk(p + "attn_scores", OpKind::attn_scores, l, M, tt, HS);
      op.heads = c.n_heads;
      op.inputs = {act(p + "q_rope", M, D), tref(p + "kcache", Role::kv_cache, A, {c.seq_len, KV}, tt * KV * static_cast<int64_t>(es))};
      op.outputs = {tref(p + "att_scores", Role::activation, DType::i32, {M, NH, tt})};
      op.macs = causal * static_cast<uint64_t>(D);
      op.acc = std::is_same_v<T, int8_t> ? DType::i32 : DType::i64;
      emit(op, {qr, kc}, {scores});
    }
    if (data) golden::softmax<T>(scores, M, pos0, c.n_heads, exp_lut_, probs);
    if (sink) {
      Op op = mk(p + "softmax", OpKind::softmax, l, M * NH, tt, 1);
      op.heads = c.n_heads;
      op.inputs = {tref(p + "att_scores", Role::activation, DType::i32, {M, NH, tt}),
                   tref("softmax.exp_lut", Role::param, DType::i32, {golden::kExpLutSteps + 1})};
      op.outputs = {tref(p + "att_probs", Role::activation, A, {M, NH, tt})};
      op.elem_ops = causal * static_cast<uint64_t>(NH) * 3;
      op.acc = DType::i64;
      emit(op, {scores, exp_lut_}, {probs});
    }
    if (data) golden::attn_values<T>(probs, M, pos0, vc, c.n_heads, c.n_kv_heads, static_cast<int>(HS), L->values, att);
    if (sink) {
      Op op = mk(p + "attn_values", OpKind::attn_values, l, M, D, tt);
      op.heads = c.n_heads;
      op.inputs = {tref(p + "att_probs", Role::activation, A, {M, NH, tt}),
                   tref(p + "vcache", Role::kv_cache, A, {c.seq_len, KV}, tt * KV * static_cast<int64_t>(es))};
      op.outputs = {act(p + "att_out", M, D)};
      op.macs = causal * static_cast<uint64_t>(D);
      op.acc = std::is_same_v<T, int8_t> ? DType::i32 : DType::i64;
      emit(op, {probs, vc}, {att});
    }
    matmul(L ? &L->wo : &kNoMM, p + "wo", p + "wo", l, att, M, D, D, xb2, p + "att_out", p + "wo_out", false);
    auto add = [&](const std::string& name, const golden::AddParams* ap, const T* a, const T* b2, T* y,
                   const std::string& an, const std::string& bn, const std::string& yn) {
      if (data) golden::add<T>(a, b2, M * D, *ap, y);
      if (!sink) return;
      Op op = mk(name, OpKind::add, l, M, D, 1);
      op.inputs = {act(an, M, D), act(bn, M, D)};
      op.outputs = {act(yn, M, D)};
      op.elem_ops = static_cast<uint64_t>(M * D);
      emit(op, {a, b2}, {y});
    };
    add(p + "add_att", L ? &L->add_att : nullptr, x, xb2, xm, p + "x_in", p + "wo_out", p + "x_mid");
    rmsnorm(p + "ffn_norm", l, L ? L->ffn_norm : kNoNorm, xm, M, xb, p + "x_mid", p + "ffn_norm");
    matmul(L ? &L->w1 : &kNoMM, p + "w1", p + "w1", l, xb, M, HID, D, h1, p + "ffn_norm", p + "h1", false);
    matmul(L ? &L->w3 : &kNoMM, p + "w3", p + "w3", l, xb, M, HID, D, h3, p + "ffn_norm", p + "h3", false);
    if (data) golden::lut<T>(h1, M * HID, static_cast<const T*>(L->silu_lut), hs);
    if (sink) {
      Op op = mk(p + "silu", OpKind::silu, l, M, HID, 1);
      op.inputs = {act(p + "h1", M, HID), tref(p + "silu.lut", Role::param, A, {std::is_same_v<T, int8_t> ? 256 : 513})};
      op.outputs = {act(p + "silu", M, HID)};
      op.elem_ops = static_cast<uint64_t>(M * HID);
      emit(op, {h1, L ? L->silu_lut : nullptr}, {hs});
    }
    if (data) golden::mul<T>(hs, h3, M * HID, L->mul, g);
    if (sink) {
      Op op = mk(p + "mul", OpKind::mul, l, M, HID, 1);
      op.inputs = {act(p + "silu", M, HID), act(p + "h3", M, HID)};
      op.outputs = {act(p + "gated", M, HID)};
      op.elem_ops = static_cast<uint64_t>(M * HID);
      emit(op, {hs, h3}, {g});
    }
    matmul(L ? &L->w2 : &kNoMM, p + "w2", p + "w2", l, g, M, D, HID, xb2, p + "gated", p + "w2_out", false);
    const std::string next = l + 1 < c.n_layers ? "l" + std::to_string(l + 1) + ".x_in" : "x_final";
    add(p + "add_ffn", L ? &L->add_ffn : nullptr, xm, xb2, x, p + "x_mid", p + "w2_out", next);
  }

  // Final norm (and classifier) for the last token only.
  T* last = data ? x + (M - 1) * D : nullptr;
  T* fin = data ? buf(b_->out, D) : nullptr;
  rmsnorm("final.rmsnorm", -1, final_norm_, last, 1, fin, "x_final", "final_norm", static_cast<uint64_t>((M - 1) * D) * es);
  if (c.has_vocab()) {
    MatMul cm;
    cm.w = cls_;
    cm.x_zp = cls_x_zp_;
    const std::string wname = c.shared_classifier ? "embed.table" : "cls";
    matmul(&cm, "cls", wname, -1, fin, 1, c.vocab_size, D, data ? b_->logits.data() : nullptr, "final_norm", "logits", true);
    if (sink) {
      Op op = mk("argmax", OpKind::argmax, -1, 1, c.vocab_size, 1);
      op.inputs = {tref("logits", Role::output, DType::i16, {1, c.vocab_size})};
      op.outputs = {tref("next_token", Role::output, DType::i32, {1})};
      op.elem_ops = static_cast<uint64_t>(c.vocab_size);
      if (data) golden::argmax(b_->logits.data(), 1, c.vocab_size, &b_->next_token);
      emit(op, {data ? b_->logits.data() : nullptr}, {data ? &b_->next_token : nullptr});
    }
  }
  if (sink) sink->end_step();
}

const int16_t* IntTransformer::logits() const {
  if (shape_only() || !cfg_.has_vocab()) throw err("integer model: no logits (shape-only mode or no vocabulary)");
  return b_->logits.data();
}
double IntTransformer::logit_scale() const {
  if (shape_only() || !cfg_.has_vocab()) throw err("integer model: no logits (shape-only mode or no vocabulary)");
  return qm_->act("logits").scale;
}
std::vector<float> IntTransformer::dequantized_logits() const {
  const double s = logit_scale();
  std::vector<float> out(static_cast<size_t>(cfg_.vocab_size));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(b_->logits[i] * s);
  return out;
}
const void* IntTransformer::output() const {
  if (shape_only()) throw err("integer model: no output in shape-only mode");
  return b_->out.data();
}

std::function<const float*(int, int)> int_step_fn(IntTransformer& model) {
  auto buf = std::make_shared<std::vector<float>>();
  return [&model, buf](int token, int pos) -> const float* {
    const int32_t t = token;
    model.forward(std::span<const int32_t>(&t, 1), pos, nullptr);
    *buf = model.dequantized_logits();
    return buf->data();
  };
}

// ---- golden dispatcher -------------------------------------------------------------

namespace {

template <typename T>
void execute_typed(const Op& op, const trace::OpOperands& o, int pos0, const std::vector<void*>& out) {
  const json& q = op.quant;
  auto in = [&](size_t i) {
    if (i >= o.in.size() || o.in[i] == nullptr) throw err("op ", op.name, ": operand ", i, " missing");
    return o.in[i];
  };
  const int64_t M = op.m;
  switch (op.kind) {
    case OpKind::embed: {
      golden::EmbedParams p{static_cast<const int8_t*>(in(1)), static_cast<const QMul*>(in(2)), op.inputs.at(1).shape.at(0),
                            op.n, zp<T>(q, "y_zp", op.name)};
      golden::embed<T>(static_cast<const int32_t*>(in(0)), M, p, static_cast<T*>(out.at(0)));
      return;
    }
    case OpKind::rmsnorm:
      golden::rmsnorm<T>(static_cast<const T*>(in(0)), M, op.n, rms_from<T>(q, op.name, static_cast<const int16_t*>(in(1))),
                         static_cast<T*>(out.at(0)));
      return;
    case OpKind::matmul: {
      golden::WeightView w;
      w.format = op.inputs.at(1).dtype == DType::i4 ? golden::WFormat::i4 : golden::WFormat::i8;
      w.n = op.n;
      w.k = op.k;
      w.data = static_cast<const int8_t*>(in(1));
      w.requant = static_cast<const QMul*>(in(2));
      if (w.format == golden::WFormat::i4) w.group_sub = static_cast<const uint16_t*>(in(3));
      else w.row_sum = static_cast<const int32_t*>(in(3));
      if (op.outputs.at(0).dtype == DType::i16 && std::is_same_v<T, int8_t>)
        golden::matmul<int8_t, int16_t>(static_cast<const int8_t*>(in(0)), M, zp<int8_t>(q, "x_zp", op.name), w,
                                        static_cast<int32_t>(geti(q, "y_zp", op.name, -32768, 32767)), static_cast<int16_t*>(out.at(0)));
      else
        golden::matmul<T, T>(static_cast<const T*>(in(0)), M, zp<T>(q, "x_zp", op.name), w, zp<T>(q, "y_zp", op.name), static_cast<T*>(out.at(0)));
      return;
    }
    case OpKind::rope:
      golden::rope<T>(static_cast<const T*>(in(0)), M, op.heads, static_cast<int>(op.n / op.heads), pos0,
                      rope_from<T>(q, op.name, static_cast<const int16_t*>(in(1)), static_cast<const int16_t*>(in(2))),
                      static_cast<T*>(out.at(0)));
      return;
    case OpKind::kv_write: {
      const size_t row = static_cast<size_t>(op.n) * sizeof(T), off = static_cast<size_t>(pos0) * row;
      std::memcpy(static_cast<uint8_t*>(out.at(0)) + off, in(0), row * static_cast<size_t>(M));
      std::memcpy(static_cast<uint8_t*>(out.at(1)) + off, in(1), row * static_cast<size_t>(M));
      return;
    }
    case OpKind::attn_scores: {
      const int hs = static_cast<int>(op.k), kvh = static_cast<int>(op.inputs.at(1).shape.at(1) / hs);
      golden::attn_scores<T>(static_cast<const T*>(in(0)), M, pos0, static_cast<const T*>(in(1)), op.heads, kvh, hs,
                             scores_from<T>(q, op.name), static_cast<int32_t*>(out.at(0)));
      return;
    }
    case OpKind::softmax:
      check_exp_lut(static_cast<const int32_t*>(in(1)), "op " + op.name + ": softmax.exp_lut");
      golden::softmax<T>(static_cast<const int32_t*>(in(0)), M / op.heads, pos0, op.heads, static_cast<const int32_t*>(in(1)),
                         static_cast<T*>(out.at(0)));
      return;
    case OpKind::attn_values: {
      const int hs = static_cast<int>(op.n / op.heads), kvh = static_cast<int>(op.inputs.at(1).shape.at(1) / hs);
      golden::attn_values<T>(static_cast<const T*>(in(0)), M, pos0, static_cast<const T*>(in(1)), op.heads, kvh, hs,
                             values_from<T>(q, op.name), static_cast<T*>(out.at(0)));
      return;
    }
    case OpKind::silu:
      golden::lut<T>(static_cast<const T*>(in(0)), M * op.n, static_cast<const T*>(in(1)), static_cast<T*>(out.at(0)));
      return;
    case OpKind::mul:
      golden::mul<T>(static_cast<const T*>(in(0)), static_cast<const T*>(in(1)), M * op.n, mul_from<T>(q, op.name), static_cast<T*>(out.at(0)));
      return;
    case OpKind::add:
      golden::add<T>(static_cast<const T*>(in(0)), static_cast<const T*>(in(1)), M * op.n, add_from<T>(q, op.name), static_cast<T*>(out.at(0)));
      return;
    case OpKind::argmax:
      golden::argmax(static_cast<const int16_t*>(in(0)), M, op.n, static_cast<int32_t*>(out.at(0)));
      return;
  }
  throw err("op ", op.name, ": unknown kind");
}

}  // namespace

void golden_execute(const Op& op, const trace::OpOperands& operands, int pos0, const std::vector<void*>& out) {
  if (op.outputs.size() != out.size()) throw err("op ", op.name, ": ", out.size(), " output buffers for ", op.outputs.size(), " outputs");
  // The activation dtype decides the kernel instantiation: int16 activations -> a16.
  DType a = DType::i8;
  for (const TensorRef& t : op.inputs)
    if (t.role == Role::activation || t.role == Role::kv_cache)
      if (t.dtype == DType::i8 || t.dtype == DType::i16) { a = t.dtype; break; }
  if (op.kind == OpKind::softmax) a = op.outputs.at(0).dtype;
  if (op.kind == OpKind::embed) a = op.outputs.at(0).dtype;
  if (a == DType::i16) execute_typed<int16_t>(op, operands, pos0, out);
  else execute_typed<int8_t>(op, operands, pos0, out);
}

}  // namespace slm::quant

namespace slm::quant {
void validate_for_inference(const QuantModel& q) { IntTransformer t(q, 1); }
}  // namespace slm::quant
