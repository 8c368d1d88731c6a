#include "sim/mapper/npu_mapper.h"

#include <algorithm>

#include "models/npu/command_stream.h"
#include "models/npu/weight_stream.h"
#include "sim/engine/generic_engine.h"
#include "workloads/common/error.h"
#include "workloads/quant/golden.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/trace_io.h"

namespace slm::mapper {

using namespace npu;
using trace::Op;
using trace::OpKind;
using trace::Role;
using trace::TensorRef;

uint32_t Regions::regioncfg() const {
  uint32_t v = 0;
  for (size_t r = 0; r < ext.size(); ++r)
    if (ext[r]) v |= 1u << (2 * r);
  return v;
}

std::pair<uint32_t, uint64_t> Regions::at(uint64_t addr) const {
  for (size_t r = 0; r < base.size(); ++r) {
    if (addr < base[r]) continue;
    // The region of the highest base at or below addr.
    bool better = false;
    for (size_t q = 0; q < base.size(); ++q)
      if (q != r && base[q] > base[r] && base[q] <= addr) better = true;
    if (!better) return {static_cast<uint32_t>(r), addr - base[r]};
  }
  throw err("NPU mapper: address 0x", std::hex, addr, " is in none of the NPU's regions");
}

namespace {

// Rows of RMSNorm / RoPE processed per command sequence in a prefill.
constexpr int kRowChunk = 16;

int es_of(trace::DType d) { return trace::dtype_bits(d) / 8; }

// The scratch area's layout (activations memory), for n_heads heads, score rows of t
// elements and model width d.
struct Scratch {
  uint64_t zero, mx, sum, rc, e, sq, ms, ms2, inv, g, ra, rb, rc2, rd, bytes;
  Scratch(int nh, int64_t t, int64_t d) {
    auto a64 = [](uint64_t v) { return (v + 63) & ~uint64_t{63}; };
    uint64_t o = 0;
    auto take = [&](uint64_t n) { const uint64_t at = o; o = a64(o + n); return at; };
    zero = take(64);
    mx = take(uint64_t(nh) * 4);
    sum = take(uint64_t(nh) * 8);
    rc = take(uint64_t(nh) * 8);
    e = take(uint64_t(nh) * uint64_t(t) * 4);
    sq = take(uint64_t(kRowChunk) * uint64_t(d) * 4);
    ms = take(kRowChunk * 8);
    ms2 = take(kRowChunk * 8);
    inv = take(kRowChunk * 8);
    g = take(uint64_t(kRowChunk) * uint64_t(d) * 4);
    ra = take(uint64_t(kRowChunk) * uint64_t(d / 2) * 4);
    rb = take(uint64_t(kRowChunk) * uint64_t(d / 2) * 4);
    rc2 = take(uint64_t(kRowChunk) * uint64_t(d / 2) * 4);
    rd = take(uint64_t(kRowChunk) * uint64_t(d / 2) * 4);
    bytes = o;
  }
};

// A tensor view as the NPU's registers describe it: element (y, x, z) at
// addr + y*sy + x*sx + z*sc.
struct FmV {
  uint64_t addr = 0;
  int h = 1, w = 1, c = 1;
  int64_t sy = 0, sx = 0, sc = 0;
  int bytes = 1;
  int32_t zp = 0;
};

uint16_t prec(int bytes) {
  const uint16_t log2 = bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3;
  return static_cast<uint16_t>(log2 | PREC_SIGNED);
}

// Emits commands; regions resolve addresses (or, when counting, are absent).
class Emitter {
 public:
  explicit Emitter(const Regions* r) : r_(r) { w.dedup = r != nullptr; }
  CommandWriter w;
  std::pair<uint32_t, uint64_t> where(uint64_t addr) const { return r_ ? r_->at(addr) : std::pair<uint32_t, uint64_t>{0, 0}; }

