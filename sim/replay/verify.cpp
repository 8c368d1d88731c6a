#include "sim/replay/verify.h"

#include <cstring>
#include <sstream>

#include "workloads/common/error.h"

namespace slm::replay {

using trace::OpKind;

void GoldenCollector::begin_step(trace::Phase ph, int pos, int n) {
  trace::StepCollector::begin_step(ph, pos, n);
  pos0_ = pos;
  outputs.clear();
  external.clear();
  produced.clear();
}

void GoldenCollector::on_op(const trace::Op& op, const trace::OpOperands& o) {
  trace::StepCollector::on_op(op, o);
  std::vector<std::vector<uint8_t>> outs;
  if (keep_) {
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const auto& t = op.inputs[i];
      if (t.role == trace::Role::activation && !produced.count(t.name) && !external.count(t.name) && i < o.in.size() && o.in[i]) {
        const auto* p = static_cast<const uint8_t*>(o.in[i]);
        external[t.name].assign(p, p + full_bytes(t));
      }
    }
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      const auto& t = op.outputs[i];
      const auto* p = i < o.out.size() ? static_cast<const uint8_t*>(o.out[i]) : nullptr;
      if (!p) { outs.emplace_back(); continue; }
      if (op.kind == OpKind::kv_write) {
        const uint64_t row = t.bytes / static_cast<uint64_t>(std::max<int64_t>(op.m, 1));
        outs.emplace_back(p + row * static_cast<uint64_t>(pos0_), p + row * static_cast<uint64_t>(pos0_) + t.bytes);
      } else {
        outs.emplace_back(p, p + full_bytes(t));
      }
    }
  }
  for (const auto& t : op.outputs) produced.insert(t.name);
  outputs.push_back(std::move(outs));
}

nlohmann::json Verdict::to_json() const {
  return {{"engine", engine},
          {"kind", kind},
          {"values_computed_by", computes_values ? "engine" : "golden kernels (on operands read from simulated memory)"},
          {"ops_checked", ops_checked},
          {"ops_mismatched", ops_mismatched},
          {"bit_exact", ops_checked ? nlohmann::json(ops_mismatched == 0) : nlohmann::json()},
          {"first_mismatch", first_mismatch}};
}

namespace {
int64_t element_value(trace::DType d, const uint8_t* bytes, uint64_t index) {
  switch (d) {
    case trace::DType::i8: return static_cast<int8_t>(bytes[index]);
    case trace::DType::u8: return bytes[index];
    case trace::DType::i16: { int16_t v; std::memcpy(&v, bytes + 2 * index, 2); return v; }
    case trace::DType::i32: { int32_t v; std::memcpy(&v, bytes + 4 * index, 4); return v; }
    case trace::DType::i64: { int64_t v; std::memcpy(&v, bytes + 8 * index, 8); return v; }
    case trace::DType::i4: { const uint8_t b = bytes[index / 2]; const int v = (index & 1) ? b >> 4 : b & 15; return v >= 8 ? v - 16 : v; }
    case trace::DType::f32: { int32_t v; std::memcpy(&v, bytes + 4 * index, 4); return v; }
  }
  return 0;
}
}  // namespace

bool compare_op(const trace::Op& op, const std::vector<TensorLoc>& out, const std::vector<std::vector<uint8_t>>& golden,
                const Layout& layout, int step, int pos0, Verdict& v) {
  ++v.ops_checked;
  for (size_t i = 0; i < op.outputs.size() && i < golden.size(); ++i) {
    const TensorLoc& loc = out.at(i);
    const auto& want = golden[i];
    if (want.size() != loc.bytes())
      throw err("verify: op ", op.name, " output ", op.outputs[i].name, ": golden holds ", want.size(), " bytes, the view ", loc.bytes());
    std::vector<uint8_t> got(loc.bytes());
    for (uint64_t r = 0; r < loc.rows; ++r) layout.read(loc.addr + r * loc.stride, got.data() + r * loc.row_bytes, loc.row_bytes);
    if (std::memcmp(got.data(), want.data(), got.size()) == 0) continue;
    ++v.ops_mismatched;
    if (v.first_mismatch.is_null()) {
      uint64_t b = 0;
      while (got[b] == want[b]) ++b;
      const trace::DType dt = op.outputs[i].dtype;
      const int bits = trace::dtype_bits(dt);
      const uint64_t elem = bits >= 8 ? b / static_cast<uint64_t>(bits / 8) : b * 2 + ((got[b] & 15) == (want[b] & 15) ? 1 : 0);
      const uint64_t row = b / loc.row_bytes, col = b % loc.row_bytes;
      const uint64_t addr = loc.addr + row * loc.stride + col;
      const Region* reg = layout.region_at(addr);
      std::ostringstream hex;
      hex << "0x" << std::hex << addr;
      v.first_mismatch = {{"step", step},
                          {"pos", pos0},
                          {"op", op.name},
                          {"op_index", op.index},
                          {"kind", trace::to_string(op.kind)},
                          {"tensor", op.outputs[i].name},
                          {"element", elem},
                          {"address", hex.str()},
                          {"memory", reg ? reg->memory : ""},
                          {"expected", element_value(dt, want.data(), elem)},
                          {"got", element_value(dt, got.data(), elem)}};
    }
    return false;
  }
  return true;
}

}  // namespace slm::replay
