#include "sim/report/report.h"

#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "workloads/common/error.h"

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

// Busy fraction of every component over a window (counters = that window's deltas).
json utilisation(const json& counters, const platform::Platform& p, double seconds) {
  json u = json::object();
  if (seconds <= 0) return u;
  for (const auto& c : p.components()) {
    if (c.category == "memory") {
      const auto& m = p.memory(c.name);
      const double cycles = seconds * double(m.clock().hz()) * m.params().ports;
      u[c.path] = counter(counters, c.path + ".busy_cycles") / cycles;
    } else if (c.category == "compute") {
      const double cycles = seconds * double(p.compute(c.name).clock().hz());
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
  if (kind == "compute") reason = "compute-bound: the engine computes " + std::to_string(int(std::round(bu * 100))) + "% of the time";
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
}

json build(const replay::Result& r, const platform::Platform& p, const stats::Group& root, const RunInfo& info) {
  if (r.steps.empty()) throw Error("report: the run has no steps");
  const auto& cfg = p.config();
  const auto& eng = p.compute(cfg.engine.compute);
  const double hz = double(eng.clock().hz());
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
  rep["tokens"] = r.tokens;
  rep["text"] = info.text;
  // null = not checked (shape-only model, or --no-verify); else true iff every op matched.
  if (r.ops_checked == 0) rep["bit_exact"] = nullptr;
  else rep["bit_exact"] = r.ops_mismatched == 0;
  rep["ops_checked"] = r.ops_checked;
  rep["ops_mismatched"] = r.ops_mismatched;
  if (!r.first_mismatch.empty()) rep["first_mismatch"] = r.first_mismatch;

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
                {"ops", r.ops.size()}, {"steps", r.steps.size()}};
  return rep;
}

void write_ops_csv(const std::string& path, const replay::Result& r, const platform::Platform& p) {
  std::ofstream f(path);
  if (!f) throw err(path, ": cannot write");
  const double hz = double(p.compute(p.config().engine.compute).clock().hz());
  f << "step,phase,pos,op_index,name,kind,layer,m,n,k,macs,elem_ops,weight_bytes,start_s,end_s,cycles,"
       "compute_cycles,weight_wait_cycles,tiles\n";
  for (const auto& o : r.ops) {
    const auto& s = r.steps.size() > o.step ? r.steps[o.step] : r.steps.back();
    f << o.step << ',' << trace::to_string(s.phase) << ',' << s.pos << ',' << o.op.index << ',' << o.op.name << ','
      << trace::to_string(o.op.kind) << ',' << o.op.layer << ',' << o.op.m << ',' << o.op.n << ',' << o.op.k << ','
      << o.op.macs << ',' << o.op.elem_ops << ',' << o.op.weight_bytes() << ',' << std::setprecision(12)
      << o.start.to_seconds() << ',' << o.end.to_seconds() << ','
      << std::llround((o.end - o.start).to_seconds() * hz) << ',' << o.compute_cycles << ','
      << std::llround(o.weight_wait.to_seconds() * hz) << ',' << o.tiles << '\n';
  }
}

void write_chrome_trace(const std::string& path, const replay::Result& r, const platform::Platform& p) {
  // Trace Event format, complete events ("ph":"X") in microseconds; one track per engine/channel.
  const auto& cfg = p.config();
  json ev = json::array();
  auto meta = [&](int tid, const std::string& name) {
    ev.push_back({{"ph", "M"}, {"pid", 1}, {"tid", tid}, {"name", "thread_name"}, {"args", {{"name", name}}}});
  };
  meta(1, "steps");
  meta(2, cfg.engine.compute + " (ops)");
  const auto& d = p.dma(cfg.engine.dma);
  for (uint32_t ch = 0; ch < d.params().channels; ++ch) meta(10 + int(ch), cfg.engine.dma + ".ch" + std::to_string(ch));
  for (const auto& s : r.steps)
    ev.push_back({{"ph", "X"}, {"pid", 1}, {"tid", 1}, {"name", std::string(trace::to_string(s.phase)) + " pos " + std::to_string(s.pos)},
                  {"ts", s.start.to_seconds() * 1e6}, {"dur", (s.end - s.start).to_seconds() * 1e6},
                  {"args", {{"tokens", s.n_tokens}}}});
  for (const auto& o : r.ops)
    ev.push_back({{"ph", "X"}, {"pid", 1}, {"tid", 2}, {"name", o.op.name}, {"cat", trace::to_string(o.op.kind)},
                  {"ts", o.start.to_seconds() * 1e6}, {"dur", (o.end - o.start).to_seconds() * 1e6},
                  {"args", {{"macs", o.op.macs}, {"compute_cycles", o.compute_cycles}, {"weight_bytes", o.op.weight_bytes()}}}});
  for (const auto& s : r.dma)
    ev.push_back({{"ph", "X"}, {"pid", 1}, {"tid", 10 + int(s.channel)}, {"name", s.what},
                  {"ts", s.start.to_seconds() * 1e6}, {"dur", (s.end - s.start).to_seconds() * 1e6},
                  {"args", {{"bytes", s.bytes}}}});
  std::ofstream f(path);
  if (!f) throw err(path, ": cannot write");
  f << json{{"traceEvents", ev}, {"displayTimeUnit", "ns"}}.dump() << "\n";
}

std::string summary(const json& rep) {
  std::ostringstream os;
  os << std::fixed;
  const json& pre = rep["prefill"];
  const json& dec = rep["decode"];
  os << "platform        " << rep["platform"]["name"].get<std::string>() << " (" << rep["platform"]["file"].get<std::string>() << ")\n";
  os << "workload        " << rep["workload"]["model"].get<std::string>() << ", " << rep["workload"]["precision"].get<std::string>()
     << ", " << rep["workload"]["prompt_tokens"].get<int>() << " prompt tokens, " << dec["tokens"].get<uint64_t>() << " decode steps\n";
  os << std::setprecision(3);
  os << "time to first   " << pre["time_to_first_token_s"].get<double>() * 1e3 << " ms (prefill of " << pre["tokens"].get<int>() << " tokens)\n";
  if (!dec["tokens_per_s"].is_null()) {
    os << "decode          " << std::setprecision(2) << dec["tokens_per_s"].get<double>() << " tokens/s, "
       << std::setprecision(0) << dec["cycles_per_token"].get<double>() << " cycles/token at "
       << std::setprecision(1) << dec["clock_hz"].get<double>() / 1e6 << " MHz\n";
    os << "energy          " << std::setprecision(2) << dec["uj_per_token"].get<double>() << " uJ/token (decode); "
       << rep["energy"]["total_uj"].get<double>() << " uJ in all\n";
  }
  if (!rep["bottleneck"].is_null()) os << "bottleneck      " << rep["bottleneck"]["reason"].get<std::string>() << "\n";
  if (rep["bit_exact"].is_null())
    os << "bit-exact       not checked (" << (rep["workload"]["shape_only"].get<bool>() ? "shape-only model: no weights" : "--no-verify") << ")\n";
  else os << "bit-exact       " << (rep["bit_exact"].get<bool>() ? "yes" : "NO") << " (" << rep["ops_checked"].get<uint64_t>()
          << " ops recomputed by the golden kernels, " << rep["ops_mismatched"].get<uint64_t>() << " mismatched)\n";
  return os.str();
}

}  // namespace slm::report
