#include "sim/engine/generic_engine.h"

#include <algorithm>

#include "sim/engine/golden_exec.h"
#include "workloads/common/error.h"

namespace slm::engine {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using trace::Op;
using trace::Role;
using trace::TensorRef;

struct GenericEngine::Tile {
  size_t op = 0;         // op index in the run
  uint32_t index = 0;    // tile index within the op
  uint64_t src = 0;      // global source address
  uint64_t bytes = 0;
  uint64_t macs = 0, elem_ops = 0;   // the op's work in proportion to this tile's bytes
  uint32_t slot = 0;     // double-buffer slot
  Dma::Ticket ticket = 0;
  bool issued = false;
  sc_time issued_at;
};

const TensorRef* weight_of(const Op& op) {
  for (const auto& t : op.inputs)
    if (t.role == Role::weight) return &t;
  return nullptr;
}

bool streamed_with_weights(const Op& op, const TensorRef& t) {
  return t.role == Role::weight || (t.role == Role::param && weight_of(op) != nullptr);
}

uint64_t persistent_bytes(const TensorRef& t, const replay::Layout& layout) {
  if (t.role != Role::kv_cache) return replay::full_bytes(t);
  const uint64_t row = static_cast<uint64_t>(t.shape.at(1)) * static_cast<uint64_t>(trace::dtype_bits(t.dtype)) / 8;
  return row * static_cast<uint64_t>(layout.options().kv_rows);
}

void declare_raw(const Op& op, replay::Layout& layout, std::vector<std::string>& names) {
  for (const auto* list : {&op.inputs, &op.outputs})
    for (const auto& t : *list) {
      if (!replay::persistent(t.role) || layout.has(t.name)) continue;
      layout.place(t.name, streamed_with_weights(op, t) ? "weights" : replay::role_key(t.role), persistent_bytes(t, layout));
      if (t.role == Role::weight || t.role == Role::param) names.push_back(t.name);
    }
}

void load_raw(const quant::QuantModel& qm, replay::Layout& layout, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    const quant::Blob& b = qm.tensor(n);
    const replay::Region& r = layout.region(n);
    if (b.bytes.size() != r.bytes)
      throw err("layout: tensor '", n, "' holds ", b.bytes.size(), " bytes in the model but ", r.bytes, " were placed");
    layout.write(r.addr, b.bytes.data(), b.bytes.size());
  }
}

namespace {
uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) / c);
}
// Weight tile: engine.tile_bytes, or a quarter of the buffer (two double-buffered tiles take
// half, operands the other half).
uint64_t tile_bytes_of(const platform::Platform& p) {
  const auto& e = p.config().engine;
  return e.tile_bytes ? e.tile_bytes : p.memory(e.buffer).params().size_bytes / 4;
}
}  // namespace

void GenericEngine::check(const platform::Platform& p) {
  const auto& cfg = p.config();
  for (const char* k : {"dma", "buffer"})
    if ((std::string(k) == "dma" ? cfg.engine.dma : cfg.engine.buffer).empty())
      throw err(cfg.file, ": engine.", k, " is required for a generic compute engine ('", cfg.engine.compute, "')");
  const Dma& d = p.dma(cfg.engine.dma);
  if (cfg.engine.weight_channel >= d.params().channels || cfg.engine.activation_channel >= d.params().channels)
    throw err(cfg.file, ": engine.weight_channel / activation_channel must be < ", d.params().channels,
              " (channels of DMA '", cfg.engine.dma, "')");
  const uint64_t buf_size = p.memory(cfg.engine.buffer).params().size_bytes;
  const uint64_t tile = tile_bytes_of(p);
  if (tile == 0 || 2 * tile >= buf_size)
    throw err(cfg.file, ": engine.tile_bytes = ", tile, ": two tiles must leave room for operands in buffer '",
              cfg.engine.buffer, "' (", buf_size, " bytes)");
}

