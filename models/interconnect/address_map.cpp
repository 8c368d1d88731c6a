// Address map: see address_map.h.
#include "models/interconnect/address_map.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "workloads/common/error.h"

namespace slm {
namespace {
std::string range(const AddressMap::Entry& e) {
  std::ostringstream os;
  os << "'" << e.name << "' [0x" << std::hex << e.base << ", 0x" << e.end() << ")";
  return os.str();
}
}  // namespace

void AddressMap::add(const std::string& name, uint64_t base, uint64_t size_bytes, unsigned target) {
  Entry e{name, base, size_bytes, target};
  if (size_bytes == 0) throw slm::err("address map: ", name, ": size_bytes = 0");
  if (base + size_bytes < base) throw slm::err("address map: ", name, ": range wraps past 2^64");
  auto it = std::lower_bound(entries_.begin(), entries_.end(), base,
                             [](const Entry& x, uint64_t b) { return x.base < b; });
  if (it != entries_.end() && it->base < e.end())
    throw slm::err("address map: ", range(e), " overlaps ", range(*it));
  if (it != entries_.begin() && (it - 1)->end() > base)
    throw slm::err("address map: ", range(e), " overlaps ", range(*(it - 1)));
  entries_.insert(it, e);
}

const AddressMap::Entry* AddressMap::find(uint64_t addr, uint64_t len) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), addr,
                             [](uint64_t a, const Entry& x) { return a < x.base; });
  if (it == entries_.begin()) return nullptr;
  const Entry& e = *(it - 1);
  if (addr >= e.end() || len > e.end() - addr) return nullptr;
  return &e;
}

}  // namespace slm
