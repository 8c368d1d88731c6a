// JSON Lines trace writer and validating reader (see trace_io.h).
#include "workloads/trace/trace_io.h"

#include <cmath>
#include <fstream>
#include <istream>
#include <ostream>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::trace {
namespace {

using nlohmann::json;

using Where = RecordWhere;

// a * b, or an error when it does not fit in `limit` (shape products, MAC bounds).
uint64_t checked_mul(uint64_t a, uint64_t b, uint64_t limit, const Where& w, const std::string& what) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r) || r > limit) throw err(w.file, ":", w.line, ": ", what, " overflows (more than ", limit, ")");
  return r;
}
constexpr uint64_t kMaxElems = uint64_t{1} << 48;

template <typename... P>
Error at(const Where& w, const P&... parts) { return err(w.file, ":", w.line, ": ", parts...); }

const json& field(const json& j, const char* key, const char* what, const Where& w) {
  if (!j.contains(key)) throw at(w, what, " field '", key, "' missing");
  return j[key];
}
int64_t int_field(const json& j, const char* key, const char* what, const Where& w, int64_t lo, int64_t hi) {
  const json& v = field(j, key, what, w);
  if (!v.is_number_integer()) throw at(w, what, " field '", key, "' must be an integer");
  int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : v.get<int64_t>();
  if (x < lo || x > hi) throw at(w, what, " field '", key, "' = ", x, ": must be in [", lo, ", ", hi, "]");
  return x;
}
uint64_t uint_field(const json& j, const char* key, const char* what, const Where& w) {
  const json& v = field(j, key, what, w);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    throw at(w, what, " field '", key, "' must be a non-negative integer");
  return v.get<uint64_t>();
}
std::string str_field(const json& j, const char* key, const char* what, const Where& w) {
  const json& v = field(j, key, what, w);
  if (!v.is_string()) throw at(w, what, " field '", key, "' must be a string");
  return v.get<std::string>();
}
template <typename F>
auto enum_field(const json& j, const char* key, const char* what, const Where& w, F parse) {
  std::string s = str_field(j, key, what, w);
  try {
    return parse(s);
  } catch (const Error& e) {
    throw at(w, what, " field '", key, "': ", e.what());
  }
}

TensorRef tensor_from_json(const json& j, const Where& w) {
  if (!j.is_object()) throw at(w, "tensor must be an object");
  TensorRef t;
  t.name = str_field(j, "name", "tensor", w);
  t.role = enum_field(j, "role", "tensor", w, role_from_string);
  t.dtype = enum_field(j, "dtype", "tensor", w, dtype_from_string);
  const json& s = field(j, "shape", "tensor", w);
  if (!s.is_array() || s.empty()) throw at(w, "tensor ", t.name, ": shape must be a non-empty array");
  if (s.size() > 8) throw at(w, "tensor ", t.name, ": shape has ", s.size(), " dimensions (at most 8)");
  uint64_t elems = 1;
  for (const json& d : s) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > (int64_t{1} << 40))
      throw at(w, "tensor ", t.name, ": shape entry ", d.dump(), ": must be an integer in [1, 2^40]");
    t.shape.push_back(d.get<int64_t>());
    elems = checked_mul(elems, static_cast<uint64_t>(t.shape.back()), kMaxElems, w, "tensor " + t.name + ": shape product");
  }
  t.bytes = uint_field(j, "bytes", "tensor", w);
  const uint64_t dense = (t.elems() * static_cast<uint64_t>(dtype_bits(t.dtype)) + 7) / 8;
  // i4 rows are padded to whole bytes: allow one byte per row of slack.
  const uint64_t slack = t.dtype == DType::i4 ? t.elems() / static_cast<uint64_t>(t.shape.back()) : 0;
  if (t.bytes > dense + slack)
    throw at(w, "tensor ", t.name, ": bytes ", t.bytes, " exceed its shape (", dense, " bytes dense)");
  if (j.contains("offset")) {
    t.offset = uint_field(j, "offset", "tensor", w);
    if (t.role != Role::activation) throw at(w, "tensor ", t.name, ": only activations have an offset");
    if (t.offset > (uint64_t{1} << 40)) throw at(w, "tensor ", t.name, ": offset ", t.offset, " is too large");
  }
  return t;
}

std::vector<TensorRef> tensors_from_json(const json& j, const char* key, const Where& w) {
  const json& arr = field(j, key, "op", w);
  if (!arr.is_array()) throw at(w, "op field '", key, "' must be an array");
  std::vector<TensorRef> out;
  for (const json& t : arr) out.push_back(tensor_from_json(t, w));
  return out;
}

