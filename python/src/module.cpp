// _slmsim: the pybind11 extension behind the `slmsim` Python package (python/slmsim/).
//
// A thin layer over what the CLI runs: config loading and checking (sim/config), one whole
// simulation (replay::run_session), the capture of ops' golden and in-memory outputs
// (replay::OpCapture) and the golden integer kernels (workloads/quant/golden.h). Everything
// Python-facing (Report, DataFrames, numpy views, sweeps) lives in the pure-Python package;
// this file passes JSON text and bytes.
//
// slm::Error (bad input) becomes slmsim.Error carrying the CLI's message (file, field,
// value); other C++ exceptions become RuntimeError("internal: ..."). The GIL is released
// while a simulation runs. run_session() resets the SystemC kernel itself, so runs can
// follow one another in a process; a lock serialises them (the kernel is process-wide).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>
#include <optional>
#include <set>

#include "sim/config/platform_config.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"
#include "sim/replay/session.h"
#include "workloads/common/error.h"
#include "workloads/llama2/load.h"
#include "workloads/quant/fixedpoint.h"
#include "workloads/quant/golden.h"

namespace py = pybind11;
using namespace slm;

namespace {

std::mutex g_sim;  // one simulation at a time per process (SystemC's kernel is global)

// Options of one run, as the Python layer passes them (keyword arguments).
replay::SessionOptions session_options(const py::dict& d) {
  replay::SessionOptions o;
  auto str = [&](const char* k, std::string& v) { if (d.contains(k) && !d[k].is_none()) v = py::cast<std::string>(d[k]); };
  str("config", o.config);
  str("model", o.model);
  str("tokenizer", o.tokenizer);
  str("precision", o.precision);
  str("prompt", o.prompt);
  str("csv_path", o.csv_path);
  str("timeline_path", o.timeline_path);
  if (d.contains("sets")) o.sets = py::cast<std::vector<std::string>>(d["sets"]);
  if (d.contains("faults")) o.faults = py::cast<std::vector<std::string>>(d["faults"]);
  if (d.contains("steps") && !d["steps"].is_none()) o.steps = py::cast<int>(d["steps"]);
  if (d.contains("prefill_tokens") && !d["prefill_tokens"].is_none()) o.prefill_tokens = py::cast<int>(d["prefill_tokens"]);
  if (d.contains("weight_seed") && !d["weight_seed"].is_none()) o.weight_seed = py::cast<int64_t>(d["weight_seed"]);
  if (d.contains("temperature")) o.temperature = py::cast<float>(d["temperature"]);
  if (d.contains("topp")) o.topp = py::cast<float>(d["topp"]);
  if (d.contains("seed")) o.sample_seed = py::cast<uint64_t>(d["seed"]);
  if (d.contains("calib_sequences")) o.calibration.sequences = py::cast<int>(d["calib_sequences"]);
  if (d.contains("calib_tokens")) o.calibration.tokens = py::cast<int>(d["calib_tokens"]);
  if (d.contains("verify")) o.verify = py::cast<bool>(d["verify"]);
  if (d.contains("shape_only")) o.shape_only = py::cast<bool>(d["shape_only"]);
  return o;
}

py::dict tensor_ref(const trace::TensorRef& t) {
  py::dict r;
  r["name"] = t.name;
  r["role"] = trace::to_string(t.role);
  r["dtype"] = trace::to_string(t.dtype);
  r["shape"] = t.shape;
  r["bytes"] = t.bytes;
  return r;
}

// Captured outputs of one op (plain data: filled with the GIL released, converted after).
struct Captured {
  int step = 0, pos = 0;
  trace::Op op;
  std::string engine;
  bool engine_computed = false;
  std::vector<std::vector<uint8_t>> golden, memory;
};

py::list to_python(std::vector<Captured>& caps) {
  py::list out;
  for (auto& c : caps) {
    py::dict d;
    d["step"] = c.step;
    d["pos"] = c.pos;
    d["op"] = c.op.name;
    d["op_index"] = c.op.index;
    d["kind"] = trace::to_string(c.op.kind);
    d["layer"] = c.op.layer;
    d["engine"] = c.engine;
    d["engine_computed"] = c.engine_computed;
    d["m"] = c.op.m;
    d["n"] = c.op.n;
    d["k"] = c.op.k;
    d["macs"] = c.op.macs;
    d["quant"] = c.op.quant.dump();
    py::list ins;
    for (const auto& t : c.op.inputs) ins.append(tensor_ref(t));
    d["inputs"] = ins;
    py::list outs;
    for (size_t i = 0; i < c.op.outputs.size(); ++i) {
      py::dict t = tensor_ref(c.op.outputs[i]);
      const auto& g = i < c.golden.size() ? c.golden[i] : std::vector<uint8_t>{};
      const auto& m = i < c.memory.size() ? c.memory[i] : std::vector<uint8_t>{};
      t["golden"] = py::bytes(reinterpret_cast<const char*>(g.data()), g.size());
      t["memory"] = py::bytes(reinterpret_cast<const char*>(m.data()), m.size());
      outs.append(t);
    }
    d["outputs"] = outs;
    out.append(d);
  }
  return out;
}

// run(options, capture_steps, capture_ops) -> (report JSON text, captured ops)
// capture_steps: step indices (empty: none captured unless capture_ops given, then all);
// capture_ops: op names or name prefixes ending in '*' (empty: every op of the chosen steps).
py::tuple run(const py::dict& d, std::optional<std::vector<int>> capture_steps,
              std::optional<std::vector<std::string>> capture_ops) {
  replay::SessionOptions o = session_options(d);
  std::vector<Captured> caps;
  const bool want = capture_steps.has_value() || capture_ops.has_value();
  std::set<int> steps;
  if (capture_steps) steps.insert(capture_steps->begin(), capture_steps->end());
  std::vector<std::string> names = capture_ops.value_or(std::vector<std::string>{});
  if (want) {
    o.capture_if = [&](int step, const trace::Op& op) {
      if (!steps.empty() && !steps.count(step)) return false;
      if (names.empty()) return true;
      for (const auto& n : names) {
        if (!n.empty() && n.back() == '*') {
          if (op.name.compare(0, n.size() - 1, n, 0, n.size() - 1) == 0) return true;
        } else if (op.name == n) {
          return true;
        }
      }
      return false;
    };
    o.capture = [&](const replay::OpCapture& c) {
      caps.push_back(Captured{c.step, c.pos, *c.op, c.engine, c.engine_computed, *c.golden, c.memory});
    };
  }
  if (d.contains("progress") && !d["progress"].is_none()) {
    // Called after each simulated step, with the GIL taken back; an exception in the callback
    // is reported as unraisable and the run goes on.
    py::function cb = d["progress"];
    o.progress = [cb](int done, int total) {
      py::gil_scoped_acquire gil;
      try {
        cb(done, total);
      } catch (py::error_already_set& e) {
        e.discard_as_unraisable("slmsim.run progress callback");
      }
    };
  }
  std::string text;
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(g_sim);
    text = replay::run_session(o).dump();
  }
  return py::make_tuple(text, to_python(caps));
}