GenericEngine::GenericEngine(sc_core::sc_module_name name, platform::Platform& p, quant::Precision prec)
    : sc_module(name), p_(p), compute_name_(p.config().engine.compute), prec_(prec) {
  const auto& cfg = p.config();
  dma_ = &p.dma(cfg.engine.dma);
  engine_ = &p.compute(cfg.engine.compute);
  buf_base_ = p.base(cfg.engine.buffer);
  buf_size_ = p.memory(cfg.engine.buffer).params().size_bytes;
  tile_bytes_ = tile_bytes_of(p);
  operand_base_ = buf_base_ + 2 * tile_bytes_;
  operand_size_ = buf_size_ - 2 * tile_bytes_;
  SC_THREAD(weight_thread);
}

void GenericEngine::declare(const Op& op, replay::Layout& layout) { declare_raw(op, layout, declared_); }
void GenericEngine::load(const quant::QuantModel& qm, replay::Layout& layout) { load_raw(qm, layout, declared_); }

// Address in the operand area for a transfer of `bytes` (larger ones are moved in chunks of
// the whole area by move()): a ring, wrapping to the start when the rest is too short.
uint64_t GenericEngine::operand_slot(uint64_t bytes) {
  const uint64_t len = std::min(bytes, operand_size_);
  if (operand_cursor_ + len > operand_size_) operand_cursor_ = 0;
  const uint64_t at = operand_base_ + operand_cursor_;
  operand_cursor_ = (operand_cursor_ + len) % operand_size_;
  return at;
}

// One DMA copy on `channel`, split in chunks of the operand area; waits for it. With `data`
// (an output leaving the ring), each chunk's bytes are put in the ring slot first.
void GenericEngine::move(uint32_t channel, uint64_t src, uint64_t dst, uint64_t bytes, const std::string& what,
                         const uint8_t* data, replay::Layout& layout) {
  const sc_time t0 = sc_core::sc_time_stamp();
  uint64_t done = 0;
  const bool src_ring = src >= operand_base_ && src < operand_base_ + operand_size_;
  while (done < bytes) {
    const uint64_t chunk = std::min(bytes - done, operand_size_);
    // Chunks of a transfer larger than the operand area reuse the same ring slot.
    const uint64_t s = src_ring ? src : src + done, d = src_ring ? dst + done : dst;
    if (data) layout.write(s, data + done, chunk);
    auto t = dma_->submit(channel, DmaDescriptor::linear(s, d, chunk));
    dma_->wait(t);
    if (dma_->error(t)) throw err("replay: DMA error moving ", what, " (", chunk, " bytes from 0x", std::hex, s, " to 0x", d, ")");
    done += chunk;
  }
  spans_.push_back({dma_->basename() + std::string(".ch") + std::to_string(channel), what, t0, sc_core::sc_time_stamp(), bytes});
}

void GenericEngine::weight_thread() {
  const auto& cfg = p_.config();
  for (;;) {
    while (next_issue_ >= queue_.size()) sc_core::wait(queue_changed_);
    Tile* t = queue_[next_issue_];
    // Double buffering: the slot is free once tile (next_issue_ - 2) has been computed.
    while (next_issue_ >= freed_ + 2) sc_core::wait(slot_freed_);
    if (!cfg.engine.prefetch_across_ops)
      while (gate_op_ < static_cast<int>(t->op)) sc_core::wait(op_started_);
    t->issued_at = sc_core::sc_time_stamp();
    t->ticket = dma_->submit(cfg.engine.weight_channel,
                             DmaDescriptor::linear(t->src, buf_base_ + t->slot * tile_bytes_, t->bytes));
    t->issued = true;
    ++next_issue_;
    queue_changed_.notify(SC_ZERO_TIME);
  }
}

