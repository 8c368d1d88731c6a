// Loader entry points for fuzzing and regression replay (see targets.h): platform
// configs and run reports (slmsim_core).
#include "tests/fuzz/targets.h"

#include <fstream>
#include <string>

#include "models/cluster/cluster_config.h"
#include "sim/config/platform_config.h"
#include "sim/iss/iss_config.h"
#include "sim/energy/energy.h"
#include "sim/platform/platform.h"
#include "sim/report/report.h"
#include "workloads/common/error.h"

namespace slm::fuzz {

int config(const uint8_t* data, size_t size) {
  init();
  static const bool types = (platform::register_types(), true);
  (void)types;
  const std::string p = put("platform.yaml", data, size);
  return guarded([&] {
    (void)config::check_platform(p, {});
    const config::PlatformConfig pc = config::load_platform(p, {});
    (void)pc.to_json().dump();
  });
}

int report(const uint8_t* data, size_t size) {
  init();
  const std::string p = put("report.json", data, size);
  return guarded([&] {
    nlohmann::json rep = report::load(p);
    const energy::Table table = energy::table_from_json(rep["energy"]["table"], p + ": energy.table");
    try {
      report::apply_energy(rep, table);
    } catch (const nlohmann::json::exception&) {
      throw Error("apply_energy: malformed");  // recost reports these with the file name
    }
    (void)report::summary(rep);
  });
}

int int_config(const uint8_t* data, size_t size) {
  init();
  const std::string p = put("int_config.yaml", data, size);
  // One input through both loaders (configs/iss/rv32.yaml, configs/cluster/siracusa.yaml):
  // accepted when either accepts it.
  const int iss = guarded([&] { (void)iss::load_config(p); });
  const int cl = guarded([&] { (void)cluster::load_config(p); });
  return iss & cl;
}

const Target* targets(size_t* count) {
  static const Target t[] = {{"checkpoint", checkpoint}, {"tokenizer", tokenizer}, {"shape", shape_file}, {"slmq", slmq},
                             {"config", config},         {"trace", trace},         {"report", report},
                             {"int_config", int_config}};
  *count = sizeof t / sizeof t[0];
  return t;
}

}  // namespace slm::fuzz
