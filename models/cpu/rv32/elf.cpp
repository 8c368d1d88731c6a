// ELF32 reader: see elf.h. Field names follow the System V ABI (e_*, p_*, sh_*, st_*).
#include "models/cpu/rv32/elf.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "workloads/common/error.h"

namespace slm::rv32 {
namespace {
constexpr uint16_t kEmRiscv = 243;
constexpr uint32_t kPtLoad = 1, kShtSymtab = 2, kPfX = 1;

struct Reader {
  const std::vector<uint8_t>& b;
  const std::string& name;
  uint32_t u32(uint64_t off, const char* field) const {
    if (off + 4 > b.size()) throw err(name, ": truncated ELF: ", field, " at offset ", off, " is past the end (", b.size(), " bytes)");
    uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    return v;
  }
  uint16_t u16(uint64_t off, const char* field) const {
    if (off + 2 > b.size()) throw err(name, ": truncated ELF: ", field, " at offset ", off, " is past the end (", b.size(), " bytes)");
    uint16_t v;
    std::memcpy(&v, b.data() + off, 2);
    return v;
  }
  void range(uint64_t off, uint64_t size, const char* what) const {
    if (off > b.size() || size > b.size() - off)
      throw err(name, ": truncated ELF: ", what, " [", off, ", ", off + size, ") is outside the file (", b.size(), " bytes)");
  }
};
}  // namespace

ElfImage parse_elf(const std::vector<uint8_t>& b, const std::string& name) {
  Reader r{b, name};
  if (b.size() < 52) throw err(name, ": not an ELF file: ", b.size(), " bytes is shorter than the 52-byte ELF32 header");
  if (std::memcmp(b.data(), "\x7f" "ELF", 4) != 0) throw err(name, ": not an ELF file: bad magic");
  if (b[4] != 1) throw err(name, ": wrong ELF class: e_ident[EI_CLASS] = ", int(b[4]), ", expected 1 (ELFCLASS32; this is an RV32 simulator)");
  if (b[5] != 1) throw err(name, ": wrong data encoding: e_ident[EI_DATA] = ", int(b[5]), ", expected 1 (little-endian)");
  const uint16_t type = r.u16(16, "e_type");
  const uint16_t machine = r.u16(18, "e_machine");
  if (machine != kEmRiscv) throw err(name, ": wrong machine: e_machine = ", machine, ", expected 243 (EM_RISCV)");
  if (type != 2) throw err(name, ": not an executable: e_type = ", type, ", expected 2 (ET_EXEC)");
  ElfImage img;
  img.name = name;
  img.entry = r.u32(24, "e_entry");
  const uint32_t phoff = r.u32(28, "e_phoff"), shoff = r.u32(32, "e_shoff");
  const uint16_t phentsize = r.u16(42, "e_phentsize"), phnum = r.u16(44, "e_phnum");
  const uint16_t shentsize = r.u16(46, "e_shentsize"), shnum = r.u16(48, "e_shnum");
  if (phnum == 0) throw err(name, ": no program headers (e_phnum = 0): nothing to load");
  if (phentsize < 32) throw err(name, ": e_phentsize = ", phentsize, ", expected >= 32");
  r.range(phoff, uint64_t{phnum} * phentsize, "program header table");
  for (uint16_t k = 0; k < phnum; ++k) {
    const uint64_t h = phoff + uint64_t{k} * phentsize;
    if (r.u32(h, "p_type") != kPtLoad) continue;
    ElfSegment s;
    const uint32_t off = r.u32(h + 4, "p_offset"), filesz = r.u32(h + 16, "p_filesz"), memsz = r.u32(h + 20, "p_memsz");
    s.addr = r.u32(h + 12, "p_paddr");
    s.mem_size = memsz;
    s.exec = r.u32(h + 24, "p_flags") & kPfX;
    if (filesz > memsz) throw err(name, ": segment ", k, ": p_filesz = ", filesz, " is larger than p_memsz = ", memsz);
    if (uint64_t{s.addr} + memsz > 0x100000000ull)
      throw err(name, ": segment ", k, ": [0x", std::hex, s.addr, ", +0x", memsz, ") wraps past the 32-bit address space");
    r.range(off, filesz, "segment data");
    s.data.assign(b.begin() + off, b.begin() + off + filesz);
    if (memsz == 0) continue;
    img.segments.push_back(std::move(s));
  }
  if (img.segments.empty()) throw err(name, ": no loadable (PT_LOAD) segment");
  bool entry_ok = false;
  for (const auto& s : img.segments)
    if (s.exec && img.entry >= s.addr && img.entry - s.addr < s.mem_size) entry_ok = true;
  if (!entry_ok)
    throw err(name, ": no entry point: e_entry = 0x", std::hex, img.entry, " is not inside an executable loadable segment");
  // Symbols (optional: a stripped program simply has none).
  if (shoff != 0 && shnum != 0) {
    if (shentsize < 40) throw err(name, ": e_shentsize = ", shentsize, ", expected >= 40");
    r.range(shoff, uint64_t{shnum} * shentsize, "section header table");
    for (uint16_t k = 0; k < shnum; ++k) {
      const uint64_t sh = shoff + uint64_t{k} * shentsize;
      if (r.u32(sh + 4, "sh_type") != kShtSymtab) continue;
      const uint32_t off = r.u32(sh + 16, "sh_offset"), size = r.u32(sh + 20, "sh_size"), link = r.u32(sh + 24, "sh_link");
      uint32_t entsize = r.u32(sh + 36, "sh_entsize");
      if (entsize < 16) throw err(name, ": symbol table sh_entsize = ", entsize, ", expected >= 16");
      if (link >= shnum) throw err(name, ": symbol table sh_link = ", link, " is not a section (e_shnum = ", shnum, ")");
      r.range(off, size, "symbol table");
      const uint64_t strh = shoff + uint64_t{link} * shentsize;
      const uint32_t stroff = r.u32(strh + 16, "sh_offset"), strsize = r.u32(strh + 20, "sh_size");
      r.range(stroff, strsize, "symbol string table");
      for (uint64_t e = off; e + 16 <= uint64_t{off} + size; e += entsize) {
        const uint32_t nm = r.u32(e, "st_name"), value = r.u32(e + 4, "st_value");
        if (nm == 0 || nm >= strsize) continue;
        const char* p = reinterpret_cast<const char*>(b.data() + stroff + nm);
        const size_t maxlen = strsize - nm;
        const size_t len = strnlen(p, maxlen);
        if (len == maxlen) throw err(name, ": symbol name at string offset ", nm, " is not terminated");
        img.symbols.emplace(std::string(p, len), value);
      }
    }
  }
  return img;
}

ElfImage read_elf(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw err(path, ": cannot open program");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return parse_elf(bytes, path);
}

}  // namespace slm::rv32
