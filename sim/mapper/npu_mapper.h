// NpuMapper: lowers a step's ops to an Ethos-U85-class command stream, Vela-style.
//
//   operator placement  supports(): fully connected / matmul (int8 weights), attention,
//                       RMSNorm, RoPE, softmax, SiLU (LUT), MUL, ADD and the KV-cache write
//                       run on the NPU; the embedding lookup, the token choice and int4
//                       weights (w4a8) go to the host CPU.
//   tensor placement    from the config's `placement:` roles; every memory the NPU touches
//                       is one of its 8 regions (BASEP), on the SRAM-class AXI ports when it
//                       is an `sram`, on the external ports otherwise.
//   weights             each fully connected op's weights, per-channel scales and biases are
//                       encoded into one stream for its block configuration
//                       (models/npu/weight_stream.h) and placed in the weights memory.
//   tiling              the NPU's block configuration (ethos_u85_arch.h) tiles every op to its
//                       internal RAMs; RMSNorm, RoPE and softmax run one token row at a time
//                       through a scratch area in the activations memory.
//   double buffering    the NPU fetches the next block's weights while the MAC array works
//                       (EthosU85 weight_prefetch_blocks), and the LUT and KV-cache copies
//                       run on its DMA beside the kernels.
//   shape modes         dynamic: only the positions so far (attention over pos + 1 keys);
//                       fixed: the whole context window every step, as a fixed-shape TFLite
//                       graph computes (attention over seq_len keys; the causal mask becomes
//                       the softmax's valid length, masked probabilities are written as 0).
// The lowering of each model op into NPU operations is listed in docs/npu.md.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "models/npu/ethos_u85_arch.h"
#include "sim/engine/engine.h"
#include "sim/replay/layout.h"
#include "workloads/llama2/model.h"
#include "workloads/quant/quant_model.h"

namespace slm::mapper {

// Which region (0..7) holds which memory, and its port class.
struct Regions {
  std::vector<std::string> memory;   // region -> memory component
  std::vector<uint64_t> base;        // region -> global base address
  std::vector<bool> ext;             // region -> on the external AXI ports
  uint32_t regioncfg() const;
  // Region and offset of a global address; slm::Error if no region holds it.
  std::pair<uint32_t, uint64_t> at(uint64_t addr) const;
};

struct Lowered {
  std::vector<uint32_t> words;         // the command stream (ends with NPU_OP_STOP)
  std::vector<uint32_t> last_command;  // per op of the run: index of the command that completes it
  std::vector<uint32_t> first_command; // per op: index of its first operation command
};

class NpuMapper {
 public:
  NpuMapper(const npu::Variant& v, quant::Precision prec, bool fixed_shape);
  bool supports(const trace::Op& op) const;
  bool fixed_shape() const { return fixed_; }
  // Places what `op` needs: encoded weight streams (weights), its tables (params), KV caches
  // and outputs.
  void declare(const trace::Op& op, replay::Layout& layout);
  // After every op is declared: the scratch area (activations memory) and the command buffer
  // (with the weights, as a compiled model carries its command stream), sized for the
  // largest step of a run of `steps` positions.
  void finish(replay::Layout& layout, const engine::RunShape& rs);
  // Data mode: encodes and writes the weight streams and tables.
  void load(const quant::QuantModel& qm, replay::Layout& layout);
  Lowered lower(const engine::StepInfo& step, std::span<const engine::BoundOp> ops, const replay::Layout& layout,
                const Regions& regions) const;
  uint64_t command_buffer_bytes() const { return cmd_bytes_; }

 private:
  struct StreamInfo { std::string weight, requant, placed; uint32_t n = 0, k = 0; uint16_t obd = 16, ibd = 64; };
  const npu::Variant& v_;
  quant::Precision prec_;
  bool fixed_;
  std::map<std::string, StreamInfo> streams_;  // op name -> its weight stream
  std::map<std::string, uint64_t> lengths_;    // op name -> encoded length (2:4 sparse streams are shorter)
  std::vector<std::string> raw_;               // raw tensors to load
  uint64_t cmd_bytes_ = 0;
  int n_heads_ = 1, dim_ = 1;
  int64_t score_row_ = 1;
};

}  // namespace slm::mapper
