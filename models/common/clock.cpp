// Clock and kernel set-up: see clock.h.
#include "models/common/clock.h"

#include "workloads/common/error.h"

namespace slm {
namespace {
bool g_resolution_set = false;  // for the current simulation context
}

void sim_init() {
  if (g_resolution_set) return;
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  g_resolution_set = true;
}

void sim_reset_kernel() {
  // The process's first context also registers library-static objects (e.g. sc_event::none),
  // whose destructors run at exit and reach back into it: it is kept alive. Contexts made
  // here are deleted when replaced.
  static sc_core::sc_simcontext* first = sc_core::sc_get_curr_simcontext();
  sc_core::sc_simcontext* old = sc_core::sc_curr_simcontext;
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext;
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  if (old != first) delete old;
  g_resolution_set = false;
  sim_init();
}

Clock::Clock(uint64_t hz, const char* who) : hz_(hz), period_fs_(0) {
  if (hz == 0 || hz > 1'000'000'000'000'000ull)
    throw slm::err(who, " = ", hz, ": must be in [1 Hz, 1e15 Hz]");
  sim_init();
  period_fs_ = (1'000'000'000'000'000ull + hz / 2) / hz;
}

}  // namespace slm

// slmsim and its tests drive SystemC from their own main() (sc_start after elaboration),
// but libsystemc references sc_main. This weak stub satisfies the link for every program
// that uses the models (they all pull in this file through Clock); it is never called.
// A program that wants SystemC's own main() defines a strong sc_main.
extern "C" __attribute__((weak)) int sc_main(int, char**) { return 0; }