  void ifm(const FmV& v) {
    const auto [rg, off] = where(v.addr);
    w.set0(NPU_SET_IFM_REGION, uint16_t(rg));
    w.set1(NPU_SET_IFM_BASE0, uint32_t(off), uint16_t(off >> 32));
    w.set0(NPU_SET_IFM_HEIGHT0_M1, uint16_t(v.h - 1));
    w.set0(NPU_SET_IFM_WIDTH0_M1, uint16_t(v.w - 1));
    w.set0(NPU_SET_IFM_DEPTH_M1, uint16_t(v.c - 1));
    w.set1(NPU_SET_IFM_STRIDE_Y, uint32_t(v.sy));
    w.set1(NPU_SET_IFM_STRIDE_X, uint32_t(v.sx));
    w.set1(NPU_SET_IFM_STRIDE_C, uint32_t(v.sc));
    w.set0(NPU_SET_IFM_PRECISION, prec(v.bytes));
    w.set0(NPU_SET_IFM_ZERO_POINT, uint16_t(v.zp));
  }
  void ifm2(const FmV& v) {
    const auto [rg, off] = where(v.addr);
    // Axes of size 1 broadcast (IFM2 takes the OFM's shape otherwise).
    w.set0(NPU_SET_IFM2_BROADCAST, uint16_t((v.h == 1 ? 1 : 0) | (v.w == 1 ? 2 : 0) | (v.c == 1 ? 4 : 0)));
    w.set0(NPU_SET_IFM2_REGION, uint16_t(rg));
    w.set1(NPU_SET_IFM2_BASE0, uint32_t(off), uint16_t(off >> 32));
    w.set0(NPU_SET_IFM2_HEIGHT0_M1, uint16_t(v.h - 1));
    w.set0(NPU_SET_IFM2_WIDTH0_M1, uint16_t(v.w - 1));
    w.set1(NPU_SET_IFM2_STRIDE_Y, uint32_t(v.sy));
    w.set1(NPU_SET_IFM2_STRIDE_X, uint32_t(v.sx));
    w.set1(NPU_SET_IFM2_STRIDE_C, uint32_t(v.sc));
    w.set0(NPU_SET_IFM2_PRECISION, prec(v.bytes));
    w.set0(NPU_SET_IFM2_ZERO_POINT, uint16_t(v.zp));
  }
  void ifm2_scalar(int16_t value) {
    w.set0(NPU_SET_IFM2_BROADCAST, 0x80);
    w.set0(NPU_SET_IFM2_SCALAR, uint16_t(value));
  }
  void ofm(const FmV& v) {
    const auto [rg, off] = where(v.addr);
    w.set0(NPU_SET_OFM_REGION, uint16_t(rg));
    w.set1(NPU_SET_OFM_BASE0, uint32_t(off), uint16_t(off >> 32));
    w.set0(NPU_SET_OFM_HEIGHT_M1, uint16_t(v.h - 1));
    w.set0(NPU_SET_OFM_WIDTH_M1, uint16_t(v.w - 1));
    w.set0(NPU_SET_OFM_DEPTH_M1, uint16_t(v.c - 1));
    w.set1(NPU_SET_OFM_STRIDE_Y, uint32_t(v.sy));
    w.set1(NPU_SET_OFM_STRIDE_X, uint32_t(v.sx));
    w.set1(NPU_SET_OFM_STRIDE_C, uint32_t(v.sc));
    w.set0(NPU_SET_OFM_PRECISION, prec(v.bytes));
    w.set0(NPU_SET_OFM_ZERO_POINT, uint16_t(v.zp));
  }
  void scale(int32_t m, int shift) { w.set1(NPU_SET_OFM_SCALE, uint32_t(m), uint16_t(shift & 63)); }
  void identity() { scale(1, 0); }
  void acc(bool acc48) { w.set0(NPU_SET_ACC_FORMAT, acc48 ? 1 : 0); }
  void act_none() { w.set0(NPU_SET_ACTIVATION, kActClip); }
  void act(uint16_t v, int16_t lo = 0, int16_t hi = 0) {
    w.set0(NPU_SET_ACTIVATION, v);
    if (v & kActClipEnable) {
      w.set0(NPU_SET_ACTIVATION_MIN, uint16_t(lo));
      w.set0(NPU_SET_ACTIVATION_MAX, uint16_t(hi));
    }
  }
  void block(int h, int wd, int c) {
    w.set0(NPU_SET_OFM_BLK_HEIGHT_M1, uint16_t(h - 1));
    w.set0(NPU_SET_OFM_BLK_WIDTH_M1, uint16_t(wd - 1));
    w.set0(NPU_SET_OFM_BLK_DEPTH_M1, uint16_t(c - 1));
  }
  uint32_t op(uint16_t opcode, uint16_t param = 0) {
    w.cmd0(opcode, param);
    return w.commands() - 1;
  }
  uint32_t dma(uint64_t src, uint64_t dst, uint64_t len, bool to_lut) {
    const auto [sr, so] = where(src);
    w.set0(NPU_SET_DMA0_SRC_REGION, uint16_t(sr));
    w.set1(NPU_SET_DMA0_SRC, uint32_t(so), uint16_t(so >> 32));
    if (to_lut) {
      w.set0(NPU_SET_DMA0_DST_REGION, 0x100);
      w.set1(NPU_SET_DMA0_DST, uint32_t(dst));
    } else {
      const auto [dr, dof] = where(dst);
      w.set0(NPU_SET_DMA0_DST_REGION, uint16_t(dr));
      w.set1(NPU_SET_DMA0_DST, uint32_t(dof), uint16_t(dof >> 32));
    }
    w.set1(NPU_SET_DMA0_LEN, uint32_t(len));
    return op(NPU_OP_DMA_START);
  }

