// Golden integer kernels (see golden.h for the arithmetic of each one).
#include "workloads/quant/golden.h"

#include "workloads/common/error.h"

#include <algorithm>
#include <climits>
#include <type_traits>
#include <vector>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace slm::quant::golden {
namespace {

// int8 activations with int8 weights accumulate in int32 (requant32); everything else
// (int16 activations, int4 groups) in int64 (requant64, Acc48).
template <typename T>
bool acc32(WFormat f) { return std::is_same_v<T, int8_t> && f == WFormat::i8; }

template <typename Y>
Y finish(int64_t acc, bool is32, QMul q, int32_t y_zp) {
  int64_t v = is32 ? requant32(saturate<int32_t>(acc), q) : requant64(acc, q);
  return saturate<Y>(v + y_zp);
}

// sum_k (x[k] - x_zp) * W[j, k] for one row j, written plainly.
template <typename T>
int64_t row_dot_ref(const T* x, int32_t x_zp, const WeightView& w, int64_t j) {
  int64_t acc = 0;
  if (w.format == WFormat::i8) {
    const int8_t* wr = w.data + j * w.k;
    for (int64_t k = 0; k < w.k; ++k) acc += int64_t{x[k] - x_zp} * wr[k];
    return acc;
  }
  const int8_t* wr = w.data + j * ((w.k + 1) / 2);
  const uint16_t* sub = w.group_sub + j * n_groups(w.k);
  for (int64_t g = 0; g * kGroupSize < w.k; ++g) {
    int32_t gacc = 0;  // |gacc| <= 32 * 65535 * 8 for int16, 32 * 255 * 8 for int8
    int64_t end = (g + 1) * kGroupSize < w.k ? (g + 1) * kGroupSize : w.k;
    for (int64_t k = g * kGroupSize; k < end; ++k) gacc += (x[k] - x_zp) * int4_at(wr, k);
    acc += int64_t{gacc} * sub[g];
  }
  return acc;
}

}  // namespace

namespace {
// Exact for k <= 65536: |sum| <= 2^14 * 2^16 = 2^30 (every int32 lane and the total).
int32_t dot_i8_block(const int8_t* a, const int8_t* b, int64_t k) {
  int64_t i = 0;
  int32_t sum = 0;
#if defined(__AVX2__)
  __m256i acc = _mm256_setzero_si256();
  for (; i + 32 <= k; i += 32) {
    __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    __m256i a1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i + 16)));
    __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i + 16)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(a0, b0));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(a1, b1));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  sum = _mm_cvtsi128_si32(s);
#endif
  for (; i < k; ++i) sum += int32_t{a[i]} * b[i];
  return sum;
}
}  // namespace

int64_t dot_i8(const int8_t* a, const int8_t* b, int64_t k) {
  constexpr int64_t kBlock = 65536;
  int64_t sum = 0;
  for (int64_t i = 0; i < k; i += kBlock) sum += dot_i8_block(a + i, b + i, k - i < kBlock ? k - i : kBlock);
  return sum;
}

int64_t dot_i16_i8(const int16_t* a, const int8_t* b, int64_t k) {
  int64_t i = 0, sum = 0;
#if defined(__AVX2__)
  // madd pairs are <= 2 * 32768 * 128 = 2^23; 64 blocks of 16 per int32 lane stay < 2^31.
  while (i + 16 <= k) {
    __m256i acc = _mm256_setzero_si256();
    for (int blk = 0; blk < 64 && i + 16 <= k; ++blk, i += 16) {
      __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
      __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(a0, b0));
    }
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
    for (int32_t v : lanes) sum += v;
  }
#endif
  for (; i < k; ++i) sum += int64_t{a[i]} * b[i];
  return sum;
}

