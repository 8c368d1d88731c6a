// Float reference forward pass (see float_model.h). Kept in run.c's operation order:
// do not reorder sums, fuse loops, or replace divisions by reciprocals.
#include "workloads/llama2/softmax.h"
#include "workloads/llama2/float_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::llama2 {

namespace {
constexpr size_t kMaxRunStateBytes = 8ull << 30;

void rmsnorm(float* o, const float* x, const float* weight, int size, float eps) {
  float ss = 0.0f;  // sum of squares
  for (int j = 0; j < size; j++) ss += x[j] * x[j];
  ss /= size;
  ss += eps;
  ss = 1.0f / sqrtf(ss);
  for (int j = 0; j < size; j++) o[j] = weight[j] * (ss * x[j]);
}


// W (d,n) @ x (n,) -> xout (d,)   -- the hot spot
void matmul(float* xout, const float* x, const float* w, int n, int d) {
  for (int i = 0; i < d; i++) {
    const float* row = w + static_cast<size_t>(i) * n;
    float val = 0.0f;
    for (int j = 0; j < n; j++) val += row[j] * x[j];
    xout[i] = val;
  }
}
}  // namespace

size_t float_runstate_bytes(const ModelConfig& c, int positions) {
  const size_t ctx = positions > 0 && positions < c.seq_len ? size_t(positions) : size_t(c.seq_len);
  const size_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), att = size_t(c.n_heads) * ctx;
  const size_t cache = 2 * size_t(c.n_layers) * ctx * kv;
  return 4 * (5 * d + 2 * h + att + size_t(c.vocab_size) + cache + std::max(h, att));
}

FloatTransformer::FloatTransformer(const Model& m, int max_positions) : m_(m) {
  const ModelConfig& c = m.config;
  validate_config(c, c.name);
  ctx_ = max_positions > 0 && max_positions < c.seq_len ? max_positions : c.seq_len;
  const size_t bytes = float_runstate_bytes(c, ctx_);
  if (bytes > kMaxRunStateBytes)
    throw err(c.name, ": KV cache and buffers would take ", bytes, " bytes (> ", kMaxRunStateBytes, ")");
  io::check_host_memory(bytes, c.name + ": fp32 KV cache and buffers for " + std::to_string(ctx_) + " positions");
  const size_t kv = c.kv_dim(), att = size_t(c.n_heads) * ctx_;
  x_.assign(c.dim, 0.0f);
  xb_.assign(c.dim, 0.0f);
  xb2_.assign(c.dim, 0.0f);
  hb_.assign(c.hidden_dim, 0.0f);
  hb2_.assign(c.hidden_dim, 0.0f);
  q_.assign(c.dim, 0.0f);
  att_.assign(att, 0.0f);
  logits_.assign(c.vocab_size, 0.0f);
  key_cache_.assign(size_t(c.n_layers) * ctx_ * kv, 0.0f);
  value_cache_.assign(key_cache_.size(), 0.0f);
  scratch_.assign(std::max<size_t>(c.hidden_dim, att), 0.0f);
}

const float* FloatTransformer::forward(int token, int pos, ActivationObserver* obs) {
  const ModelConfig& c = m_.config;
  if (!c.has_vocab())
    throw err(c.name, ": model has no token embedding; use forward_embedding()");
  if (token < 0 || token >= c.vocab_size)
    throw err(c.name, ": token id ", token, " outside vocabulary [0, ", c.vocab_size, ")");
  const float* content_row = m_.weights.token_embedding.data() + size_t(token) * c.dim;
  std::memcpy(x_.data(), content_row, c.dim * sizeof(float));
  return run_layers(pos, obs);
}

const float* FloatTransformer::forward_embedding(const float* x, int pos,
                                                 ActivationObserver* obs) {
  std::memcpy(x_.data(), x, m_.config.dim * sizeof(float));
  return run_layers(pos, obs);
}

void FloatTransformer::observe_heads(const char* name, int layer, int pos,
                                     ActivationObserver* obs) {
  const ModelConfig& p = m_.config;
  const size_t n = size_t(pos) + 1;
  for (int h = 0; h < p.n_heads; h++)
    std::memcpy(scratch_.data() + h * n, att_.data() + size_t(h) * ctx_, n * sizeof(float));
  obs->observe(name, layer, scratch_.data(), p.n_heads * n);
}

