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
// slm::Error "<file>:<line>: <problem>". A streaming reader uses TraceRecordParser, which
// also checks the order of records (header, steps with their ops, end).
struct RecordWhere {
  std::string file;
  int64_t line = 0;
};
inline constexpr uint64_t kMaxTraceLineBytes = 64ull << 20;
TraceHeader parse_header_record(const nlohmann::json& j, const RecordWhere& w);
Step parse_step_record(const nlohmann::json& j, const RecordWhere& w, int64_t& n_ops);  // n_ops: ops that follow
Op parse_op_record(const nlohmann::json& j, const RecordWhere& w);
int64_t parse_end_record(const nlohmann::json& j, const RecordWhere& w);                 // n_steps

class TraceRecordParser {
 public:
  enum class RecordType { header, step, op, end };
  struct Record {
    RecordType type = RecordType::header;
    TraceHeader header;  // type header
    Step step;           // type step (without its ops)
    Op op;               // type op (belongs to the last step)
  };
  explicit TraceRecordParser(std::string name);
  // One line of the file (without the newline): the validated record.
  Record parse_line(const std::string& text);
  // After the last line: slm::Error if the trace has no header or no end record.
  void finish() const;
  int64_t line() const { return where_.line; }
  int64_t ops_left() const { return ops_left_; }  // ops still due in the current step

 private:
  RecordWhere where_;
  bool have_header_ = false, have_end_ = false;
  int64_t ops_left_ = 0, n_steps_ = 0, seq_len_ = 0, step_tokens_ = 0;
  uint32_t next_index_ = 0;
};

// Streaming reader (TraceRecordParser underneath): the header at construction, then one
// step at a time with its ops, so a trace of any length is read in memory proportional to
// one step (lines longer than kMaxTraceLineBytes are refused before they are held).
// slm::Error "<name>:<line>: <problem>" on any defect; next() returns false after a valid
// end record.
class TraceReader {
 public:
  TraceReader(std::istream& in, std::string name);
  // Opens `path` (slm::Error unless it is a readable regular file).
  static std::unique_ptr<TraceReader> open(const std::string& path);
  ~TraceReader();
  const TraceHeader& header() const { return header_; }
  bool next(Step& s);
  int64_t step_line() const { return step_line_; }  // line of the last step record read
  int steps_read() const { return steps_; }
  const std::string& name() const { return name_; }

 private:
  bool read_line(std::string& text);  // false at end of input
  std::unique_ptr<std::istream> owned_;
  std::istream& in_;
  std::string name_;
  TraceRecordParser parser_;
  TraceHeader header_;
  int64_t step_line_ = 0;
  int steps_ = 0;
  bool ended_ = false;
};

// Reads and validates a whole trace; slm::Error "<name>:<line>: <problem>" on any defect.
Trace read_trace(std::istream& in, const std::string& name);
Trace read_trace_file(const std::string& path);

}  // namespace slm::trace
