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

}  // namespace slm::config_ints
