#include "sim/engine/registry.h"

#include <functional>
#include <map>

#include "sim/engine/cluster_engine.h"
#include "sim/engine/generic_engine.h"
#include "sim/engine/host_engine.h"
#include "sim/engine/npu_engine.h"
#include "workloads/common/error.h"

namespace slm::engine {
namespace {

using Builder = std::function<std::unique_ptr<Engine>(platform::Platform&, const std::string&, quant::Precision)>;

// One entry per component category that can run a model's ops.
const std::map<std::string, Builder>& builders() {
  static const std::map<std::string, Builder> b = {
      {"compute",
       [](platform::Platform& p, const std::string&, quant::Precision prec) -> std::unique_ptr<Engine> {
         GenericEngine::check(p);
         return std::make_unique<GenericEngine>("generic_engine", p, prec);
       }},
      {"npu",
       [](platform::Platform& p, const std::string&, quant::Precision prec) -> std::unique_ptr<Engine> {
         return std::make_unique<NpuEngine>(p, prec);
       }},
      {"cluster",
       [](platform::Platform& p, const std::string& name, quant::Precision prec) -> std::unique_ptr<Engine> {
         return std::make_unique<ClusterEngine>(p, name, prec);
       }},
  };
  return b;
}

}  // namespace

replay::Engines make_engines(platform::Platform& p, quant::Precision prec) {
  const auto& cfg = p.config();
  const auto& c = cfg.at(cfg.engine.compute);
  auto it = builders().find(c.type->category);
  if (it == builders().end())
    throw err(cfg.file, ": engine.compute = '", cfg.engine.compute, "': a ", c.type->category, " (type ", c.type->name,
              ") cannot run a model's ops");
  replay::Engines e;
  e.list.push_back(it->second(p, cfg.engine.compute, prec));
  if (!cfg.engine.host.empty()) e.list.push_back(std::make_unique<HostEngine>(p, cfg.engine.host));
  return e;
}

}  // namespace slm::engine
