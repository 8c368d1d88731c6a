// Golden integer kernels: one portable C++ implementation per integer op, the single
// source of truth for bit-exactness (docs/golden-kernels.md). Every engine (native fast
// path, NPU model, RISC-V kernels, RTL) is compared bit for bit against these.
//
// Computed: embedding gather + requant, RMSNorm, matmul (int8 or int4 weights, int8 or
// int16 activations), RoPE, attention scores, softmax, attention-weighted values, LUT
// (SiLU), element-wise MUL and ADD, argmax. Activations are T = int8_t (asymmetric,
// zero point) or int16_t (symmetric, zero point 0). No floating point anywhere here.
// Not computed: anything needing real numbers (scales live in workloads/quant/quant_model.h
// and are turned into integer multipliers offline).
//
// Layouts (row-major, outermost first): activations (m, n) with m tokens in flight;
// weights (n, k) out x in; KV cache (seq_len, kv_dim) per layer; scores/probs
// (m, n_heads, t_total) with t_total = pos0 + m (causal: row r sees t <= pos0 + r).
#pragma once
#include <cstdint>

#include "workloads/quant/fixedpoint.h"

namespace slm::quant::golden {

inline constexpr int kGroupSize = 32;      // int4 weight group length along K
inline constexpr int kSubScaleBits = 15;   // int4 group sub-scale: Q15 fraction of the row scale
inline constexpr int kScoreFracBits = 10;  // attention scores: int32, real = s / 2^10
inline constexpr int kExpLutSteps = 256;   // exp LUT: exp(-j/16), j = 0..256 (range [-16, 0])
inline constexpr int kExpLutStepBits = 6;  // 2^6 score units (Q10) per LUT step = 1/16
inline constexpr int kExpOneQ15 = 32768;   // exp(0) in the LUT (Q15)

// Number of int4 groups in a row of length k (the last group may be partial).
inline int64_t n_groups(int64_t k) { return (k + kGroupSize - 1) / kGroupSize; }
// Signed int4 value at column j of a packed row (two per byte, low nibble first).
inline int32_t int4_at(const int8_t* row, int64_t j) {
  uint8_t b = static_cast<uint8_t>(row[j >> 1]);
  int32_t v = (j & 1) ? (b >> 4) : (b & 0x0F);
  return v >= 8 ? v - 16 : v;
}

enum class WFormat : uint8_t { i8, i4 };

// A weight matrix (n, k) with per-output-channel requantisation to the output tensor.
struct WeightView {
  WFormat format = WFormat::i8;
  int64_t n = 0, k = 0;
  const int8_t* data = nullptr;        // i8: (n, k); i4: (n, ceil(k/2)) packed
  const uint16_t* group_sub = nullptr; // i4 only: (n, n_groups(k)) Q15 sub-scale of the row scale
  const int32_t* row_sum = nullptr;    // i8 only: (n) sum_k w[n,k], for the zero-point term
  const QMul* requant = nullptr;       // (n) x_scale * w_scale[n] / y_scale (i4: also * 2^-15)
};

// y[m,n] = sat(requant(sum_k (x[m,k] - x_zp) * W[n,k], requant[n]) + y_zp).
// Accumulator: int32 for int8 x int8; int64 (Acc48) for int16 activations; int4: int32
// per group, times the group's sub-scale, summed in int64. Y is T, or int16 for logits.
template <typename T, typename Y>
void matmul(const T* x, int64_t m, int32_t x_zp, const WeightView& w, int32_t y_zp, Y* y);
// Straightforward scalar reference of the same function (no zero-point folding, no
// vectorisation); tests prove matmul == matmul_ref.
template <typename T, typename Y>
void matmul_ref(const T* x, int64_t m, int32_t x_zp, const WeightView& w, int32_t y_zp, Y* y);
// Exact int8 dot product (the hot loop; AVX2 when available, identical integer result).
int64_t dot_i8(const int8_t* a, const int8_t* b, int64_t k);
// Exact int16 x int8 dot product in int64 (AVX2 when available).
int64_t dot_i16_i8(const int16_t* a, const int8_t* b, int64_t k);
// Exact sum over one full int4 group: sum_i (x[i] - zp) * w[i], 32 weights in 16 packed bytes.
int32_t group_dot_i4(const int8_t* x, int32_t zp, const int8_t* packed);

struct EmbedParams {
  const int8_t* table = nullptr;  // (vocab, dim) int8, per-row scale
  const QMul* row_mul = nullptr;  // (vocab) row_scale / y_scale
  int64_t vocab = 0, dim = 0;
  int32_t y_zp = 0;
};
// y[r,:] = sat(requant(table[tokens[r], :], row_mul[token]) + y_zp). Tokens must be valid.
template <typename T>
void embed(const int32_t* tokens, int64_t m, const EmbedParams& p, T* y);

struct RmsNormParams {
  int32_t x_zp = 0, y_zp = 0;
  int64_t eps_q = 0;               // eps / x_scale^2, rounded (units of x^2)
  const int16_t* gain = nullptr;   // (n) gain / y_scale * 2^gain_shift
  int32_t gain_shift = 0;
};
// Integer RMSNorm per row: ms = round(sum d^2 / n) + eps_q (d = x - x_zp, >= 1);
// r = isqrt(ms << 32) (= rms * 2^16); inv = 2^46 / r (= 2^30 / rms);
// y = sat(round_shift_right(d * gain * inv, 30 + gain_shift) + y_zp).
template <typename T>
void rmsnorm(const T* x, int64_t m, int64_t n, const RmsNormParams& p, T* y);

struct RopeParams {
  int32_t x_zp = 0, y_zp = 0;
  QMul mul;                           // x_scale / 32767 / y_scale (tables are Q15 of 32767)
  const int16_t* cos_q15 = nullptr;   // (seq_len, head_size/2) round(cos * 32767)
  const int16_t* sin_q15 = nullptr;   // (seq_len, head_size/2)
};
// Rotates pairs (2i, 2i+1) of each head of row r (position pos0 + r) as llama2.c:
// y0 = d0 cos - d1 sin, y1 = d0 sin + d1 cos (int32 in Q15), then requantised.
template <typename T>
void rope(const T* x, int64_t m, int n_heads, int head_size, int pos0, const RopeParams& p, T* y);

struct ScoreParams {
  int32_t q_zp = 0, k_zp = 0;
  QMul mul;  // q_scale * k_scale / sqrt(head_size) * 2^10
};
// s[r,h,t] = sat32(requant(sum_i (q - q_zp)(k[t] - k_zp), mul)) for t <= pos0 + r, else 0.
// kcache: (>= pos0+m, kv_dim); query head h reads kv head h / (n_heads / n_kv_heads).
template <typename T>
void attn_scores(const T* q, int64_t m, int pos0, const T* kcache, int n_heads, int n_kv_heads,
                 int head_size, const ScoreParams& p, int32_t* s);

// Integer softmax over each causal row of s (m, n_heads, pos0+m): x = max - s (Q10),
// clamped to [0, 16); e = interpolated exp LUT (Q15); recip = 2^46 / sum e;
// p = round_shift_right(e * recip, 46 - out_bits) (int8: out_bits 8, zp -128, scale
// 1/256; int16: out_bits 15, zp 0, scale 1/32768), saturated. Masked entries get p's zp.
template <typename T>
void softmax(const int32_t* s, int64_t m, int pos0, int n_heads, const int32_t* exp_lut, T* p);
// exp LUT (kExpLutSteps + 1 entries) used by softmax; built offline by the quantiser.
int32_t exp_lut_lookup(const int32_t* lut, int32_t x_q10);

struct AttnValueParams {
  int32_t p_zp = 0, v_zp = 0, y_zp = 0;
  QMul mul;  // p_scale * v_scale / y_scale
};
// y[r, h*hs + i] = sat(requant(sum_t (p[r,h,t] - p_zp)(v[t, kvh*hs + i] - v_zp)) + y_zp).
template <typename T>
void attn_values(const T* p, int64_t m, int pos0, const T* vcache, int n_heads, int n_kv_heads,
                 int head_size, const AttnValueParams& q, T* y);

// Table lookup: int8 -> table[x + 128] (256 entries); int16 -> 513-entry table at
// x = -32768 + 128 j, linear interpolation with round_shift_right(.., 7) (TFLite int16 LUT).
template <typename T>
void lut(const T* x, int64_t n, const T* table, T* y);

struct MulParams {
  int32_t a_zp = 0, b_zp = 0, y_zp = 0;
  QMul mul;  // a_scale * b_scale / y_scale
};
// y = sat(requant((a - a_zp)(b - b_zp), mul) + y_zp)   (TFLite MUL)
template <typename T>
void mul(const T* a, const T* b, int64_t n, const MulParams& p, T* y);

struct AddParams {
  int32_t a_zp = 0, b_zp = 0, y_zp = 0;
  int32_t left_shift = 20;  // 20 for int8, 15 for int16 (TFLite ADD)
  QMul a_mul, b_mul;        // a_scale / (2 max(a,b scale)),  b_scale / (2 max)
  QMul y_mul;               // 2 max / (2^left_shift y_scale)
};
// y = sat(requant(requant((a-a_zp) << ls, a_mul) + requant((b-b_zp) << ls, b_mul), y_mul) + y_zp)
template <typename T>
void add(const T* a, const T* b, int64_t n, const AddParams& p, T* y);

// Index of the largest value in each row of x (m, n); ties pick the lowest index.
void argmax(const int16_t* x, int64_t m, int64_t n, int32_t* out);

}  // namespace slm::quant::golden
