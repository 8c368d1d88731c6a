// Small integer-only YAML configs (configs/iss/rv32.yaml, configs/cluster/siracusa.yaml): one
// top-level section whose leaves are non-negative integers ("12", "0x10", "64 KiB", "2 MiB",
// "1 GiB"), each checked against the known keys and their ranges. Errors name the file, the
// key (section.path) and the value.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slm::config_ints {

struct Range {
  uint64_t min, max;
};
// Reads FILE's `section:` map (the only top-level key allowed) into (path, value) leaves, in
// file order. `range_of(path)` gives a key's range, or nothing when the key is unknown.
// `example` names the shipped file in the error for a missing section.
std::vector<std::pair<std::string, uint64_t>> load(const std::string& file, const std::string& section,
                                                   const std::function<std::optional<Range>(const std::string&)>& range_of,
                                                   const std::string& example);

// Loads FILE into cfg through a table of bindings (each with key.path, key.min, key.max and
// set(cfg, value)): unknown keys and out-of-range values are errors, as in load().
template <class Cfg, class Binding>
void apply(const std::string& file, const std::string& section, const std::vector<Binding>& bindings,
           const std::string& example, Cfg& cfg) {
  auto find = [&](const std::string& path) -> const Binding* {
    for (const auto& b : bindings)
      if (path == b.key.path) return &b;
    return nullptr;
  };
  auto range_of = [&](const std::string& path) -> std::optional<Range> {
    const Binding* b = find(path);
    if (!b) return std::nullopt;
    return Range{b->key.min, b->key.max};
  };
  for (const auto& [key, v] : load(file, section, range_of, example)) find(key)->set(cfg, v);
}

}  // namespace slm::config_ints
