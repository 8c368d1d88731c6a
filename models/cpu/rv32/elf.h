// ElfImage: a small, careful reader of 32-bit little-endian RISC-V ELF executables.
// Reads the loadable segments (PT_LOAD: address, file bytes, zero-filled rest), the entry
// point and the symbols (tohost, fromhost and any other, for tests). Every offset and
// size is checked against the file before use; anything malformed throws slm::Error
// naming the file, the field and the value. It does not relocate, and ignores sections
// other than the symbol table and its string table.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace slm::rv32 {

struct ElfSegment {
  uint32_t addr = 0;          // physical load address (p_paddr)
  uint32_t mem_size = 0;      // bytes in memory (the tail past file bytes is zero)
  std::vector<uint8_t> data;  // file bytes (p_filesz)
  bool exec = false;
};

struct ElfImage {
  std::string name;  // file name, for messages
  uint32_t entry = 0;
  std::vector<ElfSegment> segments;
  std::map<std::string, uint32_t> symbols;  // global/local symbol values (functions and objects)
  std::optional<uint32_t> symbol(const std::string& s) const {
    auto it = symbols.find(s);
    if (it == symbols.end()) return std::nullopt;
    return it->second;
  }
};

// Parses an ELF file already in memory. `name` is used in error messages.
ElfImage parse_elf(const std::vector<uint8_t>& bytes, const std::string& name);
ElfImage read_elf(const std::string& path);

}  // namespace slm::rv32
