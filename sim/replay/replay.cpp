#include "sim/replay/replay.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>
#include <sstream>

#include "sim/config/units.h"
#include "sim/engine/registry.h"
#include "workloads/common/error.h"
#include "workloads/llama2/tokenizer.h"

namespace slm::replay {

using sc_core::sc_time;
using trace::Op;
using trace::OpKind;

uint64_t Result::ops_checked() const {
  uint64_t n = 0;
  for (const auto& v : verdicts) n += v.ops_checked;
  return n;
}
uint64_t Result::ops_mismatched() const {
  uint64_t n = 0;
  for (const auto& v : verdicts) n += v.ops_mismatched;
  return n;
}

engine::Engine* Engines::assign(const Op& op) const {
  // Host work (anchors B7, the demo's TFLM application): the embedding lookup and the token
  // choice run on the host CPU when the platform has one.
  if (host() && (op.kind == OpKind::embed || op.kind == OpKind::argmax)) return host();
  if (main()->supports(op)) return main();
  if (host()) return host();
  throw err("replay: op ", op.name, " (", trace::to_string(op.kind), ") is not supported by engine '", main()->engine_name(),
            "' (", main()->engine_kind(), ") and the config names no host CPU (engine.host) to run it");
}

Fault parse_fault(const std::string& spec, const platform::Platform& p) {
  // MEMORY:ADDRESS:BIT[@TIME]
  const auto at = spec.find('@');
  const std::string head = spec.substr(0, at);
  std::vector<std::string> parts;
  std::stringstream ss(head);
  for (std::string s; std::getline(ss, s, ':');) parts.push_back(s);
  if (parts.size() != 3) throw err("--fault '", spec, "': expected MEMORY:ADDRESS:BIT[@TIME]");
  Fault f;
  f.spec = spec;
  f.memory = parts[0];
  const Memory* m = nullptr;
  try {
    m = &p.memory(f.memory);
  } catch (const Error&) {
    std::string names;
    for (const auto& c : p.components())
      if (c.category == "memory") names += (names.empty() ? "" : ", ") + c.name;
    throw err("--fault '", spec, "': '", f.memory, "' is not a memory (memories: ", names, ")");
  }
  auto number = [&](const std::string& s, const char* what) -> uint64_t {
    size_t used = 0;
    uint64_t v = 0;
    try {
      v = std::stoull(s, &used, 0);
    } catch (const std::exception&) {
      used = 0;
    }
    if (s.empty() || used != s.size()) throw err("--fault '", spec, "': ", what, " '", s, "' is not a number");
    return v;
  };
  f.offset = number(parts[1], "address");
  if (f.offset >= m->params().size_bytes)
    throw err("--fault '", spec, "': address ", parts[1], " is outside ", f.memory, " (", m->params().size_bytes, " bytes)");
  const uint64_t bit = number(parts[2], "bit");
  if (bit > 7) throw err("--fault '", spec, "': bit ", bit, " must be in [0, 7]");
  f.bit = static_cast<int>(bit);
  if (at != std::string::npos) {
    config::Node n;
    n.kind = config::Node::Kind::scalar;
    n.scalar = spec.substr(at + 1);
    n.origin.file = "--fault " + spec;
    n.path = "time";
    const double ns = config::parse_quantity(n, params::Unit::ns);
    if (!(ns >= 0)) throw err("--fault '", spec, "': the time must be >= 0");
    f.at = sc_time(ns, sc_core::SC_NS);
  }
  return f;
}

void check_options(const llama2::ModelConfig& mc, Options& opt) {
  if (opt.prompt_tokens.empty()) throw Error("replay: the prompt must hold at least one token (BOS)");
  if (opt.steps <= 0 || opt.steps > mc.seq_len) opt.steps = mc.seq_len;
  if (static_cast<int>(opt.prompt_tokens.size()) > opt.steps)
    throw err("replay: prompt of ", opt.prompt_tokens.size(), " tokens does not fit in ", opt.steps, " steps");
}

namespace {
// The largest steps of a run of `steps` positions of model `mc`: a decode step at the last
// position and a prefill of every position (ops only).
engine::RunShape run_shape_of(const llama2::ModelConfig& mc, quant::Precision prec, int steps, bool fixed) {
  engine::RunShape rs;
  rs.n_heads = mc.n_heads;
  rs.dim = mc.dim;
  rs.score_row = fixed ? mc.seq_len : steps;
  for (int m : {1, steps}) {
    quant::IntTransformer shape(mc, prec);
    trace::StepCollector c;
    std::vector<int32_t> toks(static_cast<size_t>(m), 1);
    const int pos0 = m == 1 ? steps - 1 : 0;
    const auto phase = m == 1 ? trace::Phase::decode : trace::Phase::prefill;
    if (mc.has_vocab()) shape.forward(toks, pos0, phase, &c);
    else shape.forward_vectors(nullptr, m, pos0, &c);
    rs.samples.push_back(std::move(c.steps.at(0).ops));
  }
  return rs;
}
}  // namespace

Setup prepare(platform::Platform& p, const llama2::ModelConfig& mc, quant::Precision prec, bool with_values, int steps) {
  steps = std::clamp(steps, 1, mc.seq_len);
  Setup s;
  s.engines = engine::make_engines(p, prec);
  LayoutOptions lo;
  const bool fixed = s.engines.main()->fixed_shape();
  lo.kv_rows = fixed ? mc.seq_len : steps;
  lo.score_row_elems = fixed ? mc.seq_len : 0;
  lo.shape_only = !with_values;
  s.layout = std::make_unique<Layout>(p, lo);
  engine::RunShape rs = run_shape_of(mc, prec, steps, fixed);
  // Every persistent tensor appears in a decode step at the last position.
  for (const auto& op : rs.samples.front()) s.engines.assign(op)->declare(op, *s.layout);
  for (auto& e : s.engines.list) e->finish_declare(*s.layout, rs);
  return s;
}

TraceScan scan_trace(const std::string& path) {
  auto r = trace::TraceReader::open(path);
  TraceScan sc;
  sc.header = r->header();
  std::set<std::string> seen;
  std::set<trace::OpKind> kinds;
  int best_m = 0, best_pos = -1;
  for (trace::Step st; r->next(st);) {
    ++sc.steps;
    sc.ops += st.ops.size();
    sc.positions = std::max(sc.positions, st.pos + st.n_tokens);
    for (const auto& op : st.ops) {
      kinds.insert(op.kind);
      if (op.kind == OpKind::attn_scores || op.kind == OpKind::attn_values) sc.n_heads = std::max(sc.n_heads, op.heads);
      if (op.kind == OpKind::rmsnorm || op.kind == OpKind::rope) sc.dim = std::max(sc.dim, op.n);
      bool fresh = false;
      for (const auto* list : {&op.inputs, &op.outputs})
        for (const auto& t : *list)
          if (persistent(t.role) && seen.insert(t.name).second) fresh = true;
      if (fresh) sc.declare_ops.push_back(op);
    }
    // Samples: the longest prefill and the step at the last position.
    if (st.n_tokens > best_m) {
      best_m = st.n_tokens;
      if (sc.samples.empty()) sc.samples.resize(2);
      sc.samples[0] = st.ops;
    }
    if (st.pos > best_pos) {
      best_pos = st.pos;
      if (sc.samples.empty()) sc.samples.resize(2);
      sc.samples[1] = std::move(st.ops);
    }
  }
  if (sc.steps == 0) throw err(path, ": the trace has no steps");
  sc.kinds.assign(kinds.begin(), kinds.end());
  return sc;
}

nlohmann::json model_json(const llama2::ModelConfig& c) {
  return {{"name", c.name}, {"dim", c.dim}, {"hidden_dim", c.hidden_dim}, {"n_layers", c.n_layers}, {"n_heads", c.n_heads},
          {"n_kv_heads", c.n_kv_heads}, {"vocab_size", c.vocab_size}, {"seq_len", c.seq_len},
          {"shared_classifier", c.shared_classifier}};
}

std::optional<llama2::ModelConfig> header_model(const trace::TraceHeader& h) {
  const auto& j = h.model;
  llama2::ModelConfig c;
  auto get = [&](const char* k, int& v) {
    if (!j.contains(k) || !j[k].is_number_integer()) return false;
    const int64_t x = j[k].get<int64_t>();
    if (x < INT32_MIN || x > INT32_MAX) return false;
    v = static_cast<int>(x);
    return true;
  };
  if (!get("dim", c.dim) || !get("hidden_dim", c.hidden_dim) || !get("n_layers", c.n_layers) || !get("n_heads", c.n_heads) ||
      !get("n_kv_heads", c.n_kv_heads) || !get("vocab_size", c.vocab_size) || !get("seq_len", c.seq_len))
    return std::nullopt;
  if (j.contains("shared_classifier") && j["shared_classifier"].is_boolean()) c.shared_classifier = j["shared_classifier"].get<bool>();
  if (j.contains("name") && j["name"].is_string()) c.name = j["name"].get<std::string>();
  try {
    llama2::validate_config(c, "trace header model");
  } catch (const Error&) {
    return std::nullopt;
  }
  return c;
}

Setup prepare_trace(platform::Platform& p, const TraceScan& scan, quant::Precision prec, bool with_values,
                    const llama2::ModelConfig* mc) {
  const int positions = scan.header.positions > 0 ? scan.header.positions : scan.positions;
  if (positions < scan.positions)
    throw err("trace: header field 'positions' = ", positions, " but the steps reach position ", scan.positions);
  if (mc && positions > mc->seq_len)
    throw err("trace: its steps reach position ", positions, ", beyond the model's seq_len ", mc->seq_len);
  Setup s;
  s.engines = engine::make_engines(p, prec);
  const bool fixed = s.engines.main()->fixed_shape();
  // Fixed-shape mode computes the model's whole window: its seq_len when known.
  int64_t window = positions;
  if (fixed && mc) window = mc->seq_len;
  else if (fixed && scan.header.model.contains("seq_len") && scan.header.model["seq_len"].is_number_integer())
    window = std::max<int64_t>(positions, std::min<int64_t>(scan.header.model["seq_len"].get<int64_t>(), llama2::kMaxSeqLen));
  LayoutOptions lo;
  lo.kv_rows = static_cast<int>(fixed ? window : positions);
  lo.score_row_elems = fixed ? window : 0;
  lo.shape_only = !with_values;
  s.layout = std::make_unique<Layout>(p, lo);
  engine::RunShape rs;
  if (mc) {
    // The model's own run shape first, so that a trace written by a run lays out exactly as
    // that run did; then whatever the trace adds.
    rs = run_shape_of(*mc, prec, positions, fixed);
    for (const auto& op : rs.samples.front()) s.engines.assign(op)->declare(op, *s.layout);
  } else {
    rs.n_heads = scan.n_heads;
    rs.dim = scan.dim;
    rs.score_row = fixed ? window : positions;
  }
  for (const auto& smp : scan.samples) rs.samples.push_back(smp);
  for (const auto& op : scan.declare_ops) s.engines.assign(op)->declare(op, *s.layout);
  for (auto& e : s.engines.list) e->finish_declare(*s.layout, rs);
  return s;
}

void load_values(Setup& s, const quant::QuantModel& qm) {
  for (auto& e : s.engines.list) e->load(qm, *s.layout);
}

Replayer::Replayer(sc_core::sc_module_name name, platform::Platform& p, quant::IntTransformer* model,
                   stats::Group& stats_root, Setup setup, Options opt)
    : sc_module(name), p_(p), model_(model), stats_root_(stats_root), setup_(std::move(setup)), opt_(std::move(opt)) {
  SC_THREAD(main_thread);
}

Replayer::~Replayer() = default;

void Replayer::main_thread() {
  try {
    simulate();
  } catch (const Error& e) {
    error_ = e.what();
  } catch (const std::exception& e) {
    error_ = std::string("internal: ") + e.what();
  }
  sc_core::sc_stop();
}

void Replayer::apply_fault(const Fault& f) {
  Memory& m = p_.memory(f.memory);
  uint8_t b = 0;
  m.peek(f.offset, &b, 1);
  b ^= static_cast<uint8_t>(1u << f.bit);
  m.load(f.offset, &b, 1);
  const uint64_t addr = p_.base(f.memory) + f.offset;
  const Region* r = setup_.layout->region_at(addr);
  std::ostringstream hex;
  hex << "0x" << std::hex << addr;
  res_.faults.push_back({{"spec", f.spec},
                         {"memory", f.memory},
                         {"offset", f.offset},
                         {"address", hex.str()},
                         {"bit", f.bit},
                         {"time_s", sc_core::sc_time_stamp().to_seconds()},
                         {"tensor", r ? nlohmann::json(r->name) : nlohmann::json()},
                         {"byte_in_tensor", r ? nlohmann::json(addr - r->addr) : nlohmann::json()}});
}

namespace {
// A trace op and the op the model computes for it must describe the same work on the same
// tensors; returns what differs ("" if nothing).
std::string op_difference(const Op& t, const Op& m) {
  auto dims = [](const trace::TensorRef& x) {
    std::string d;
    for (int64_t v : x.shape) d += (d.empty() ? "" : "x") + std::to_string(v);
    return x.name + " " + trace::to_string(x.dtype) + " " + d + " (" + std::to_string(x.bytes) + " bytes)";
  };
  if (t.name != m.name || t.kind != m.kind)
    return std::string("the trace has ") + t.name + " (" + trace::to_string(t.kind) + "), the model computes " + m.name + " (" +
           trace::to_string(m.kind) + ")";
  if (t.m != m.m || t.n != m.n || t.k != m.k || t.heads != m.heads || t.macs != m.macs)
    return "op " + t.name + ": m/n/k/heads/macs " + std::to_string(t.m) + "/" + std::to_string(t.n) + "/" + std::to_string(t.k) + "/" +
           std::to_string(t.heads) + "/" + std::to_string(t.macs) + " in the trace, " + std::to_string(m.m) + "/" +
           std::to_string(m.n) + "/" + std::to_string(m.k) + "/" + std::to_string(m.heads) + "/" + std::to_string(m.macs) +
           " in the model";
  for (const auto& [tl, ml, what] : {std::tuple{&t.inputs, &m.inputs, "input"}, std::tuple{&t.outputs, &m.outputs, "output"}}) {
    if (tl->size() != ml->size())
      return "op " + t.name + ": " + std::to_string(tl->size()) + " " + what + "s in the trace, " + std::to_string(ml->size()) + " in the model";
    for (size_t i = 0; i < tl->size(); ++i) {
      const auto &a = (*tl)[i], &b = (*ml)[i];
      if (a.name != b.name || a.role != b.role || a.dtype != b.dtype || a.shape != b.shape || a.bytes != b.bytes || a.offset != b.offset)
        return "op " + t.name + " " + what + " " + std::to_string(i) + ": " + dims(a) + " in the trace, " + dims(b) + " in the model";
    }
  }
  return "";
}
}  // namespace

namespace {
// Input rows of a model without vocabulary: m x dim activations (int8, or int16 for a16
// precisions) from a 64-bit LCG (Knuth's MMIX constants), uniform in [-64, 63] (int8) or
// [-16384, 16383] (int16): in range for l0.x_in, and the same for the same seed.
std::vector<uint8_t> input_rows(int dim, quant::Precision p, int m, uint64_t seed) {
  const bool a16 = quant::is_a16(p);
  const size_t n = static_cast<size_t>(m) * static_cast<size_t>(dim);
  std::vector<uint8_t> out(n * (a16 ? 2 : 1));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const uint32_t r = static_cast<uint32_t>(s >> 33);
    if (a16) {
      const int16_t v = static_cast<int16_t>(static_cast<int32_t>(r & 0x7fff) - 16384);
      std::memcpy(out.data() + 2 * i, &v, 2);
    } else {
      out[i] = static_cast<uint8_t>(static_cast<int8_t>(static_cast<int32_t>(r & 0x7f) - 64));
    }
  }
  return out;
}
}  // namespace