// sum over one full group of 32: (x[i] - zp) * int4 weight i (16 packed bytes).
int32_t group_dot_i4(const int8_t* x, int32_t zp, const int8_t* packed) {
#if defined(__AVX2__)
  const __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
  const __m128i nib = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
  const __m128i lo = _mm_and_si128(p, nib), hi = _mm_and_si128(_mm_srli_epi16(p, 4), nib);
  // column order: byte0 low, byte0 high, byte1 low, ...; sign-extend 4 bits: (v ^ 8) - 8
  const __m128i w0 = _mm_sub_epi8(_mm_xor_si128(_mm_unpacklo_epi8(lo, hi), eight), eight);
  const __m128i w1 = _mm_sub_epi8(_mm_xor_si128(_mm_unpackhi_epi8(lo, hi), eight), eight);
  const __m256i z = _mm256_set1_epi16(static_cast<int16_t>(zp));
  const __m256i x0 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x))), z);
  const __m256i x1 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 16))), z);
  __m256i acc = _mm256_add_epi32(_mm256_madd_epi16(x0, _mm256_cvtepi8_epi16(w0)), _mm256_madd_epi16(x1, _mm256_cvtepi8_epi16(w1)));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
#else
  int32_t acc = 0;
  for (int i = 0; i < kGroupSize; ++i) acc += (x[i] - zp) * int4_at(packed, i);
  return acc;
#endif
}

template <typename T, typename Y>
void matmul_ref(const T* x, int64_t m, int32_t x_zp, const WeightView& w, int32_t y_zp, Y* y) {
  const bool is32 = acc32<T>(w.format);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < w.n; ++j)
      y[r * w.n + j] = finish<Y>(row_dot_ref(x + r * w.k, x_zp, w, j), is32, w.requant[j], y_zp);
}

template <typename T, typename Y>
void matmul(const T* x, int64_t m, int32_t x_zp, const WeightView& w, int32_t y_zp, Y* y) {
  // Fast paths: exact integer sums reordered (zero-point term folded out, SIMD dot
  // products); weights read once per step. Bit-identical to matmul_ref (tested).
  if constexpr (std::is_same_v<T, int8_t>) {
    if (w.format == WFormat::i8 && w.row_sum != nullptr) {
      // sum (x - zp) w = dot(x, w) - zp * sum(w)
      for (int64_t j = 0; j < w.n; ++j) {
        const int8_t* wr = w.data + j * w.k;
        const int64_t zterm = int64_t{x_zp} * w.row_sum[j];
        for (int64_t r = 0; r < m; ++r) {
          const int64_t acc = dot_i8(x + r * w.k, wr, w.k) - zterm;
          y[r * w.n + j] = saturate<Y>(requant32(saturate<int32_t>(acc), w.requant[j]) + y_zp);
        }
      }
      return;
    }
    if (w.format == WFormat::i4) {
      const int64_t G = n_groups(w.k), rb = (w.k + 1) / 2;
      for (int64_t j = 0; j < w.n; ++j) {
        const int8_t* packed = w.data + j * rb;
        const uint16_t* sub = w.group_sub + j * G;
        for (int64_t r = 0; r < m; ++r) {
          const int8_t* xr = x + r * w.k;
          int64_t acc = 0;
          for (int64_t g = 0; g < G; ++g) {
            const int64_t k0 = g * kGroupSize;
            int32_t gacc = 0;
            if (k0 + kGroupSize <= w.k) {
              gacc = group_dot_i4(xr + k0, x_zp, packed + k0 / 2);
            } else {
              for (int64_t i = k0; i < w.k; ++i) gacc += (xr[i] - x_zp) * int4_at(packed, i);
            }
            acc += int64_t{gacc} * sub[g];
          }
          y[r * w.n + j] = saturate<Y>(requant64(acc, w.requant[j]) + y_zp);
        }
      }
      return;
    }
  }
  if constexpr (std::is_same_v<T, int16_t>) {
    if (w.format == WFormat::i8) {  // int16 activations are symmetric: x_zp must be 0
      for (int64_t j = 0; j < w.n; ++j)
        for (int64_t r = 0; r < m; ++r) {
          int64_t acc = x_zp == 0 ? dot_i16_i8(x + r * w.k, w.data + j * w.k, w.k) : row_dot_ref(x + r * w.k, x_zp, w, j);
          y[r * w.n + j] = saturate<Y>(requant64(acc, w.requant[j]) + y_zp);
        }
      return;
    }
  }
  matmul_ref<T, Y>(x, m, x_zp, w, y_zp, y);
}

