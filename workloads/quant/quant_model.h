// The quantised model: integer weights, integer kernel parameters, and the real-valued
// scales they came from, in one inspectable file (docs/quantization.md).
//
// Computed here: static calibration (per-tensor activation ranges from float activations
// of calibration sequences), weight quantisation (int8 per output channel; int4 in groups
// of 32 along K with a Q15 sub-scale per group relative to the row scale), and every
// integer parameter the golden kernels need (multipliers/shifts, zero points, gains,
// LUTs, RoPE tables). All floating point in the integer path happens here, offline.
// Not modelled: quantisation-aware training, per-token/dynamic activation scales, outlier
// handling (SmoothQuant etc.), asymmetric weights.
//
// File format (version 1), little-endian:
//   8 bytes  magic "SLMQUANT"
//   uint32   format version (= kQuantFileVersion)
//   uint32   header length H
//   H bytes  JSON header: {"format","version","config","precision","params","tensors":[
//              {"name","dtype","shape","offset","bytes"}...]}
//   zero padding to a multiple of 64, then the tensor data; each tensor starts at
//   blob_start + offset, offsets are multiples of 64.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/llama2/model.h"
#include "workloads/quant/fixedpoint.h"

namespace slm::quant {

inline constexpr uint32_t kQuantFileVersion = 1;

// Weight / activation formats (docs/quantization.md, "Precisions").
enum class Precision : uint8_t { w8a8, w8a16, w4a8 };
const char* to_string(Precision);
Precision precision_from_string(const std::string&);  // slm::Error on unknown names
inline bool is_a16(Precision p) { return p == Precision::w8a16; }
inline const Precision kAllPrecisions[] = {Precision::w8a8, Precision::w8a16, Precision::w4a8};

// One stored array. dtype: "i4" (packed, per row), "i8", "i16", "u16", "i32", "f32".
struct Blob {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  template <typename E> const E* as() const { return reinterpret_cast<const E*>(bytes.data()); }
  template <typename E> E* as() { return reinterpret_cast<E*>(bytes.data()); }
};
// Bytes a blob of this dtype and shape must hold (i4: rows x ceil(cols / 2)).
uint64_t blob_bytes(const std::string& dtype, const std::vector<int64_t>& shape);

// Quantisation of one activation tensor: real = scale * (q - zp).
struct ActQ {
  double scale = 1.0;
  int32_t zp = 0;
};

// Float activation range of one tensor over the calibration data.
struct Range {
  double min = 0.0, max = 0.0;
};
// Keys: "l<layer>.<observer name>" (l0.q, l4.w2_out) and the layer -1 names
// (x_final, final_norm, logits), as FloatTransformer's ActivationObserver reports them.
using Ranges = std::map<std::string, Range>;

struct QuantModel {
  llama2::ModelConfig config;
  Precision precision = Precision::w8a8;
  // "act": {tensor: {scale, zp}}; "ops": {op name: scalar integer params};
  // "calibration": how the ranges were obtained.
  nlohmann::json params;
  std::map<std::string, Blob> tensors;

  const Blob& tensor(const std::string& name) const;  // slm::Error if absent
  ActQ act(const std::string& name) const;            // slm::Error if absent
  const nlohmann::json& op(const std::string& name) const;

  void save(const std::string& path) const;
  // Validates everything: header fields, tensor offsets (inside the data area, 64-byte
  // aligned, no overlaps), and every tensor and parameter the integer model uses
  // (validate_for_inference); slm::Error naming the file, the field and the value.
  static QuantModel load(const std::string& path);
};

// Checks that every tensor and scalar parameter the integer model reads has the dtype,
// shape and range the golden kernels define (zero points within the activation type,
// non-zero multipliers, shifts in range, row sums equal to the weights' sums, an exp LUT
// that starts at 2^15 and never increases). slm::Error naming the op, field and value.
void validate_for_inference(const QuantModel& q);

// Quantises a float model with the given activation ranges (from calibrate()).
QuantModel quantize(const llama2::Model& model, Precision precision, const Ranges& ranges,
                    const nlohmann::json& calibration_info);

// Offline table builders (used by quantize(); public for tests and other engines).
// RoPE: (seq_len, head_size/2) round(cos|sin(pos * theta^(-2i/head_size)) * 32767).
void build_rope_tables(const llama2::ModelConfig& c, std::vector<int16_t>& cos_q15, std::vector<int16_t>& sin_q15);
// Softmax exp LUT: kExpLutSteps + 1 entries round(exp(-j/16) * 2^15).
std::vector<int32_t> build_exp_lut();
// SiLU LUT from input to output quantisation: int8 -> 256 entries (index x + 128);
// int16 -> 513 entries at x = -32768 + 128 j (zero points must be 0).
std::vector<int8_t> build_silu_lut_i8(ActQ x, ActQ y);
std::vector<int16_t> build_silu_lut_i16(ActQ x, ActQ y);

// JSON form of a multiplier: {"m": .., "shift": ..}; reading validates the ranges.
nlohmann::json to_json(QMul q);
QMul qmul_from_json(const nlohmann::json& j, const std::string& what);

}  // namespace slm::quant
