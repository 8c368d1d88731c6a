#include "sim/config/node.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "workloads/common/error.h"
#include "workloads/common/io.h"

namespace slm::config {
namespace fs = std::filesystem;

std::string Origin::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

const Node* Node::get(const std::string& key) const {
  for (auto& [k, v] : map)
    if (k == key) return v.get();
  return nullptr;
}
Node* Node::get(const std::string& key) {
  for (auto& [k, v] : map)
    if (k == key) return v.get();
  return nullptr;
}

std::string Node::where() const { return origin.str() + ": " + (path.empty() ? "(root)" : path); }

namespace {

// YAML aliases share nodes, so a small file can name an exponential tree ("billion
// laughs"); the conversion to our tree is bounded in nodes per load.
constexpr size_t kMaxNodes = 200000;
constexpr size_t kMaxIncludedFiles = 64;
constexpr uint64_t kMaxIncludedBytes = 16ull << 20;

struct LoadBudget {
  size_t nodes = kMaxNodes;
  size_t files = 0;
  uint64_t bytes = 0;
};

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF): config text ends
// up in JSON reports and `config show --json`, which cannot hold anything else.
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (n < 0 || i + static_cast<size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) return false;
    if (n == 0) { ++i; continue; }
    uint32_t cp = c & (0x3F >> n);
    for (int k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((d >> 6) != 0x2) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

NodePtr convert(const YAML::Node& y, const std::string& file, LoadBudget& budget) {
  if (budget.nodes == 0)
    throw err(file, ":", y.Mark().line + 1, ":", y.Mark().column + 1, ": the configuration expands to more than ", kMaxNodes,
              " values (YAML aliases repeated too often?)");
  --budget.nodes;
  auto n = std::make_shared<Node>();
  n->origin = {file, y.Mark().line + 1, y.Mark().column + 1};
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: n->kind = Node::Kind::null; break;
    case YAML::NodeType::Scalar:
      n->kind = Node::Kind::scalar;
      n->scalar = y.Scalar();
      if (!valid_utf8(n->scalar))
        throw err(file, ":", y.Mark().line + 1, ":", y.Mark().column + 1, ": value is not valid UTF-8 text");
      n->quoted = (y.Tag() == "!");
      break;
    case YAML::NodeType::Sequence:
      n->kind = Node::Kind::seq;
      for (const auto& e : y) n->seq.push_back(convert(e, file, budget));
      break;
    case YAML::NodeType::Map: {
      n->kind = Node::Kind::map;
      std::set<std::string> seen;
      for (const auto& kv : y) {
        if (!kv.first.IsScalar())
          throw err(file, ":", kv.first.Mark().line + 1, ":", kv.first.Mark().column + 1,
                    ": map keys must be plain names");
        const std::string key = kv.first.Scalar();
        if (!valid_utf8(key))
          throw err(file, ":", kv.first.Mark().line + 1, ":", kv.first.Mark().column + 1, ": key is not valid UTF-8 text");
        if (!seen.insert(key).second)
          throw err(file, ":", kv.first.Mark().line + 1, ":", kv.first.Mark().column + 1,
                    ": duplicate key '", key, "'");
        auto child = convert(kv.second, file, budget);
        if (child->kind == Node::Kind::null) child->origin = {file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
        n->map.emplace_back(key, child);
      }
      break;
    }
  }
  return n;
}

YAML::Node parse_yaml_text(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw err(name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg);
  }
}

NodePtr load_rec(const fs::path& file, std::vector<fs::path>& stack, std::set<fs::path>& loaded, LoadBudget& budget) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(file, ec);
  for (const auto& s : stack)
    if (s == canon) throw err(file.string(), ": include cycle (", stack.front().string(), " includes it again)");
  // Each file at most once per load: a file included twice (directly or through two
  // others) would merge the same values twice and lets includes fan out exponentially.
  if (!loaded.insert(canon).second)
    throw err(file.string(), ": included more than once (", stack.empty() ? file.string() : stack.front().string(),
              " reaches it twice): include it in one place only");
  if (++budget.files > kMaxIncludedFiles) throw err(file.string(), ": more than ", kMaxIncludedFiles, " config files included");
  const std::string text = io::read_text_file(file.string(), io::kMaxConfigBytes, "config file");
  budget.bytes += text.size();
  if (budget.bytes > kMaxIncludedBytes) throw err(file.string(), ": included config files exceed ", kMaxIncludedBytes, " bytes in all");
  NodePtr self = convert(parse_yaml_text(text, file.string()), file.string(), budget);
  if (self->kind == Node::Kind::null) {
    self->kind = Node::Kind::map;  // an empty file is an empty map
  }
  if (!self->is_map()) throw err(self->origin.str(), ": a config file must be a YAML map at the top level");
  const Node* inc = self->get("include");
  if (!inc) return self;
  std::vector<NodePtr> includes;
  std::vector<NodePtr> items;
  if (inc->is_scalar()) {
    items.push_back(std::make_shared<Node>(*inc));
  } else if (inc->is_seq()) {
    items = inc->seq;
  } else {
    throw err(inc->origin.str(), ": include: expected a file name or a list of file names");
  }
  stack.push_back(canon);
  NodePtr merged;
  for (const auto& it : items) {
    if (!it->is_scalar() || it->scalar.empty())
      throw err(it->origin.str(), ": include: expected a file name");
    fs::path p = file.parent_path() / it->scalar;
    if (!fs::exists(p)) throw err(it->origin.str(), ": include: file '", p.string(), "' not found");
    merged = merge(merged, load_rec(p, stack, loaded, budget));
  }
  stack.pop_back();
  // The including file's own keys (minus `include`) go on top of its includes.
  auto own = std::make_shared<Node>(*self);
  own->map.erase(std::remove_if(own->map.begin(), own->map.end(),
                                [](const auto& kv) { return kv.first == "include"; }),
                 own->map.end());
  return merge(merged, own);
}

}  // namespace

