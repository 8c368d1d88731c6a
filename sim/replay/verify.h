// The bit-exact check: what the golden model computed for each op of a step (copied while
// it runs) against what the engine wrote in simulated memory, read back after the op.
//
// The golden model keeps its own copy of the weights and activations (host memory); the
// engines only see simulated memory. So a fault in simulated memory, or an engine datapath
// that differs from the golden kernels, shows up as a mismatch at the first op whose output
// it changes. The verdict is kept per engine.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/replay/layout.h"
#include "workloads/trace/trace_io.h"

namespace slm::replay {

// Collects a step's ops and the golden bytes of every output (for kv_write: the step's new
// rows) and of every external input (an activation no earlier op of the step produced:
// the token ids, a model's input vectors).
class GoldenCollector : public trace::StepCollector {
 public:
  explicit GoldenCollector(bool keep_values) : keep_(keep_values) {}
  void begin_step(trace::Phase ph, int pos, int n) override;
  void on_op(const trace::Op& op, const trace::OpOperands& o) override;
  std::vector<std::vector<std::vector<uint8_t>>> outputs;  // [op][output] dense golden bytes
  std::map<std::string, std::vector<uint8_t>> external;    // name -> golden bytes
  std::set<std::string> produced;

 private:
  bool keep_;
  int pos0_ = 0;
};

struct Verdict {
  std::string engine, kind;
  bool computes_values = false;   // false: the golden kernels computed the engine's values
  uint64_t ops_checked = 0, ops_mismatched = 0;
  nlohmann::json first_mismatch;  // null, or {step, pos, op, kind, tensor, element, address, expected, got, ...}
  nlohmann::json to_json() const;
};

// Compares op `i`'s outputs in memory with the golden bytes; on a mismatch fills
// v.first_mismatch (if still null) and returns false.
bool compare_op(const trace::Op& op, const std::vector<TensorLoc>& out, const std::vector<std::vector<uint8_t>>& golden,
                const Layout& layout, int step, int pos0, Verdict& v);

}  // namespace slm::replay
