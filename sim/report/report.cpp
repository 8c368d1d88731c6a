#include "sim/report/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::report {

using nlohmann::json;

namespace {

// a - b for two counter dumps of the same shape. Only counters (unsigned integers) are kept:
// derived statistics (formulas, floating point) are meaningless for a window.
json diff(const json& a, const json& b) {
  json out = json::object();
  for (auto it = a.begin(); it != a.end(); ++it) {
    const json* o = b.is_object() && b.contains(it.key()) ? &b[it.key()] : nullptr;
    if (it.value().is_object()) out[it.key()] = diff(it.value(), o ? *o : json::object());
    else if (it.value().is_number_unsigned())
      out[it.key()] = it.value().get<uint64_t>() - (o && o->is_number_unsigned() ? o->get<uint64_t>() : 0);
  }
  return out;
}

const json* at_path(const json& j, const std::string& path) {
  const json* cur = &j;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
  }
  return cur;
}

double counter(const json& counters, const std::string& path) {
  const json* v = at_path(counters, path);
  return v && v->is_number() ? v->get<double>() : 0.0;
}

// Clock of a component that computes (compute engine, NPU, CPU): its `clock_hz` parameter.
uint64_t engine_clock_hz(const platform::Platform& p, const std::string& name) {
  const auto& r = p.config().at(name).resolved;
  return r.contains("clock_hz") ? r["clock_hz"].get<uint64_t>() : 1;
}

// Busy fraction of every component over a window (counters = that window's deltas).
json utilisation(const json& counters, const platform::Platform& p, double seconds) {
  json u = json::object();
  if (seconds <= 0) return u;
  for (const auto& c : p.components()) {
    if (c.category == "memory") {
      const auto& m = p.memory(c.name);
      const double cycles = seconds * double(m.clock().hz()) * m.params().ports;
      u[c.path] = counter(counters, c.path + ".busy_cycles") / cycles;
    } else if (c.category == "compute" || c.category == "npu" || c.category == "cpu" || c.category == "cluster") {
      const double cycles = seconds * double(engine_clock_hz(p, c.name));
      u[c.path] = counter(counters, c.path + ".busy_cycles") / cycles;
    } else if (c.category == "dma") {
      const auto& d = p.dma(c.name);
      for (uint32_t ch = 0; ch < d.params().channels; ++ch) {
        const std::string path = c.path + ".ch" + std::to_string(ch);
        u[path] = counter(counters, path + ".busy_cycles") / (seconds * double(d.clock().hz()));
      }
    }
  }
  return u;
}

// The limiting resource: the busiest memory or compute engine. A DMA channel is named only
// when it is clearly busier (by 10 points) than every memory and engine: a channel waiting on
// a slow memory is busy because of that memory, not the other way round.
json bottleneck(const json& util, const platform::Platform& p) {
  auto is_dma = [&](const std::string& path) {
    for (const auto& c : p.components())
      if (c.category == "dma" && path.rfind(c.path, 0) == 0) return true;
    return false;
  };
  std::string best, best_dma;
  double bu = -1, bd = -1;
  for (auto it = util.begin(); it != util.end(); ++it) {
    const double u = it.value().get<double>();
    if (is_dma(it.key())) {
      if (u > bd) bd = u, best_dma = it.key();
    } else if (u > bu) {
      bu = u, best = it.key();
    }
  }
  if (!best_dma.empty() && bd > bu + 0.10) bu = bd, best = best_dma;
  if (best.empty()) return nullptr;
  std::string kind = "resource", name = best.substr(best.find('.') + 1);
  for (const auto& c : p.components())
    if (best == c.path || best.rfind(c.path + ".", 0) == 0) {
      kind = c.category;
      name = c.name;
    }
  std::string reason;
  const auto& pl = p.config().placement;
  if (kind == "compute" || kind == "npu" || kind == "cpu" || kind == "cluster")
    reason = "compute-bound: " + name + " computes " + std::to_string(int(std::round(bu * 100))) + "% of the time";
  else if (kind == "memory") {
    std::string roles;
    for (const auto& [role, mem] : pl)
      if (mem == name) roles += (roles.empty() ? "" : ", ") + role;
    reason = "memory-bound: " + name + " (" + roles + ") is busy " + std::to_string(int(std::round(bu * 100))) + "% of the time";
  } else if (kind == "dma") reason = "DMA-bound: " + best.substr(best.find('.') + 1) + " is busy " + std::to_string(int(std::round(bu * 100))) + "% of the time";
  return {{"resource", best}, {"kind", kind}, {"utilisation", bu}, {"reason", reason}};
}