const float* FloatTransformer::run_layers(int pos, ActivationObserver* obs) {
  const ModelConfig& p = m_.config;
  const FloatWeights& w = m_.weights;
  if (pos < 0 || pos >= ctx_)
    throw err(p.name, ": position ", pos, " outside context [0, ", ctx_, ")");
  auto see = [obs](const char* name, int layer, const float* data, size_t n) {
    if (obs) obs->observe(name, layer, data, n);
  };
  float* x = x_.data();
  const int dim = p.dim;
  const int kv_dim = p.kv_dim();
  const int kv_mul = p.kv_mul();  // integer multiplier of the kv sharing in GQA
  const int hidden_dim = p.hidden_dim;
  const int head_size = p.head_size();
  const size_t dd = size_t(dim) * dim, kd = size_t(kv_dim) * dim, hd = size_t(hidden_dim) * dim;

  for (int l = 0; l < p.n_layers; l++) {
    see("x_in", l, x, dim);
    rmsnorm(xb_.data(), x, w.rms_att.data() + size_t(l) * dim, dim, p.norm_eps);
    see("att_norm", l, xb_.data(), dim);

    // key and value of this position are written straight into the kv cache
    const size_t loff = size_t(l) * ctx_ * kv_dim;  // kv cache layer offset
    float* k = key_cache_.data() + loff + size_t(pos) * kv_dim;
    float* v = value_cache_.data() + loff + size_t(pos) * kv_dim;
    matmul(q_.data(), xb_.data(), w.wq.data() + l * dd, dim, dim);
    matmul(k, xb_.data(), w.wk.data() + l * kd, dim, kv_dim);
    matmul(v, xb_.data(), w.wv.data() + l * kd, dim, kv_dim);
    see("q", l, q_.data(), dim);
    see("k", l, k, kv_dim);
    see("v", l, v, kv_dim);

    // RoPE: rotate each (even, odd) pair of q (and of k, within kv_dim) by pos * freq
    for (int i = 0; i < dim; i += 2) {
      const int head_dim = i % head_size;
      const float freq = 1.0f / powf(p.rope_theta, head_dim / (float)head_size);
      const float val = pos * freq;
      const float fcr = cosf(val);
      const float fci = sinf(val);
      const int rotn = i < kv_dim ? 2 : 1;  // 2 = q and k, 1 = q only
      for (int r = 0; r < rotn; r++) {
        float* vec = r == 0 ? q_.data() : k;
        const float v0 = vec[i];
        const float v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }
    see("q_rope", l, q_.data(), dim);
    see("k_rope", l, k, kv_dim);

    // attention scores of every head over timesteps 0..pos
    for (int h = 0; h < p.n_heads; h++) {
      const float* q = q_.data() + h * head_size;
      float* att = att_.data() + size_t(h) * ctx_;
      for (int t = 0; t <= pos; t++) {
        const float* kt = key_cache_.data() + loff + size_t(t) * kv_dim + (h / kv_mul) * head_size;
        float score = 0.0f;
        for (int i = 0; i < head_size; i++) score += q[i] * kt[i];
        score /= sqrtf(head_size);
        att[t] = score;
      }
    }
    if (obs) observe_heads("att_scores", l, pos, obs);
    for (int h = 0; h < p.n_heads; h++) softmax(att_.data() + size_t(h) * ctx_, pos + 1);
    if (obs) observe_heads("att_probs", l, pos, obs);

    // weighted sum of the values into xb, head by head
    for (int h = 0; h < p.n_heads; h++) {
      const float* att = att_.data() + size_t(h) * ctx_;
      float* xb = xb_.data() + h * head_size;
      std::memset(xb, 0, head_size * sizeof(float));
      for (int t = 0; t <= pos; t++) {
        const float* vt =
            value_cache_.data() + loff + size_t(t) * kv_dim + (h / kv_mul) * head_size;
        const float a = att[t];
        for (int i = 0; i < head_size; i++) xb[i] += a * vt[i];
      }
    }
    see("att_out", l, xb_.data(), dim);

    matmul(xb2_.data(), xb_.data(), w.wo.data() + l * dd, dim, dim);
    see("wo_out", l, xb2_.data(), dim);
    for (int i = 0; i < dim; i++) x[i] += xb2_[i];  // residual
    see("x_mid", l, x, dim);

    rmsnorm(xb_.data(), x, w.rms_ffn.data() + size_t(l) * dim, dim, p.norm_eps);
    see("ffn_norm", l, xb_.data(), dim);
    matmul(hb_.data(), xb_.data(), w.w1.data() + l * hd, dim, hidden_dim);
    matmul(hb2_.data(), xb_.data(), w.w3.data() + l * hd, dim, hidden_dim);
    see("h1", l, hb_.data(), hidden_dim);
    see("h3", l, hb2_.data(), hidden_dim);
    // SwiGLU: silu(h1) * h3, silu(x) = x * sigmoid(x)
    for (int i = 0; i < hidden_dim; i++) {
      float val = hb_[i];
      val *= (1.0f / (1.0f + expf(-val)));
      if (obs) scratch_[i] = val;
      val *= hb2_[i];
      hb_[i] = val;
    }
    see("silu", l, scratch_.data(), hidden_dim);
    see("gated", l, hb_.data(), hidden_dim);
    matmul(xb_.data(), hb_.data(), w.w2.data() + l * hd, hidden_dim, dim);
    see("w2_out", l, xb_.data(), dim);
    for (int i = 0; i < dim; i++) x[i] += xb_[i];  // residual
  }

  see("x_final", -1, x, dim);
  rmsnorm(x, x, w.rms_final.data(), dim, p.norm_eps);
  see("final_norm", -1, x, dim);
  if (!p.has_vocab()) return x;
  matmul(logits_.data(), x, w.classifier(p), dim, p.vocab_size);
  see("logits", -1, logits_.data(), p.vocab_size);
  return logits_.data();
}

}  // namespace slm::llama2