std::string load_config(const std::string& file, const std::vector<std::string>& sets) {
  py::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(g_sim);  // the type registry is shared with a running simulation
  platform::register_types();
  return config::load_platform(file, sets).to_json().dump();
}

// `slmsim config check`: every problem of the file; when it has none and `workload` is
// true, the workload's placement (bytes used per memory) or the capacity problem.
py::dict check_config(const std::string& file, const std::vector<std::string>& sets, bool workload,
                      const std::string& model, const std::string& precision, int steps) {
  py::dict r;
  std::vector<std::string> problems;
  std::map<std::string, uint64_t> used;
  std::string name;
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(g_sim);
    platform::register_types();
    problems = config::check_platform(file, sets);
    if (problems.empty()) {
      name = config::load_platform(file, sets).name;
      if (workload) {
        try {
          used = replay::check_capacity(file, sets, model, precision, steps);
        } catch (const Error& e) {
          problems.push_back(e.what());
        }
      }
    }
  }
  r["problems"] = problems;
  r["used_bytes"] = used;
  r["name"] = name;
  return r;
}

// ---- golden kernels on numpy arrays ----
template <typename T>
using Arr = py::array_t<T, py::array::c_style | py::array::forcecast>;

std::vector<quant::QMul> qmuls(const Arr<int32_t>& m, const Arr<int32_t>& shift, int64_t n, const char* what) {
  if (m.size() != n || shift.size() != n)
    throw err(what, ": multiplier and shift arrays must hold ", n, " values (got ", m.size(), " and ", shift.size(), ")");
  std::vector<quant::QMul> q(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) q[i] = {m.data()[i], shift.data()[i]};
  return q;
}

