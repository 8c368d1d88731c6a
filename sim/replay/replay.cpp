#include "sim/replay/replay.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "workloads/common/error.h"
#include "workloads/trace/trace_io.h"

namespace slm::replay {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using trace::Op;
using trace::Role;
using trace::TensorRef;

struct Replayer::Tile {
  int op = 0;            // op index in the step
  uint32_t index = 0;    // tile index within the op
  uint64_t src = 0;      // global source address
  uint64_t bytes = 0;
  uint64_t macs = 0, elem_ops = 0;   // the op's work in proportion to this tile's bytes
  uint32_t slot = 0;     // double-buffer slot
  Dma::Ticket ticket = 0;
  bool issued = false;
  sc_time issued_at;
};

namespace {

uint64_t full_bytes(const TensorRef& t) {
  uint64_t e = 1;
  for (auto d : t.shape) e *= static_cast<uint64_t>(std::max<int64_t>(d, 0));
  return (e * static_cast<uint64_t>(trace::dtype_bits(t.dtype)) + 7) / 8;
}

const char* role_key(Role r) {
  switch (r) {
    case Role::weight: return "weights";
    case Role::param: return "params";
    case Role::activation: return "activations";
    case Role::kv_cache: return "kv_cache";
    case Role::output: return "output";
  }
  return "activations";
}

bool persistent(Role r) { return r == Role::weight || r == Role::param || r == Role::kv_cache; }

const TensorRef* weight_of(const Op& op) {
  for (const auto& t : op.inputs)
    if (t.role == Role::weight) return &t;
  return nullptr;
}

// Per-channel parameters of an op with weights (requantisation multipliers, row sums, int4
// group scales) are stored and streamed with its weights, as Vela encodes scales and biases
// into the weight stream (anchors A2: the "Scale" read channel). Other params (norm gains,
// LUTs, RoPE tables) live in the params memory and are loaded as operands.
bool streamed(const Op& op, const TensorRef& t) {
  return t.role == Role::weight || (t.role == Role::param && weight_of(op) != nullptr);
}

// Weight tile: engine.tile_bytes, or a quarter of the buffer (two double-buffered tiles take
// half, operands the other half).
uint64_t tile_bytes_of(const platform::Platform& p) {
  const auto& e = p.config().engine;
  return e.tile_bytes ? e.tile_bytes : p.memory(e.buffer).params().size_bytes / 4;
}

uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) / c);
}

// Collects each step's ops (trace::StepCollector) and recomputes every op with the golden
// kernels, comparing bits with the model's result.
class Verifier : public trace::StepCollector {
 public:
  Verifier(bool verify, Result& res) : verify_(verify), res_(res) {}
  void on_op(const Op& op, const trace::OpOperands& o) override {
    trace::StepCollector::on_op(op, o);
    if (verify_ && !o.out.empty() && o.out[0] != nullptr) check(op, o, steps.back().pos);
  }

 private:
  void check(const Op& op, const trace::OpOperands& o, int pos0) {
    std::vector<std::vector<uint8_t>> bufs(op.outputs.size());
    std::vector<void*> out;
    // kv_write writes rows pos0.. of whole-layer caches; other ops write dense outputs.
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      bufs[i].assign(op.kind == trace::OpKind::kv_write ? full_bytes(op.outputs[i]) : op.outputs[i].bytes, 0);
      out.push_back(bufs[i].data());
    }
    quant::golden_execute(op, o, pos0, out);
    ++res_.ops_checked;
    bool same = true;
    for (size_t i = 0; i < op.outputs.size() && same; ++i) {
      if (op.kind == trace::OpKind::kv_write) {
        const uint64_t row = op.outputs[i].bytes / std::max<int64_t>(op.m, 1);
        const uint64_t off = row * static_cast<uint64_t>(pos0);
        same = std::memcmp(bufs[i].data() + off, static_cast<const uint8_t*>(o.out[i]) + off, op.outputs[i].bytes) == 0;
      } else {
        same = std::memcmp(bufs[i].data(), o.out[i], bufs[i].size()) == 0;
      }
    }
    if (!same) {
      if (res_.ops_mismatched == 0) res_.first_mismatch = op.name + " at pos " + std::to_string(pos0);
      ++res_.ops_mismatched;
    }
  }
  bool verify_;
  Result& res_;
};

}  // namespace

