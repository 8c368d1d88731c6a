// GenericEngine: the parametric compute engine (models/compute) fed by a DMA.
//
// Timing, per op (docs/timing-model.md, "Replay"):
//   weight stream  (DMA weight_channel): the op's weights and their per-channel parameters
//                  (placed one after the other in the weights memory) are cut into tiles of
//                  tile_bytes and copied into the engine's buffer memory, two tile slots
//                  (double buffering): tile i may start once the compute of tile i-2 freed
//                  its slot. With prefetch_across_ops off, the tiles of op j wait until op
//                  j's operands are loaded.
//   operand moves  (DMA activation_channel): before an op computes, its other inputs are
//                  copied from their places into the buffer's operand area (a ring); after
//                  it, its outputs are copied from the ring to their places.
//   compute        (ComputeEngine): tile by tile for ops with weights (the MACs of a tile
//                  are the op's MACs in proportion to its bytes), whole otherwise.
// So for one op with n equal tiles of DMA time D and compute time C (no cross-op prefetch):
//   op time = operand loads + D + (n - 1) * max(D, C) + C + output stores.
// Values: the engine has no datapath of its own. The golden kernels compute each op from
// its operands as they are in simulated memory (a fault there changes the result); the
// result is put in the operand ring and the output DMA carries it to its place.
#pragma once
#include <systemc>

#include "models/compute/compute_engine.h"
#include "models/dma/dma.h"
#include "sim/engine/engine.h"
#include "sim/platform/platform.h"

namespace slm::engine {

class GenericEngine : public sc_core::sc_module, public Engine {
 public:
  SC_HAS_PROCESS(GenericEngine);
  // Checks the engine binding of the config (slm::Error) before building anything.
  static void check(const platform::Platform& p);
  GenericEngine(sc_core::sc_module_name name, platform::Platform& p, quant::Precision prec);

  const std::string& engine_name() const override { return compute_name_; }
  std::string engine_kind() const override { return "generic"; }
  bool computes_values() const override { return false; }
  bool supports(const trace::Op&) const override { return true; }
  void declare(const trace::Op& op, replay::Layout& layout) override;
  void load(const quant::QuantModel& qm, replay::Layout& layout) override;
  void execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout, const OpDone& done) override;
  uint64_t clock_hz() const override { return engine_->clock().hz(); }
  // Per-op detail keys: compute_cycles, weight_wait_s, compute_s, tiles.

 private:
  struct Tile;
  void weight_thread();
  uint64_t operand_slot(uint64_t bytes);
  void move(uint32_t channel, uint64_t src, uint64_t dst, uint64_t bytes, const std::string& what,
            const uint8_t* data, replay::Layout& layout);

  platform::Platform& p_;
  std::string compute_name_;
  Dma* dma_ = nullptr;
  ComputeEngine* engine_ = nullptr;
  quant::Precision prec_;
  uint64_t tile_bytes_ = 0;
  uint64_t buf_base_ = 0, buf_size_ = 0, operand_base_ = 0, operand_size_ = 0, operand_cursor_ = 0;
  std::vector<std::string> declared_;  // raw tensors to load

  // Weight stream state (shared between the two threads).
  std::vector<Tile*> queue_;
  size_t next_issue_ = 0, freed_ = 0;
  int gate_op_ = -1;
  sc_core::sc_event queue_changed_, slot_freed_, op_started_;
};

// Per-channel parameters of an op with weights (requantisation multipliers, row sums, int4
// group scales) are stored and streamed with its weights, as Vela encodes scales and biases
// into the weight stream (anchors A2: the "Scale" read channel).
bool streamed_with_weights(const trace::Op& op, const trace::TensorRef& t);
const trace::TensorRef* weight_of(const trace::Op& op);
// Raw tensor bytes of a persistent tensor as placed (KV caches hold layout.kv_rows rows).
uint64_t persistent_bytes(const trace::TensorRef& t, const replay::Layout& layout);
// Declares an op's persistent tensors in their raw form (weights, params, KV, outputs).
void declare_raw(const trace::Op& op, replay::Layout& layout, std::vector<std::string>& names);
// Writes the raw tensors `names` from the quantised model into simulated memory.
void load_raw(const quant::QuantModel& qm, replay::Layout& layout, const std::vector<std::string>& names);

}  // namespace slm::engine