void GenericEngine::execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout,
                            const OpDone& done) {
  const auto& cfg = p_.config();
  const uint32_t ach = cfg.engine.activation_channel;
  const bool data = !layout.options().shape_only;
  // Cut the weights into tiles and hand them to the weight stream. The stream: the weights,
  // then their per-channel params (placed right after them).
  std::vector<std::vector<Tile>> tiles(ops.size());
  for (size_t j = 0; j < ops.size(); ++j) {
    const Op& op = *ops[j].op;
    const TensorRef* w = weight_of(op);
    if (!w || w->bytes == 0) continue;
    uint64_t total = 0;
    for (const auto& t : op.inputs)
      if (streamed_with_weights(op, t)) total += t.bytes;
    const uint64_t base = layout.addr(w->name);
    const uint64_t n = (total + tile_bytes_ - 1) / tile_bytes_;
    for (uint64_t i = 0; i < n; ++i) {
      Tile t;
      t.op = j;
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

  for (size_t j = 0; j < ops.size(); ++j) {
    const BoundOp& b = ops[j];
    const Op& op = *b.op;
    OpResult res;
    res.start = sc_core::sc_time_stamp();
    sc_time compute_time = SC_ZERO_TIME, weight_wait = SC_ZERO_TIME;
    // Operand loads (everything but streamed weights) into the operand ring.
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const TensorRef& t = op.inputs[i];
      if (streamed_with_weights(op, t) || t.bytes == 0) continue;
      move(ach, b.in[i].addr, operand_slot(t.bytes), t.bytes, op.name + " in " + t.name, nullptr, layout);
    }
    // The values, from the operands as they are in memory now.
    std::vector<std::vector<uint8_t>> out;
    if (data) out = golden_on_memory(b, step.pos0, [&](uint64_t a, void* d, uint64_t n) { layout.read(a, d, n); });
    // Without cross-op prefetch, this op's weight tiles start once its operands are in.
    gate_op_ = static_cast<int>(j);
    op_started_.notify(SC_ZERO_TIME);
    uint64_t cycles = 0;
    if (tiles[j].empty()) {
      const sc_time c0 = sc_core::sc_time_stamp();
      engine_->compute(op, prec_);
      compute_time += sc_core::sc_time_stamp() - c0;
      cycles += engine_->cycles(op, prec_);
    } else {
      for (const Tile& t : tiles[j]) {
        const sc_time w0 = sc_core::sc_time_stamp();
        while (!t.issued) sc_core::wait(queue_changed_);
        dma_->wait(t.ticket);
        if (dma_->error(t.ticket)) throw err("replay: DMA error streaming weights of ", op.name);
        spans_.push_back({dma_->basename() + std::string(".ch") + std::to_string(cfg.engine.weight_channel),
                          op.name + " tile " + std::to_string(t.index), t.issued_at, dma_->completion_time(t.ticket), t.bytes});
        weight_wait += sc_core::sc_time_stamp() - w0;
        Op part = op;
        part.macs = t.macs;
        part.elem_ops = t.elem_ops;
        const sc_time c0 = sc_core::sc_time_stamp();
        engine_->compute(part, prec_);
        compute_time += sc_core::sc_time_stamp() - c0;
        cycles += engine_->cycles(part, prec_);
        ++freed_;
        slot_freed_.notify(SC_ZERO_TIME);
      }
    }
    // Output stores: the result leaves the ring for its place.
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      const TensorRef& t = op.outputs[i];
      if (t.bytes == 0) continue;
      const replay::TensorLoc& v = b.out[i];
      const uint8_t* bytes = data ? out[i].data() : nullptr;
      if (v.stride == v.row_bytes) {
        move(ach, operand_slot(t.bytes), v.addr, t.bytes, op.name + " out " + t.name, bytes, layout);
      } else {  // padded rows: one row at a time
        for (uint64_t r = 0; r < v.rows; ++r)
          move(ach, operand_slot(v.row_bytes), v.addr + r * v.stride, v.row_bytes, op.name + " out " + t.name,
               bytes ? bytes + r * v.row_bytes : nullptr, layout);
      }
    }
    res.end = sc_core::sc_time_stamp();
    res.cycles = cycles;
    res.detail = {{"compute_cycles", cycles},
                  {"compute_s", compute_time.to_seconds()},
                  {"weight_wait_s", weight_wait.to_seconds()},
                  {"tiles", tiles[j].size()}};
    done(j, res);
  }
  queue_.clear();
  dma_->retire_done();  // every ticket of this call was waited for and read
}

}  // namespace slm::engine
