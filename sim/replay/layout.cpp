#include "sim/replay/layout.h"

#include <algorithm>
#include <set>

#include "workloads/common/error.h"

namespace slm::replay {

using trace::OpKind;
using trace::Role;
using trace::TensorRef;

uint64_t full_bytes(const TensorRef& t) {
  uint64_t e = 1;
  for (auto d : t.shape) e *= static_cast<uint64_t>(std::max<int64_t>(d, 0));
  return (e * static_cast<uint64_t>(trace::dtype_bits(t.dtype)) + 7) / 8;
}

const char* role_key(Role r) {
  switch (r) {
    case Role::weight: return "weights";
    case Role::param: return "params";
    case Role::activation: return "activations";
    case Role::kv_cache: return "kv_cache";
    case Role::output: return "output";
  }
  return "activations";
}

bool persistent(Role r) { return r != Role::activation; }

namespace {
constexpr uint64_t kAlign = 64;
uint64_t align_up(uint64_t v) { return (v + kAlign - 1) & ~(kAlign - 1); }

// Score/probability tensors (m, n_heads, t) are the outputs of attn_scores and softmax.
bool score_like(const trace::Op& producer) {
  return producer.kind == OpKind::attn_scores || producer.kind == OpKind::softmax;
}
}  // namespace

Layout::Layout(const platform::Platform& p, LayoutOptions o) : p_(p), opt_(o) {
  if (opt_.kv_rows <= 0) throw err("layout: kv_rows = ", opt_.kv_rows, ": must be > 0");
}

std::string Layout::memory_of_role(const std::string& role) const {
  const auto& pl = p_.config().placement;
  auto it = pl.find(role);
  if (it == pl.end()) throw err(p_.config().file, ": placement has no memory for role '", role, "'");
  return it->second;
}

uint64_t Layout::place(const std::string& name, const std::string& role, uint64_t bytes) {
  auto it = regions_.find(name);
  if (it != regions_.end()) return it->second.addr;
  const auto& cfg = p_.config();
  const std::string mem = memory_of_role(role);
  if (arena_started_ && mem == memory_of_role("activations"))
    throw err("layout: '", name, "' placed in ", mem, " after the activation arena was laid out");
  uint64_t& used = used_[mem];
  const uint64_t size = p_.memory(mem).params().size_bytes;
  const uint64_t at = align_up(used);
  if (at > size || bytes > size - at) {
    const auto* c = cfg.find(mem);
    throw err(cfg.file, ": placement.", role, " = ", mem, ": memory too small: tensor '", name, "' (", bytes,
              " bytes) does not fit after ", at, " bytes already placed; ", mem, " has ", size, " bytes",
              c && c->node ? " (" + c->node->where() + ")" : std::string());
  }
  used = at + bytes;
  Region r{name, mem, role, p_.base(mem) + at, bytes};
  regions_[name] = r;
  return r.addr;
}

const Region& Layout::region(const std::string& name) const {
  auto it = regions_.find(name);
  if (it != regions_.end()) return it->second;
  auto a = arena_.find(name);
  if (a != arena_.end()) return a->second;
  throw err("layout: tensor '", name, "' has no place in memory");
}

void Layout::write(uint64_t addr, const void* data, uint64_t bytes) const {
  const auto* src = static_cast<const uint8_t*>(data);
  while (bytes) {
    uint64_t off = 0;
    Memory* m = p_.memory_at(addr, &off);
    if (!m) throw err("layout: address 0x", std::hex, addr, " is in no memory");
    const uint64_t n = std::min(bytes, m->params().size_bytes - off);
    m->load(off, src, n);
    addr += n, src += n, bytes -= n;
  }
}

void Layout::read(uint64_t addr, void* out, uint64_t bytes) const {
  auto* dst = static_cast<uint8_t*>(out);
  while (bytes) {
    uint64_t off = 0;
    Memory* m = p_.memory_at(addr, &off);
    if (!m) throw err("layout: address 0x", std::hex, addr, " is in no memory");
    const uint64_t n = std::min(bytes, m->params().size_bytes - off);
    m->peek(off, dst, n);
    addr += n, dst += n, bytes -= n;
  }
}

void Layout::plan_step(const std::vector<trace::Op>& ops, int pos0) {
  pos0_ = pos0;
  const std::string mem = memory_of_role("activations");
  if (!arena_started_) {
    arena_started_ = true;
    arena_base_ = p_.base(mem) + align_up(used_[mem]);
    const uint64_t size = p_.memory(mem).params().size_bytes;
    arena_size_ = size > align_up(used_[mem]) ? size - align_up(used_[mem]) : 0;
  }
  arena_.clear();
  // Lifetimes: first and last op index touching each activation tensor; its size.
  struct Life { int first = -1, last = -1; uint64_t bytes = 0; };
  std::map<std::string, Life> life;
  std::vector<std::string> order;  // first appearance
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    const auto& op = ops[static_cast<size_t>(i)];
    auto touch = [&](const TensorRef& t, bool produced) {
      if (t.role != Role::activation) return;
      Life& l = life[t.name];
      if (l.first < 0) {
        l.first = i;
        order.push_back(t.name);
      }
      l.last = i;
      uint64_t b = t.offset + full_bytes(t);
      if (produced && score_like(op) && opt_.score_row_elems > 0 && t.shape.size() == 3)
        b = static_cast<uint64_t>(t.shape[0] * t.shape[1] * opt_.score_row_elems) * trace::dtype_bits(t.dtype) / 8;
      l.bytes = std::max(l.bytes, b);
    };
    for (const auto& t : op.inputs) touch(t, false);
    for (const auto& t : op.outputs) touch(t, true);
  }
  // First-fit over free intervals [begin, end) of the arena, in op order.
  std::vector<std::pair<uint64_t, uint64_t>> free_list{{0, arena_size_}};
  std::map<int, std::vector<std::string>> born, dies;
  for (const auto& n : order) born[life[n].first].push_back(n), dies[life[n].last].push_back(n);
  std::map<std::string, std::pair<uint64_t, uint64_t>> at;  // name -> (offset, bytes)
  uint64_t peak = 0;
  auto release = [&](uint64_t off, uint64_t len) {
    free_list.push_back({off, off + len});
    std::sort(free_list.begin(), free_list.end());
    std::vector<std::pair<uint64_t, uint64_t>> merged;
    for (const auto& f : free_list)
      if (!merged.empty() && merged.back().second >= f.first) merged.back().second = std::max(merged.back().second, f.second);
      else merged.push_back(f);
    free_list = std::move(merged);
  };
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    for (const auto& n : born[i]) {
      const uint64_t len = align_up(std::max<uint64_t>(life[n].bytes, 1));
      auto f = std::find_if(free_list.begin(), free_list.end(), [&](const auto& iv) { return iv.second - iv.first >= len; });
      if (f == free_list.end()) {
        uint64_t live = 0;
        for (const auto& [nm, a] : at) live += a.second;
        throw err(p_.config().file, ": placement.activations = ", mem, ": the activation arena (", arena_size_,
                  " bytes free after the persistent tensors) cannot hold '", n, "' (", len, " bytes) at op ",
                  ops[static_cast<size_t>(i)].name, " (pos ", pos0, "), with ", live, " bytes of other activations live");
      }
      at[n] = {f->first, len};
      peak = std::max(peak, f->first + len);
      f->first += len;
      if (f->first == f->second) free_list.erase(f);
    }
    for (const auto& n : dies[i]) {
      release(at[n].first, at[n].second);
    }
  }
  arena_peak_ = std::max(arena_peak_, peak);
  for (const auto& [n, a] : at) arena_[n] = Region{n, mem, "arena", arena_base_ + a.first, life[n].bytes};
}

