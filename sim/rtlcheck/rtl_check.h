// RTL check of a run (`slmsim run --rtl`): every fully connected op the NPU runs is sent, as
// it completes, through the verilated MAC array (models/rtl), and the array's outputs are
// compared with the NPU model's, element for element.
//
// Operands: what the NPU read for the op, from simulated memory when the op completes (its
// consumer has not run yet): the IFM rows at the op's input, the op's encoded weight stream
// (npu.<op>.stream: weights, per-channel bias, multiplier and shift) decoded with the NPU's own
// reader (models/npu/weight_stream.h), the IFM zero point and the OFM zero point and range of
// the command the mapper wrote. Expected: the op's output as the NPU model left it in memory
// (the NPU wrote it; the same bytes the bit-exact check compares with the golden model).
// Cycles: the RTL's, with the weights delivered at the weight decoder's rate for the stream's
// zero rate (npu::weight_decoder_rate), next to the NPU model's MAC and weight-decoder cycles for
// the op's blocks. A fault (`--rtl-fault OP[@STEP]:INDEX:BIT`) flips one bit of weight INDEX
// (row-major, channel x K + depth) of an op as the RTL receives it, to show the check fails.
//
// The verdict fails on any element where the RTL and the NPU model differ; a run whose NPU
// output also differs from the golden model is the bit-exact check's finding (reported here as
// golden_mismatches, without failing the RTL verdict).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/replay/session.h"

namespace slm::rtlcheck {

struct Options {
  int macs = 0;                     // 128 or 512; 0 = the configured NPU's MAC count
  std::vector<std::string> faults;  // OP[@STEP]:INDEX:BIT
  int max_listed = 8;               // mismatches listed per op (all are counted)
};

// True if this build has the verilated array (Verilator was found at configure time).
bool available();

class Checker {
 public:
  // slm::Error (exit 2) on a malformed fault spec or an RTL size that is not built.
  explicit Checker(Options o);
  ~Checker();
  // Hooks the check into a run (capture_if / capture of the session's options).
  void attach(replay::SessionOptions& so);
  // The "rtl" section of the report: docs/rtl.md "slmsim run --rtl".
  nlohmann::json report() const;
  bool passed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> p_;
};

// The lines `slmsim run --rtl` prints after the run's summary.
std::string summary(const nlohmann::json& rtl);

}  // namespace slm::rtlcheck
