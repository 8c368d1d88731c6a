#include "sim/rtlcheck/rtl_check.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "models/npu/ethos_u85_arch.h"
#include "models/npu/weight_stream.h"
#include "sim/engine/npu_engine.h"
#include "sim/replay/replay.h"
#include "workloads/common/error.h"
#ifdef SLMSIM_HAVE_RTL
#include "models/rtl/mac_array_sim.h"
#endif

namespace slm::rtlcheck {

bool available() {
#ifdef SLMSIM_HAVE_RTL
  return true;
#else
  return false;
#endif
}

namespace {

struct Fault {
  std::string op, spec;
  int step = -1;  // -1: every step
  int64_t index = 0;
  int bit = 0;
};

Fault parse_fault(const std::string& spec) {
  auto bad = [&](const std::string& why) {
    return err("--rtl-fault '", spec, "': ", why, " (expected OP[@STEP]:INDEX:BIT, e.g. l0.wq@0:130:6)");
  };
  const size_t c2 = spec.rfind(':');
  if (c2 == std::string::npos || c2 == 0) throw bad("missing ':'");
  const size_t c1 = spec.rfind(':', c2 - 1);
  if (c1 == std::string::npos) throw bad("missing ':'");
  Fault f;
  f.spec = spec;
  std::string op = spec.substr(0, c1);
  const size_t at = op.find('@');
  auto num = [&](const std::string& s, const char* what, int64_t lo, int64_t hi) {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(s, &used, 0);
    } catch (const std::exception&) {
      used = 0;
    }
    if (s.empty() || used != s.size() || v < lo || v > hi) throw bad(std::string(what) + " = '" + s + "' is not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  };
  if (at != std::string::npos) {
    f.step = static_cast<int>(num(op.substr(at + 1), "STEP", 0, 1 << 20));
    op = op.substr(0, at);
  }
  if (op.empty()) throw bad("no op name");
  f.op = op;
  f.index = num(spec.substr(c1 + 1, c2 - c1 - 1), "INDEX", 0, int64_t{1} << 40);
  f.bit = static_cast<int>(num(spec.substr(c2 + 1), "BIT", 0, 7));
  return f;
}

uint64_t le(const uint8_t* p, int bytes) {
  uint64_t x = 0;
  for (int i = 0; i < bytes; ++i) x |= uint64_t{p[i]} << (8 * i);
  return x;
}

int64_t elem(const std::vector<uint8_t>& b, size_t i, int es) {
  if (es == 1) return static_cast<int8_t>(b[i]);
  int16_t v;
  std::memcpy(&v, b.data() + 2 * i, 2);
  return v;
}

}  // namespace

struct Checker::Impl {
  Options o;
  std::vector<Fault> faults;
  std::vector<bool> fault_hit;
#ifdef SLMSIM_HAVE_RTL
  std::unique_ptr<rtl::MacArray> array;
#endif
  std::string variant;
  int macs_used = 0;
  nlohmann::json ops = nlohmann::json::array();
  uint64_t checked = 0, bad_ops = 0, mismatches = 0, golden_mismatches = 0;
  uint64_t rtl_cycles = 0, rtl_mac_cycles = 0, npu_mac_cycles = 0, npu_wd_cycles = 0, macs = 0;
  double wall = 0;

