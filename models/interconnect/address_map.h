// AddressMap: the one place where global addresses are assigned to bus targets.
//
// Each entry maps [base, base + size_bytes) to a target index (the order in which the
// targets were bound to Bus::out) under a name ("sram", "flash"). Targets receive the
// offset (address - base). Overlapping entries are rejected with an slm::Error naming
// both ranges. Lookup is a binary search over entries sorted by base.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slm {

class AddressMap {
 public:
  struct Entry {
    std::string name;
    uint64_t base = 0;
    uint64_t size_bytes = 0;
    unsigned target = 0;
    uint64_t end() const { return base + size_bytes; }  // exclusive
  };

  // Throws slm::Error on size 0, wrap-around past 2^64, or overlap with an existing entry.
  void add(const std::string& name, uint64_t base, uint64_t size_bytes, unsigned target);
  // The entry containing [addr, addr + len), or nullptr (unmapped or straddling two entries).
  const Entry* find(uint64_t addr, uint64_t len = 1) const;
  const std::vector<Entry>& entries() const { return entries_; }  // sorted by base

 private:
  std::vector<Entry> entries_;
};

}  // namespace slm
