// Reports of a finished run: the JSON report (stable field names, docs/report-format.md),
// a CSV line per operation, a Chrome Trace Event timeline (Perfetto / chrome://tracing),
// and the human summary printed by `slmsim run`.
//
// Energy is computed here from counters and the platform's energy table (sim/energy), for
// three windows: prefill (start .. first token), decode (first token .. end) and the whole
// run. `slmsim recost` calls apply_energy() on a saved report with another table: the same
// code, without re-simulating.
#pragma once
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/energy/energy.h"
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"

namespace slm::report {

struct RunInfo {
  std::string config_file;
  std::string model;        // path or shape name
  std::string precision;
  std::string prompt;
  std::string text;         // decoded text of the sequence (empty without tokenizer)
  std::string trace;        // the trace file replayed (run --trace), else empty
  std::string not_checked;  // why bit_exact is null, when the caller knows better than "shape-only"/"--no-verify"
};

nlohmann::json build(const replay::Result& r, const platform::Platform& p, const stats::Group& root,
                     const RunInfo& info);
// (Re)computes every energy field of `report` from its saved counters with `table`.
void apply_energy(nlohmann::json& report, const energy::Table& table);

void write_ops_csv(const std::string& path, const replay::Result& r, const platform::Platform& p);
// The per-op CSV back: one map (column -> text) per row. slm::Error when the file cannot be read.
std::vector<std::map<std::string, std::string>> read_ops_csv(const std::string& path);
void write_chrome_trace(const std::string& path, const replay::Result& r, const platform::Platform& p);
// The human summary; validates the report first (slm::Error on a malformed one).
std::string summary(const nlohmann::json& report);
// Checks every field summary() and apply_energy() read: presence, type, finite and >= 0
// numbers, non-negative integer counters. slm::Error "<name>: field <path> = <value>: <why>".
void validate(const nlohmann::json& report, const std::string& name);
// Reads (regular file, at most io::kMaxReportBytes) and validates a saved report.
nlohmann::json load(const std::string& path);

}  // namespace slm::report
