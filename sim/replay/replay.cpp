#include "sim/replay/replay.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "sim/config/units.h"
#include "sim/engine/registry.h"
#include "workloads/common/error.h"

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
  // Every persistent tensor appears in a decode step at the last position.
  quant::IntTransformer shape(mc, prec);
  trace::StepCollector c;
  const int32_t tok = 1;
  if (mc.has_vocab()) shape.forward(std::span<const int32_t>(&tok, 1), steps - 1, trace::Phase::decode, &c);
  else shape.forward_vectors(nullptr, 1, steps - 1, &c);
  for (const auto& op : c.steps.at(0).ops) s.engines.assign(op)->declare(op, *s.layout);
  for (auto& e : s.engines.list) e->finish_declare(*s.layout, mc, steps);
  return s;
}

void load_values(Setup& s, const quant::QuantModel& qm) {
  for (auto& e : s.engines.list) e->load(qm, *s.layout);
}

Replayer::Replayer(sc_core::sc_module_name name, platform::Platform& p, quant::IntTransformer& model,
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

void Replayer::simulate() {
  Layout& L = *setup_.layout;
  const Options& opt = opt_;
  const bool data = !model_.shape_only();
  res_.shape_only = !data;
  res_.tokens = opt.prompt_tokens;
  res_.n_prompt = static_cast<int>(opt.prompt_tokens.size());
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
  const int total_steps = opt.steps - res_.n_prompt + 1;
  const bool has_vocab = model_.config().has_vocab();
  while (pos < opt.steps) {
    // 1. The golden model computes the step, recording its ops and their outputs.
    const bool prefill = pos == 0;
    std::vector<int32_t> toks = prefill ? opt.prompt_tokens : std::vector<int32_t>{res_.tokens.back()};
    col.steps.clear();
    model_.forward(toks, pos, prefill ? trace::Phase::prefill : trace::Phase::decode, &col);
    const std::vector<Op>& ops = col.steps.at(0).ops;
    const int step_index = static_cast<int>(res_.steps.size());
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
    sr.phase = prefill ? trace::Phase::prefill : trace::Phase::decode;
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
                   OpRecord rec;
                   rec.step = static_cast<uint32_t>(step_index);
                   rec.op = ops[idx];
                   rec.engine = e->engine_name();
                   rec.start = r.start;
                   rec.end = r.end;
                   rec.cycles = r.cycles;
                   rec.detail = r.detail;
                   res_.ops.push_back(std::move(rec));
                   if (data && opt.verify) compare_op(ops[idx], bound[idx].out, col.outputs.at(idx), L, step_index, pos, v);
                   if (data && opt.capture && (!opt.capture_if || opt.capture_if(step_index, ops[idx]))) {
                     OpCapture c{step_index, pos, &ops[idx], e->engine_name(), e->computes_values(), &col.outputs.at(idx), {}};
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
      for (auto& s : e->take_spans()) res_.spans.push_back(std::move(s));
    sr.end = sc_core::sc_time_stamp();
    sr.counters_at_end = {{stats_root_.name(), stats_root_.to_json(sr.end.to_seconds(), false)}};
    res_.steps.push_back(std::move(sr));
    pos += static_cast<int>(toks.size());
    // 5. The next token, from what the platform computed (host side).
    int next = 1;
    if (data && has_vocab && opt.next_token) {
      const Region& lr = L.region("logits");
      std::vector<int16_t> logits(lr.bytes / 2);
      L.read(lr.addr, logits.data(), lr.bytes);
      StepView view{logits, -1, pos};
      if (L.has("next_token")) L.read(L.addr("next_token"), &view.argmax, 4);
      next = opt.next_token(view);
    }
    if (next < 0) break;
    res_.tokens.push_back(data ? next : 1);
    if (opt.progress) opt.progress(static_cast<int>(res_.steps.size()), total_steps);
    if (next == 1 && data) break;  // BOS ends the story (run.c)
  }
  finished_ = true;
}

}  // namespace slm::replay