json window(const json& counters, double seconds, uint64_t tokens) {
  return {{"seconds", seconds}, {"tokens", tokens}, {"counters", counters}};
}

}  // namespace

void apply_energy(json& rep, const energy::Table& table) {
  const auto bindings = energy::Bindings::from_json(rep.at("energy").at("bindings"), "report energy.bindings");
  rep["energy"]["table"] = energy::table_to_json(table);
  json& w = rep["windows"];
  for (auto it = w.begin(); it != w.end(); ++it) {
    const double secs = it.value().at("seconds").get<double>();
    const uint64_t tokens = it.value().at("tokens").get<uint64_t>();
    auto res = energy::cost(it.value().at("counters"), bindings, table, secs);
    rep["energy"]["windows"][it.key()] = res.to_json(tokens);
  }
  const json& run = rep["energy"]["windows"]["run"];
  json by = json::object();
  for (auto it = run["components"].begin(); it != run["components"].end(); ++it)
    by[it.key()] = it.value()["total_pj"].get<double>() * 1e-6;
  rep["energy_uj_by_component"] = by;
  rep["energy"]["total_uj"] = run["total_pj"].get<double>() * 1e-6;
  if (rep["decode"]["tokens"].get<uint64_t>() > 0)
    rep["decode"]["uj_per_token"] = rep["energy"]["windows"]["decode"]["uj_per_token"];
  else
    rep["decode"]["uj_per_token"] = nullptr;
  rep["prefill"]["energy_uj"] = rep["energy"]["windows"]["prefill"]["total_pj"].get<double>() * 1e-6;
  // Products of huge counters and costs overflow to infinity (JSON would write null).
  for (auto it = rep["energy"]["windows"].begin(); it != rep["energy"]["windows"].end(); ++it)
    if (!std::isfinite(it.value()["total_pj"].get<double>()))
      throw err("energy: the ", it.key(), " window's energy overflows (", it.value()["total_pj"].get<double>(),
                " pJ): counters x energy table exceed what a double holds");
}