void Replayer::simulate() {
  Layout& L = *setup_.layout;
  const Options& opt = opt_;
  const bool data = model_ && !model_->shape_only();
  if (!model_ && !opt.trace) throw Error("replay: no model and no trace to replay");
  res_.shape_only = !data;
  res_.tokens = opt.trace ? std::vector<int32_t>{} : opt.prompt_tokens;
  res_.n_prompt = opt.trace ? 0 : static_cast<int>(opt.prompt_tokens.size());
  std::map<const engine::Engine*, size_t> verdict_of;
  for (const auto& e : setup_.engines.list) {
    verdict_of[e.get()] = res_.verdicts.size();
    res_.verdicts.push_back(Verdict{e->engine_name(), e->engine_kind(), e->computes_values(), 0, 0, nullptr});
  }
  for (const auto& f : opt.faults) {
    if (f.at == sc_core::SC_ZERO_TIME) apply_fault(f);
    else sc_core::sc_spawn([this, f] { sc_core::wait(f.at); apply_fault(f); });
  }

  GoldenCollector col(data);
  int pos = 0;
  const int total_steps = opt.trace ? opt.trace_steps : opt.steps - res_.n_prompt + 1;
  const bool has_vocab = model_ && model_->config().has_vocab();
  int next = -1;  // the host's choice after the previous step
  while (true) {
    // 1. The step's ops: the golden model computes the step, recording its ops and their
    //    outputs; or the trace gives them (checked against the model's in data mode).
    std::vector<int32_t> toks;
    trace::Phase phase;
    if (opt.trace) {
      trace::Step ts;
      if (!opt.trace->next(ts)) break;
      pos = ts.pos;
      phase = ts.phase;
      if (!ts.tokens.empty()) {
        toks = ts.tokens;
      } else if (ts.phase == trace::Phase::prefill || next < 0) {
        // Without recorded tokens: BOS, then ids 3, 4, ... (as --prefill-tokens).
        const int vocab = has_vocab ? model_->config().vocab_size : 0;
        for (int i = 0; i < ts.n_tokens; ++i)
          toks.push_back(i == 0 ? llama2::kBosToken : 3 + (i - 1) % std::max(1, vocab - 3));
      } else {
        toks.assign(1, next);
      }
      if (res_.steps.empty()) res_.n_prompt = ts.n_tokens;
      res_.tokens.insert(res_.tokens.end(), toks.begin(), toks.end());
      col.steps.clear();
      if (data) {
        if (has_vocab) {
          for (int32_t t : toks)
            if (t >= model_->config().vocab_size)
              throw err(opt.trace->name(), ":", opt.trace->step_line(), ": token ", t, " is outside the model's vocabulary (",
                        model_->config().vocab_size, ")");
          model_->forward(toks, pos, phase, &col);
        } else {
          throw err(opt.trace->name(), ": a model without a vocabulary replays timing-only (leave out --model)");
        }
        const auto& mops = col.steps.at(0).ops;
        if (mops.size() != ts.ops.size())
          throw err(opt.trace->name(), ":", opt.trace->step_line(), ": step ", res_.steps.size(), " has ", ts.ops.size(),
                    " ops, the model computes ", mops.size(), " for it: the trace was not produced by this model");
        for (size_t i = 0; i < mops.size(); ++i)
          if (const std::string d = op_difference(ts.ops[i], mops[i]); !d.empty())
            throw err(opt.trace->name(), ":", opt.trace->step_line() + 1 + static_cast<int64_t>(i), ": ", d,
                      ": the trace was not produced by this model");
      } else {
        col.steps.push_back(std::move(ts));
      }
    } else {
      if (pos >= opt.steps) break;
      const bool prefill = pos == 0;
      toks = prefill ? opt.prompt_tokens : std::vector<int32_t>{res_.tokens.back()};
      phase = prefill ? trace::Phase::prefill : trace::Phase::decode;
      col.steps.clear();
      if (has_vocab) {
        model_->forward(toks, pos, phase, &col);
      } else {
        const int m = static_cast<int>(toks.size());
        const std::vector<uint8_t> rows = data ? input_rows(model_->config().dim, model_->precision(), m, opt.input_seed + pos)
                                               : std::vector<uint8_t>{};
        model_->forward_vectors(data ? rows.data() : nullptr, m, pos, &col);
      }
    }
    const std::vector<Op>& ops = col.steps.at(0).ops;
    const int step_index = static_cast<int>(res_.steps.size());
    if (opt.trace_out) {
      trace::Step out;
      out.phase = phase;
      out.pos = pos;
      out.n_tokens = static_cast<int>(toks.size());
      if (data) out.tokens = toks;
      out.ops = ops;
      opt.trace_out->write_step(out);
    }
    // 2. The step's activations in the arena; its external inputs written there.
    L.plan_step(ops, pos);
    std::vector<engine::BoundOp> bound(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      bound[i].op = &ops[i];
      // A persistent tensor the engine did not place (an NPU reads its own weight stream, not
      // the raw weights) gets an empty view.
      auto view = [&](const trace::TensorRef& t) {
        return persistent(t.role) && !L.has(t.name) ? TensorLoc{0, 0, 0, 0} : L.loc(ops[i], t);
      };
      for (const auto& t : ops[i].inputs) bound[i].in.push_back(view(t));
      for (const auto& t : ops[i].outputs) bound[i].out.push_back(view(t));
    }
    if (data)
      for (const auto& [name, bytes] : col.external) L.write(L.region(name).addr, bytes.data(), bytes.size());
    // 3. Runs of consecutive ops per engine; 4. each op checked as it completes.
    StepRecord sr;
    sr.phase = phase;
    sr.pos = pos;
    sr.n_tokens = static_cast<int>(toks.size());
    sr.start = sc_core::sc_time_stamp();
    engine::StepInfo si{step_index, sr.phase, pos, sr.n_tokens, std::span<const int32_t>(toks)};
    for (size_t i = 0; i < ops.size();) {
      engine::Engine* e = setup_.engines.assign(ops[i]);
      size_t j = i + 1;
      while (j < ops.size() && setup_.engines.assign(ops[j]) == e) ++j;
      Verdict& v = res_.verdicts[verdict_of[e]];
      e->execute(si, std::span<const engine::BoundOp>(bound.data() + i, j - i), L,
                 [&, i](size_t k, const engine::OpResult& r) {
                   const size_t idx = i + k;
                   ++res_.n_ops;
                   if (opt.keep_ops) {  // the record (a copy of the op and its details) only when kept
                     OpRecord& rec = res_.ops.emplace_back();
                     rec.step = static_cast<uint32_t>(step_index);
                     rec.op = ops[idx];
                     rec.engine = e->engine_name();
                     rec.start = r.start;
                     rec.end = r.end;
                     rec.cycles = r.cycles;
                     rec.detail = r.detail;
                   }
                   if (data && opt.verify) compare_op(ops[idx], bound[idx].out, col.outputs.at(idx), L, step_index, pos, v);
                   if (data && opt.capture && (!opt.capture_if || opt.capture_if(step_index, ops[idx]))) {
                     OpCapture c{step_index, pos, &ops[idx], e->engine_name(), e->computes_values(), &col.outputs.at(idx), {}};
                     c.layout = &L, c.in = &bound[idx].in, c.result = &r, c.eng = e;
                     for (const TensorLoc& loc : bound[idx].out) {
                       std::vector<uint8_t> got(loc.bytes());
                       for (uint64_t r = 0; r < loc.rows; ++r)
                         L.read(loc.addr + r * loc.stride, got.data() + r * loc.row_bytes, loc.row_bytes);
                       c.memory.push_back(std::move(got));
                     }
                     opt.capture(c);
                   }
                 });
      i = j;
    }
    for (const auto& e : setup_.engines.list)
      for (auto& s : e->take_spans())
        if (opt.keep_ops) res_.spans.push_back(std::move(s));
    sr.end = sc_core::sc_time_stamp();
    // Counters are kept for the first and the last step only (the report uses those two): the
    // first is taken now, the last when the loop ends (nothing is simulated between a step's
    // end and the next step, so the counters and the time are still the step's end).
    if (res_.steps.empty()) sr.counters_at_end = {{stats_root_.name(), stats_root_.to_json(sr.end.to_seconds(), false)}};
    res_.steps.push_back(std::move(sr));
    pos += static_cast<int>(toks.size());
    // 5. The next token, from what the platform computed (host side).
    next = 1;
    if (data && has_vocab && opt.next_token) {
      const Region& lr = L.region("logits");
      std::vector<int16_t> logits(lr.bytes / 2);
      L.read(lr.addr, logits.data(), lr.bytes);
      StepView view{logits, -1, pos};
      if (L.has("next_token")) L.read(L.addr("next_token"), &view.argmax, 4);
      next = opt.next_token(view);
    }
    if (opt.progress) opt.progress(static_cast<int>(res_.steps.size()), total_steps);
    if (opt.trace) continue;  // the trace decides which steps follow
    if (next < 0) break;
    res_.tokens.push_back(data ? next : 1);
    if (next == 1 && data && has_vocab) break;  // BOS ends the story (run.c)
  }
  if (res_.steps.size() > 1) {
    StepRecord& last = res_.steps.back();
    last.counters_at_end = {{stats_root_.name(), stats_root_.to_json(last.end.to_seconds(), false)}};
  }
  // A trace replay with values: the host's choice after the last step ends the sequence, as
  // in a run.
  if (opt.trace && data && has_vocab && next >= 0 && !res_.steps.empty()) res_.tokens.push_back(next);
  finished_ = true;
}

}  // namespace slm::replay