 private:
  const Regions* r_;
};

int32_t qi(const Op& op, const char* k) {
  if (!op.quant.contains(k) || !op.quant[k].is_number_integer())
    throw err("NPU mapper: op ", op.name, ": quant parameter '", k, "' missing");
  return op.quant[k].get<int32_t>();
}
quant::QMul qm(const Op& op, const char* k) {
  if (!op.quant.contains(k)) throw err("NPU mapper: op ", op.name, ": quant parameter '", k, "' missing");
  return quant::qmul_from_json(op.quant[k], "op " + op.name + " " + k);
}

}  // namespace

NpuMapper::NpuMapper(const Variant& v, quant::Precision prec, bool fixed_shape) : v_(v), prec_(prec), fixed_(fixed_shape) {}

bool NpuMapper::supports(const Op& op) const {
  switch (op.kind) {
    case OpKind::embed:
    case OpKind::argmax: return false;  // host work
    case OpKind::matmul:
      // int4 weights with per-group scales are not an Ethos-U weight format.
      for (const auto& t : op.inputs)
        if (t.role == Role::weight && t.dtype == trace::DType::i4) return false;
      return true;
    case OpKind::rmsnorm:
      // eps is added as an IFM2 scalar (16 bits).
      if (op.quant.contains("eps_q") && op.quant["eps_q"].is_number_integer()) {
        const int64_t e = op.quant["eps_q"].get<int64_t>();
        return e >= 0 && e <= 32767;
      }
      return true;
    default: return true;
  }
}

void NpuMapper::declare(const Op& op, replay::Layout& layout) {
  if (op.kind == OpKind::matmul) {
    const TensorRef& w = op.inputs.at(1);
    StreamInfo si;
    si.weight = w.name;
    si.requant = op.name + ".requant";
    si.n = uint32_t(op.n), si.k = uint32_t(op.k);
    const BlockConfig cfg = choose_block(v_, MacOp::vector_product, 1, 1, int(op.n), int(op.k),
                                         quant::is_a16(prec_) ? 16 : 8, false);
    si.obd = uint16_t(cfg.ofm_c), si.ibd = uint16_t(cfg.ifm_depth);
    si.placed = "npu." + op.name + ".stream";
    WeightStreamHeader h{si.n, si.k, si.obd, si.ibd, false};
    layout.place(si.placed, "weights", weight_stream_bytes(h));
    lengths_[op.name] = weight_stream_bytes(h);
    streams_[op.name] = si;
  }
  for (const auto* list : {&op.inputs, &op.outputs})
    for (const auto& t : *list) {
      if (!replay::persistent(t.role) || layout.has(t.name)) continue;
      if (op.kind == OpKind::matmul && t.role != Role::output) continue;  // in the stream
      layout.place(t.name, replay::role_key(t.role), engine::persistent_bytes(t, layout));
      if (t.role == Role::weight || t.role == Role::param) raw_.push_back(t.name);
    }
}

void NpuMapper::finish(replay::Layout& layout, const engine::RunShape& rs) {
  n_heads_ = rs.n_heads;
  dim_ = static_cast<int>(rs.dim);
  score_row_ = rs.score_row;
  layout.place("npu.scratch", "activations", Scratch(n_heads_, score_row_, dim_).bytes);
  // The command buffer: the longest stream of a run, counted by lowering its largest steps
  // (no addresses needed to count).
  uint64_t words = 0;
  for (const auto& ops : rs.samples) {
    if (ops.empty()) continue;
    std::vector<engine::BoundOp> bound;
    for (const auto& op : ops) {
      if (!supports(op)) continue;
      engine::BoundOp b;
      b.op = &op;
      for (const auto* list : {&op.inputs, &op.outputs})
        for (const auto& t : *list) {
          replay::TensorLoc l;
          l.row_bytes = l.stride = replay::full_bytes(t);
          (list == &op.inputs ? b.in : b.out).push_back(l);
        }
      bound.push_back(std::move(b));
    }
    int64_t m = 1, pos0 = 0;
    for (const auto& op : ops) m = std::max(m, op.m);
    const auto phase = m > 1 ? trace::Phase::prefill : trace::Phase::decode;
    for (const auto& op : ops)
      if (op.kind == OpKind::attn_scores) pos0 = std::max<int64_t>(pos0, op.n - op.m);
    engine::StepInfo si{0, phase, static_cast<int>(pos0), static_cast<int>(m), {}};
    words = std::max<uint64_t>(words, lower(si, bound, layout, Regions{}).words.size());
  }
  cmd_bytes_ = (words * 4 + 4095) & ~uint64_t{4095};
  layout.place("npu.commands", "weights", cmd_bytes_);
  // Timing-only: no weights are loaded, but the NPU needs each stream's header to decode it
  // (dense, zero rate 0; the weights and scales read as zeros).
  if (layout.options().shape_only)
    for (const auto& [op, si] : streams_) {
      const std::vector<uint8_t> h = encode_weight_stream_header(WeightStreamHeader{si.n, si.k, si.obd, si.ibd, false});
      layout.write(layout.region(si.placed).addr, h.data(), h.size());
    }
}

void NpuMapper::load(const quant::QuantModel& q, replay::Layout& layout) {
  for (const auto& [op, si] : streams_) {
    const quant::Blob& w = q.tensor(si.weight);
    const quant::Blob& rq = q.tensor(si.requant);
    if (w.dtype != "i8" || w.bytes.size() != uint64_t(si.n) * si.k || rq.bytes.size() != uint64_t(si.n) * 8)
      throw err("NPU mapper: ", si.weight, " / ", si.requant, " do not have the shapes of op ", op);
    std::vector<ChannelScale> sc(si.n);
    const auto* qmul = rq.as<quant::QMul>();
    for (uint32_t i = 0; i < si.n; ++i) sc[i] = ChannelScale{0, qmul[i].m, static_cast<uint8_t>(qmul[i].shift)};
    WeightStreamHeader h{si.n, si.k, si.obd, si.ibd, false};
    h.sparse = is_sparse_2_4(w.as<int8_t>(), si.n, si.k);
    if (h.sparse && si.ibd % 4) h.sparse = false;
    const std::vector<uint8_t> s = encode_weight_stream(h, w.as<int8_t>(), sc.data());
    const replay::Region& r = layout.region(si.placed);
    if (s.size() > r.bytes) throw err("NPU mapper: stream of ", op, " (", s.size(), " bytes) exceeds its place (", r.bytes, ")");
    layout.write(r.addr, s.data(), s.size());
    lengths_[op] = s.size();
  }
  engine::load_raw(q, layout, raw_);
}

}  // namespace slm::mapper