template <typename T, typename Y>
py::array matmul_t(py::array x_in, int32_t x_zp, const Arr<int8_t>& w, const Arr<int32_t>& mm, const Arr<int32_t>& sh,
                   int32_t y_zp) {
  Arr<T> x(x_in);
  if (x.ndim() != 2 || w.ndim() != 2) throw Error("golden.matmul: x must be (m, k) and w (n, k)");
  const int64_t m = x.shape(0), k = x.shape(1), n = w.shape(0);
  if (w.shape(1) != k) throw err("golden.matmul: x has k = ", k, " columns but w has ", w.shape(1));
  auto q = qmuls(mm, sh, n, "golden.matmul");
  std::vector<int32_t> row_sum(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    int32_t s = 0;
    for (int64_t j = 0; j < k; ++j) s += w.data()[r * k + j];
    row_sum[r] = s;
  }
  quant::golden::WeightView wv;
  wv.format = quant::golden::WFormat::i8;
  wv.n = n;
  wv.k = k;
  wv.data = w.data();
  wv.row_sum = row_sum.data();
  wv.requant = q.data();
  py::array_t<Y> y({m, n});
  quant::golden::matmul<T, Y>(x.data(), m, x_zp, wv, y_zp, y.mutable_data());
  return y;
}

template <typename T>
py::array rmsnorm_t(py::array x_in, int32_t x_zp, int32_t y_zp, int64_t eps_q, const Arr<int16_t>& gain, int32_t gain_shift) {
  Arr<T> x(x_in);
  if (x.ndim() != 2) throw Error("golden.rmsnorm: x must be (m, n)");
  const int64_t m = x.shape(0), n = x.shape(1);
  if (gain.size() != n) throw err("golden.rmsnorm: gain must hold n = ", n, " values (got ", gain.size(), ")");
  quant::golden::RmsNormParams p{x_zp, y_zp, eps_q, gain.data(), gain_shift};
  py::array_t<T> y({m, n});
  quant::golden::rmsnorm<T>(x.data(), m, n, p, y.mutable_data());
  return y;
}

template <typename T>
py::array binary_t(const char* what, py::array a_in, py::array b_in, int32_t a_zp, int32_t b_zp, int32_t y_zp,
                   const py::dict& q) {
  Arr<T> a(a_in), b(b_in);
  if (a.size() != b.size()) throw err("golden.", what, ": a and b must have as many elements (", a.size(), " vs ", b.size(), ")");
  py::array_t<T> y(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()));
  auto qm = [&](const char* k) {
    auto t = py::cast<std::pair<int32_t, int32_t>>(q[k]);
    return quant::QMul{t.first, t.second};
  };
  if (std::string(what) == "mul") {
    quant::golden::MulParams p{a_zp, b_zp, y_zp, qm("mul")};
    quant::golden::mul<T>(a.data(), b.data(), a.size(), p, y.mutable_data());
  } else {
    quant::golden::AddParams p;
    p.a_zp = a_zp;
    p.b_zp = b_zp;
    p.y_zp = y_zp;
    p.left_shift = q.contains("left_shift") ? py::cast<int32_t>(q["left_shift"]) : (sizeof(T) == 1 ? 20 : 15);
    p.a_mul = qm("a_mul");
    p.b_mul = qm("b_mul");
    p.y_mul = qm("y_mul");
    quant::golden::add<T>(a.data(), b.data(), a.size(), p, y.mutable_data());
  }
  return y;
}