json build(const replay::Result& r, const platform::Platform& p, const stats::Group& root, const RunInfo& info) {
  if (r.steps.empty()) throw Error("report: the run has no steps");
  const auto& cfg = p.config();
  const double hz = double(engine_clock_hz(p, cfg.engine.compute));
  const auto& pre = r.steps.front();
  const double t_end = r.steps.back().end.to_seconds();
  const double ttft = pre.end.to_seconds();
  const uint64_t n_dec = r.steps.size() - 1;
  const double dec_s = t_end - ttft;

  json rep;
  rep["slmsim_report"] = 1;
  rep["platform"] = {{"name", cfg.name}, {"file", info.config_file}, {"config", cfg.to_json()}};
  rep["workload"] = {{"model", info.model}, {"precision", info.precision}, {"prompt", info.prompt},
                     {"prompt_tokens", r.n_prompt}, {"shape_only", r.shape_only}};
  if (!info.trace.empty()) rep["workload"]["trace"] = info.trace;
  rep["tokens"] = r.tokens;
  rep["text"] = info.text;
  // null = not checked (shape-only model, or --no-verify); else true iff every op matched.
  const uint64_t checked = r.ops_checked(), mismatched = r.ops_mismatched();
  if (checked == 0) {
    rep["bit_exact"] = nullptr;
    rep["bit_exact_reason"] = !info.not_checked.empty() ? info.not_checked
                              : r.shape_only           ? "shape-only model: no weights"
                                                       : "--no-verify";
  } else {
    rep["bit_exact"] = mismatched == 0;
  }
  rep["ops_checked"] = checked;
  rep["ops_mismatched"] = mismatched;
  rep["engines"] = json::array();
  for (const auto& v : r.verdicts) {
    rep["engines"].push_back(v.to_json());
    if (!v.first_mismatch.is_null() && !rep.contains("first_mismatch")) rep["first_mismatch"] = v.first_mismatch;
  }
  // The earliest mismatch over all engines (each verdict keeps its own first).
  auto order = [](const json& m) { return std::make_pair(m["step"].get<int>(), m["op_index"].get<int>()); };
  for (const auto& v : r.verdicts)
    if (!v.first_mismatch.is_null() && order(v.first_mismatch) < order(rep["first_mismatch"]))
      rep["first_mismatch"] = v.first_mismatch;
  rep["faults"] = r.faults;

  rep["prefill"] = {{"tokens", pre.n_tokens}, {"time_to_first_token_s", ttft}, {"cycles", std::llround(ttft * hz)}};
  rep["decode"] = {{"tokens", n_dec}, {"seconds", dec_s}};
  if (n_dec > 0) {
    rep["decode"]["tokens_per_s"] = double(n_dec) / dec_s;
    rep["decode"]["cycles_per_token"] = dec_s * hz / double(n_dec);
  } else {
    rep["decode"]["tokens_per_s"] = nullptr;
    rep["decode"]["cycles_per_token"] = nullptr;
  }
  rep["decode"]["clock_hz"] = hz;

  const json c_pre = diff(pre.counters_at_end, json::object());
  const json c_end = diff(r.steps.back().counters_at_end, json::object());
  const json c_dec = diff(c_end, c_pre);
  rep["windows"] = {{"prefill", window(c_pre, ttft, pre.n_tokens)},
                    {"decode", window(c_dec, dec_s, n_dec)},
                    {"run", window(c_end, t_end, r.tokens.size() - r.n_prompt)}};
  json util = utilisation(n_dec > 0 ? c_dec : c_pre, p, n_dec > 0 ? dec_s : ttft);
  rep["utilisation"] = util;
  rep["bottleneck"] = bottleneck(util, p);
  rep["prefill"]["utilisation"] = utilisation(c_pre, p, ttft);
  rep["prefill"]["bottleneck"] = bottleneck(rep["prefill"]["utilisation"], p);
  rep["energy"]["bindings"] = p.energy_bindings().to_json();
  apply_energy(rep, p.energy_table());
  rep["stats"] = {{root.name(), root.to_json(t_end, true)}};
  // No wall-clock time here: the report is deterministic, byte for byte (it goes to stderr).
  rep["sim"] = {{"quantum_ns", cfg.simulation.quantum_ns}, {"simulated_seconds", t_end},
                {"ops", std::max<uint64_t>(r.ops.size(), r.n_ops)}, {"steps", r.steps.size()}};
  return rep;
}

std::vector<std::map<std::string, std::string>> read_ops_csv(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw err(path, ": cannot open the per-op CSV");
  std::string line;
  std::getline(f, line);
  std::vector<std::string> head;
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) head.push_back(c);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(f, line)) {
    std::stringstream ls(line);
    std::map<std::string, std::string> r;
    size_t i = 0;
    for (std::string c; std::getline(ls, c, ',') && i < head.size(); ++i) r[head[i]] = c;
    rows.push_back(std::move(r));
  }
  return rows;
}