template <typename T>
void embed(const int32_t* tokens, int64_t m, const EmbedParams& p, T* y) {
  for (int64_t r = 0; r < m; ++r) {
    if (tokens[r] < 0 || tokens[r] >= p.vocab) throw err("embed: token ", tokens[r], " outside [0, ", p.vocab, ")");
    const int8_t* row = p.table + int64_t{tokens[r]} * p.dim;
    const QMul q = p.row_mul[tokens[r]];
    for (int64_t i = 0; i < p.dim; ++i) y[r * p.dim + i] = saturate<T>(requant32(row[i], q) + p.y_zp);
  }
}

template <typename T>
void rmsnorm(const T* x, int64_t m, int64_t n, const RmsNormParams& p, T* y) {
  for (int64_t r = 0; r < m; ++r) {
    const T* xr = x + r * n;
    uint64_t sumsq = 0;
    for (int64_t i = 0; i < n; ++i) {
      int64_t d = xr[i] - p.x_zp;
      sumsq += static_cast<uint64_t>(d * d);
    }
    uint64_t ms = (sumsq + static_cast<uint64_t>(n / 2)) / static_cast<uint64_t>(n) + static_cast<uint64_t>(p.eps_q);
    if (ms == 0) ms = 1;
    if (ms > 0xFFFFFFFFull) ms = 0xFFFFFFFFull;  // ms << 32 must fit: saturate (never reached with valid zero points)
    const int64_t root = static_cast<int64_t>(isqrt64(ms << 32));  // rms * 2^16, >= 2^16
    const int64_t inv = (int64_t{1} << 46) / root;                  // 2^30 / rms, <= 2^30
    for (int64_t i = 0; i < n; ++i) {
      int64_t d = xr[i] - p.x_zp;
      y[r * n + i] = saturate<T>(round_shift_right(d * p.gain[i] * inv, 30 + p.gain_shift) + p.y_zp);
    }
  }
}

template <typename T>
void rope(const T* x, int64_t m, int n_heads, int head_size, int pos0, const RopeParams& p, T* y) {
  const int half = head_size / 2;
  const int64_t width = int64_t{n_heads} * head_size;
  for (int64_t r = 0; r < m; ++r) {
    const int16_t* c = p.cos_q15 + (pos0 + r) * half;
    const int16_t* s = p.sin_q15 + (pos0 + r) * half;
    for (int h = 0; h < n_heads; ++h) {
      const int64_t base = r * width + int64_t{h} * head_size;
      for (int i = 0; i < half; ++i) {
        const int64_t d0 = x[base + 2 * i] - p.x_zp, d1 = x[base + 2 * i + 1] - p.x_zp;
        // |v| <= sqrt(d0^2 + d1^2) * 32767 < 2^31 for valid tables; saturated otherwise.
        const int32_t v0 = saturate<int32_t>(d0 * c[i] - d1 * s[i]);
        const int32_t v1 = saturate<int32_t>(d0 * s[i] + d1 * c[i]);
        y[base + 2 * i] = saturate<T>(requant32(v0, p.mul) + p.y_zp);
        y[base + 2 * i + 1] = saturate<T>(requant32(v1, p.mul) + p.y_zp);
      }
    }
  }
}

