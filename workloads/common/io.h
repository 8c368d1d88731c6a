// Bounded input and checked output: the one place where slmsim reads a whole text file
// (configs, traces, reports, shape files) and writes a result file (reports, CSV,
// timelines, traces), and where the host-memory budget lives (docs/reliability.md).
//
// Reading: the path must name a regular file (not /dev/zero, a FIFO or a directory) no
// larger than the caller's limit; the limit is checked before anything is read.
// Writing: AtomicWriter writes to a temporary file in the target's folder and renames it
// over the target only when every write, the flush and the close succeeded, so a full
// disk or a killed run never leaves a truncated report behind. "-" and character devices
// (/dev/stdout, /dev/full, /dev/null) are written in place, still checked.
// Host memory: every large host allocation an input can control (model weights, KV caches,
// activation buffers, simulated memories) is estimated first and refused, with the
// estimate in the message, when it exceeds the budget (default: half the physical memory;
// `slmsim --max-host-memory`).
#pragma once
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

namespace slm::io {

inline constexpr uint64_t kMaxConfigBytes = 4ull << 20;    // a YAML config or energy table
inline constexpr uint64_t kMaxShapeFileBytes = 1ull << 20; // a model shape file
inline constexpr uint64_t kMaxReportBytes = 1ull << 30;    // a JSON run report
inline constexpr uint64_t kMaxTraceBytes = 16ull << 30;    // a JSON Lines trace (streamed)

// Size of a regular file; slm::Error naming `what` and the path if it is not one, or is
// larger than max_bytes.
uint64_t regular_file_size(const std::string& path, uint64_t max_bytes, const char* what);
// Whole file as text (regular_file_size() checks first).
std::string read_text_file(const std::string& path, uint64_t max_bytes, const char* what);

// Checked, atomic file output. write() collects nothing: it writes through stdio and
// remembers the first error; commit() flushes, fsyncs, closes and renames, throwing
// slm::Error "<path>: write failed: <reason>" on any failure. The destructor of an
// uncommitted writer removes the temporary file.
class AtomicWriter {
 public:
  explicit AtomicWriter(std::string path);
  ~AtomicWriter();
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;
  void write(std::string_view s);
  std::FILE* file() { return f_; }
  void commit();

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  bool in_place_ = false, committed_ = false;
  int errno_ = 0;
};
// The same for code that writes through a std::ostream (traces, CSV): an ofstream on a
// temporary file in the target's folder; commit() checks the stream, closes and renames.
class AtomicOfstream {
 public:
  explicit AtomicOfstream(std::string path);
  ~AtomicOfstream();
  AtomicOfstream(const AtomicOfstream&) = delete;
  AtomicOfstream& operator=(const AtomicOfstream&) = delete;
  std::ostream& stream();
  void commit();

 private:
  std::string path_, tmp_;
  std::ofstream* out_ = nullptr;
  bool committed_ = false;
};
// Writes `text` to `path` atomically (AtomicWriter).
void write_file_atomic(const std::string& path, std::string_view text);
// Flushes stdout and throws slm::Error if anything written to it failed (full pipe,
// /dev/full): commands call it before returning success.
void check_stdout();

// ---- host-memory budget ----
uint64_t physical_memory_bytes();
uint64_t host_memory_budget();           // the current budget in bytes
void set_host_memory_budget(uint64_t bytes);
// "8 GiB", "512M", "1e9", "2147483648": bytes; slm::Error on anything else.
uint64_t parse_byte_size(const std::string& text, const char* what);
// Throws slm::Error "<what> needs an estimated N bytes (X GiB) of host memory, over the
// budget of M bytes (--max-host-memory)" when bytes exceeds the budget.
void check_host_memory(uint64_t bytes, const std::string& what);

}  // namespace slm::io
