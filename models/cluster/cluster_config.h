// The cluster configuration (configs/cluster/siracusa.yaml, top-level `cluster:`): cores,
// L1/L2, event unit, DMA and the core timing table. One listing of the keys drives loading,
// validation (unknown keys and out-of-range values are errors naming file, key and value)
// and the table in docs/siracusa.md (a test checks that every key is documented there).
#pragma once
#include <string>
#include <vector>

#include "models/cluster/cluster.h"

namespace slm::cluster {

struct ConfigKey {
  const char* path;  // "l1.banks"
  const char* unit;
  const char* desc;
  uint64_t min, max;
};
const std::vector<ConfigKey>& config_keys();

// Loads FILE ("" = the built-in defaults, which equal configs/cluster/siracusa.yaml).
ClusterConfig load_config(const std::string& file);

}  // namespace slm::cluster
