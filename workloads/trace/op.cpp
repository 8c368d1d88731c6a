// Names and totals of the op record (see op.h).
#include "workloads/trace/op.h"

#include "workloads/common/error.h"

namespace slm::trace {
namespace {

template <typename E, size_t N>
E from_table(const std::string& s, const char* const (&names)[N], const char* what) {
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<E>(i);
  std::string known;
  for (size_t i = 0; i < N; ++i) known += std::string(i ? ", " : "") + names[i];
  throw err("unknown ", what, " '", s, "' (known: ", known, ")");
}

constexpr const char* kDTypes[] = {"i4", "i8", "u8", "i16", "i32", "i64", "f32"};
constexpr int kDTypeBits[] = {4, 8, 8, 16, 32, 64, 32};
constexpr const char* kRoles[] = {"weight", "param", "activation", "kv_cache", "output"};
constexpr const char* kKinds[] = {"embed", "rmsnorm", "matmul", "rope", "kv_write", "attn_scores",
                                  "softmax", "attn_values", "silu", "mul", "add", "argmax"};
constexpr const char* kPhases[] = {"prefill", "decode"};

}  // namespace

const char* to_string(DType d) { return kDTypes[static_cast<size_t>(d)]; }
DType dtype_from_string(const std::string& s) { return from_table<DType>(s, kDTypes, "dtype"); }
int dtype_bits(DType d) { return kDTypeBits[static_cast<size_t>(d)]; }
const char* to_string(Role r) { return kRoles[static_cast<size_t>(r)]; }
Role role_from_string(const std::string& s) { return from_table<Role>(s, kRoles, "role"); }
const char* to_string(OpKind k) { return kKinds[static_cast<size_t>(k)]; }
OpKind opkind_from_string(const std::string& s) { return from_table<OpKind>(s, kKinds, "op kind"); }
const char* to_string(Phase p) { return kPhases[static_cast<size_t>(p)]; }
Phase phase_from_string(const std::string& s) { return from_table<Phase>(s, kPhases, "phase"); }

uint64_t TensorRef::elems() const {
  uint64_t e = 1;
  for (int64_t d : shape) e *= static_cast<uint64_t>(d);
  return e;
}

uint64_t Op::bytes_in(Role r) const {
  uint64_t b = 0;
  for (const TensorRef& t : inputs)
    if (t.role == r) b += t.bytes;
  return b;
}

uint64_t Op::bytes_out(Role r) const {
  uint64_t b = 0;
  for (const TensorRef& t : outputs)
    if (t.role == r) b += t.bytes;
  return b;
}

uint64_t Step::total_macs() const {
  uint64_t s = 0;
  for (const Op& op : ops) s += op.macs;
  return s;
}

uint64_t Step::total_weight_bytes() const {
  uint64_t s = 0;
  for (const Op& op : ops) s += op.weight_bytes();
  return s;
}

}  // namespace slm::trace