void expect_shape(const TensorRef& t, const std::vector<int64_t>& want, const Op& op, const Where& w) {
  if (t.shape != want) {
    std::string have, need;
    for (int64_t d : t.shape) have += (have.empty() ? "" : "x") + std::to_string(d);
    for (int64_t d : want) need += (need.empty() ? "" : "x") + std::to_string(d);
    throw at(w, "op ", op.name, " (", to_string(op.kind), "): tensor ", t.name, " has shape ", have, ", expected ", need);
  }
}

// Shape consistency per op kind (the rules in docs/trace-format.md).
// Quantisation parameters a replay feeds to the golden kernels: scales finite and > 0,
// zero points within int16, shifts and multipliers within what fixedpoint.h defines.
void check_quant(const json& q, const Op& op, const Where& w) {
  for (auto it = q.begin(); it != q.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    auto bad = [&](const char* why) { return at(w, "op ", op.name, ": quant field '", k, "' = ", v.dump(), ": ", why); };
    auto ends = [&](const char* suf) { const std::string s(suf); return k.size() >= s.size() && k.compare(k.size() - s.size(), s.size(), s) == 0; };
    if (ends("scale")) {
      if (!v.is_number() || !std::isfinite(v.get<double>()) || !(v.get<double>() > 0)) throw bad("must be a finite number > 0");
    } else if (ends("_zp")) {
      if (!v.is_number_integer() || v.get<int64_t>() < -32768 || v.get<int64_t>() > 32767) throw bad("must be an integer in [-32768, 32767]");
    } else if (k == "gain_shift") {
      if (!v.is_number_integer() || v.get<int64_t>() < -29 || v.get<int64_t>() > 30) throw bad("must be an integer in [-29, 30]");
    } else if (k == "left_shift") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 20) throw bad("must be an integer in [0, 20]");
    } else if (k == "eps_q" || k == "score_frac_bits") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX) throw bad("must be an integer in [0, 2^31)");
    } else if (ends("mul")) {
      if (!v.is_object() || !v.contains("m") || !v.contains("shift") || !v["m"].is_number_integer() || !v["shift"].is_number_integer())
        throw bad("must be a multiplier {\"m\": int, \"shift\": int}");
      const int64_t m = v["m"].get<int64_t>(), sh = v["shift"].get<int64_t>();
      if (m < (int64_t{1} << 30) || m >= (int64_t{1} << 31) || sh < 1 || sh > 62) throw bad("needs m in [2^30, 2^31) and shift in [1, 62]");
    } else if (v.is_number_float() && !std::isfinite(v.get<double>())) {
      throw bad("must be finite");
    }
  }
}

