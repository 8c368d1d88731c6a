// slm::Error — the one exception type for bad input anywhere in slmsim.
//
// Every message names where the problem is (file, and line/field where known),
// what was wrong, and the offending value, e.g.
//   stories.bin: header field n_layers = -3: must be in [1, 1024]
// The CLI catches it, prints "slmsim: error: <what>" and exits with status 2.
// Never throw it for programming errors (use assert); never let bad input crash.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace slm {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Builds a message from streamable parts: throw slm::err(path, ": field ", f, " = ", v);
template <typename... Parts>
Error err(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return Error(os.str());
}

// Exit status used by the CLI for slm::Error (bad input), as opposed to 1 (internal failure).
inline constexpr int kBadInputExit = 2;

}  // namespace slm