void write_ops_csv(const std::string& path, const replay::Result& r, const platform::Platform& p) {
  io::AtomicOfstream out(path);
  std::ostream& f = out.stream();
  // Engine-specific columns: the union of every op's detail keys, in sorted order.
  std::set<std::string> extra;
  for (const auto& o : r.ops)
    for (auto it = o.detail.begin(); it != o.detail.end(); ++it) extra.insert(it.key());
  f << "step,phase,pos,op_index,name,kind,layer,m,n,k,macs,elem_ops,weight_bytes,engine,start_s,end_s,cycles,engine_cycles";
  for (const auto& k : extra) f << ',' << k;
  f << '\n';
  for (const auto& o : r.ops) {
    const auto& s = r.steps.size() > o.step ? r.steps[o.step] : r.steps.back();
    const double hz = double(engine_clock_hz(p, o.engine));
    f << o.step << ',' << trace::to_string(s.phase) << ',' << s.pos << ',' << o.op.index << ',' << o.op.name << ','
      << trace::to_string(o.op.kind) << ',' << o.op.layer << ',' << o.op.m << ',' << o.op.n << ',' << o.op.k << ','
      << o.op.macs << ',' << o.op.elem_ops << ',' << o.op.weight_bytes() << ',' << o.engine << ',' << std::setprecision(12)
      << o.start.to_seconds() << ',' << o.end.to_seconds() << ',' << std::llround((o.end - o.start).to_seconds() * hz) << ','
      << o.cycles;
    for (const auto& k : extra) {
      f << ',';
      if (!o.detail.contains(k)) continue;
      const auto& v = o.detail[k];
      if (v.is_string()) f << v.get<std::string>();
      else f << v.dump();
    }
    f << '\n';
  }
  out.commit();
}

void write_chrome_trace(const std::string& path, const replay::Result& r, const platform::Platform& p) {
  // Trace Event format, complete events ("ph":"X") in microseconds; one track per engine/channel.
  const auto& cfg = p.config();
  json ev = json::array();
  auto meta = [&](int tid, const std::string& name) {
    ev.push_back({{"ph", "M"}, {"pid", 1}, {"tid", tid}, {"name", "thread_name"}, {"args", {{"name", name}}}});
  };
  meta(1, "steps");
  // One track per engine (ops) and per span track (DMA channels, NPU streams), in order of appearance.
  std::map<std::string, int> tids;
  auto tid = [&](const std::string& track) {
    auto it = tids.find(track);
    if (it != tids.end()) return it->second;
    const int t = 2 + static_cast<int>(tids.size());
    tids[track] = t;
    meta(t, track);
    return t;
  };
  tid(cfg.engine.compute + " (ops)");
  if (!cfg.engine.dma.empty() && cfg.find(cfg.engine.dma)) {
    const auto& d = p.dma(cfg.engine.dma);
    for (uint32_t ch = 0; ch < d.params().channels; ++ch) tid(cfg.engine.dma + ".ch" + std::to_string(ch));
  }
  for (const auto& s : r.steps)
    ev.push_back({{"ph", "X"}, {"pid", 1}, {"tid", 1}, {"name", std::string(trace::to_string(s.phase)) + " pos " + std::to_string(s.pos)},
                  {"ts", s.start.to_seconds() * 1e6}, {"dur", (s.end - s.start).to_seconds() * 1e6},
                  {"args", {{"tokens", s.n_tokens}}}});
  for (const auto& o : r.ops) {
    json args = o.detail;
    args["macs"] = o.op.macs;
    args["cycles"] = o.cycles;
    args["weight_bytes"] = o.op.weight_bytes();
    ev.push_back({{"ph", "X"}, {"pid", 1}, {"tid", tid(o.engine + " (ops)")}, {"name", o.op.name}, {"cat", trace::to_string(o.op.kind)},
                  {"ts", o.start.to_seconds() * 1e6}, {"dur", (o.end - o.start).to_seconds() * 1e6}, {"args", args}});
  }
  for (const auto& s : r.spans)
    ev.push_back({{"ph", "X"}, {"pid", 1}, {"tid", tid(s.track)}, {"name", s.what},
                  {"ts", s.start.to_seconds() * 1e6}, {"dur", (s.end - s.start).to_seconds() * 1e6},
                  {"args", {{"bytes", s.bytes}}}});
  io::write_file_atomic(path, json{{"traceEvents", ev}, {"displayTimeUnit", "ns"}}.dump() + "\n");
}