namespace slm::mapper {

Lowered NpuMapper::lower(const engine::StepInfo& step, std::span<const engine::BoundOp> ops, const replay::Layout& layout,
                         const Regions& regions) const {
  Emitter e(regions.base.empty() ? nullptr : &regions);
  Lowered out;
  const bool counting = regions.base.empty();
  // Quantisation parameters: the op's; neutral ones when counting words, or in a timing-only
  // run for parameters the op does not carry (a shape-only trace). A timing-only replay of a
  // trace that has them lowers exactly as the run that wrote it.
  const bool timing_only = !counting && layout.options().shape_only;
  auto qparam = [&](const Op& op, const char* k) -> int32_t {
    if (counting || (timing_only && !op.quant.contains(k))) return 0;
    return qi(op, k);
  };
  auto qmul = [&](const Op& op, const char* k) -> quant::QMul {
    if (counting || (timing_only && !op.quant.contains(k))) return quant::QMul{};
    return qm(op, k);
  };
  const bool a16 = quant::is_a16(prec_);
  const int es = a16 ? 2 : 1;
  const int ibits = es * 8;
  const int pos0 = step.pos0;
  const uint64_t scratch = counting ? 0 : layout.addr("npu.scratch");
  const Scratch sc(n_heads_, score_row_, dim_);
  auto addr_of = [&](const std::string& name) -> uint64_t { return counting ? 0 : layout.addr(name); };
  // Kernel 1x1, output identity, no LUT unless an op asks.
  e.w.set0(NPU_SET_KERNEL_WIDTH_M1, 0);
  e.w.set0(NPU_SET_KERNEL_HEIGHT_M1, 0);
  auto zero_fill = [&](uint64_t addr, int w, int c, int64_t sx, int bytes, int32_t zp) {
    // OFM = 0 + 0, requantised by 1, plus the zero point: a constant.
    e.ifm(FmV{scratch + sc.zero, 1, 1, 1, 0, 0, 0, 1, 0});
    e.ifm2_scalar(0);
    e.ofm(FmV{addr, 1, w, c, 0, sx, bytes, bytes, zp});
    e.w.set1(NPU_SET_OPA_SCALE, 1, 0);
    e.w.set1(NPU_SET_OPB_SCALE, 1, 0);
    e.identity();
    e.acc(false);
    e.act_none();
    return e.op(NPU_OP_ELEMENTWISE, EW_ADD);
  };
  auto load_lut = [&](const std::string& name, uint64_t bytes) {
    e.dma(addr_of(name), 0, bytes, true);
    e.op(NPU_OP_DMA_WAIT, 0);
  };

  for (const engine::BoundOp& b : ops) {
    const Op& op = *b.op;
    const uint32_t first = e.w.commands();
    uint32_t last = first;
    switch (op.kind) {
      case OpKind::matmul: {
        const auto& si = streams_.at(op.name);
        const int m = int(op.m), n = int(op.n), k = int(op.k);
        const int eo = es_of(op.outputs[0].dtype);
        const bool i8x = op.inputs[0].dtype == trace::DType::i8;
        const int32_t x_zp = qparam(op, "x_zp"), y_zp = qparam(op, "y_zp");
        e.ifm(FmV{b.in[0].addr, 1, m, k, 0, int64_t(k) * es_of(op.inputs[0].dtype), es_of(op.inputs[0].dtype),
                  es_of(op.inputs[0].dtype), x_zp});
        e.ofm(FmV{b.out[0].addr, 1, m, n, 0, int64_t(n) * eo, eo, eo, op.outputs[0].role == Role::output ? 0 : y_zp});
        const auto [wr, wo] = e.where(addr_of(si.placed));
        e.w.set0(NPU_SET_WEIGHT_REGION, uint16_t(wr));
        e.w.set1(NPU_SET_WEIGHT_BASE, uint32_t(wo), uint16_t(wo >> 32));
        e.w.set1(NPU_SET_WEIGHT_LENGTH, uint32_t(lengths_.at(op.name)));
        const BlockConfig cfg = choose_block(v_, MacOp::vector_product, 1, m, n, k, i8x ? 8 : 16, false);
        e.block(1, cfg.ofm_w, si.obd);
        e.acc(!i8x);
        e.act_none();
        last = e.op(NPU_OP_CONV, 0);
        break;
      }
      case OpKind::attn_scores:
      case OpKind::attn_values: {
        const bool scores = op.kind == OpKind::attn_scores;
        const int m = int(op.m), nh = op.heads;
        const int hs = scores ? int(op.k) : int(op.n / op.heads);
        const int kv_dim = int(op.inputs[1].shape.at(1)), kvh = kv_dim / hs, grp = nh / kvh, d = nh * hs;
        const int64_t T = fixed_ ? score_row_ : pos0 + m;
        const replay::TensorLoc& sl = scores ? b.out[0] : b.in[0];     // scores / probs (m x nh rows of T)
        const int64_t rs = counting ? T * (scores ? 4 : es) : int64_t(sl.stride);
        const uint64_t cache = b.in[1].addr;
        const uint64_t qv = scores ? b.in[0].addr : b.out[0].addr;  // q (input) or attention output
        const quant::QMul mul = qmul(op, "mul");
        e.acc(a16);
        e.act_none();
        e.scale(mul.m, mul.shift);
        for (int g = 0; g < kvh; ++g) {
          if (scores) {
            e.ifm(FmV{qv + uint64_t(g) * grp * hs * es, m, grp, hs, int64_t(d) * es, int64_t(hs) * es, es, es,
                      qparam(op, "q_zp")});
            e.ifm2(FmV{cache + uint64_t(g) * hs * es, 1, int(T), hs, 0, int64_t(kv_dim) * es, es, es, qparam(op, "k_zp")});
            e.ofm(FmV{sl.addr + uint64_t(g) * grp * rs, m, grp, int(T), int64_t(nh) * rs, rs, 4, 4, 0});
            const BlockConfig cfg = choose_block(v_, MacOp::matmul, m, grp, int(T), hs, ibits, false);
            e.block(cfg.ofm_h, cfg.ofm_w, cfg.ofm_c);
          } else {
            e.ifm(FmV{sl.addr + uint64_t(g) * grp * rs, m, grp, int(T), int64_t(nh) * rs, rs, es, es, qparam(op, "p_zp")});
            e.ifm2(FmV{cache + uint64_t(g) * hs * es, 1, hs, int(T), 0, es, int64_t(kv_dim) * es, es, qparam(op, "v_zp")});
            e.ofm(FmV{qv + uint64_t(g) * grp * hs * es, m, grp, hs, int64_t(d) * es, int64_t(hs) * es, es, es,
                      qparam(op, "y_zp")});
            const BlockConfig cfg = choose_block(v_, MacOp::matmul, m, grp, hs, int(T), ibits, false);
            e.block(cfg.ofm_h, cfg.ofm_w, cfg.ofm_c);
          }
          last = e.op(NPU_OP_CONV, 1);
        }
        // Scores of masked positions are 0 (the golden kernel's definition).
        if (scores)
          for (int r = 0; r < m; ++r) {
            const int64_t len = pos0 + r + 1;
            if (len < T) last = zero_fill(sl.addr + uint64_t(r) * nh * rs + uint64_t(len) * 4, nh, int(T - len), rs, 4, 0);
          }
        break;
      }
      case OpKind::softmax: {
        const int nh = op.heads, m = int(op.m / op.heads);
        const int64_t T = fixed_ ? score_row_ : pos0 + m;
        const int out_bits = a16 ? 15 : 8;
        const int32_t out_zp = a16 ? 0 : -128;
        const int64_t rs = counting ? T * 4 : int64_t(b.in[0].stride), rp = counting ? T * es : int64_t(b.out[0].stride);
        load_lut("softmax.exp_lut", (quant::golden::kExpLutSteps + 1) * 4);
        e.acc(false);
        e.identity();
        for (int r = 0; r < m; ++r) {
          const int len = pos0 + r + 1;
          const uint64_t s_row = b.in[0].addr + uint64_t(r) * nh * rs, p_row = b.out[0].addr + uint64_t(r) * nh * rp;
          const FmV S{s_row, 1, nh, len, 0, rs, 4, 4, 0};
          const FmV MX{scratch + sc.mx, 1, nh, 1, 0, 4, 4, 4, 0};
          const FmV E{scratch + sc.e, 1, nh, len, 0, int64_t(len) * 4, 4, 4, 0};
          const FmV SUM{scratch + sc.sum, 1, nh, 1, 0, 8, 8, 8, 0};
          const FmV RC{scratch + sc.rc, 1, nh, 1, 0, 8, 8, 8, 0};
          e.identity();
          e.act_none();
          e.ifm(S);
          e.ofm(MX);
          e.op(NPU_OP_POOL, POOL_MAX);
          e.ifm(MX);
          e.ifm2(S);
          e.ofm(E);
          e.act(uint16_t(kActTable0 | kActClipEnable), 0, 16383);  // x = max - s in Q10, clamped to [0, 16), exp LUT
          e.op(NPU_OP_ELEMENTWISE, EW_SUB);
          e.act_none();
          e.ifm(E);
          e.ofm(SUM);
          e.op(NPU_OP_POOL, POOL_REDUCE_SUM);
          e.ifm(SUM);
          e.ofm(RC);
          e.op(NPU_OP_ELEMENTWISE, EW_RECIP46);
          e.ifm(E);
          e.ifm2(RC);
          e.ofm(FmV{p_row, 1, nh, len, 0, rp, es, es, out_zp});
          e.scale(1, 46 - out_bits);
          last = e.op(NPU_OP_ELEMENTWISE, EW_MUL);
          if (len < T) last = zero_fill(p_row + uint64_t(len) * es, nh, int(T - len), rp, es, out_zp);
        }
        break;
      }
      case OpKind::rmsnorm: {
        const int m = int(op.m), d = int(op.n);
        const int32_t x_zp = qparam(op, "x_zp"), y_zp = qparam(op, "y_zp");
        const int gain_shift = qparam(op, "gain_shift");
        const int eps = qparam(op, "eps_q");
        e.acc(false);
        for (int r0 = 0; r0 < m; r0 += kRowChunk) {
          const int R = std::min(kRowChunk, m - r0);
          const FmV X{b.in[0].addr + uint64_t(r0) * d * es, R, 1, d, int64_t(d) * es, 0, es, es, x_zp};
          const FmV SQ{scratch + sc.sq, R, 1, d, int64_t(d) * 4, 0, 4, 4, 0};
          const FmV MS{scratch + sc.ms, R, 1, 1, 8, 0, 8, 8, 0};
          const FmV MS2{scratch + sc.ms2, R, 1, 1, 8, 0, 8, 8, 0};
          const FmV INV{scratch + sc.inv, R, 1, 1, 8, 0, 8, 8, 0};
          const FmV G{scratch + sc.g, R, 1, d, int64_t(d) * 4, 0, 4, 4, 0};
          e.identity();
          e.act_none();
          e.ifm(X);
          e.ifm2(X);
          e.ofm(SQ);
          e.op(NPU_OP_ELEMENTWISE, EW_MUL);          // d^2
          e.ifm(SQ);
          e.ofm(MS);
          e.op(NPU_OP_POOL, POOL_AVERAGE);           // round(sum d^2 / n)
          e.ifm(MS);
          e.ifm2_scalar(int16_t(eps));
          e.ofm(MS2);
          e.op(NPU_OP_ELEMENTWISE, EW_ADD);          // + eps
          e.ifm(MS2);
          e.ofm(INV);
          e.op(NPU_OP_ELEMENTWISE, EW_RSQRT46);      // 2^46 / isqrt(ms x 2^32)
          e.ifm(X);
          e.ifm2(FmV{addr_of(op.inputs[1].name), R, 1, d, 0, 0, 2, 2, 0});
          e.ofm(G);
          e.op(NPU_OP_ELEMENTWISE, EW_MUL);          // d x gain
          e.ifm(G);
          e.ifm2(INV);
          e.ofm(FmV{b.out[0].addr + uint64_t(r0) * d * es, R, 1, d, int64_t(d) * es, 0, es, es, y_zp});
          e.scale(1, 30 + gain_shift);
          last = e.op(NPU_OP_ELEMENTWISE, EW_MUL);   // x inv, >> (30 + gain_shift), + zp
        }
        break;
      }
      case OpKind::rope: {
        const int m = int(op.m), width = int(op.n), heads = op.heads, hs = width / heads, half = hs / 2;
        const int32_t x_zp = qparam(op, "x_zp"), y_zp = qparam(op, "y_zp");
        const quant::QMul mul = qmul(op, "mul");
        e.acc(false);
        e.act_none();
        for (int r0 = 0; r0 < m; r0 += kRowChunk) {
          const int R = std::min(kRowChunk, m - r0);
          const uint64_t x = b.in[0].addr + uint64_t(r0) * width * es, y = b.out[0].addr + uint64_t(r0) * width * es;
          const FmV XE{x, R, heads, half, int64_t(width) * es, int64_t(hs) * es, 2 * es, es, x_zp};
          FmV XO = XE;
          XO.addr += es;
          const uint64_t trow = uint64_t(pos0 + r0) * half * 2;
          const FmV COS{addr_of("rope.cos") + trow, R, heads, half, int64_t(half) * 2, 0, 2, 2, 0};
          const FmV SIN{addr_of("rope.sin") + trow, R, heads, half, int64_t(half) * 2, 0, 2, 2, 0};
          auto tmp = [&](uint64_t off) { return FmV{scratch + off, R, heads, half, int64_t(heads) * half * 4, int64_t(half) * 4, 4, 4, 0}; };
          const FmV YE{y, R, heads, half, int64_t(width) * es, int64_t(hs) * es, 2 * es, es, y_zp};
          FmV YO = YE;
          YO.addr += es;
          e.identity();
          e.ifm(XE), e.ifm2(COS), e.ofm(tmp(sc.ra)), e.op(NPU_OP_ELEMENTWISE, EW_MUL);   // d0 cos
          e.ifm(XO), e.ifm2(SIN), e.ofm(tmp(sc.rb)), e.op(NPU_OP_ELEMENTWISE, EW_MUL);   // d1 sin
          e.ifm(XE), e.ifm2(SIN), e.ofm(tmp(sc.rc2)), e.op(NPU_OP_ELEMENTWISE, EW_MUL);  // d0 sin
          e.ifm(XO), e.ifm2(COS), e.ofm(tmp(sc.rd)), e.op(NPU_OP_ELEMENTWISE, EW_MUL);   // d1 cos
          e.scale(mul.m, mul.shift);
          e.ifm(tmp(sc.ra)), e.ifm2(tmp(sc.rb)), e.ofm(YE), e.op(NPU_OP_ELEMENTWISE, EW_SUB);
          e.ifm(tmp(sc.rc2)), e.ifm2(tmp(sc.rd)), e.ofm(YO);
          last = e.op(NPU_OP_ELEMENTWISE, EW_ADD);
        }
        break;
      }
      case OpKind::kv_write: {
        e.dma(b.in[0].addr, b.out[0].addr, b.out[0].bytes(), false);
        last = e.dma(b.in[1].addr, b.out[1].addr, b.out[1].bytes(), false);
        e.op(NPU_OP_DMA_WAIT, 0);
        break;
      }
      case OpKind::silu: {
        const int m = int(op.m), n = int(op.n);
        load_lut(op.inputs[1].name, replay::full_bytes(op.inputs[1]));
        e.acc(false);
        e.identity();
        e.act(kActTable0);
        e.ifm(FmV{b.in[0].addr, m, n, 1, int64_t(n) * es, es, es, es, 0});
        e.ofm(FmV{b.out[0].addr, m, n, 1, int64_t(n) * es, es, es, es, 0});
        last = e.op(NPU_OP_POOL, POOL_AVERAGE);
        e.act_none();
        break;
      }
      case OpKind::mul:
      case OpKind::add: {
        const int m = int(op.m), n = int(op.n);
        const bool add = op.kind == OpKind::add;
        e.acc(false);
        e.act_none();
        e.ifm(FmV{b.in[0].addr, m, 1, n, int64_t(n) * es, 0, es, es, qparam(op, "a_zp")});
        e.ifm2(FmV{b.in[1].addr, m, 1, n, int64_t(n) * es, 0, es, es, qparam(op, "b_zp")});
        e.ofm(FmV{b.out[0].addr, m, 1, n, int64_t(n) * es, 0, es, es, qparam(op, "y_zp")});
        if (add) {
          const quant::QMul am = qmul(op, "a_mul"), bm = qmul(op, "b_mul");
          const int ls = qparam(op, "left_shift");
          e.w.set1(NPU_SET_OPA_SCALE, uint32_t(am.m), uint16_t((am.shift & 63) | (ls << 8)));
          e.w.set1(NPU_SET_OPB_SCALE, uint32_t(bm.m), uint16_t(bm.shift & 63));
          const quant::QMul ym = qmul(op, "y_mul");
          e.scale(ym.m, ym.shift);
        } else {
          const quant::QMul mm = qmul(op, "mul");
          e.scale(mm.m, mm.shift);
        }
        last = e.op(NPU_OP_ELEMENTWISE, add ? EW_ADD : EW_MUL);
        break;
      }
      default:
        throw err("NPU mapper: op ", op.name, " (", trace::to_string(op.kind), ") cannot run on the NPU");
    }
    out.first_command.push_back(first);
    out.last_command.push_back(last);
  }
  e.w.cmd0(NPU_OP_STOP, 0xFFFF);
  out.words = e.w.words();
  return out;
}

}  // namespace slm::mapper