Placement Placement::plan(const platform::Platform& p, const quant::IntTransformer& model, int steps) {
  Placement pl;
  pl.p_ = &p;
  pl.steps_ = steps;
  pl.seq_len_ = model.config().seq_len;
  quant::IntTransformer shape(model.config(), model.precision());
  trace::StepCollector c;
  const int32_t tok = 1;
  shape.forward(std::span<const int32_t>(&tok, 1), steps - 1, trace::Phase::decode, &c);
  for (const auto& op : c.steps.at(0).ops)
    for (const auto* list : {&op.inputs, &op.outputs})
      for (const auto& t : *list)
        if (persistent(t.role)) pl.address_of(t, streamed(op, t));
  return pl;
}

uint64_t Placement::address_of(const TensorRef& t, bool with_weights) {
  auto it = tensors_.find(t.name);
  if (it != tensors_.end()) return it->second.addr;
  const auto& cfg = p_->config();
  const std::string& mem = cfg.placement.at(with_weights ? "weights" : role_key(t.role));
  uint64_t bytes = persistent(t.role) ? full_bytes(t) : 0;  // transient tensors go through the operand ring
  if (t.role == Role::kv_cache && seq_len_ > 0) bytes = mul_div(bytes, static_cast<uint64_t>(steps_), static_cast<uint64_t>(seq_len_));
  uint64_t& used = used_[mem];
  const uint64_t size = p_->memory(mem).params().size_bytes;
  const uint64_t at = (used + 63) & ~uint64_t{63};
  if (at + bytes > size) {
    const auto* c = cfg.find(mem);
    throw err(cfg.file, ": placement.", role_key(t.role), " = ", mem, ": memory too small: tensor '", t.name, "' (",
              bytes, " bytes) does not fit after ", at, " bytes already placed; ", mem, " has ", size, " bytes",
              c && c->node ? " (" + c->node->where() + ")" : std::string());
  }
  used = at + bytes;
  tensors_[t.name] = {mem, p_->base(mem) + at, bytes};
  return p_->base(mem) + at;
}

Replayer::Replayer(sc_core::sc_module_name name, platform::Platform& p, quant::IntTransformer& model,
                   stats::Group& stats_root, Options opt, Placement place)
    : sc_module(name), p_(p), model_(model), stats_root_(stats_root), opt_(std::move(opt)), place_(std::move(place)) {
  const auto& cfg = p.config();
  dma_ = &p.dma(cfg.engine.dma);
  engine_ = &p.compute(cfg.engine.compute);
  prec_ = model.precision();
  const std::string& buf = cfg.engine.buffer;
  buf_base_ = p.base(buf);
  buf_size_ = p.memory(buf).params().size_bytes;
  tile_bytes_ = tile_bytes_of(p);
  operand_base_ = buf_base_ + 2 * tile_bytes_;
  operand_size_ = buf_size_ - 2 * tile_bytes_;
  SC_THREAD(main_thread);
  SC_THREAD(weight_thread);
}

Replayer::~Replayer() = default;

// Checks made before elaboration (an exception inside an sc_module constructor would leave
// the SystemC hierarchy half-built).
void check_options(const platform::Platform& p, const quant::IntTransformer& model, Options& opt) {
  const auto& cfg = p.config();
  const Dma& d = p.dma(cfg.engine.dma);
  if (cfg.engine.weight_channel >= d.params().channels || cfg.engine.activation_channel >= d.params().channels)
    throw err(cfg.file, ": engine.weight_channel / activation_channel must be < ", d.params().channels,
              " (channels of DMA '", cfg.engine.dma, "')");
  if (opt.prompt_tokens.empty()) throw Error("replay: the prompt must hold at least one token (BOS)");
  const int seq_len = model.config().seq_len;
  if (opt.steps <= 0 || opt.steps > seq_len) opt.steps = seq_len;
  if (static_cast<int>(opt.prompt_tokens.size()) > opt.steps)
    throw err("replay: prompt of ", opt.prompt_tokens.size(), " tokens does not fit in ", opt.steps, " steps");
  const uint64_t buf_size = p.memory(cfg.engine.buffer).params().size_bytes;
  const uint64_t tile = tile_bytes_of(p);
  if (tile == 0 || 2 * tile >= buf_size)
    throw err(cfg.file, ": engine.tile_bytes = ", tile, ": two tiles must leave room for operands in buffer '",
              cfg.engine.buffer, "' (", buf_size, " bytes)");
}