namespace {

// Report schema checks (validate()): each names the report, the field path and the value.
struct Checker {
  const std::string& name;
  [[noreturn]] void fail(const std::string& path, const json& v, const std::string& why) const {
    std::string shown = v.dump();
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    throw err(name, ": field ", path, " = ", shown, ": ", why);
  }
  const json& obj(const json& parent, const std::string& ppath, const char* key) const {
    const std::string path = ppath.empty() ? key : ppath + "." + key;
    if (!parent.is_object() || !parent.contains(key)) throw err(name, ": field ", path, " is missing");
    const json& v = parent[key];
    if (!v.is_object()) fail(path, v, "must be an object");
    return v;
  }
  const json& field(const json& parent, const std::string& ppath, const char* key) const {
    if (!parent.is_object() || !parent.contains(key)) throw err(name, ": field ", ppath.empty() ? key : ppath + "." + key, " is missing");
    return parent[key];
  }
  void str(const json& parent, const std::string& ppath, const char* key) const {
    const json& v = field(parent, ppath, key);
    if (!v.is_string()) fail(ppath + "." + key, v, "must be a string");
  }
  // A finite number >= 0 (null allowed when nullable).
  void num(const json& parent, const std::string& ppath, const char* key, bool nullable = false, bool positive = false) const {
    const json& v = field(parent, ppath, key);
    if (nullable && v.is_null()) return;
    number(v, ppath + "." + key, positive);
  }
  void number(const json& v, const std::string& path, bool positive = false) const {
    if (!v.is_number()) fail(path, v, "must be a number");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < 0 || (positive && x == 0)) fail(path, v, positive ? "must be a finite number > 0" : "must be a finite number >= 0");
  }
  // An optional top-level array of objects: each element checked by `each(element, "key[i]")`.
  template <typename F>
  void objects(const json& rep, const char* key, F&& each) const {
    if (!rep.contains(key)) return;
    const json& a = rep[key];
    if (!a.is_array()) fail(key, a, "must be an array");
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string ep = std::string(key) + "[" + std::to_string(i) + "]";
      if (!a[i].is_object()) fail(ep, a[i], "must be an object");
      each(a[i], ep);
    }
  }
  void count(const json& parent, const std::string& ppath, const char* key) const {
    const json& v = field(parent, ppath, key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) fail(ppath + "." + key, v, "must be an integer >= 0");
  }
  // Stats counters: nested objects whose leaves are finite numbers >= 0 (derived
  // statistics may be fractions; counters are integers).
  void counters(const json& v, const std::string& path, int depth = 0) const {
    if (depth > 16) fail(path, v, "nested too deeply");
    if (!v.is_object()) fail(path, v, "must be an object of counters");
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.value().is_object()) counters(it.value(), path + "." + it.key(), depth + 1);
      else if (it.value().is_array() || it.value().is_string() || it.value().is_boolean() || it.value().is_null()) continue;  // meta
      else number(it.value(), path + "." + it.key());
    }
  }
};

// Fixed notation for ordinary magnitudes, scientific beyond 1e12: a corrupt or extreme
// energy table never prints a 300-digit number.
std::string num(double v, int precision) {
  std::ostringstream os;
  if (!std::isfinite(v)) return v > 0 ? "inf" : (v < 0 ? "-inf" : "nan");
  if (std::fabs(v) >= 1e12) os << std::scientific << std::setprecision(3) << v;
  else os << std::fixed << std::setprecision(precision) << v;
  return os.str();
}

}  // namespace

