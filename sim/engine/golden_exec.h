// Golden kernels run on operands read from simulated memory: how the generic engine and the
// host CPU model compute an op's values (they have no datapath of their own). The bytes come
// from the op's operand views in memory (replay::TensorLoc) through `read`, so a fault in
// memory changes the result; the results are dense buffers for the op's output views.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "sim/engine/engine.h"

namespace slm::engine {

// Reads `n` bytes at global address `addr` into `dst` (backdoor, or a timed bus read).
using MemReader = std::function<void(uint64_t addr, void* dst, uint64_t n)>;

// The op's outputs, computed by quant::golden_execute on operands read through `read`.
// out[i] holds the dense bytes of output i's view (for kv_write: the step's new rows).
std::vector<std::vector<uint8_t>> golden_on_memory(const BoundOp& b, int pos0, const MemReader& read);

// Reads a view (rows x row_bytes, `stride` apart) into a dense buffer, and back.
std::vector<uint8_t> read_view(const replay::TensorLoc& v, const MemReader& read);
void write_view(const replay::TensorLoc& v, const uint8_t* dense, const std::function<void(uint64_t, const void*, uint64_t)>& write);

}  // namespace slm::engine