template <typename T>
py::array lut_t(py::array x_in, py::array table_in) {
  Arr<T> x(x_in), table(table_in);
  const py::ssize_t want = sizeof(T) == 1 ? 256 : 513;
  if (table.size() != want) throw err("golden.lut: the table must hold ", want, " entries for this dtype (got ", table.size(), ")");
  py::array_t<T> y(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  quant::golden::lut<T>(x.data(), x.size(), table.data(), y.mutable_data());
  return y;
}

template <typename T>
py::array softmax_t(const Arr<int32_t>& s, int pos0, const Arr<int32_t>& lut) {
  if (s.ndim() != 3) throw Error("golden.softmax: s must be (m, n_heads, pos0 + m)");
  const int64_t m = s.shape(0);
  const int heads = static_cast<int>(s.shape(1));
  if (s.shape(2) != pos0 + m) throw err("golden.softmax: last axis must be pos0 + m = ", pos0 + m, " (got ", s.shape(2), ")");
  if (lut.size() != quant::golden::kExpLutSteps + 1) throw err("golden.softmax: exp LUT must hold ", quant::golden::kExpLutSteps + 1, " entries");
  py::array_t<T> p({s.shape(0), s.shape(1), s.shape(2)});
  quant::golden::softmax<T>(s.data(), m, pos0, heads, lut.data(), p.mutable_data());
  return p;
}

// Dispatch on the activation dtype (int8 or int16).
bool is_i8(const py::array& a) { return a.dtype().is(py::dtype::of<int8_t>()); }
bool is_i16(const py::array& a) { return a.dtype().is(py::dtype::of<int16_t>()); }
void need_int(const py::array& a, const char* what) {
  if (!is_i8(a) && !is_i16(a)) throw err("golden.", what, ": activations must be int8 or int16 arrays (got ", std::string(py::str(a.dtype())), ")");
}

}  // namespace