void validate(const json& rep, const std::string& name) {
  const Checker c{name};
  if (!rep.is_object()) throw err(name, ": not a JSON object (an slmsim run report is one)");
  if (!rep.contains("slmsim_report") || rep["slmsim_report"] != 1)
    throw err(name, ": not an slmsim run report (field slmsim_report: 1 expected)");
  const json& pl = c.obj(rep, "", "platform");
  c.str(pl, "platform", "name");
  c.str(pl, "platform", "file");
  const json& wl = c.obj(rep, "", "workload");
  c.str(wl, "workload", "model");
  c.str(wl, "workload", "precision");
  c.count(wl, "workload", "prompt_tokens");
  if (!c.field(wl, "workload", "shape_only").is_boolean()) c.fail("workload.shape_only", wl["shape_only"], "must be a boolean");
  const json& pre = c.obj(rep, "", "prefill");
  c.count(pre, "prefill", "tokens");
  c.num(pre, "prefill", "time_to_first_token_s");
  const json& dec = c.obj(rep, "", "decode");
  c.count(dec, "decode", "tokens");
  c.num(dec, "decode", "seconds");
  c.num(dec, "decode", "tokens_per_s", true);
  c.num(dec, "decode", "cycles_per_token", true);
  c.num(dec, "decode", "clock_hz", false, true);
  const json& w = c.obj(rep, "", "windows");
  for (const char* k : {"prefill", "decode", "run"}) c.obj(w, "windows", k);
  for (auto it = w.begin(); it != w.end(); ++it) {
    const json& win = c.obj(w, "windows", it.key().c_str());
    const std::string wp = "windows." + it.key();
    c.num(win, wp, "seconds");
    c.count(win, wp, "tokens");
    c.counters(c.field(win, wp, "counters"), wp + ".counters");
  }
  const json& en = c.obj(rep, "", "energy");
  c.obj(en, "energy", "bindings");
  const json& tab = c.obj(en, "energy", "table");
  for (auto it = tab.begin(); it != tab.end(); ++it) {
    if (!it.value().is_object()) c.fail("energy.table." + it.key(), it.value(), "must be an object of parameter -> value");
    for (auto p = it.value().begin(); p != it.value().end(); ++p) c.number(p.value(), "energy.table." + it.key() + "." + p.key());
  }
  const json& bit = c.field(rep, "", "bit_exact");
  if (!bit.is_null() && !bit.is_boolean()) c.fail("bit_exact", bit, "must be true, false or null");
  c.objects(rep, "engines", [&](const json& e, const std::string& ep) {
    c.count(e, ep, "ops_checked");
    c.count(e, ep, "ops_mismatched");
    c.str(e, ep, "engine");
    c.str(e, ep, "values_computed_by");
  });
  const json& bn = c.field(rep, "", "bottleneck");
  if (!bn.is_null()) {
    if (!bn.is_object()) c.fail("bottleneck", bn, "must be an object or null");
    c.str(bn, "bottleneck", "reason");
  }
  if (rep.contains("first_mismatch")) {
    const json& m = c.obj(rep, "", "first_mismatch");
    for (const char* k : {"op", "tensor", "address", "memory"}) c.str(m, "first_mismatch", k);
    for (const char* k : {"step", "pos", "element", "expected", "got"}) c.field(m, "first_mismatch", k);
    for (const char* k : {"step", "op_index"})
      if (m.contains(k) && !m[k].is_number_integer()) c.fail(std::string("first_mismatch.") + k, m[k], "must be an integer");
  }
  c.objects(rep, "faults", [&](const json& f, const std::string& fp) {
    c.str(f, fp, "spec");
    c.str(f, fp, "address");
    c.field(f, fp, "bit");
    c.num(f, fp, "time_s");
    const json& t = c.field(f, fp, "tensor");
    if (!t.is_null() && !t.is_string()) c.fail(fp + ".tensor", t, "must be a string or null");
  });
}

json load(const std::string& path) {
  const std::string text = io::read_text_file(path, io::kMaxReportBytes, "report");
  json rep;
  try {
    rep = json::parse(text);
  } catch (const json::exception& e) {
    const auto* pe = dynamic_cast<const json::parse_error*>(&e);
    throw err(path, ": not a JSON report (syntax error", pe ? " at byte " + std::to_string(pe->byte) : std::string(), ")");
  }
  validate(rep, path);
  return rep;
}