template <typename T>
void attn_scores(const T* q, int64_t m, int pos0, const T* kcache, int n_heads, int n_kv_heads,
                 int head_size, const ScoreParams& p, int32_t* s) {
  const int64_t t_total = pos0 + m, kv_dim = int64_t{n_kv_heads} * head_size;
  const int kv_mul = n_heads / n_kv_heads;
  for (int64_t r = 0; r < m; ++r)
    for (int h = 0; h < n_heads; ++h) {
      const T* qh = q + r * n_heads * head_size + int64_t{h} * head_size;
      int32_t* sr = s + (r * n_heads + h) * t_total;
      for (int64_t t = 0; t < t_total; ++t) {
        if (t > pos0 + r) { sr[t] = 0; continue; }
        const T* kt = kcache + t * kv_dim + int64_t{h / kv_mul} * head_size;
        int64_t acc = 0;
        for (int i = 0; i < head_size; ++i) acc += int64_t{qh[i] - p.q_zp} * (kt[i] - p.k_zp);
        int64_t v = std::is_same_v<T, int8_t> ? requant32(saturate<int32_t>(acc), p.mul) : requant64(acc, p.mul);
        sr[t] = saturate<int32_t>(v);
      }
    }
}

int32_t exp_lut_lookup(const int32_t* lut, int32_t x_q10) {
  // x_q10 = max - s >= 0 in Q10; exp(-x) with x clamped to [0, 16).
  constexpr int32_t x_max = (kExpLutSteps << kExpLutStepBits) - 1;
  if (x_q10 > x_max) x_q10 = x_max;
  const int32_t j = x_q10 >> kExpLutStepBits, frac = x_q10 & ((1 << kExpLutStepBits) - 1);
  return lut[j] + static_cast<int32_t>(round_shift_right(int64_t{lut[j + 1] - lut[j]} * frac, kExpLutStepBits));
}

template <typename T>
void softmax(const int32_t* s, int64_t m, int pos0, int n_heads, const int32_t* exp_lut, T* p) {
  constexpr bool is8 = std::is_same_v<T, int8_t>;
  constexpr int out_bits = is8 ? 8 : 15;
  constexpr int32_t out_zp = is8 ? -128 : 0;
  const int64_t t_total = pos0 + m;
  for (int64_t r = 0; r < m; ++r)
    for (int h = 0; h < n_heads; ++h) {
      const int32_t* sr = s + (r * n_heads + h) * t_total;
      T* pr = p + (r * n_heads + h) * t_total;
      const int64_t len = pos0 + r + 1;
      int32_t mx = sr[0];
      for (int64_t t = 1; t < len; ++t) mx = sr[t] > mx ? sr[t] : mx;
      int64_t sum = 0;
      for (int64_t t = 0; t < len; ++t) sum += exp_lut_lookup(exp_lut, static_cast<int32_t>(int64_t{mx} - sr[t] > INT32_MAX ? INT32_MAX : int64_t{mx} - sr[t]));
      // sum >= 2^15 (the max term: exp LUT[0] = 2^15, validated at load); never 0.
      const int64_t recip = (int64_t{1} << 46) / (sum > 0 ? sum : 1);
      for (int64_t t = 0; t < t_total; ++t) {
        if (t >= len) { pr[t] = static_cast<T>(out_zp); continue; }
        int64_t diff = int64_t{mx} - sr[t];
        int64_t e = exp_lut_lookup(exp_lut, static_cast<int32_t>(diff > INT32_MAX ? INT32_MAX : diff));
        pr[t] = saturate<T>(round_shift_right(e * recip, 46 - out_bits) + out_zp);
      }
    }
}

template <typename T>
void attn_values(const T* p, int64_t m, int pos0, const T* vcache, int n_heads, int n_kv_heads,
                 int head_size, const AttnValueParams& q, T* y) {
  const int64_t t_total = pos0 + m, kv_dim = int64_t{n_kv_heads} * head_size;
  const int kv_mul = n_heads / n_kv_heads;
  std::vector<int64_t> acc(static_cast<size_t>(head_size));
  for (int64_t r = 0; r < m; ++r)
    for (int h = 0; h < n_heads; ++h) {
      const T* pr = p + (r * n_heads + h) * t_total;
      std::fill(acc.begin(), acc.end(), 0);
      for (int64_t t = 0; t <= pos0 + r; ++t) {
        const int64_t pt = pr[t] - q.p_zp;
        const T* vt = vcache + t * kv_dim + int64_t{h / kv_mul} * head_size;
        for (int i = 0; i < head_size; ++i) acc[i] += pt * (vt[i] - q.v_zp);
      }
      T* yr = y + r * n_heads * head_size + int64_t{h} * head_size;
      for (int i = 0; i < head_size; ++i) {
        int64_t v = std::is_same_v<T, int8_t> ? requant32(saturate<int32_t>(acc[i]), q.mul) : requant64(acc[i], q.mul);
        yr[i] = saturate<T>(v + q.y_zp);
      }
    }
}