void check_op(const Op& op, const Where& w) {
  auto need = [&](size_t ni, size_t no) {
    if (op.inputs.size() < ni || op.outputs.size() < no)
      throw at(w, "op ", op.name, " (", to_string(op.kind), "): needs >= ", ni, " inputs and ", no, " outputs");
  };
  const uint64_t limit = uint64_t{1} << 62;
  const uint64_t mnk = checked_mul(checked_mul(static_cast<uint64_t>(op.m), static_cast<uint64_t>(op.n), limit, w, "op " + op.name + ": m*n"),
                                   static_cast<uint64_t>(op.k), limit, w, "op " + op.name + ": m*n*k");
  const uint64_t bound = checked_mul(mnk, static_cast<uint64_t>(op.heads), limit, w, "op " + op.name + ": m*n*k*heads");
  const bool attn = op.kind == OpKind::attn_scores || op.kind == OpKind::attn_values;
  if (op.kind != OpKind::matmul && !attn && op.macs != 0) throw at(w, "op ", op.name, ": macs = ", op.macs, ": a ", to_string(op.kind), " op has none");
  if (attn && op.macs > bound) throw at(w, "op ", op.name, ": macs = ", op.macs, ": more than m*n*k*heads = ", bound);
  if (op.elem_ops > 4 * bound) throw at(w, "op ", op.name, ": elem_ops = ", op.elem_ops, ": more than 4*m*n*k*heads = ", 4 * bound);
  if (op.heads > 1 && op.kind != OpKind::rope && op.kind != OpKind::softmax && !attn)
    throw at(w, "op ", op.name, ": heads = ", op.heads, ": only attention, rope and softmax ops have heads");
  check_quant(op.quant, op, w);
  switch (op.kind) {
    case OpKind::matmul:
      need(2, 1);
      expect_shape(op.inputs[0], {op.m, op.k}, op, w);
      expect_shape(op.inputs[1], {op.n, op.k}, op, w);
      expect_shape(op.outputs[0], {op.m, op.n}, op, w);
      if (op.macs != mnk) throw at(w, "op ", op.name, ": macs ", op.macs, " != m*n*k = ", mnk);
      return;
    case OpKind::rope:
      if (op.n % op.heads != 0 || (op.n / op.heads) % 2 != 0)
        throw at(w, "op ", op.name, ": n = ", op.n, " must be heads (", op.heads, ") x an even head size");
      [[fallthrough]];
    case OpKind::rmsnorm: case OpKind::silu:
      need(1, 1);
      expect_shape(op.inputs[0], {op.m, op.n}, op, w);
      expect_shape(op.outputs[0], {op.m, op.n}, op, w);
      return;
    case OpKind::mul: case OpKind::add:
      need(2, 1);
      expect_shape(op.inputs[0], {op.m, op.n}, op, w);
      expect_shape(op.inputs[1], {op.m, op.n}, op, w);
      expect_shape(op.outputs[0], {op.m, op.n}, op, w);
      return;
    case OpKind::embed:
      need(1, 1);
      expect_shape(op.outputs[0], {op.m, op.n}, op, w);
      return;
    case OpKind::kv_write:
      need(2, 2);
      expect_shape(op.inputs[0], {op.m, op.n}, op, w);
      expect_shape(op.inputs[1], {op.m, op.n}, op, w);
      return;
    case OpKind::attn_scores:
      need(2, 1);
      expect_shape(op.outputs[0], {op.m, op.heads, op.n}, op, w);
      if (op.inputs[1].shape.size() != 2 || op.inputs[1].shape[1] % op.k != 0)
        throw at(w, "op ", op.name, ": the KV cache width must be a multiple of the head size k = ", op.k);
      return;
    case OpKind::softmax:
      need(1, 1);
      if (op.m % op.heads != 0) throw at(w, "op ", op.name, ": m = ", op.m, " must be a multiple of heads = ", op.heads);
      if (op.inputs[0].shape != op.outputs[0].shape) throw at(w, "op ", op.name, ": softmax input and output shapes differ");
      return;
    case OpKind::attn_values:
      need(2, 1);
      expect_shape(op.outputs[0], {op.m, op.n}, op, w);
      if (op.n % op.heads != 0) throw at(w, "op ", op.name, ": n = ", op.n, " must be a multiple of heads = ", op.heads);
      return;
    case OpKind::argmax:
      need(1, 1);
      return;
  }
}

}  // namespace

Op parse_op_record(const json& j, const RecordWhere& w) {
  if (!j.is_object()) throw at(w, "op record must be a JSON object");
  Op op;
  op.index = static_cast<uint32_t>(int_field(j, "index", "op", w, 0, INT32_MAX));
  op.name = str_field(j, "name", "op", w);
  op.kind = enum_field(j, "kind", "op", w, opkind_from_string);
  op.layer = static_cast<int>(int_field(j, "layer", "op", w, -1, 1 << 20));
  op.m = int_field(j, "m", "op", w, 1, int64_t{1} << 40);
  op.n = int_field(j, "n", "op", w, 1, int64_t{1} << 40);
  op.k = int_field(j, "k", "op", w, 1, int64_t{1} << 40);
  op.heads = static_cast<int>(int_field(j, "heads", "op", w, 1, 1 << 20));
  op.macs = uint_field(j, "macs", "op", w);
  op.elem_ops = uint_field(j, "elem_ops", "op", w);
  op.acc = enum_field(j, "acc", "op", w, dtype_from_string);
  op.inputs = tensors_from_json(j, "inputs", w);
  op.outputs = tensors_from_json(j, "outputs", w);
  op.quant = field(j, "quant", "op", w);
  if (!op.quant.is_object()) throw at(w, "op field 'quant' must be an object");
  check_op(op, w);
  return op;
}