  void check(const replay::OpCapture& c);
};

Checker::Checker(Options o) : p_(std::make_unique<Impl>()) {
  p_->o = std::move(o);
  for (const auto& s : p_->o.faults) p_->faults.push_back(parse_fault(s));
  p_->fault_hit.assign(p_->faults.size(), false);
  if (p_->o.macs != 0 && p_->o.macs != 128 && p_->o.macs != 512)
    throw err("--rtl-macs ", p_->o.macs, ": the verilated MAC array is built with 128 or 512 MACs");
  if (!available())
    throw err("--rtl: this slmsim was built without Verilator (install the Debian package `verilator`, "
              "scripts/install-deps.sh, and reconfigure)");
}

Checker::~Checker() = default;

void Checker::attach(replay::SessionOptions& so) {
  Impl* p = p_.get();
  so.capture_if = [](int, const trace::Op& op) { return op.kind == trace::OpKind::matmul; };
  so.capture = [p](const replay::OpCapture& c) { p->check(c); };
}

bool Checker::passed() const { return p_->mismatches == 0; }

void Checker::Impl::check(const replay::OpCapture& c) {
#ifndef SLMSIM_HAVE_RTL
  (void)c;
#else
  const trace::Op& op = *c.op;
  auto* npu_engine = dynamic_cast<engine::NpuEngine*>(c.eng);
  if (!npu_engine)
    throw err("--rtl: fully connected op ", op.name, " ran on '", c.engine, "' (", c.eng ? c.eng->engine_kind() : "?",
              "), not on an Ethos-U85 NPU: the RTL check needs engine.compute to be an NPU and int8 weights");
  const npu::Variant& v = npu_engine->npu().variant();
  if (!array) {
    const int macs = o.macs ? o.macs : v.macs;
    if (macs != 128 && macs != 512)
      throw err("--rtl: the configured NPU is ", v.name, "; the verilated array is built with 128 or 512 MACs: give --rtl-macs");
    array = rtl::make_mac_array(macs);
    variant = v.name;
    macs_used = macs;
  }
  const rtl::MacArrayShape& shape = array->shape();
  const replay::Layout& L = *c.layout;
  const int m = int(op.m), n = int(op.n), k = int(op.k);
  const int es_in = trace::dtype_bits(op.inputs.at(0).dtype) / 8, es_out = trace::dtype_bits(op.outputs.at(0).dtype) / 8;
  rtl::FcTile t;
  t.a16 = es_in == 2;
  t.m = m, t.n = n, t.k = k;
  // IFM rows as the NPU read them.
  const replay::TensorLoc& xl = c.in->at(0);
  if (xl.rows * xl.row_bytes != uint64_t(m) * k * es_in)
    throw err("--rtl: op ", op.name, ": input view of ", xl.rows, " x ", xl.row_bytes, " bytes is not ", m, " x ", k, " elements");
  std::vector<uint8_t> xb(xl.bytes());
  for (uint64_t r = 0; r < xl.rows; ++r) L.read(xl.addr + r * xl.stride, xb.data() + r * xl.row_bytes, xl.row_bytes);
  t.x.resize(size_t(m) * k);
  for (size_t i = 0; i < t.x.size(); ++i) t.x[i] = static_cast<int16_t>(elem(xb, i, es_in));
  // The weight stream as the NPU read it: weights, bias, multiplier and shift per channel.
  const replay::Region& sr = L.region("npu." + op.name + ".stream");
  uint8_t hb[npu::kWeightStreamHeaderBytes];
  L.read(sr.addr, hb, sizeof hb);
  npu::WeightStreamHeader h;
  h.sparse = hb[5] & 1;
  h.n = uint32_t(le(hb + 8, 4)), h.k = uint32_t(le(hb + 12, 4));
  h.ofm_block_depth = uint16_t(le(hb + 16, 2)), h.ifm_block_depth = uint16_t(le(hb + 18, 2));
  h.zero_rate_q16 = uint32_t(le(hb + 20, 4));
  if (h.n != uint32_t(n) || h.k != uint32_t(k) || h.ofm_block_depth == 0 || h.ifm_block_depth == 0)
    throw err("--rtl: op ", op.name, ": weight stream header is ", h.n, " x ", h.k, ", the op ", n, " x ", k);
  const uint64_t len = npu::weight_stream_bytes(h);
  if (len > sr.bytes) throw err("--rtl: op ", op.name, ": weight stream of ", len, " bytes exceeds its region");
  std::vector<uint8_t> sb(len);
  L.read(sr.addr, sb.data(), len);
  npu::WeightStreamView ws;
  if (const std::string why = ws.open(sb.data(), len); !why.empty()) throw err("--rtl: op ", op.name, ": ", why);
  t.w.resize(size_t(n) * k);
  std::vector<int8_t> row(h.ifm_block_depth);
  for (int ch = 0; ch < n; ++ch) {
    const uint32_t ob = uint32_t(ch / h.ofm_block_depth), cc = uint32_t(ch % h.ofm_block_depth);
    for (int k0 = 0, db = 0; k0 < k; k0 += h.ifm_block_depth, ++db) {
      const int d = std::min<int>(h.ifm_block_depth, k - k0);
      ws.weights(ob, uint32_t(db), cc, row.data());
      std::copy(row.begin(), row.begin() + d, t.w.begin() + size_t(ch) * k + k0);
    }
    const npu::ChannelScale s = ws.scale(ob, cc);
    t.bias.push_back(s.bias), t.mult.push_back(s.multiplier), t.shift.push_back(s.shift);
  }
  // The command's zero points and range (npu_mapper: IFM zp = x_zp, OFM zp = y_zp except for
  // the logits; no activation clip: the OFM type's range).
  auto qi = [&](const char* key) { return op.quant.contains(key) ? op.quant[key].get<int32_t>() : 0; };
  t.x_zp = qi("x_zp");
  t.y_zp = op.outputs[0].role == trace::Role::output ? 0 : qi("y_zp");
  t.act_min = es_out == 1 ? -128 : -32768;
  t.act_max = es_out == 1 ? 127 : 32767;
  // The weight decoder's rate for this stream (Vela's WeightDecodeCycles, as the NPU model).
  t.weights_per_cycle = npu::weight_decoder_rate(v, h.zero_rate());
  // Faults: one bit of one weight as the RTL receives it.
  nlohmann::json applied = nlohmann::json::array();
  for (size_t i = 0; i < faults.size(); ++i) {
    const Fault& f = faults[i];
    if (f.op != op.name || (f.step >= 0 && f.step != c.step)) continue;
    if (f.index >= int64_t(t.w.size()))
      throw err("--rtl-fault '", f.spec, "': INDEX ", f.index, " is outside op ", op.name, "'s ", t.w.size(), " weights");
    t.w[size_t(f.index)] = static_cast<int8_t>(static_cast<uint8_t>(t.w[size_t(f.index)]) ^ (1u << f.bit));
    fault_hit[i] = true;
    applied.push_back(f.spec);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const rtl::FcResult r = array->run(t);
  wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Compare with the NPU model's output (memory) and the golden model's.
  const std::vector<uint8_t>& got_npu = c.memory.at(0);
  const std::vector<uint8_t>& gold = c.golden->at(0);
  uint64_t bad = 0, bad_gold = 0;
  nlohmann::json first = nlohmann::json::array();
  for (size_t i = 0; i < r.y.size(); ++i) {
    const int64_t e = elem(got_npu, i, es_out);
    if (r.y[i] != e) {
      if (bad++ < uint64_t(o.max_listed))
        first.push_back({{"index", i}, {"row", i / size_t(n)}, {"col", i % size_t(n)}, {"expected", e}, {"got", r.y[i]}});
    }
    if (r.y[i] != elem(gold, i, es_out)) ++bad_gold;
  }
  const uint64_t ng = uint64_t(shape.ub_hw * shape.ub_c / shape.out_lanes);
  const uint64_t rmac = r.cycles > ng + 3 ? r.cycles - ng - 3 : 0;
  const nlohmann::json& d = c.result ? c.result->detail : nlohmann::json::object();
  const uint64_t nmac = d.value("mac_cycles", uint64_t{0}), nwd = d.value("wd_cycles", uint64_t{0});
  const uint64_t model = std::max(nmac, nwd);
  nlohmann::json rec = {{"step", c.step},
                        {"pos", c.pos},
                        {"op", op.name},
                        {"layer", op.layer >= 0 ? nlohmann::json(op.layer) : nlohmann::json()},
                        {"m", m},
                        {"n", n},
                        {"k", k},
                        {"macs", uint64_t(m) * n * k},
                        {"a16", t.a16},
                        {"rtl_cycles", r.cycles},
                        {"rtl_mac_cycles", rmac},
                        {"rtl_starved_cycles", r.starved_cycles},
                        {"npu_mac_cycles", nmac},
                        {"npu_wd_cycles", nwd},
                        {"npu_blocks", d.value("npu_blocks", uint64_t{0})},
                        {"npu_cycles", c.result ? c.result->cycles : 0},
                        {"rtl_vs_model", model ? double(rmac) / double(model) : 0.0},
                        {"mismatches", bad},
                        {"golden_mismatches", bad_gold},
                        {"first_mismatches", first}};
  if (!applied.empty()) rec["faults"] = applied;
  ops.push_back(std::move(rec));
  ++checked;
  bad_ops += bad != 0;
  mismatches += bad;
  golden_mismatches += bad_gold;
  rtl_cycles += r.cycles, rtl_mac_cycles += rmac, npu_mac_cycles += nmac, npu_wd_cycles += nwd;
  macs += uint64_t(m) * n * k;
#endif
}

nlohmann::json Checker::report() const {
  const Impl& p = *p_;
  nlohmann::json unused = nlohmann::json::array();
  for (size_t i = 0; i < p.faults.size(); ++i)
    if (!p.fault_hit[i]) unused.push_back(p.faults[i].spec);
  return {{"macs", p.macs_used ? p.macs_used : p.o.macs},
          {"npu_variant", p.variant},
          {"passed", p.mismatches == 0},
          {"ops_checked", p.checked},
          {"ops_mismatched", p.bad_ops},
          {"mismatches", p.mismatches},
          {"golden_mismatches", p.golden_mismatches},
          {"macs_checked", p.macs},
          {"rtl_cycles", p.rtl_cycles},
          {"rtl_mac_cycles", p.rtl_mac_cycles},
          {"npu_mac_cycles", p.npu_mac_cycles},
          {"npu_wd_cycles", p.npu_wd_cycles},
          {"rtl_wall_seconds", p.wall},
          {"faults_not_applied", unused},
          {"ops", p.ops}};
}

std::string summary(const nlohmann::json& rtl) {
  std::ostringstream s;
  const auto& ops = rtl.at("ops");
  s << "RTL check (verilated MAC array, " << rtl.value("macs", 0) << " MACs";
  const std::string variant = rtl.value("npu_variant", std::string());
  if (!variant.empty()) s << ", NPU " << variant;
  s << "): every fully connected op, RTL against the NPU model's output\n";
  if (!variant.empty() && variant != "ethos-u85-" + std::to_string(rtl.value("macs", 0)))
    s << "  note: the array's size is not the NPU's: values compare, cycles do not (--set npu.variant=ethos-u85-"
      << rtl.value("macs", 0) << " for a like-for-like run)\n";
  s << "  step op         layer  m x n x k          MACs   RTL cyc  (MAC part)  NPU MAC   NPU WD  mismatches\n";
  for (const auto& o : ops) {
    std::ostringstream shape;
    shape << o["m"].get<int>() << " x " << o["n"].get<int>() << " x " << o["k"].get<int>();
    s << "  " << std::setw(4) << o["step"].get<int>() << " " << std::left << std::setw(10) << o["op"].get<std::string>() << " "
      << std::right << std::setw(5) << (o["layer"].is_null() ? std::string("-") : std::to_string(o["layer"].get<int>())) << "  "
      << std::left << std::setw(16) << shape.str() << std::right << std::setw(8) << o["macs"].get<uint64_t>() << std::setw(10)
      << o["rtl_cycles"].get<uint64_t>() << std::setw(12) << o["rtl_mac_cycles"].get<uint64_t>() << std::setw(9)
      << o["npu_mac_cycles"].get<uint64_t>() << std::setw(9) << o["npu_wd_cycles"].get<uint64_t>() << std::setw(12)
      << o["mismatches"].get<uint64_t>() << "\n";
    for (const auto& f : o["first_mismatches"])
      s << "       mismatch: op " << o["op"].get<std::string>() << " step " << o["step"].get<int>() << " element "
        << f["index"].get<uint64_t>() << " (row " << f["row"].get<uint64_t>() << ", col " << f["col"].get<uint64_t>()
        << "): expected " << f["expected"].get<int64_t>() << " (NPU model), got " << f["got"].get<int64_t>() << " (RTL)\n";
  }
  s << "  " << rtl["ops_checked"].get<uint64_t>() << " ops, " << rtl["macs_checked"].get<uint64_t>() << " MACs: "
    << rtl["ops_mismatched"].get<uint64_t>() << " ops with " << rtl["mismatches"].get<uint64_t>()
    << " mismatching elements; RTL " << rtl["rtl_mac_cycles"].get<uint64_t>() << " MAC-part cycles, NPU model "
    << rtl["npu_mac_cycles"].get<uint64_t>() << " MAC / " << rtl["npu_wd_cycles"].get<uint64_t>() << " weight-decoder cycles; "
    << std::fixed << std::setprecision(2) << rtl["rtl_wall_seconds"].get<double>() << " s in the RTL\n";
  if (rtl["golden_mismatches"].get<uint64_t>())
    s << "  the RTL differs from the golden model in " << rtl["golden_mismatches"].get<uint64_t>()
      << " elements (see bit_exact: the NPU's operands or outputs differ from the golden model's)\n";
  for (const auto& f : rtl["faults_not_applied"]) s << "  warning: --rtl-fault " << f.get<std::string>() << " matched no op\n";
  s << "  RTL verdict: " << (rtl["passed"].get<bool>() ? "PASS (bit-exact with the NPU model)" : "FAIL") << "\n";
  return s.str();
}

}  // namespace slm::rtlcheck