PYBIND11_MODULE(_slmsim, m) {
  m.doc() = "slmsim extension (use the `slmsim` package, not this module directly)";
  static py::exception<Error> error_type(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      error_type(e.what());
    }
  });
  m.attr("__version__") = SLMSIM_VERSION;
  m.attr("source_dir") = SLMSIM_SOURCE_DIR;

  m.def("run", &run, py::arg("options"), py::arg("capture_steps") = py::none(), py::arg("capture_ops") = py::none(),
        "Run one simulation (run_session); returns (report JSON text, captured ops).");
  m.def("load_config", &load_config, py::arg("file"), py::arg("sets") = std::vector<std::string>{},
        "Load and validate a platform config with --set overrides; returns the resolved config as JSON text.");
  m.def("check_config", &check_config, py::arg("file"), py::arg("sets") = std::vector<std::string>{},
        py::arg("workload") = true, py::arg("model") = "", py::arg("precision") = "", py::arg("steps") = 0,
        "`slmsim config check`: {'problems': [...], 'used_bytes': {...}, 'name': str}.");
  m.def("model_info", [](const std::string& model) {
    const llama2::ModelConfig c = llama2::resolve_config(model);
    py::dict d;
    d["name"] = c.name;
    d["dim"] = c.dim;
    d["hidden_dim"] = c.hidden_dim;
    d["n_layers"] = c.n_layers;
    d["n_heads"] = c.n_heads;
    d["n_kv_heads"] = c.n_kv_heads;
    d["vocab_size"] = c.vocab_size;
    d["seq_len"] = c.seq_len;
    d["head_size"] = c.head_size();
    d["shared_classifier"] = c.shared_classifier;
    d["n_params"] = c.n_params();
    return d;
  }, py::arg("model"), "A model's shape: a checkpoint path, a shape file or a shape name (as `slmsim info`).");
  m.def("config_dir", &replay::config_dir);
  m.def("shared_models_dir", &replay::shared_models_dir);
  m.def("quantize_multiplier", [](double real) {
    const quant::QMul q = quant::quantize_multiplier(real, "quantize_multiplier");
    return std::make_pair(q.m, q.shift);
  }, py::arg("real"), "The integer multiplier (m, shift) nearest to a real factor >= 0.");

  auto g = m.def_submodule("golden", "Golden integer kernels (workloads/quant/golden.h) on numpy arrays");
  g.def("matmul", [](py::array x, int32_t x_zp, py::array w, py::array mm, py::array sh, int32_t y_zp, bool logits) -> py::array {
    need_int(x, "matmul");
    Arr<int8_t> wi(w);
    Arr<int32_t> mi(mm), si(sh);
    if (is_i8(x)) return logits ? matmul_t<int8_t, int16_t>(x, x_zp, wi, mi, si, y_zp) : matmul_t<int8_t, int8_t>(x, x_zp, wi, mi, si, y_zp);
    if (logits) throw Error("golden.matmul: logits=True needs int8 activations");
    return matmul_t<int16_t, int16_t>(x, x_zp, wi, mi, si, y_zp);
  }, py::arg("x"), py::arg("x_zp"), py::arg("w"), py::arg("multiplier"), py::arg("shift"), py::arg("y_zp") = 0,
     py::arg("logits") = false,
     "y[m,n] = sat(requant(sum_k (x[m,k] - x_zp) * w[n,k], (multiplier[n], shift[n])) + y_zp).\n"
     "x: int8 or int16 (m, k); w: int8 (n, k); y: x's dtype, or int16 with logits=True (int8 x only).");
  g.def("rmsnorm", [](py::array x, int32_t x_zp, int32_t y_zp, int64_t eps_q, py::array gain, int32_t gain_shift) -> py::array {
    need_int(x, "rmsnorm");
    Arr<int16_t> gi(gain);
    return is_i8(x) ? rmsnorm_t<int8_t>(x, x_zp, y_zp, eps_q, gi, gain_shift) : rmsnorm_t<int16_t>(x, x_zp, y_zp, eps_q, gi, gain_shift);
  }, py::arg("x"), py::arg("x_zp"), py::arg("y_zp"), py::arg("eps_q"), py::arg("gain"), py::arg("gain_shift"),
     "Integer RMSNorm of each row of x (m, n), int8 or int16; gain: int16 (n) = gain / y_scale * 2^gain_shift.");
  g.def("mul", [](py::array a, py::array b, int32_t a_zp, int32_t b_zp, int32_t y_zp, std::pair<int32_t, int32_t> mul) -> py::array {
    need_int(a, "mul");
    py::dict q;
    q["mul"] = mul;
    return is_i8(a) ? binary_t<int8_t>("mul", a, b, a_zp, b_zp, y_zp, q) : binary_t<int16_t>("mul", a, b, a_zp, b_zp, y_zp, q);
  }, py::arg("a"), py::arg("b"), py::arg("a_zp"), py::arg("b_zp"), py::arg("y_zp"), py::arg("mul"),
     "y = sat(requant((a - a_zp)(b - b_zp), mul) + y_zp), element-wise (TFLite MUL); mul = (m, shift).");
  g.def("add", [](py::array a, py::array b, int32_t a_zp, int32_t b_zp, int32_t y_zp, std::pair<int32_t, int32_t> a_mul,
                  std::pair<int32_t, int32_t> b_mul, std::pair<int32_t, int32_t> y_mul, int32_t left_shift) -> py::array {
    need_int(a, "add");
    py::dict q;
    q["a_mul"] = a_mul;
    q["b_mul"] = b_mul;
    q["y_mul"] = y_mul;
    if (left_shift >= 0) q["left_shift"] = left_shift;
    return is_i8(a) ? binary_t<int8_t>("add", a, b, a_zp, b_zp, y_zp, q) : binary_t<int16_t>("add", a, b, a_zp, b_zp, y_zp, q);
  }, py::arg("a"), py::arg("b"), py::arg("a_zp"), py::arg("b_zp"), py::arg("y_zp"), py::arg("a_mul"), py::arg("b_mul"),
     py::arg("y_mul"), py::arg("left_shift") = -1,
     "Element-wise TFLite ADD with rescaling; left_shift < 0: 20 for int8, 15 for int16.");
  g.def("lut", [](py::array x, py::array table) -> py::array {
    need_int(x, "lut");
    return is_i8(x) ? lut_t<int8_t>(x, table) : lut_t<int16_t>(x, table);
  }, py::arg("x"), py::arg("table"),
     "Table lookup: int8 -> table[x + 128] (256 entries); int16 -> 513-entry table, linear interpolation.");
  g.def("softmax", [](py::array s, int pos0, py::array lut, const std::string& out) -> py::array {
    Arr<int32_t> si(s), li(lut);
    if (out == "int8") return softmax_t<int8_t>(si, pos0, li);
    if (out == "int16") return softmax_t<int16_t>(si, pos0, li);
    throw err("golden.softmax: out = '", out, "': must be int8 or int16");
  }, py::arg("s"), py::arg("pos0"), py::arg("exp_lut"), py::arg("out") = "int8",
     "Integer softmax of int32 scores s (m, n_heads, pos0 + m), causal; exp_lut: 257 int32 entries; out int8 or int16.");
  g.def("argmax", [](py::array x) {
    Arr<int16_t> xi(x);
    if (xi.ndim() != 2) throw Error("golden.argmax: x must be (m, n) int16");
    py::array_t<int32_t> out(xi.shape(0));
    quant::golden::argmax(xi.data(), xi.shape(0), xi.shape(1), out.mutable_data());
    return out;
  }, py::arg("x"), "Index of the largest value of each row of int16 x (m, n); ties pick the lowest index.");
}
