// One operation of an inference step, as a hardware model replays it.
//
// The integer model (workloads/quant/int_model.h) emits one Op per kernel call; the
// trace writer serialises them as JSON Lines (docs/trace-format.md); the simulator's
// replay (sim/replay) maps each Op onto engines and memories. Everything a timing
// model needs is here: kind, shapes, dtypes, tensor names/roles/bytes, MAC and
// element-op counts, and the op's quantisation parameters. The numeric operands
// (for bit-exact checks) travel separately, in OpOperands, and never go to disk.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace slm::trace {

enum class DType : uint8_t { i4, i8, u8, i16, i32, i64, f32 };
const char* to_string(DType);
DType dtype_from_string(const std::string&);  // throws slm::Error on unknown names
// Storage bits per element (i4 = 4: two per byte, packed low nibble first).
int dtype_bits(DType);

// What a tensor is, which decides where the platform places it (configs: placement).
enum class Role : uint8_t {
  weight,      // constant parameters streamed from weight memory (matrices, embedding rows)
  param,       // small constants: norm gains, per-channel multipliers/shifts, LUTs, RoPE tables
  activation,  // transient tensors of this step
  kv_cache,    // persistent per-layer K/V rows
  output       // logits / final hidden state returned to the host
};
const char* to_string(Role);
Role role_from_string(const std::string&);

struct TensorRef {
  std::string name;            // stable, hierarchical: "l3.wq", "l3.x_norm", "l3.kcache"
  Role role = Role::activation;
  DType dtype = DType::i8;
  std::vector<int64_t> shape;  // logical shape, outermost first
  uint64_t bytes = 0;          // bytes this op touches (for i4: ceil(elems/2)); may be a
                               // slice of the whole tensor (e.g. one embedding row, or the
                               // KV rows 0..pos of one layer)
  uint64_t offset = 0;         // activations: bytes from the start of the named tensor to this
                               // op's view (the final norm reads the last token's row of x_final)
  uint64_t elems() const;
};

enum class OpKind : uint8_t {
  embed,        // gather one row of the token embedding per token
  rmsnorm,      // integer RMSNorm over `k` elements per row, gain per channel
  matmul,       // y[m,n] = requant(sum_k x[m,k] * W[n,k]); weights in inputs[1]
  rope,         // rotate q and k pairs with integer sin/cos tables
  kv_write,     // store k and v rows of this step into the KV cache
  attn_scores,  // s[h,t] = q[h]·k[t] for t <= pos (per head), int accumulators
  softmax,      // integer softmax over each score row (exp LUT, integer reciprocal)
  attn_values,  // o[h] = sum_t p[h,t] * v[t]
  silu,         // SiLU via lookup table
  mul,          // element-wise product with requantisation (SwiGLU gate)
  add,          // element-wise residual add with rescaling
  argmax        // greedy token selection on integer logits (host side)
};
const char* to_string(OpKind);
OpKind opkind_from_string(const std::string&);

enum class Phase : uint8_t { prefill, decode };
const char* to_string(Phase);
Phase phase_from_string(const std::string&);  // throws slm::Error on unknown names

struct Op {
  uint32_t index = 0;       // position in the step, from 0
  std::string name;         // "l3.wq", "l3.attn_scores", "final.rmsnorm", "cls"
  OpKind kind = OpKind::matmul;
  int layer = -1;           // -1 for ops outside the layer stack
  // GEMM-shaped view: M rows (tokens in flight), N outputs, K reduction length.
  // For element-wise ops N*M = elements, K = 1. For attention, per-head dims are in `heads`.
  int64_t m = 1, n = 1, k = 1;
  int heads = 1;            // attention ops: number of query heads handled
  std::vector<TensorRef> inputs;   // activations first, then weights/params
  std::vector<TensorRef> outputs;
  uint64_t macs = 0;        // multiply-accumulates
  uint64_t elem_ops = 0;    // element-wise operations (LUT lookups, adds, requants, ...)
  DType acc = DType::i32;   // accumulator type
  nlohmann::json quant;     // per-tensor quantisation parameters (scales, zero points,
                            // multipliers, shifts); per-channel arrays are named by tensor
  // Totals over inputs/outputs by role.
  uint64_t bytes_in(Role r) const;
  uint64_t bytes_out(Role r) const;
  uint64_t weight_bytes() const { return bytes_in(Role::weight); }
};

// One forward pass: a prefill of n_tokens starting at pos, or one decode step at pos.
struct Step {
  Phase phase = Phase::decode;
  int pos = 0;        // position of the first token processed
  int n_tokens = 1;   // 1 for decode
  std::vector<int32_t> tokens;  // the step's input token ids when known (n_tokens of them), else empty
  std::vector<Op> ops;
  uint64_t total_macs() const;
  uint64_t total_weight_bytes() const;
};

// Pointers to an op's numeric operands, valid only during the OpSink callback.
// data[i] matches Op::inputs[i] / Op::outputs[i]; layout is dense row-major in the
// TensorRef's dtype (i4 packed two per byte, low nibble first). Per-channel
// requantisation arrays are reachable through `ctx` (the quantised model), see
// workloads/quant/int_model.h.
struct OpOperands {
  std::vector<const void*> in;
  std::vector<const void*> out;
  const void* ctx = nullptr;
};

// Receives ops as the integer model executes them (after the golden result is computed).
class OpSink {
 public:
  virtual ~OpSink() = default;
  virtual void begin_step(Phase, int pos, int n_tokens) { (void)pos; (void)n_tokens; }
  virtual void on_op(const Op& op, const OpOperands& operands) = 0;
  virtual void end_step() {}
};

}  // namespace slm::trace