// Address in the operand area for a transfer of `bytes` (larger ones are moved in chunks of
// the whole area by move()): a ring, wrapping to the start when the rest is too short.
uint64_t Replayer::operand_slot(uint64_t bytes) {
  const uint64_t len = std::min(bytes, operand_size_);
  if (operand_cursor_ + len > operand_size_) operand_cursor_ = 0;
  const uint64_t at = operand_base_ + operand_cursor_;
  operand_cursor_ = (operand_cursor_ + len) % operand_size_;
  return at;
}

// One DMA copy on `channel`, splitting what does not fit the operand area; waits for it.
sc_time Replayer::move(uint32_t channel, uint64_t src, uint64_t dst, uint64_t bytes, const std::string& what) {
  const sc_time t0 = sc_core::sc_time_stamp();
  uint64_t done = 0;
  const bool src_ring = src >= operand_base_ && src < operand_base_ + operand_size_;
  while (done < bytes) {
    const uint64_t chunk = std::min(bytes - done, operand_size_);
    // Chunks of a transfer larger than the operand area reuse the same ring slot.
    const uint64_t s = src_ring ? src : src + done, d = src_ring ? dst + done : dst;
    auto t = dma_->submit(channel, DmaDescriptor::linear(s, d, chunk));
    dma_->wait(t);
    if (dma_->error(t)) throw err("replay: DMA error moving ", what, " (", chunk, " bytes from 0x", std::hex, s, " to 0x", d, ")");
    done += chunk;
  }
  res_.dma.push_back({channel, what, t0, sc_core::sc_time_stamp(), bytes});
  return sc_core::sc_time_stamp() - t0;
}

void Replayer::weight_thread() {
  const auto& cfg = p_.config();
  for (;;) {
    while (next_issue_ >= queue_.size()) sc_core::wait(queue_changed_);
    Tile* t = queue_[next_issue_];
    // Double buffering: the slot is free once tile (next_issue_ - 2) has been computed.
    while (next_issue_ >= freed_ + 2) sc_core::wait(slot_freed_);
    if (!cfg.engine.prefetch_across_ops)
      while (gate_op_ < t->op) sc_core::wait(op_started_);
    t->issued_at = sc_core::sc_time_stamp();
    t->ticket = dma_->submit(cfg.engine.weight_channel,
                             DmaDescriptor::linear(t->src, buf_base_ + t->slot * tile_bytes_, t->bytes));
    t->issued = true;
    ++next_issue_;
    queue_changed_.notify(SC_ZERO_TIME);
  }
}

void Replayer::run_step(const std::vector<Op>& ops, const std::vector<std::vector<Tile>>& tiles) {
  const auto& cfg = p_.config();
  const uint32_t ach = cfg.engine.activation_channel;
  for (size_t j = 0; j < ops.size(); ++j) {
    const Op& op = ops[j];
    OpRecord rec;
    rec.step = static_cast<uint32_t>(res_.steps.size());
    rec.op = op;
    rec.start = sc_core::sc_time_stamp();
    // Operand loads (everything but weights) into the operand ring.
    for (const auto& t : op.inputs) {
      if (streamed(op, t) || t.bytes == 0) continue;
      const uint64_t src = persistent(t.role) ? place_.address_of(t) : p_.base(cfg.placement.at(role_key(t.role)));
      move(ach, src, operand_slot(t.bytes), t.bytes, op.name + " in " + t.name);
    }
    // Without cross-op prefetch, this op's weight tiles start once its operands are in.
    gate_op_ = static_cast<int>(j);
    op_started_.notify(SC_ZERO_TIME);
    // Compute, tile by tile for ops with weights.
    if (tiles[j].empty()) {
      const sc_time c0 = sc_core::sc_time_stamp();
      engine_->compute(op, prec_);
      rec.compute_time += sc_core::sc_time_stamp() - c0;
      rec.compute_cycles += engine_->cycles(op, prec_);
    } else {
      for (const Tile& t : tiles[j]) {
        const sc_time w0 = sc_core::sc_time_stamp();
        while (!t.issued) sc_core::wait(queue_changed_);
        dma_->wait(t.ticket);
        if (dma_->error(t.ticket)) throw err("replay: DMA error streaming weights of ", op.name);
        res_.dma.push_back({cfg.engine.weight_channel, op.name + " tile " + std::to_string(t.index), t.issued_at,
                            dma_->completion_time(t.ticket), t.bytes});
        rec.weight_wait += sc_core::sc_time_stamp() - w0;
        Op part = op;
        part.macs = t.macs;
        part.elem_ops = t.elem_ops;
        const sc_time c0 = sc_core::sc_time_stamp();
        engine_->compute(part, prec_);
        rec.compute_time += sc_core::sc_time_stamp() - c0;
        rec.compute_cycles += engine_->cycles(part, prec_);
        ++freed_;
        slot_freed_.notify(SC_ZERO_TIME);
        ++rec.tiles;
      }
    }
    // Output stores.
    for (const auto& t : op.outputs) {
      if (t.bytes == 0) continue;
      const uint64_t dst = persistent(t.role) ? place_.address_of(t) : p_.base(cfg.placement.at(role_key(t.role)));
      move(ach, operand_slot(t.bytes), dst, t.bytes, op.name + " out " + t.name);
    }
    rec.end = sc_core::sc_time_stamp();
    res_.ops.push_back(std::move(rec));
  }
}

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

