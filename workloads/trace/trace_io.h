// JSON Lines trace files: writer (an OpSink) and validating reader (docs/trace-format.md).
//
// File = one JSON object per line:
//   line 1        {"type":"header","format":"slmsim-trace","version":1,"model":{...},
//                  "precision":"w8a16","shape_only":false,"producer":"..."}
//   per step      {"type":"step","phase":"prefill"|"decode","pos":P,"n_tokens":N,"n_ops":K[,"tokens":[...]]}
//                 followed by exactly K {"type":"op",...} lines (index 0..K-1)
//   last line     {"type":"end","n_steps":S}
// The reader checks the version, every required field and its type, enum names, op
// order, step/op counts and shape consistency per op kind; each error names the file and
// the 1-based line: "t.jsonl:12: op field 'kind' missing".
// Not stored: numeric tensor contents (OpOperands never go to disk).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/trace/op.h"

namespace slm::trace {

inline constexpr int kTraceVersion = 1;

struct TraceHeader {
  int version = kTraceVersion;
  nlohmann::json model;       // ModelConfig fields (dim, hidden_dim, ..., name)
  std::string precision;      // w8a8 | w8a16 | w4a8
  bool shape_only = false;    // quantisation parameters absent
  std::string producer = "slmsim";
  int positions = 0;          // optional: KV-cache positions the producing run planned (0 = unknown)
  std::string quant_model;    // optional: the .slmq file whose values the trace was produced with
};

struct Trace {
  TraceHeader header;
  std::vector<Step> steps;
};

nlohmann::json to_json(const TensorRef&);
nlohmann::json to_json(const Op&);

// Writes the header at construction, each step at end_step, the end line at finish()
// (or destruction). The stream must outlive the writer.
class JsonlWriter : public OpSink {
 public:
  JsonlWriter(std::ostream& out, const TraceHeader& header);
  ~JsonlWriter() override;
  void begin_step(Phase phase, int pos, int n_tokens) override;
  void on_op(const Op& op, const OpOperands& operands) override;
  void end_step() override;
  // Writes one whole step (with its tokens, when known).
  void write_step(const Step& s);
  void finish();
  int steps_written() const { return n_steps_; }

 private:
  std::ostream& out_;
  Step step_;
  int n_steps_ = 0;
  bool finished_ = false;
};

// Collects steps in memory (tests, replay without a file).
class StepCollector : public OpSink {
 public:
  void begin_step(Phase phase, int pos, int n_tokens) override;
  void on_op(const Op& op, const OpOperands& operands) override;
  std::vector<Step> steps;
};

// ---- Per-record parsing (one JSON Lines record at a time) ----
// Each parse_*_record function validates one record completely (every field, its type and
// range; for ops also shapes per kind, MAC and element-op bounds without overflow, and the
// quantisation parameters a replay would feed to the golden kernels). Errors are
// slm::Error "<file>:<line>: <problem>". TraceReader below uses them and adds the order of
// records (header, steps with their ops, end).
struct RecordWhere {
  std::string file;
  int64_t line = 0;
};
inline constexpr uint64_t kMaxTraceLineBytes = 64ull << 20;
TraceHeader parse_header_record(const nlohmann::json& j, const RecordWhere& w);
// A step record (with its tokens when present; without its ops). n_ops: ops that follow.
// seq_len > 0: the step's positions must lie below it.
Step parse_step_record(const nlohmann::json& j, const RecordWhere& w, int64_t& n_ops, int64_t seq_len = 0);
Op parse_op_record(const nlohmann::json& j, const RecordWhere& w);
int64_t parse_end_record(const nlohmann::json& j, const RecordWhere& w);                 // n_steps


// Streaming reader: validates the header at construction, then yields one step at a time
// (its op records validated as they are read), so a trace of any length is read in memory
// proportional to one step. slm::Error "<name>:<line>: <problem>" on any defect; next()
// returns false after a valid end record.
class TraceReader {
 public:
  TraceReader(std::istream& in, std::string name);
  // Opens `path` (slm::Error if it cannot be read or is not a regular file).
  static std::unique_ptr<TraceReader> open(const std::string& path);
  ~TraceReader();
  const TraceHeader& header() const { return header_; }
  bool next(Step& s);
  int64_t step_line() const { return step_line_; }  // line of the last step record read
  int steps_read() const { return steps_; }
  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<std::istream> owned_;
  std::istream& in_;
  std::string name_;
  TraceHeader header_;
  int64_t line_ = 0, step_line_ = 0;
  int steps_ = 0;
  int64_t seq_len_ = 0;  // the header model's seq_len: steps must stay below it
  bool ended_ = false;
  bool read_record(nlohmann::json& j, std::string& type);  // false at end of input
};

// Reads and validates a whole trace (read_trace_file: checked against the host-memory
// budget first); slm::Error "<name>:<line>: <problem>" on any defect.
Trace read_trace(std::istream& in, const std::string& name);
Trace read_trace_file(const std::string& path);

}  // namespace slm::trace
