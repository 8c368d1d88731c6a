// Every XpulpV2 packed-SIMD encoding of the table (pv.<op>[.sc|.sci].{h,b}, 180 rows) against
// an independent element-by-element reference written here (arrays of lanes, 64-bit
// arithmetic), on 64 pseudo-random operand sets each; hand-computed values per instruction
// class are in programs/xpulp_check.S.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <random>

#include "models/cpu/rv32/core.h"
#include "tests/models/rv32/iss_harness.h"

using namespace slm::rv32;
using namespace slm::test;

namespace {
struct Lanes {
  int n = 0, w = 0;
  int64_t v[4] = {};
};
Lanes split(uint32_t x, int w, bool sign) {
  Lanes l;
  l.w = w;
  l.n = 32 / w;
  for (int i = 0; i < l.n; ++i) {
    uint64_t e = (x >> (i * w)) & ((1ull << w) - 1);
    l.v[i] = sign && (e >> (w - 1)) ? int64_t(e) - (int64_t(1) << w) : int64_t(e);
  }
  return l;
}
uint32_t join(const int64_t* v, int w) {
  uint32_t r = 0;
  for (int i = 0; i < 32 / w; ++i) r |= (uint32_t(uint64_t(v[i])) & ((1u << w) - 1)) << (i * w);
  return r;
}

// Per-lane operations: (a, b) as signed or unsigned lane values -> result lane.
struct Op {
  bool sign;  // operands read as signed
  std::function<int64_t(int64_t, int64_t, int w)> f;
};
const std::map<std::string, Op>& ops() {
  static const std::map<std::string, Op> m = {
      {"add", {true, [](int64_t a, int64_t b, int) { return a + b; }}},
      {"sub", {true, [](int64_t a, int64_t b, int) { return a - b; }}},
      {"avg", {true, [](int64_t a, int64_t b, int) { int64_t s = a + b; return s >= 0 ? s / 2 : -((-s + 1) / 2); }}},
      {"avgu", {false, [](int64_t a, int64_t b, int) { return (a + b) / 2; }}},
      {"min", {true, [](int64_t a, int64_t b, int) { return a < b ? a : b; }}},
      {"minu", {false, [](int64_t a, int64_t b, int) { return a < b ? a : b; }}},
      {"max", {true, [](int64_t a, int64_t b, int) { return a > b ? a : b; }}},
      {"maxu", {false, [](int64_t a, int64_t b, int) { return a > b ? a : b; }}},
      {"srl", {false, [](int64_t a, int64_t b, int w) { return a >> (b % w); }}},
      {"sra", {true, [](int64_t a, int64_t b, int w) { int64_t s = ((b % (1 << w)) + (1 << w)) % w; return a >> s; }}},
      {"sll", {false, [](int64_t a, int64_t b, int w) { return a << (b % w); }}},
      {"or", {false, [](int64_t a, int64_t b, int) { return a | b; }}},
      {"xor", {false, [](int64_t a, int64_t b, int) { return a ^ b; }}},
      {"and", {false, [](int64_t a, int64_t b, int) { return a & b; }}},
      {"cmpeq", {true, [](int64_t a, int64_t b, int) { return a == b ? -1 : 0; }}},
      {"cmpne", {true, [](int64_t a, int64_t b, int) { return a != b ? -1 : 0; }}},
      {"cmpgt", {true, [](int64_t a, int64_t b, int) { return a > b ? -1 : 0; }}},
      {"cmpge", {true, [](int64_t a, int64_t b, int) { return a >= b ? -1 : 0; }}},
      {"cmplt", {true, [](int64_t a, int64_t b, int) { return a < b ? -1 : 0; }}},
      {"cmple", {true, [](int64_t a, int64_t b, int) { return a <= b ? -1 : 0; }}},
      {"cmpgtu", {false, [](int64_t a, int64_t b, int) { return a > b ? -1 : 0; }}},
      {"cmpgeu", {false, [](int64_t a, int64_t b, int) { return a >= b ? -1 : 0; }}},
      {"cmpltu", {false, [](int64_t a, int64_t b, int) { return a < b ? -1 : 0; }}},
      {"cmpleu", {false, [](int64_t a, int64_t b, int) { return a <= b ? -1 : 0; }}},
  };
  return m;
}
// Dot products: signedness of rs1 and rs2 lanes, accumulate into rd.
struct Dot {
  bool sa, sb, acc;
};
const std::map<std::string, Dot>& dots() {
  static const std::map<std::string, Dot> m = {
      {"dotup", {false, false, false}},  {"dotusp", {false, true, false}},  {"dotsp", {true, true, false}},
      {"sdotup", {false, false, true}},  {"sdotusp", {false, true, true}},  {"sdotsp", {true, true, true}},
  };
  return m;
}

uint32_t run_one(uint32_t word, uint32_t rd0, uint32_t rs1, uint32_t rs2) {
  RawMachine rm({word});
  rm.core().x[10] = rd0;
  rm.core().x[11] = rs1;
  rm.core().x[12] = rs2;
  rm.step(1);
  EXPECT_EQ(rm.core().stop_reason(), Stop::limit) << std::hex << word;
  return rm.core().x[10];
}
}  // namespace