void Replayer::simulate() {
  Verifier col(opt_.verify && !model_.shape_only(), res_);
  res_.shape_only = model_.shape_only();
  res_.tokens = opt_.prompt_tokens;
  res_.n_prompt = static_cast<int>(opt_.prompt_tokens.size());
  int pos = 0;
  const int total_steps = opt_.steps - res_.n_prompt + 1;
  while (pos < opt_.steps) {
    // 1. Compute the step with the golden kernels, recording its ops.
    const bool prefill = pos == 0;
    std::vector<int32_t> toks = prefill ? opt_.prompt_tokens : std::vector<int32_t>{res_.tokens.back()};
    col.steps.clear();  // keep only this step's ops
    model_.forward(toks, pos, prefill ? trace::Phase::prefill : trace::Phase::decode, &col);
    const std::vector<Op>& ops = col.steps.at(0).ops;
    // 2. Cut the weights into tiles and hand them to the weight stream.
    std::vector<std::vector<Tile>> tiles(ops.size());
    for (size_t j = 0; j < ops.size(); ++j) {
      const Op& op = ops[j];
      const TensorRef* w = weight_of(op);
      if (!w || w->bytes == 0) continue;
      // The stream: the weights, then their per-channel params (placed right after them).
      uint64_t total = 0;
      for (const auto& t : op.inputs)
        if (streamed(op, t)) total += t.bytes, place_.address_of(t, true);
      const uint64_t base = place_.address_of(*w, true);
      const uint64_t n = (total + tile_bytes_ - 1) / tile_bytes_;
      for (uint64_t i = 0; i < n; ++i) {
        Tile t;
        t.op = static_cast<int>(j);
        t.index = static_cast<uint32_t>(i);
        t.src = base + i * tile_bytes_;
        t.bytes = std::min(tile_bytes_, total - i * tile_bytes_);
        const uint64_t b0 = i * tile_bytes_, b1 = b0 + t.bytes;
        t.macs = mul_div(op.macs, b1, total) - mul_div(op.macs, b0, total);
        t.elem_ops = mul_div(op.elem_ops, b1, total) - mul_div(op.elem_ops, b0, total);
        tiles[j].push_back(t);
      }
    }
    queue_.clear();
    next_issue_ = freed_ = 0;
    gate_op_ = -1;
    uint32_t slot = 0;
    for (auto& v : tiles)
      for (auto& t : v) {
        t.slot = slot;
        slot ^= 1u;
        queue_.push_back(&t);
      }
    queue_changed_.notify(SC_ZERO_TIME);
    // 3. Replay it.
    StepRecord sr;
    sr.phase = prefill ? trace::Phase::prefill : trace::Phase::decode;
    sr.pos = pos;
    sr.n_tokens = static_cast<int>(toks.size());
    sr.start = sc_core::sc_time_stamp();
    run_step(ops, tiles);
    sr.end = sc_core::sc_time_stamp();
    sr.counters_at_end = {{stats_root_.name(), stats_root_.to_json(sr.end.to_seconds(), false)}};
    res_.steps.push_back(std::move(sr));
    queue_.clear();
    pos += static_cast<int>(toks.size());
    // 4. Next token (host side, not timed).
    int next = 1;
    if (!model_.shape_only() && opt_.next_token) next = opt_.next_token(model_, pos);
    if (next < 0) break;
    res_.tokens.push_back(model_.shape_only() ? 1 : next);
    if (opt_.progress) opt_.progress(static_cast<int>(res_.steps.size()), total_steps);
    if (next == 1 && !model_.shape_only()) break;  // BOS ends the story (run.c)
  }
  finished_ = true;
}

}  // namespace slm::replay