template <typename T>
void lut(const T* x, int64_t n, const T* table, T* y) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, int8_t>) {
      y[i] = table[x[i] + 128];
    } else {
      const int32_t u = x[i] + 32768, j = u >> 7, frac = u & 127;
      const int64_t slope = int64_t{table[j + 1]} - table[j];
      y[i] = saturate<T>(table[j] + round_shift_right(slope * frac, 7));
    }
  }
}

template <typename T>
void mul(const T* a, const T* b, int64_t n, const MulParams& p, T* y) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t prod = int64_t{a[i] - p.a_zp} * (b[i] - p.b_zp);  // int8: <= 2^16; int16 (zp 0): <= 2^30
    y[i] = saturate<T>(requant32(saturate<int32_t>(prod), p.mul) + p.y_zp);
  }
}

template <typename T>
void add(const T* a, const T* b, int64_t n, const AddParams& p, T* y) {
  for (int64_t i = 0; i < n; ++i) {
    // int8 (ls 20): < 2^29; int16 (zp 0, ls 15): <= 2^30; saturated for other parameters.
    const int32_t as = saturate<int32_t>(int64_t{a[i] - p.a_zp} * (int64_t{1} << p.left_shift));
    const int32_t bs = saturate<int32_t>(int64_t{b[i] - p.b_zp} * (int64_t{1} << p.left_shift));
    const int64_t sum = requant32(as, p.a_mul) + requant32(bs, p.b_mul);
    y[i] = saturate<T>(requant32(saturate<int32_t>(sum), p.y_mul) + p.y_zp);
  }
}

void argmax(const int16_t* x, int64_t m, int64_t n, int32_t* out) {
  for (int64_t r = 0; r < m; ++r) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
      if (x[r * n + i] > x[r * n + best]) best = i;
    out[r] = static_cast<int32_t>(best);
  }
}

#define SLM_GOLDEN_INSTANTIATE(T)                                                                  \
  template void embed<T>(const int32_t*, int64_t, const EmbedParams&, T*);                         \
  template void rmsnorm<T>(const T*, int64_t, int64_t, const RmsNormParams&, T*);                 \
  template void rope<T>(const T*, int64_t, int, int, int, const RopeParams&, T*);                 \
  template void attn_scores<T>(const T*, int64_t, int, const T*, int, int, int, const ScoreParams&, int32_t*); \
  template void softmax<T>(const int32_t*, int64_t, int, int, const int32_t*, T*);                \
  template void attn_values<T>(const T*, int64_t, int, const T*, int, int, int, const AttnValueParams&, T*); \
  template void lut<T>(const T*, int64_t, const T*, T*);                                           \
  template void mul<T>(const T*, const T*, int64_t, const MulParams&, T*);                         \
  template void add<T>(const T*, const T*, int64_t, const AddParams&, T*);                         \
  template void matmul<T, T>(const T*, int64_t, int32_t, const WeightView&, int32_t, T*);          \
  template void matmul_ref<T, T>(const T*, int64_t, int32_t, const WeightView&, int32_t, T*);
SLM_GOLDEN_INSTANTIATE(int8_t)
SLM_GOLDEN_INSTANTIATE(int16_t)
template void matmul<int8_t, int16_t>(const int8_t*, int64_t, int32_t, const WeightView&, int32_t, int16_t*);
template void matmul_ref<int8_t, int16_t>(const int8_t*, int64_t, int32_t, const WeightView&, int32_t, int16_t*);

}  // namespace slm::quant::golden
