#include "sim/engine/golden_exec.h"

#include <cstring>

#include "workloads/common/error.h"

namespace slm::engine {

using trace::OpKind;

std::vector<uint8_t> read_view(const replay::TensorLoc& v, const MemReader& read) {
  std::vector<uint8_t> d(v.bytes());
  if (v.stride == v.row_bytes) {
    if (!d.empty()) read(v.addr, d.data(), d.size());
  } else {
    for (uint64_t r = 0; r < v.rows; ++r) read(v.addr + r * v.stride, d.data() + r * v.row_bytes, v.row_bytes);
  }
  return d;
}

void write_view(const replay::TensorLoc& v, const uint8_t* dense,
                const std::function<void(uint64_t, const void*, uint64_t)>& write) {
  if (v.stride == v.row_bytes) {
    if (v.bytes()) write(v.addr, dense, v.bytes());
  } else {
    for (uint64_t r = 0; r < v.rows; ++r) write(v.addr + r * v.stride, dense + r * v.row_bytes, v.row_bytes);
  }
}

std::vector<std::vector<uint8_t>> golden_on_memory(const BoundOp& b, int pos0, const MemReader& read) {
  trace::Op op = *b.op;
  std::vector<std::vector<uint8_t>> in(op.inputs.size());
  std::vector<int32_t> local_tokens;
  if (op.kind == OpKind::embed) {
    // Gather the rows of the step's tokens (the table stays in memory; only these are read).
    const auto toks = read_view(b.in.at(0), read);
    const int64_t m = op.m, dim = op.n;
    const int64_t vocab = op.inputs.at(1).shape.at(0);
    in[1].resize(static_cast<size_t>(m * dim));
    in[2].resize(static_cast<size_t>(m * 8));
    local_tokens.resize(static_cast<size_t>(m));
    for (int64_t r = 0; r < m; ++r) {
      int32_t t = 0;
      std::memcpy(&t, toks.data() + r * 4, 4);
      if (t < 0 || t >= vocab) throw err("op ", op.name, ": token ", t, " outside [0, ", vocab, ")");
      read(b.in[1].addr + static_cast<uint64_t>(t) * static_cast<uint64_t>(dim), in[1].data() + r * dim, static_cast<uint64_t>(dim));
      read(b.in[2].addr + static_cast<uint64_t>(t) * 8, in[2].data() + r * 8, 8);
      local_tokens[static_cast<size_t>(r)] = static_cast<int32_t>(r);
    }
    op.inputs[1].shape[0] = m;
  } else {
    for (size_t i = 0; i < op.inputs.size(); ++i) in[i] = read_view(b.in.at(i), read);
  }
  trace::OpOperands o;
  for (size_t i = 0; i < in.size(); ++i) o.in.push_back(in[i].data());
  if (op.kind == OpKind::embed) o.in[0] = local_tokens.data();

  std::vector<std::vector<uint8_t>> out(op.outputs.size());
  std::vector<void*> ptrs;
  uint64_t kv_row = 0;
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    if (op.kind == OpKind::kv_write) {
      kv_row = b.out.at(i).row_bytes;
      out[i].assign(static_cast<size_t>(kv_row * (static_cast<uint64_t>(pos0) + static_cast<uint64_t>(op.m))), 0);
    } else {
      out[i].assign(static_cast<size_t>(replay::full_bytes(op.outputs[i])), 0);
    }
    ptrs.push_back(out[i].data());
  }
  quant::golden_execute(op, o, pos0, ptrs);
  if (op.kind == OpKind::kv_write)
    for (auto& v : out) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(kv_row * static_cast<uint64_t>(pos0)));
  return out;
}

}  // namespace slm::engine
