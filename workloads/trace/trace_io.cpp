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
// Model fields a header must carry (the ModelConfig the trace was made from).
void check_model(const json& m, const Where& w) {
  // Traces from other tools (scripts/export_trace.py) describe any decoder: the llama2
  // fields are optional, but each one present is checked, and their consistency when all are.
  auto geti = [&](const char* k, int64_t lo, int64_t hi) -> int64_t {
    return m.contains(k) ? int_field(m, k, "header model", w, lo, hi) : 0;
  };
  const int64_t dim = geti("dim", 2, 1 << 16), n_heads = geti("n_heads", 1, 1024), n_kv = geti("n_kv_heads", 1, 1024);
  geti("hidden_dim", 1, 1 << 18);
  geti("n_layers", 1, 1024);
  geti("vocab_size", 0, 1 << 20);
  geti("seq_len", 1, 1 << 24);
  if (dim && n_heads && n_kv && (dim % n_heads != 0 || n_heads % n_kv != 0 || (dim / n_heads) % 2 != 0))
    throw at(w, "header model: inconsistent heads (dim ", dim, ", n_heads ", n_heads, ", n_kv_heads ", n_kv, ")");
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
  if (j.contains("positions")) {
    h.positions = static_cast<int>(int_field(j, "positions", "header", w, 1, 1 << 24));
    if (h.model.contains("seq_len") && h.positions > h.model["seq_len"].get<int64_t>())
      throw at(w, "header field 'positions' = ", h.positions, ": more than the model's seq_len ", h.model["seq_len"].get<int64_t>());
  }
  if (j.contains("quant_model")) h.quant_model = str_field(j, "quant_model", "header", w);
  return h;
}

Step parse_step_record(const json& j, const RecordWhere& w, int64_t& n_ops, int64_t seq_len) {
  if (!j.is_object()) throw at(w, "step record must be a JSON object");
  Step s;
  s.phase = enum_field(j, "phase", "step", w, phase_from_string);
  s.pos = static_cast<int>(int_field(j, "pos", "step", w, 0, INT32_MAX));
  s.n_tokens = static_cast<int>(int_field(j, "n_tokens", "step", w, 1, INT32_MAX));
  if (s.phase == Phase::decode && s.n_tokens != 1) throw at(w, "decode step with n_tokens ", s.n_tokens, " (must be 1)");
  n_ops = int_field(j, "n_ops", "step", w, 1, 1 << 24);
  if (seq_len > 0 && int64_t{s.pos} + s.n_tokens > seq_len)
    throw at(w, "step at pos ", s.pos, " with ", s.n_tokens, " tokens exceeds the model's seq_len ", seq_len);
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

TraceReader::TraceReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {
  json j;
  std::string type;
  if (!read_record(j, type)) throw err(name_, ":1: empty trace (no header)");
  const Where w{name_, line_};
  if (type != "header") throw at(w, "first record must be the header (type \"header\"), got \"", type, "\"");
  header_ = parse_header_record(j, w);
  seq_len_ = header_.model.value("seq_len", int64_t{0});  // 0: not given (foreign traces)
}

std::unique_ptr<TraceReader> TraceReader::open(const std::string& path) {
  io::regular_file_size(path, io::kMaxTraceBytes, "trace");  // not /dev/zero, a FIFO or a folder
  auto f = std::make_unique<std::ifstream>(path);
  if (!*f) throw err(path, ": cannot open trace");
  std::istream& ref = *f;
  auto r = std::make_unique<TraceReader>(ref, path);
  r->owned_ = std::move(f);
  return r;
}

TraceReader::~TraceReader() = default;

bool TraceReader::read_record(json& j, std::string& type) {
  std::string text;
  if (!std::getline(in_, text)) return false;
  ++line_;
  const Where w{name_, line_};
  if (text.empty()) throw at(w, "empty line");
  if (text.size() > kMaxTraceLineBytes) throw at(w, "record of ", text.size(), " bytes is longer than any valid one (", kMaxTraceLineBytes, ")");
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw at(w, "not valid JSON (syntax error at byte ", e.byte, ")");
  } catch (const json::exception&) {
    throw at(w, "not valid JSON");
  }
  if (!j.is_object()) throw at(w, "record must be a JSON object");
  type = str_field(j, "type", "record", w);
  return true;
}

bool TraceReader::next(Step& s) {
  if (ended_) return false;
  json j;
  std::string type;
  if (!read_record(j, type)) throw at(Where{name_, line_}, "truncated trace: no end record");
  Where w{name_, line_};
  if (type == "end") {
    const int64_t n = parse_end_record(j, w);
    if (n != steps_) throw at(w, "end record says ", n, " steps, file has ", steps_);
    std::string more;
    if (std::getline(in_, more)) throw at(Where{name_, line_ + 1}, "content after the end record");
    ended_ = true;
    return false;
  }
  if (type == "op") throw at(w, "op record outside a step (or more ops than the step's n_ops)");
  if (type != "step") throw at(w, "unknown record type \"", type, "\"");
  step_line_ = line_;
  int64_t n_ops = 0;
  s = parse_step_record(j, w, n_ops, seq_len_);
  s.ops.reserve(static_cast<size_t>(std::min<int64_t>(n_ops, 4096)));
  for (int64_t i = 0; i < n_ops; ++i) {
    if (!read_record(j, type)) throw at(Where{name_, line_}, "truncated trace: no end record");
    w.line = line_;
    if (type == "step") throw at(w, "step record before the previous step's ", n_ops - i, " remaining ops");
    if (type == "end") throw at(w, "end record before the last step's ", n_ops - i, " remaining ops");
    if (type != "op") throw at(w, "unknown record type \"", type, "\"");
    Op op = parse_op_record(j, w);
    if (op.index != s.ops.size()) throw at(w, "op index ", op.index, ", expected ", s.ops.size());
    if (op.m > s.n_tokens && op.kind != OpKind::softmax)
      throw at(w, "op ", op.name, ": m = ", op.m, " exceeds the step's n_tokens ", s.n_tokens);
    s.ops.push_back(std::move(op));
  }
  ++steps_;
  return true;
}

Trace read_trace(std::istream& in, const std::string& name) {
  TraceReader r(in, name);
  Trace t;
  t.header = r.header();
  for (Step s; r.next(s);) t.steps.push_back(std::move(s));
  return t;
}

Trace read_trace_file(const std::string& path) {
  const uint64_t size = io::regular_file_size(path, io::kMaxTraceBytes, "trace");
  io::check_host_memory(2 * size, path + ": trace held in memory");  // records parse to less than twice their text
  auto r = TraceReader::open(path);
  Trace t;
  t.header = r->header();
  for (Step s; r->next(s);) t.steps.push_back(std::move(s));
  return t;
}

}  // namespace slm::trace