TensorLoc Layout::loc(const trace::Op& op, const TensorRef& t) const {
  TensorLoc l;
  const uint64_t es = static_cast<uint64_t>(trace::dtype_bits(t.dtype));
  if (t.role == Role::activation) {
    const Region& r = region(t.name);
    l.addr = r.addr + t.offset;
    if (t.shape.size() == 3 && (op.kind == OpKind::attn_scores || op.kind == OpKind::softmax ||
                                op.kind == OpKind::attn_values)) {
      l.rows = static_cast<uint64_t>(t.shape[0] * t.shape[1]);
      l.row_bytes = static_cast<uint64_t>(t.shape[2]) * es / 8;
      l.stride = opt_.score_row_elems > 0 ? static_cast<uint64_t>(opt_.score_row_elems) * es / 8 : l.row_bytes;
    } else {
      l.rows = 1;
      l.row_bytes = full_bytes(t);
      l.stride = l.row_bytes;
    }
    return l;
  }
  const Region& r = region(t.name);
  l.addr = r.addr;
  if (t.role == Role::kv_cache) {
    const uint64_t row = static_cast<uint64_t>(t.shape.at(1)) * es / 8;
    l.row_bytes = l.stride = row;
    l.rows = t.bytes / row;
    if (op.kind == OpKind::kv_write) l.addr += static_cast<uint64_t>(pos0_) * row;
    return l;
  }
  l.rows = 1;
  l.row_bytes = l.stride = r.bytes;
  return l;
}

const Region* Layout::region_at(uint64_t addr) const {
  for (const auto* m : {&regions_, &arena_})
    for (const auto& [n, r] : *m)
      if (addr >= r.addr && addr < r.addr + r.bytes) return &r;
  return nullptr;
}

}  // namespace slm::replay
