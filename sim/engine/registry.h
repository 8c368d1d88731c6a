// The engines a platform's `engine:` section asks for: the configured compute block's engine
// (chosen by its component category: `compute` -> the generic engine, `npu` -> the NPU's,
// `cluster` -> the RISC-V cluster's, sim/engine/cluster_engine.h)
// and, when `engine.host` names a CPU, the host engine.
#pragma once
#include "sim/platform/platform.h"
#include "sim/replay/replay.h"

namespace slm::engine {

// slm::Error when the config's engine binding is incomplete for the chosen engine.
replay::Engines make_engines(platform::Platform& p, quant::Precision prec);

}  // namespace slm::engine
