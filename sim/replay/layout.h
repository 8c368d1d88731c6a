// Layout: where every tensor of a run lives in the platform's simulated memories, and the
// bytes in them.
//
// Persistent tensors (weights with their per-channel parameters, norm gains, LUTs, RoPE
// tables, KV caches, outputs) are placed once, by a bump allocator per memory (64-byte
// aligned), in the memory that the config's `placement:` gives their role; their data is
// written into the memory before the run (Memory::load, a backdoor: no time, no stats).
// Engines declare what they need (sim/engine/engine.h, Engine::declare): raw tensors for
// the generic engine and the host, the NPU's own encoded weight streams for the NPU.
//
// Activations are transient: each step's activation tensors get addresses in an arena, the
// free part of the `activations` memory after its persistent tensors, by a first-fit
// allocator with liveness (a tensor's bytes are reused after its last reader in the step).
// The values an op reads are the values its producer wrote there.
//
// KV caches hold `kv_rows` positions (the run's positions; the model's seq_len in
// fixed-shape mode); attention score/probability rows may be padded to `score_row_elems`
// (fixed-shape mode computes the whole window).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/platform/platform.h"
#include "workloads/trace/op.h"

namespace slm::replay {

// One placed tensor or stream.
struct Region {
  std::string name;     // "l3.wq", "l3.kcache", "npu.l3.wq.stream", "arena:l3.q"
  std::string memory;   // component name
  std::string role;     // placement role it was placed by ("weights", ..., "arena")
  uint64_t addr = 0;    // global address
  uint64_t bytes = 0;
};

// The view of one op operand in memory: `rows` rows of `row_bytes` dense bytes, `stride`
// bytes apart (stride == row_bytes for dense tensors).
struct TensorLoc {
  uint64_t addr = 0;
  uint64_t rows = 1, row_bytes = 0, stride = 0;
  uint64_t bytes() const { return rows * row_bytes; }
};

struct LayoutOptions {
  int kv_rows = 0;               // positions each KV cache holds (> 0)
  int64_t score_row_elems = 0;   // attention score/prob row length; 0 = dense (pos0 + m)
  bool shape_only = false;       // no values: places addresses, loads and checks nothing
};

class Layout {
 public:
  Layout(const platform::Platform& p, LayoutOptions o);

  // Places `bytes` for `name` in the memory of placement role `role` (idempotent per
  // name). slm::Error naming the memory, its config line and the tensor when full.
  uint64_t place(const std::string& name, const std::string& role, uint64_t bytes);
  bool has(const std::string& name) const { return regions_.count(name) != 0; }
  const Region& region(const std::string& name) const;  // slm::Error if not placed
  uint64_t addr(const std::string& name) const { return region(name).addr; }
  // Backdoor write/read of simulated memory at a global address (no time, no stats).
  void write(uint64_t addr, const void* data, uint64_t bytes) const;
  void read(uint64_t addr, void* out, uint64_t bytes) const;

  // Plans the arena for one step's ops (every `activation` tensor): slm::Error when the
  // peak does not fit. Then loc() gives any operand's view.
  void plan_step(const std::vector<trace::Op>& ops, int pos0);
  TensorLoc loc(const trace::Op& op, const trace::TensorRef& t) const;

  // The placed region containing `addr` (persistent or this step's arena), or nullptr.
  const Region* region_at(uint64_t addr) const;
  const std::map<std::string, uint64_t>& used() const { return used_; }  // memory -> bytes (persistent)
  uint64_t arena_peak() const { return arena_peak_; }                    // largest step so far
  const LayoutOptions& options() const { return opt_; }
  const platform::Platform& platform() const { return p_; }
  std::string memory_of_role(const std::string& role) const;

 private:
  const platform::Platform& p_;
  LayoutOptions opt_;
  std::map<std::string, Region> regions_;
  std::map<std::string, uint64_t> used_;
  // This step's arena: name -> region (addresses in the activations memory).
  std::map<std::string, Region> arena_;
  uint64_t arena_base_ = 0, arena_size_ = 0, arena_peak_ = 0;
  bool arena_started_ = false;
  int pos0_ = 0;
};

// Dense bytes of a tensor's full logical shape (i4 packed two per byte).
uint64_t full_bytes(const trace::TensorRef& t);
// The placement role of a tensor ("weights", "params", "activations", "kv_cache", "output").
const char* role_key(trace::Role r);
bool persistent(trace::Role r);

}  // namespace slm::replay