namespace {
// Model fields a header may carry (the ModelConfig the trace was made from): each one that
// is present is checked; a trace of an arbitrary decoder (another tool) may give none, since
// a replay needs only its ops.
void check_model(const json& m, const Where& w) {
  auto opt = [&](const char* k, int64_t lo, int64_t hi) { return m.contains(k) ? int_field(m, k, "header model", w, lo, hi) : int64_t{-1}; };
  const int64_t dim = opt("dim", 2, 1 << 16), n_heads = opt("n_heads", 1, 1024), n_kv = opt("n_kv_heads", 1, 1024);
  opt("hidden_dim", 1, 1 << 18);
  opt("n_layers", 1, 1024);
  opt("vocab_size", 0, 1 << 20);
  opt("seq_len", 1, 1 << 20);
  if (dim > 0 && n_heads > 0 && (dim % n_heads != 0 || (dim / n_heads) % 2 != 0))
    throw at(w, "header model: inconsistent heads (dim ", dim, ", n_heads ", n_heads, ")");
  if (n_heads > 0 && n_kv > 0 && n_heads % n_kv != 0)
    throw at(w, "header model: n_heads ", n_heads, " is not a multiple of n_kv_heads ", n_kv);
  if (m.contains("name") && !m["name"].is_string()) throw at(w, "header model field 'name' must be a string");
  if (m.contains("shared_classifier") && !m["shared_classifier"].is_boolean()) throw at(w, "header model field 'shared_classifier' must be a boolean");
}
}  // namespace

TraceHeader parse_header_record(const json& j, const RecordWhere& w) {
  if (!j.is_object()) throw at(w, "header record must be a JSON object");
  TraceHeader h;
  if (str_field(j, "format", "header", w) != "slmsim-trace") throw at(w, "header field 'format' must be \"slmsim-trace\"");
  const int64_t v = int_field(j, "version", "header", w, INT64_MIN, INT64_MAX);
  if (v != kTraceVersion) throw at(w, "unsupported trace version ", v, " (this reader supports ", kTraceVersion, ")");
  h.version = static_cast<int>(v);
  h.model = field(j, "model", "header", w);
  if (!h.model.is_object()) throw at(w, "header field 'model' must be an object");
  check_model(h.model, w);
  h.precision = str_field(j, "precision", "header", w);
  if (h.precision != "w8a8" && h.precision != "w8a16" && h.precision != "w4a8")
    throw at(w, "header field 'precision' = \"", h.precision, "\": must be one of w8a8, w8a16, w4a8");
  const json& so = field(j, "shape_only", "header", w);
  if (!so.is_boolean()) throw at(w, "header field 'shape_only' must be a boolean");
  h.shape_only = so.get<bool>();
  if (j.contains("producer") && !j["producer"].is_string()) throw at(w, "header field 'producer' must be a string");
  h.producer = j.value("producer", std::string());
  if (j.contains("positions")) h.positions = static_cast<int>(int_field(j, "positions", "header", w, 1, 1 << 20));
  if (j.contains("quant_model")) h.quant_model = str_field(j, "quant_model", "header", w);
  return h;
}

Step parse_step_record(const json& j, const RecordWhere& w, int64_t& n_ops) {
  if (!j.is_object()) throw at(w, "step record must be a JSON object");
  Step s;
  s.phase = enum_field(j, "phase", "step", w, phase_from_string);
  s.pos = static_cast<int>(int_field(j, "pos", "step", w, 0, INT32_MAX));
  s.n_tokens = static_cast<int>(int_field(j, "n_tokens", "step", w, 1, INT32_MAX));
  if (s.phase == Phase::decode && s.n_tokens != 1) throw at(w, "decode step with n_tokens ", s.n_tokens, " (must be 1)");
  n_ops = int_field(j, "n_ops", "step", w, 1, 1 << 24);
  if (j.contains("tokens")) {
    const json& t = j["tokens"];
    if (!t.is_array() || static_cast<int64_t>(t.size()) != s.n_tokens)
      throw at(w, "step field 'tokens' must be an array of n_tokens (", s.n_tokens, ") token ids");
    for (const json& x : t) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() > INT32_MAX)
        throw at(w, "step field 'tokens': entries must be integers in [0, ", INT32_MAX, "]");
      s.tokens.push_back(static_cast<int32_t>(x.get<int64_t>()));
    }
  }
  return s;
}

int64_t parse_end_record(const json& j, const RecordWhere& w) {
  if (!j.is_object()) throw at(w, "end record must be a JSON object");
  return int_field(j, "n_steps", "end", w, 0, INT32_MAX);
}

TraceRecordParser::TraceRecordParser(std::string name) : where_{std::move(name), 0} {}

