// slmsim sweep — design-space sweeps (docs/sweeps.md). The sweep engine is the Python module
// (python/slmsim/_sweep.py: process pool or Dask cluster, SQLite results, resume); this
// command runs it with Debian's Python and PYTHONPATH pointing at the build's python/
// folder, forwarding every argument, so that there is one implementation. `slmsim sweep
// --help` prints its options.
//   interpreter: $SLMSIM_PYTHON, else the one the module was built for (SLMSIM_PYTHON_DEFAULT)
//   module dir:  $SLMSIM_PYTHONPATH, else <directory of this program>/python
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"

#ifndef SLMSIM_PYTHON_DEFAULT
#define SLMSIM_PYTHON_DEFAULT "/usr/bin/python3"
#endif

namespace slm::cli {

void register_sweep(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep", "Design-space sweep of a platform config into SQLite (runs python3 -m slmsim.sweep; "
                                          "`slmsim sweep --help` for its options)");
  cmd->prefix_command();        // everything after `sweep` goes to the Python command line
  cmd->fallthrough(false);      // ... none of it back to the main command
  cmd->set_help_flag();         // --help too
  cmd->callback([cmd] {
    namespace fs = std::filesystem;
    const char* py_env = std::getenv("SLMSIM_PYTHON");
    const std::string python = py_env && *py_env ? py_env : SLMSIM_PYTHON_DEFAULT;
    std::string pydir;
    if (const char* e = std::getenv("SLMSIM_PYTHONPATH"); e && *e) {
      pydir = e;
    } else {
      std::error_code ec;
      pydir = (fs::read_symlink("/proc/self/exe", ec).parent_path() / "python").string();
    }
    if (!fs::exists(fs::path(pydir) / "slmsim" / "sweep.py"))
      throw err("sweep: the Python module is not built (", pydir, "/slmsim missing): configure with pybind11-dev installed "
                "(scripts/install-deps.sh) and build the slmsim_python target, or set SLMSIM_PYTHONPATH");
    std::string pp = pydir;
    if (const char* old = std::getenv("PYTHONPATH"); old && *old) pp += std::string(":") + old;
    setenv("PYTHONPATH", pp.c_str(), 1);
    std::vector<std::string> args = {python, "-m", "slmsim.sweep"};
    for (const auto& a : cmd->remaining()) args.push_back(a);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    execv(python.c_str(), argv.data());
    throw err("sweep: cannot run ", python, ": ", std::strerror(errno), " (set SLMSIM_PYTHON to a python3 with numpy and pandas)");
  });
}

}  // namespace slm::cli
