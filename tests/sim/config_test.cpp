// Platform configuration: every shipped config validates; every malformed fixture gives its
// expected message (file:line, key, value); units, includes and --set overrides behave.
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "sim/config/platform_config.h"
#include "sim/config/units.h"
#include "sim/platform/platform.h"
#include "sim/replay/session.h"
#include "tests/sim/harness.h"
#include "workloads/common/error.h"

namespace slm {
namespace fs = std::filesystem;
using test::fixture;

TEST(Config, EveryShippedConfigPassesCheck) {
  platform::register_types();
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::source_dir() + "/configs")) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().string());
    const auto problems = config::check_platform(e.path().string());
    for (const auto& p : problems) ADD_FAILURE() << p;
    EXPECT_NO_THROW(replay::check_capacity(e.path().string(), {}, "", "", 0));
    ++n;
  }
  EXPECT_GE(n, 3) << "configs/ must ship at least three platforms";
}

// Each bad_*.yaml fixture lists the substrings its (first) message must contain in
// "# expect: ..." lines.
TEST(Config, MalformedFixturesGiveTheirMessages) {
  platform::register_types();
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::source_dir() + "/tests/fixtures/configs")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("bad_", 0) != 0) continue;
    SCOPED_TRACE(name);
    std::ifstream f(e.path());
    std::vector<std::string> expect;
    for (std::string line; std::getline(f, line);)
      if (line.rfind("# expect: ", 0) == 0) expect.push_back(line.substr(10));
    ASSERT_FALSE(expect.empty()) << "fixture has no '# expect:' line";
    const auto problems = config::check_platform(e.path().string());
    ASSERT_EQ(problems.size(), 1u) << "one clear message expected, got:\n" << ::testing::PrintToString(problems);
    for (const auto& x : expect) EXPECT_NE(problems[0].find(x), std::string::npos) << "missing '" << x << "' in: " << problems[0];
    EXPECT_THROW(config::load_platform(e.path().string()), Error);
    ++n;
  }
  EXPECT_GE(n, 12);
}

TEST(Config, UnitsScaleAndRejectWrongDimensions) {
  auto n = config::load_string("a: 32 MHz\nb: 320 KiB\nc: 50 uW\nd: 0x100\ne: 1.5 GHz\nf: 2 KB\n", "t.yaml");
  EXPECT_DOUBLE_EQ(config::parse_quantity(*n->get("a"), params::Unit::hz), 32e6);
  EXPECT_EQ(config::parse_count(*n->get("b"), params::Unit::bytes), 327680u);
  EXPECT_DOUBLE_EQ(config::parse_quantity(*n->get("c"), params::Unit::mw), 0.05);
  EXPECT_EQ(config::parse_count(*n->get("d"), params::Unit::none), 256u);
  EXPECT_EQ(config::parse_count(*n->get("e"), params::Unit::hz), 1'500'000'000u);
  try {
    config::parse_quantity(*n->get("f"), params::Unit::hz);
    FAIL() << "a size accepted as a frequency";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.yaml:6:4: f = '2 KB': unit 'KB' is not a frequency"), std::string::npos) << e.what();
  }
  EXPECT_THROW(config::parse_count(*n->get("e"), params::Unit::bytes), Error);  // GHz is not a size
  auto frac = config::load_string("x: 1.5\n", "t.yaml");
  EXPECT_THROW(config::parse_count(*frac->get("x"), params::Unit::none), Error);  // not whole
}

TEST(Config, SetOverridesAndIncludesResolve) {
  platform::register_types();
  auto pc = config::load_platform(fixture("tiny.yaml"), {"eng.clock_hz=200 MHz", "simulation.quantum_ns=10",
                                                         "engine.tile_bytes=2 KiB"});
  EXPECT_EQ(pc.params<ComputeEngine::Params>("eng").clock_hz, 200'000'000u);
  EXPECT_DOUBLE_EQ(pc.simulation.quantum_ns, 10.0);
  EXPECT_EQ(pc.engine.tile_bytes, 2048u);
  // An included file's values are overridden by the including file, key by key.
  const std::string f = test::write_temp("inc.yaml", "slmsim_config: 1\ninclude: [" + fixture("tiny.yaml") +
                                                         "]\ncomponents:\n  mem: {width_bytes: 32}\n");
  auto pi = config::load_platform(f);
  EXPECT_EQ(pi.params<Memory::Params>("mem").width_bytes, 32u);
  EXPECT_EQ(pi.params<Memory::Params>("mem").size_bytes, 4u << 20);  // kept from tiny.yaml
  // A bad --set names itself.
  try {
    config::load_platform(fixture("tiny.yaml"), {"mem.clock_hz=fast"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--set components.mem.clock_hz=fast"), std::string::npos) << e.what();
  }
}

TEST(Config, MemoryTooSmallForThePlacementIsNamed) {
  try {
    replay::check_capacity(fixture("tiny.yaml"), {"mem.size_bytes=64 KiB"}, "stories260K", "w8a8", 16);
    FAIL() << "stories260K does not fit in 64 KiB";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("memory too small"), std::string::npos) << m;
    EXPECT_NE(m.find("mem has 65536 bytes"), std::string::npos) << m;
    EXPECT_NE(m.find("tiny.yaml:"), std::string::npos) << m;
  }
  const auto used = replay::check_capacity(fixture("tiny.yaml"), {}, "stories260K", "w8a8", 16);
  EXPECT_GT(used.at("mem"), 260'000u);  // ~260K int8 weights + params + KV cache
}

TEST(Config, SchemaDocumentsEveryType) {
  platform::register_types();
  const std::string md = config::schema_markdown();
  for (const char* t : {"sram", "flash", "mram", "dram", "bus", "dma", "compute"})
    EXPECT_NE(md.find(std::string("type: ") + t + "`"), std::string::npos) << t;
  EXPECT_NE(md.find("`read_pj_per_byte`"), std::string::npos);
}

}  // namespace slm