TraceRecordParser::Record TraceRecordParser::parse_line(const std::string& text) {
  ++where_.line;
  const Where& w = where_;
  if (text.empty()) throw at(w, "empty line");
  if (text.size() > kMaxTraceLineBytes) throw at(w, "record of ", text.size(), " bytes is longer than any valid one (", kMaxTraceLineBytes, ")");
  if (have_end_) throw at(w, "content after the end record");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw at(w, "not valid JSON (syntax error at byte ", e.byte, ")");
  } catch (const json::exception&) {
    throw at(w, "not valid JSON");
  }
  if (!j.is_object()) throw at(w, "record must be a JSON object");
  const std::string type = str_field(j, "type", "record", w);
  Record r;
  if (!have_header_) {
    if (type != "header") throw at(w, "first record must be the header (type \"header\"), got \"", type, "\"");
    r.type = RecordType::header;
    r.header = parse_header_record(j, w);
    seq_len_ = r.header.model.contains("seq_len") ? r.header.model["seq_len"].get<int64_t>()
               : r.header.positions > 0             ? r.header.positions
                                                    : int64_t{1} << 20;
    have_header_ = true;
    return r;
  }
  if (type == "step") {
    if (ops_left_) throw at(w, "step record before the previous step's ", ops_left_, " remaining ops");
    r.type = RecordType::step;
    r.step = parse_step_record(j, w, ops_left_);
    if (int64_t{r.step.pos} + r.step.n_tokens > seq_len_)
      throw at(w, "step at pos ", r.step.pos, " with ", r.step.n_tokens, " tokens exceeds the model's seq_len (or the header's positions) ", seq_len_);
    step_tokens_ = r.step.n_tokens;
    next_index_ = 0;
    ++n_steps_;
    return r;
  }
  if (type == "op") {
    if (!ops_left_) throw at(w, "op record outside a step (or more ops than the step's n_ops)");
    r.type = RecordType::op;
    r.op = parse_op_record(j, w);
    if (r.op.index != next_index_) throw at(w, "op index ", r.op.index, ", expected ", next_index_);
    if (r.op.m > step_tokens_ && r.op.kind != OpKind::softmax)
      throw at(w, "op ", r.op.name, ": m = ", r.op.m, " exceeds the step's n_tokens ", step_tokens_);
    ++next_index_;
    --ops_left_;
    return r;
  }
  if (type == "end") {
    if (ops_left_) throw at(w, "end record before the last step's ", ops_left_, " remaining ops");
    const int64_t n = parse_end_record(j, w);
    if (n != n_steps_) throw at(w, "end record says ", n, " steps, file has ", n_steps_);
    r.type = RecordType::end;
    have_end_ = true;
    return r;
  }
  throw at(w, "unknown record type \"", type, "\"");
}

void TraceRecordParser::finish() const {
  if (!have_header_) throw err(where_.file, ":1: empty trace (no header)");
  if (!have_end_) throw at(where_, "truncated trace: no end record");
}

json to_json(const TensorRef& t) {
  json j = {{"name", t.name}, {"role", to_string(t.role)}, {"dtype", to_string(t.dtype)}, {"shape", t.shape}, {"bytes", t.bytes}};
  if (t.offset) j["offset"] = t.offset;
  return j;
}

json to_json(const Op& op) {
  json in = json::array(), out = json::array();
  for (const TensorRef& t : op.inputs) in.push_back(to_json(t));
  for (const TensorRef& t : op.outputs) out.push_back(to_json(t));
  return {{"type", "op"}, {"index", op.index}, {"name", op.name}, {"kind", to_string(op.kind)}, {"layer", op.layer},
          {"m", op.m}, {"n", op.n}, {"k", op.k}, {"heads", op.heads}, {"macs", op.macs}, {"elem_ops", op.elem_ops},
          {"acc", to_string(op.acc)}, {"inputs", in}, {"outputs", out},
          {"quant", op.quant.is_null() ? json::object() : op.quant}};
}

JsonlWriter::JsonlWriter(std::ostream& out, const TraceHeader& h) : out_(out) {
  json j = {{"type", "header"}, {"format", "slmsim-trace"}, {"version", h.version}, {"model", h.model},
            {"precision", h.precision}, {"shape_only", h.shape_only}, {"producer", h.producer}};
  if (h.positions > 0) j["positions"] = h.positions;
  if (!h.quant_model.empty()) j["quant_model"] = h.quant_model;
  out_ << j.dump() << '\n';
}

JsonlWriter::~JsonlWriter() {
  if (!finished_) finish();
}

