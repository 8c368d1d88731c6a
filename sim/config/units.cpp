#include "sim/config/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include "workloads/common/error.h"

namespace slm::config {
using params::Unit;

namespace {
struct Suffix {
  const char* name;
  double scale;  // multiply to get the base unit
};

const std::vector<Suffix>& suffixes(Unit u) {
  static const std::vector<Suffix> none{};
  static const std::vector<Suffix> bytes{{"B", 1},           {"KB", 1e3},          {"KiB", 1024.0},
                                         {"MB", 1e6},        {"MiB", 1048576.0},   {"GB", 1e9},
                                         {"GiB", 1073741824.0}};
  static const std::vector<Suffix> hz{{"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};
  static const std::vector<Suffix> cycles{{"cycles", 1}, {"cycle", 1}};
  static const std::vector<Suffix> ns{{"ps", 1e-3}, {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  static const std::vector<Suffix> pj{{"fJ", 1e-3}, {"pJ", 1}, {"nJ", 1e3}};
  static const std::vector<Suffix> pjb{{"fJ/B", 1e-3}, {"pJ/B", 1}, {"nJ/B", 1e3}};
  static const std::vector<Suffix> mw{{"uW", 1e-3}, {"mW", 1}, {"W", 1e3}};
  switch (u) {
    case Unit::none: return none;
    case Unit::bytes: return bytes;
    case Unit::hz: return hz;
    case Unit::cycles: return cycles;
    case Unit::ns: return ns;
    case Unit::pj: return pj;
    case Unit::pj_per_byte: return pjb;
    case Unit::mw: return mw;
  }
  return none;
}

const char* dimension(Unit u) {
  switch (u) {
    case Unit::none: return "a plain number";
    case Unit::bytes: return "a size";
    case Unit::hz: return "a frequency";
    case Unit::cycles: return "a cycle count";
    case Unit::ns: return "a time";
    case Unit::pj: return "an energy";
    case Unit::pj_per_byte: return "an energy per byte";
    case Unit::mw: return "a power";
  }
  return "?";
}

std::string shown(const Node& n) { return n.kind == Node::Kind::scalar ? "'" + n.scalar + "'" : "(a map or list)"; }

// Strict number parse: decimal, scientific or 0x hex; underscores allowed as separators.
bool parse_number(const std::string& s, double& out) {
  std::string t;
  for (char c : s)
    if (c != '_') t += c;
  if (t.empty()) return false;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(t.c_str() + 2, &end, 16);
    if (*end != '\0' || end == t.c_str() + 2) return false;
    out = static_cast<double>(v);
    return true;
  }
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return *end == '\0' && end != t.c_str() && std::isfinite(out);
}
}  // namespace

std::string accepted_units(Unit u) {
  std::string s;
  for (const auto& x : suffixes(u)) s += (s.empty() ? "" : ", ") + std::string(x.name);
  return s.empty() ? "no unit" : s;
}

double parse_quantity(const Node& n, Unit unit) {
  if (n.kind != Node::Kind::scalar)
    throw err(n.where(), " = ", shown(n), ": expected ", dimension(unit));
  std::string s = n.scalar;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  double v = 0;
  if (parse_number(s, v)) return v;
  // "<number> <unit>" or "<number><unit>"
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '-' ||
                          s[i] == '+' || s[i] == 'e' || s[i] == 'E' || s[i] == '_'))
    ++i;
  // Do not let 'e' of a unit be eaten (e.g. none here, but keep digits-only prefix sane).
  std::string num = s.substr(0, i), suf = s.substr(i);
  while (!suf.empty() && std::isspace(static_cast<unsigned char>(suf.front()))) suf.erase(suf.begin());
  if (!parse_number(num, v) || suf.empty())
    throw err(n.where(), " = ", shown(n), ": expected ", dimension(unit),
              unit == Unit::none ? "" : std::string(" (a number, or a number with one of: ") + accepted_units(unit) + ")");
  for (const auto& x : suffixes(unit))
    if (suf == x.name) return v * x.scale;
  throw err(n.where(), " = ", shown(n), ": unit '", suf, "' is not ", dimension(unit),
            unit == Unit::none ? std::string(" (this field takes no unit)") : " (use " + accepted_units(unit) + ")");
}

uint64_t parse_count(const Node& n, Unit unit) {
  double v = parse_quantity(n, unit);
  if (v < 0) throw err(n.where(), " = ", shown(n), ": must not be negative");
  if (v > 1.8e19 || std::floor(v) != v) throw err(n.where(), " = ", shown(n), ": expected a whole number");
  return static_cast<uint64_t>(v);
}

bool parse_bool(const Node& n) {
  if (n.kind == Node::Kind::scalar && !n.quoted) {
    if (n.scalar == "true" || n.scalar == "yes" || n.scalar == "on") return true;
    if (n.scalar == "false" || n.scalar == "no" || n.scalar == "off") return false;
  }
  throw err(n.where(), " = ", shown(n), ": expected true or false");
}

}  // namespace slm::config