NodePtr load_file(const std::string& file) {
  std::vector<fs::path> stack;
  std::set<fs::path> loaded;
  LoadBudget budget;
  NodePtr root = load_rec(fs::path(file), stack, loaded, budget);
  assign_paths(*root);
  return root;
}

NodePtr load_string(const std::string& text, const std::string& name) {
  LoadBudget budget;
  NodePtr root = convert(parse_yaml_text(text, name), name, budget);
  assign_paths(*root);
  return root;
}

NodePtr merge(const NodePtr& base, const NodePtr& over) {
  if (!base) return over;
  if (!over) return base;
  if (!(base->is_map() && over->is_map())) return over;
  auto out = std::make_shared<Node>(*base);
  for (const auto& [k, v] : over->map) {
    bool found = false;
    for (auto& [bk, bv] : out->map) {
      if (bk == k) {
        bv = merge(bv, v);
        found = true;
        break;
      }
    }
    if (!found) out->map.emplace_back(k, v);
  }
  return out;
}

void apply_override(NodePtr& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw err("--set ", assignment, ": expected KEY.PATH=VALUE");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  LoadBudget budget;
  NodePtr value = convert(parse_yaml_text(text.empty() ? "\"\"" : text, "--set " + assignment), "--set " + assignment, budget);
  std::function<void(Node&)> set_origin = [&](Node& n) {
    n.origin = {"--set " + assignment, 0, 0};
    for (auto& [k, v] : n.map) set_origin(*v);
    for (auto& v : n.seq) set_origin(*v);
  };
  set_origin(*value);
  if (!root) {
    root = std::make_shared<Node>();
    root->kind = Node::Kind::map;
  }
  Node* cur = root.get();
  std::stringstream ks(key);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(ks, part, '.')) {
    if (part.empty()) throw err("--set ", assignment, ": empty key segment in '", key, "'");
    parts.push_back(part);
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!cur->is_map()) {
      if (cur->kind != Node::Kind::null)
        throw err("--set ", assignment, ": '", parts[i - 1], "' is not a map, cannot set '", parts[i], "' in it");
      cur->kind = Node::Kind::map;
    }
    Node* next = cur->get(parts[i]);
    if (i + 1 == parts.size()) {
      if (next) {
        *next = *value;
      } else {
        cur->map.emplace_back(parts[i], value);
      }
      break;
    }
    if (!next) {
      auto m = std::make_shared<Node>();
      m->kind = Node::Kind::map;
      m->origin = {"--set " + assignment, 0, 0};
      cur->map.emplace_back(parts[i], m);
      next = m.get();
    }
    cur = next;
  }
  assign_paths(*root);
}

void assign_paths(Node& n, const std::string& prefix) {
  n.path = prefix;
  for (auto& [k, v] : n.map) assign_paths(*v, prefix.empty() ? k : prefix + "." + k);
  for (size_t i = 0; i < n.seq.size(); ++i) assign_paths(*n.seq[i], prefix + "[" + std::to_string(i) + "]");
}

nlohmann::json Node::to_json() const {
  switch (kind) {
    case Kind::null: return nullptr;
    case Kind::scalar: {
      if (!quoted) {
        try {
          auto j = nlohmann::json::parse(scalar);
          if (j.is_number() || j.is_boolean()) return j;
        } catch (...) {
        }
        if (scalar == "true" || scalar == "false") return scalar == "true";
      }
      return scalar;
    }
    case Kind::seq: {
      auto a = nlohmann::json::array();
      for (auto& e : seq) a.push_back(e->to_json());
      return a;
    }
    case Kind::map: {
      auto o = nlohmann::json::object();
      for (auto& [k, v] : map) o[k] = v->to_json();
      return o;
    }
  }
  return nullptr;
}

namespace {
void emit(const Node& n, std::ostream& os, int indent, bool origins) {
  const std::string pad(indent, ' ');
  auto comment = [&](const Node& v) { return origins ? "    # " + v.origin.str() : std::string(); };
  auto scalar_text = [](const Node& v) {
    if (v.kind == Node::Kind::null) return std::string("null");
    if (v.quoted) return "\"" + v.scalar + "\"";
    return v.scalar;
  };
  if (n.is_map()) {
    for (const auto& [k, v] : n.map) {
      if (v->is_map() || v->is_seq()) {
        os << pad << k << ":\n";
        emit(*v, os, indent + 2, origins);
      } else {
        os << pad << k << ": " << scalar_text(*v) << comment(*v) << "\n";
      }
    }
  } else if (n.is_seq()) {
    for (const auto& v : n.seq) {
      if (v->is_map()) {
        std::ostringstream inner;
        emit(*v, inner, indent + 2, origins);
        std::string s = inner.str();
        os << pad << "- " << s.substr(indent + 2);
      } else if (v->is_seq()) {
        os << pad << "-\n";
        emit(*v, os, indent + 2, origins);
      } else {
        os << pad << "- " << scalar_text(*v) << comment(*v) << "\n";
      }
    }
  }
}
}  // namespace

std::string to_yaml(const Node& root, bool with_origins) {
  std::ostringstream os;
  emit(root, os, 0, with_origins);
  return os.str();
}

}  // namespace slm::config
