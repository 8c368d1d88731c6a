// Bounded input, checked atomic output and the host-memory budget (see io.h).
#include "workloads/common/io.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "workloads/common/error.h"

namespace slm::io {

uint64_t regular_file_size(const std::string& path, uint64_t max_bytes, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw err(path, ": cannot open ", what, ": ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw err(path, ": not a regular file (a ", what, " must be a file, not a device, pipe or folder)");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) throw err(path, ": ", size, " bytes is larger than any ", what, " (limit ", max_bytes, " bytes)");
  return size;
}

std::string read_text_file(const std::string& path, uint64_t max_bytes, const char* what) {
  const uint64_t size = regular_file_size(path, max_bytes, what);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw err(path, ": cannot open ", what);
  std::string text(size, '\0');
  if (size && !f.read(text.data(), static_cast<std::streamsize>(size))) throw err(path, ": read failed (", what, ")");
  return text;
}

namespace {
bool is_char_device(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode));
}

// A new private file next to `path` (same folder, so the final rename is atomic), mode 0644.
// Returns its open descriptor and sets `tmp` to its name.
int make_temp_beside(const std::string& path, std::string& tmp) {
  const std::filesystem::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
  std::string templ = dir + "/." + p.filename().string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(templ.data());
  if (fd < 0) throw err(path, ": cannot write (temporary file in ", dir, "): ", std::strerror(errno));
  ::fchmod(fd, 0644);
  tmp = templ;
  return fd;
}
}  // namespace

AtomicWriter::AtomicWriter(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw err("output file name is empty");
  if (path_ == "-") {
    f_ = stdout;
    in_place_ = true;
    return;
  }
  if (is_char_device(path_)) {
    in_place_ = true;
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) throw err(path_, ": cannot write: ", std::strerror(errno));
    return;
  }
  const int fd = make_temp_beside(path_, tmp_);
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    ::close(fd);
    ::unlink(tmp_.c_str());
    throw err(path_, ": cannot write: ", std::strerror(errno));
  }
}

AtomicWriter::~AtomicWriter() {
  if (committed_) return;
  if (f_ && f_ != stdout) std::fclose(f_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicWriter::write(std::string_view s) {
  if (errno_ || s.empty()) return;
  if (std::fwrite(s.data(), 1, s.size(), f_) != s.size()) errno_ = errno ? errno : EIO;
}

void AtomicWriter::commit() {
  if (committed_) return;
  committed_ = true;
  if (!errno_ && std::fflush(f_) != 0) errno_ = errno ? errno : EIO;
  if (!errno_ && std::ferror(f_)) errno_ = EIO;
  if (f_ == stdout) {
    if (errno_) throw err("standard output: write failed: ", std::strerror(errno_));
    return;
  }
  if (!errno_ && !in_place_ && ::fsync(fileno(f_)) != 0) errno_ = errno;
  if (std::fclose(f_) != 0 && !errno_) errno_ = errno ? errno : EIO;
  f_ = nullptr;
  if (errno_) {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    throw err(path_, ": write failed: ", std::strerror(errno_));
  }
  if (!in_place_ && std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp_.c_str());
    throw err(path_, ": cannot replace with the new file: ", std::strerror(e));
  }
}

AtomicOfstream::AtomicOfstream(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw err("output file name is empty");
  if (path_ != "-" && !is_char_device(path_)) ::close(make_temp_beside(path_, tmp_));
  out_ = new std::ofstream(tmp_.empty() ? (path_ == "-" ? std::string("/dev/stdout") : path_) : tmp_, std::ios::binary | std::ios::trunc);
  if (!*out_) {
    delete out_;
    out_ = nullptr;
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    throw err(path_, ": cannot write: ", std::strerror(errno));
  }
}

AtomicOfstream::~AtomicOfstream() {
  delete out_;
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

std::ostream& AtomicOfstream::stream() { return *out_; }

void AtomicOfstream::commit() {
  if (committed_) return;
  committed_ = true;
  out_->flush();
  bool ok = static_cast<bool>(*out_);
  out_->close();
  ok = ok && !out_->fail();
  if (!ok) {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    throw err(path_, ": write failed (disk full or not writable)");
  }
  if (!tmp_.empty() && std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp_.c_str());
    throw err(path_, ": cannot replace with the new file: ", std::strerror(e));
  }
}

void write_file_atomic(const std::string& path, std::string_view text) {
  AtomicWriter w(path);
  w.write(text);
  w.commit();
}

void check_stdout() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    throw err("standard output: write failed: ", std::strerror(errno ? errno : EIO));
}

// ---- host-memory budget ----
namespace {
std::atomic<uint64_t> g_budget{0};  // 0 = not set: the default
}

uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 8ull << 30;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
}

uint64_t host_memory_budget() {
  const uint64_t b = g_budget.load();
  return b ? b : physical_memory_bytes() / 2;
}

void set_host_memory_budget(uint64_t bytes) { g_budget.store(bytes); }

uint64_t parse_byte_size(const std::string& text, const char* what) {
  std::string s;
  for (char c : text)
    if (c != ' ' && c != '_') s += c;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    throw err(what, " '", text, "': expected a size such as 8GiB, 512MB or 1000000");
  }
  std::string unit = s.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double mul = 1;
  if (unit.empty() || unit == "b") mul = 1;
  else if (unit == "k" || unit == "kib") mul = 1024.0;
  else if (unit == "m" || unit == "mib") mul = 1024.0 * 1024;
  else if (unit == "g" || unit == "gib") mul = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tib") mul = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "kb") mul = 1e3;
  else if (unit == "mb") mul = 1e6;
  else if (unit == "gb") mul = 1e9;
  else if (unit == "tb") mul = 1e12;
  else throw err(what, " '", text, "': unknown unit '", unit, "' (B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)");
  const double bytes = v * mul;
  if (!(bytes >= 1) || !std::isfinite(bytes) || bytes > 9.0e18) throw err(what, " '", text, "': must be between 1 byte and 8 EiB");
  return static_cast<uint64_t>(bytes);
}

void check_host_memory(uint64_t bytes, const std::string& what) {
  const uint64_t budget = host_memory_budget();
  if (bytes <= budget) return;
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(2);
  os << what << " needs an estimated " << bytes << " bytes (" << static_cast<double>(bytes) / (1ull << 30)
     << " GiB) of host memory, over the budget of " << budget << " bytes (" << static_cast<double>(budget) / (1ull << 30)
     << " GiB; raise it with --max-host-memory)";
  throw Error(os.str());
}

}  // namespace slm::io