std::string summary(const json& rep) {
  validate(rep, "report");  // never index a field that is not there
  std::ostringstream os;
  const json& pre = rep["prefill"];
  const json& dec = rep["decode"];
  os << "platform        " << rep["platform"]["name"].get<std::string>() << " (" << rep["platform"]["file"].get<std::string>() << ")\n";
  os << "workload        " << rep["workload"]["model"].get<std::string>() << ", " << rep["workload"]["precision"].get<std::string>()
     << ", " << rep["workload"]["prompt_tokens"].get<uint64_t>() << " prompt tokens, " << dec["tokens"].get<uint64_t>() << (dec["tokens"].get<uint64_t>() == 1 ? " decode step\n" : " decode steps\n");
  os << "time to first   " << num(pre["time_to_first_token_s"].get<double>() * 1e3, 3) << " ms (prefill of " << pre["tokens"].get<uint64_t>() << " tokens)\n";
  if (!dec["tokens_per_s"].is_null() && !dec["cycles_per_token"].is_null()) {
    os << "decode          " << num(dec["tokens_per_s"].get<double>(), 2) << " tokens/s, "
       << num(dec["cycles_per_token"].get<double>(), 0) << " cycles/token at "
       << num(dec["clock_hz"].get<double>() / 1e6, 1) << " MHz\n";
    if (dec.contains("uj_per_token") && dec["uj_per_token"].is_number() && rep["energy"].contains("total_uj") && rep["energy"]["total_uj"].is_number())
      os << "energy          " << num(dec["uj_per_token"].get<double>(), 2) << " uJ/token (decode); "
         << num(rep["energy"]["total_uj"].get<double>(), 2) << " uJ in all\n";
    // The decode energy per domain (component), largest first; the JSON has every event.
    const json* comps = at_path(rep, "energy.windows.decode.components");
    if (comps && comps->is_object() && !comps->empty()) {
      std::vector<std::pair<double, std::string>> by;
      for (auto it = comps->begin(); it != comps->end(); ++it)
        if (it.value().contains("uj_per_token") && it.value()["uj_per_token"].is_number())
          by.emplace_back(it.value()["uj_per_token"].get<double>(), it.key().substr(it.key().find('.') + 1));
      std::stable_sort(by.begin(), by.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      os << "  per domain    ";
      for (size_t i = 0; i < by.size(); ++i) os << (i ? ", " : "") << by[i].second << " " << num(by[i].first, 2);
      os << " uJ/token\n";
    }
  }
  if (!rep["bottleneck"].is_null()) os << "bottleneck      " << rep["bottleneck"]["reason"].get<std::string>() << "\n";
  if (rep["bit_exact"].is_null())
    os << "bit-exact       not checked ("
       << (rep.contains("bit_exact_reason") && rep["bit_exact_reason"].is_string() ? rep["bit_exact_reason"].get<std::string>()
           : rep["workload"]["shape_only"].get<bool>()                          ? "shape-only model: no weights"
                                                                                 : "--no-verify")
       << ")\n";
  else {
    os << "bit-exact       " << (rep["bit_exact"].get<bool>() ? "yes" : "NO") << " (";
    bool first = true;
    for (const auto& e : rep.value("engines", json::array())) {
      if (e["ops_checked"].get<uint64_t>() == 0) continue;
      os << (first ? "" : "; ") << e["engine"].get<std::string>() << ": " << e["ops_checked"].get<uint64_t>() << " ops "
         << (e["values_computed_by"] == "engine" ? "computed by the engine" : "computed by the golden kernels") << ", "
         << e["ops_mismatched"].get<uint64_t>() << " mismatched";
      first = false;
    }
    os << ")\n";
    if (rep.contains("first_mismatch")) {
      const auto& m = rep["first_mismatch"];
      os << "first mismatch  step " << m["step"] << " (pos " << m["pos"] << "), op " << m["op"].get<std::string>() << ", "
         << m["tensor"].get<std::string>() << "[" << m["element"] << "] at " << m["address"].get<std::string>() << " ("
         << m["memory"].get<std::string>() << "): expected " << m["expected"] << ", got " << m["got"] << "\n";
    }
  }
  for (const auto& f : rep.value("faults", json::array()))
    os << "fault           " << f["spec"].get<std::string>() << ": flipped bit " << f["bit"] << " of "
       << f["address"].get<std::string>() << (f["tensor"].is_null() ? std::string(" (no tensor there)") : " (in " + f["tensor"].get<std::string>() + ")")
       << " at " << num(f["time_s"].get<double>() * 1e6, 3) << " us\n";
  return os.str();
}

}  // namespace slm::report