void JsonlWriter::begin_step(Phase phase, int pos, int n_tokens) {
  step_ = Step{};
  step_.phase = phase;
  step_.pos = pos;
  step_.n_tokens = n_tokens;
}

void JsonlWriter::on_op(const Op& op, const OpOperands&) { step_.ops.push_back(op); }

void JsonlWriter::end_step() {
  write_step(step_);
  step_.ops.clear();
}

void JsonlWriter::write_step(const Step& st) {
  json s = {{"type", "step"}, {"phase", to_string(st.phase)}, {"pos", st.pos}, {"n_tokens", st.n_tokens},
            {"n_ops", st.ops.size()}};
  if (!st.tokens.empty()) s["tokens"] = st.tokens;
  out_ << s.dump() << '\n';
  for (const Op& op : st.ops) out_ << to_json(op).dump() << '\n';
  ++n_steps_;
}

void JsonlWriter::finish() {
  out_ << json{{"type", "end"}, {"n_steps", n_steps_}}.dump() << '\n';
  out_.flush();
  finished_ = true;
}

void StepCollector::begin_step(Phase phase, int pos, int n_tokens) {
  Step s;
  s.phase = phase;
  s.pos = pos;
  s.n_tokens = n_tokens;
  steps.push_back(std::move(s));
}

void StepCollector::on_op(const Op& op, const OpOperands&) { steps.back().ops.push_back(op); }

Trace read_trace(std::istream& in, const std::string& name) {
  Trace t;
  TraceRecordParser parser(name);
  std::string text;
  while (std::getline(in, text)) {
    TraceRecordParser::Record r = parser.parse_line(text);
    switch (r.type) {
      case TraceRecordParser::RecordType::header: t.header = std::move(r.header); break;
      case TraceRecordParser::RecordType::step: t.steps.push_back(std::move(r.step)); break;
      case TraceRecordParser::RecordType::op: t.steps.back().ops.push_back(std::move(r.op)); break;
      case TraceRecordParser::RecordType::end: break;
    }
  }
  parser.finish();
  return t;
}

TraceReader::TraceReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)), parser_(name_) {
  std::string text;
  if (!read_line(text)) parser_.finish();  // "empty trace (no header)"
  header_ = parser_.parse_line(text).header;
}

std::unique_ptr<TraceReader> TraceReader::open(const std::string& path) {
  io::regular_file_size(path, io::kMaxTraceBytes, "trace");
  auto f = std::make_unique<std::ifstream>(path);
  if (!*f) throw err(path, ": cannot open trace");
  std::istream& ref = *f;
  auto r = std::make_unique<TraceReader>(ref, path);
  r->owned_ = std::move(f);
  return r;
}

TraceReader::~TraceReader() = default;

bool TraceReader::read_line(std::string& text) {
  text.clear();
  std::streambuf* sb = in_.rdbuf();
  for (;;) {
    const int c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) return !text.empty();
    if (c == '\n') return true;
    if (text.size() >= kMaxTraceLineBytes)
      throw err(name_, ":", parser_.line() + 1, ": record longer than any valid one (", kMaxTraceLineBytes, " bytes)");
    text.push_back(static_cast<char>(c));
  }
}

bool TraceReader::next(Step& s) {
  if (ended_) return false;
  std::string text;
  for (;;) {
    if (!read_line(text)) {
      parser_.finish();  // truncated: no end record
      return false;
    }
    TraceRecordParser::Record r = parser_.parse_line(text);
    switch (r.type) {
      case TraceRecordParser::RecordType::header: break;  // not reached: the parser allows one
      case TraceRecordParser::RecordType::step:
        s = std::move(r.step);
        step_line_ = parser_.line();
        break;
      case TraceRecordParser::RecordType::op:
        s.ops.push_back(std::move(r.op));
        break;
      case TraceRecordParser::RecordType::end:
        ended_ = true;
        // Nothing may follow the end record.
        if (read_line(text)) parser_.parse_line(text);
        return false;
    }
    // A step is complete when its n_ops ops are in: the parser counts them.
    if (step_line_ && parser_.ops_left() == 0 && !s.ops.empty()) {
      ++steps_;
      return true;
    }
  }
}

Trace read_trace_file(const std::string& path) {
  const uint64_t size = io::regular_file_size(path, io::kMaxTraceBytes, "trace");
  io::check_host_memory(2 * size, path + ": trace held in memory");  // records parse to less than twice their text
  std::ifstream f(path);
  if (!f) throw err(path, ": cannot open trace");
  return read_trace(f, path);
}

}  // namespace slm::trace
