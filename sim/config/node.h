// The configuration tree: YAML files resolved into one tree of nodes, each remembering
// where its value came from (file:line:col, or the --set override that wrote it), so that
// every validation error can name the file, the line, the key path and the bad value.
//
// Composition: a file may list `include: [a.yaml, b.yaml]` (paths relative to itself).
// Included files are merged first, in order, then the including file on top: maps merge
// key by key, recursively; scalars and sequences replace. `--set a.b.c=VALUE` overrides
// are applied last (VALUE is parsed as YAML, so `--set npu.macs=1024` is a number).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace slm::config {

struct Origin {
  std::string file;  // path as given, or "--set" for command-line overrides
  int line = 0;      // 1-based; 0 if unknown
  int col = 0;
  std::string str() const;  // "configs/x.yaml:12:5" or "--set npu.macs=1024"
};

class Node {
 public:
  enum class Kind { null, scalar, map, seq };
  Kind kind = Kind::null;
  std::string scalar;                        // raw text of a scalar
  bool quoted = false;                       // scalar was quoted in YAML (a string, not a number)
  std::vector<std::pair<std::string, std::shared_ptr<Node>>> map;  // in file order
  std::vector<std::shared_ptr<Node>> seq;
  Origin origin;                             // where this value was written
  std::string path;                          // dotted key path from the root: "components.sram.size_bytes"

  bool is_map() const { return kind == Kind::map; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_seq() const { return kind == Kind::seq; }
  const Node* get(const std::string& key) const;  // nullptr if absent (maps only)
  Node* get(const std::string& key);
  // "file:line:col: key 'path'" prefix for messages about this node.
  std::string where() const;
  nlohmann::json to_json() const;            // scalars as numbers/bools where they parse as such
};
using NodePtr = std::shared_ptr<Node>;

// Loads `file` with its includes (cycle-checked) into one tree. Throws slm::Error with
// file:line:col for YAML syntax errors, missing include files and include cycles.
NodePtr load_file(const std::string& file);
// Parses YAML text (for tests and --set values); `name` is used as the origin file.
NodePtr load_string(const std::string& text, const std::string& name);
// Deep merge: `over` on top of `base` (both may be null). Returns the merged tree.
NodePtr merge(const NodePtr& base, const NodePtr& over);
// Applies "a.b.c=value"; creates intermediate maps. Throws slm::Error on malformed text.
void apply_override(NodePtr& root, const std::string& assignment);
// Recomputes Node::path for the subtree (after merges/overrides).
void assign_paths(Node& n, const std::string& prefix = "");
// Prints the tree as YAML (used by `config show`), with origins as trailing comments if asked.
std::string to_yaml(const Node& root, bool with_origins);

}  // namespace slm::config