TEST(Rv32Xpulp, EveryPackedSimdEncodingMatchesTheLaneReference) {
  std::mt19937 rng(7);
  int rows = 0;
  for (const auto& row : isa_rows()) {
    const std::string name = row.name;
    if (name.rfind("pv.", 0) != 0) continue;
    // pv.<op>[.sc|.sci].<h|b>
    std::vector<std::string> parts;
    for (size_t s = 3, e; s <= name.size(); s = e + 1) {
      e = name.find('.', s);
      if (e == std::string::npos) e = name.size();
      parts.push_back(name.substr(s, e - s));
    }
    const std::string op = parts[0], mode = parts.size() == 3 ? parts[1] : "vv";
    const int w = parts.back() == "h" ? 16 : 8;
    const bool is_dot = dots().count(op) != 0;
    if (!is_dot && !ops().count(op)) continue;  // abs, extract, extractu, insert: below / xpulp_check.S
    ++rows;
    for (int t = 0; t < 64; ++t) {
      const uint32_t a = rng(), b = rng(), d = rng();
      const int imm6 = int(rng() % 64);
      uint32_t word = row.match | 10u << 7 | 11u << 15;
      uint32_t bop;  // the second operand as a register value of replicated lanes
      if (mode == "sci") {
        word |= uint32_t(imm6 >> 1) << 20 | uint32_t(imm6 & 1) << 25;
        const int64_t iv = row.fmt == Fmt::SCIS && imm6 >= 32 ? imm6 - 64 : imm6;
        int64_t lanes[4] = {iv, iv, iv, iv};
        bop = join(lanes, w);
      } else {
        word |= 12u << 20;
        if (mode == "sc") {
          const int64_t e = b & ((1u << w) - 1);
          int64_t lanes[4] = {e, e, e, e};
          bop = join(lanes, w);
        } else {
          bop = b;
        }
      }
      uint32_t want;
      if (is_dot) {
        const Dot dt = dots().at(op);
        const Lanes la = split(a, w, dt.sa), lb = split(bop, w, dt.sb);
        int64_t s = dt.acc ? int64_t(int32_t(d)) : 0;
        for (int i = 0; i < la.n; ++i) s += la.v[i] * lb.v[i];
        want = uint32_t(uint64_t(s));
      } else {
        const Op& o = ops().at(op);
        const Lanes la = split(a, w, o.sign), lb = split(bop, w, o.sign);
        int64_t r[4];
        for (int i = 0; i < la.n; ++i) r[i] = o.f(la.v[i], lb.v[i], w);
        want = join(r, w);
      }
      const uint32_t got = run_one(word, d, a, b);
      ASSERT_EQ(got, want) << name << std::hex << ": rs1 0x" << a << " rs2 0x" << b << " rd 0x" << d << " imm6 " << std::dec << imm6;
    }
  }
  EXPECT_EQ(rows, (24 + 6) * 6);  // 24 ALU/compare ops and 6 dot products x {h, b} x {vv, sc, sci}
}

TEST(Rv32Xpulp, LaneOpsByHand) {
  // pv.abs.b: |-128| wraps to 0x80; pv.extractu.h lane 1; pv.insert.b lane 3 (values by hand)
  auto enc = [](const char* n, uint32_t imm6) {
    for (const auto& r : isa_rows())
      if (std::string(r.name) == n) return r.match | 10u << 7 | 11u << 15 | (imm6 >> 1) << 20 | (imm6 & 1) << 25;
    ADD_FAILURE() << n;
    return 0u;
  };
  EXPECT_EQ(run_one(enc("pv.abs.b", 0), 0, 0x80ff7f01u, 0), 0x80017f01u);
  EXPECT_EQ(run_one(enc("pv.extractu.h", 1), 0, 0xbeef1234u, 0), 0xbeefu);
  EXPECT_EQ(run_one(enc("pv.extract.b", 2), 0, 0x00800000u, 0), 0xffffff80u);
  EXPECT_EQ(run_one(enc("pv.insert.b", 3), 0x11223344u, 0xaau, 0), 0xaa223344u);
}
