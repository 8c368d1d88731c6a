// See int_config.h.
#include "workloads/common/int_config.h"

#include <yaml-cpp/yaml.h>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::config_ints {
namespace {
// A mapping key as text; a key that is not a plain scalar (YAML's complex keys: `? [a, b]`,
// `? {x: 1}`) is refused with its line, not converted (that throws a raw yaml-cpp error).
std::string key_text(const YAML::Node& key, const std::string& file, const std::string& where) {
  if (!key.IsScalar())
    throw err(file, ": line ", key.Mark().line + 1, ": a key ", where, "is not a plain name (YAML complex keys are not accepted)");
  return key.Scalar();
}

void walk(const YAML::Node& n, const std::string& file, const std::string& prefix,
          std::vector<std::pair<std::string, YAML::Node>>& out) {
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = prefix + key_text(it->first, file, prefix.empty() ? "" : "under '" + prefix.substr(0, prefix.size() - 1) + "' ");
    if (it->second.IsMap()) walk(it->second, file, k + ".", out);
    else out.emplace_back(k, it->second);
  }
}

// "12", "0x10", "64 KiB": the value, or false when the text is not a non-negative integer.
bool parse(std::string t, uint64_t& v) {
  uint64_t scale = 1;
  for (auto [suffix, mul] : {std::pair{" KiB", 1ull << 10}, std::pair{" MiB", 1ull << 20}, std::pair{" GiB", 1ull << 30}})
    if (t.size() > 4 && t.compare(t.size() - 4, 4, suffix) == 0) {
      scale = mul;
      t.resize(t.size() - 4);
    }
  if (t.empty() || t[0] == '-' || t[0] == '+' || t[0] == ' ') return false;
  try {
    size_t used = 0;
    const uint64_t x = std::stoull(t, &used, 0);
    if (used != t.size() || (scale > 1 && x > UINT64_MAX / scale)) return false;
    v = x * scale;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}
}  // namespace

std::vector<std::pair<std::string, uint64_t>> load(const std::string& file, const std::string& section,
                                                   const std::function<std::optional<Range>(const std::string&)>& range_of,
                                                   const std::string& example) {
  // A regular file of bounded size (not /dev/zero, not a pipe), then parsed from memory.
  const std::string text = io::read_text_file(file, io::kMaxConfigBytes, "config");
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw err(file, ": YAML error: ", e.what());
  }
  if (!root.IsMap() || !root[section] || !root[section].IsMap())
    throw err(file, ": expected a top-level '", section, ":' section (see ", example, ")");
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string top = key_text(it->first, file, "at the top level ");
    if (top != section) throw err(file, ": unknown top-level key '", top, "' (this config has only '", section, ":')");
  }
  std::vector<std::pair<std::string, YAML::Node>> leaves;
  walk(root[section], file, section + ".", leaves);
  for (auto& [key, node] : leaves) key.erase(0, section.size() + 1);
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& [key, node] : leaves) {
    const std::optional<Range> r = range_of(key);
    if (!r) throw err(file, ": ", section, ".", key, ": unknown key");
    uint64_t v = 0;
    if (!node.IsScalar() || !parse(node.Scalar(), v))
      throw err(file, ": ", section, ".", key, " = '", node.IsScalar() ? node.Scalar() : std::string("(not a scalar)"),
                "': expected a non-negative integer");
    if (v < r->min || v > r->max) throw err(file, ": ", section, ".", key, " = ", v, ": must be in [", r->min, ", ", r->max, "]");
    out.emplace_back(key, v);
  }
  return out;
}

}  // namespace slm::config_ints
