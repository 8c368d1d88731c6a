// Regression tests for issue 11: every failure class the hostile-input probe found, at the
// level where it was fixed (loaders, kernels, budgets). Each test fails, or crashes, on
// the code before the fix. docs/reliability.md lists them per input surface.
#include <chrono>
#include <climits>
#include <functional>
#include <limits>
#include <span>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/common/errors.h"
#include "workloads/common/error.h"
#include "workloads/common/io.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/float_model.h"
#include "workloads/llama2/load.h"
#include "workloads/llama2/shapes.h"
#include "workloads/llama2/tokenizer.h"
#include "workloads/quant/golden.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/trace_io.h"

namespace {

using namespace slm;
using nlohmann::json;
using quant::Precision;

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("slmsim_rel_" + std::to_string(::getpid()) + "_" + name)).string();
}
std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void spit(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary | std::ios::trunc) << s; }

using test::error_of;

const quant::QuantModel& model260(Precision p) {
  static std::map<Precision, quant::QuantModel> cache;
  auto it = cache.find(p);
  if (it == cache.end()) {
    llama2::Model m = llama2::load_model("stories260K", 1);
    it = cache.emplace(p, eval::quantize_calibrated(m, p, {2, 16, eval::kCalibSeed})).first;
  }
  return it->second;
}

// A saved .slmq whose header JSON is edited by `edit` (the data area moves with the header).
std::string slmq_with_header(Precision p, const std::function<void(json&)>& edit) {
  std::string path = tmp(std::string("h_") + quant::to_string(p) + ".slmq");
  model260(p).save(path);
  const std::string bytes = slurp(path);
  uint32_t hlen = 0;
  std::memcpy(&hlen, bytes.data() + 12, 4);
  json h = json::parse(bytes.substr(16, hlen));
  const size_t blob0 = (16 + hlen + 63) / 64 * 64;
  edit(h);
  const std::string hs = h.dump();
  std::string out = bytes.substr(0, 12);
  const uint32_t nl = static_cast<uint32_t>(hs.size());
  out.append(reinterpret_cast<const char*>(&nl), 4);
  out += hs;
  out.append((64 - out.size() % 64) % 64, '\0');
  out += bytes.substr(blob0);
  spit(path, out);
  return path;
}
std::string load_error(const std::string& path) { return error_of([&] { quant::QuantModel::load(path); }); }

// ---- .slmq: LUTs, op parameters, tensor offsets --------------------------------------

TEST(ReliabilitySlmq, ExpLutZeroOrNegativeIsRefusedAtLoadNotSigfpe) {
  for (int32_t bad : {0, -1}) {
    quant::QuantModel q = model260(Precision::w8a8);
    q.tensors["softmax.exp_lut"].as<int32_t>()[bad == 0 ? 0 : 5] = bad;
    const std::string path = tmp("lut.slmq");
    q.save(path);
    const std::string e = load_error(path);
    EXPECT_HAS(e, path);
    EXPECT_HAS(e, "softmax.exp_lut[");
    EXPECT_HAS(e, "= " + std::to_string(bad));
  }
  // The kernel dispatcher (replay of a trace) checks the LUT it is given as well.
  quant::QuantModel q = model260(Precision::w8a8);
  q.tensors["softmax.exp_lut"].as<int32_t>()[0] = 0;
  EXPECT_HAS(error_of([&] { quant::IntTransformer t(q); }), "softmax.exp_lut[0] = 0");
}

TEST(ReliabilitySlmq, OutOfRangeOpParametersAreRefusedAtLoad) {
  struct Case {
    Precision p;
    std::string op, key;
    json value;
    std::string needle;
  } cases[] = {
      {Precision::w8a8, "l0.att_norm", "gain_shift", 70, "gain_shift = 70"},
      {Precision::w8a8, "l0.att_norm", "gain_shift", -40, "gain_shift = -40"},
      {Precision::w8a8, "l0.att_norm", "eps_q", -1, "eps_q = -1"},
      {Precision::w8a8, "l0.wq", "x_zp", 300, "x_zp = 300"},
      {Precision::w8a8, "l1.add_att", "a_zp", -129, "a_zp = -129"},
      {Precision::w8a16, "l0.mul", "a_zp", 5, "a_zp = 5"},  // int16 activations are symmetric
      {Precision::w8a16, "l0.add_ffn", "left_shift", 20, "left_shift = 20"},
      {Precision::w8a8, "l0.mul", "mul", json{{"m", 0}, {"shift", 31}}, "m = 0"},
      {Precision::w8a8, "l0.rope_q", "mul", json{{"m", 1 << 30}, {"shift", 80}}, "shift = 80"},
      {Precision::w8a8, "l0.attn_scores", "mul", json{{"m", 5}, {"shift", 20}}, "m = 5"},
      {Precision::w8a8, "l0.wq", "x_zp", "7", "x_zp' missing or not an integer"},
  };
  for (const auto& c : cases) {
    const std::string path = slmq_with_header(c.p, [&](json& h) { h["params"]["ops"][c.op][c.key] = c.value; });
    const std::string e = load_error(path);
    EXPECT_HAS(e, path);
    EXPECT_HAS(e, c.op);
    EXPECT_HAS(e, c.needle);
  }
}

TEST(ReliabilitySlmq, TensorOffsetsNegativeWrappingOrOverlappingAreRefused) {
  auto index_of = [](const json& h, const std::string& name) {
    for (size_t i = 0; i < h["tensors"].size(); ++i)
      if (h["tensors"][i]["name"] == name) return i;
    return size_t{0};
  };
  const std::string neg = slmq_with_header(Precision::w8a8, [&](json& h) { h["tensors"][index_of(h, "l0.wq")]["offset"] = -64; });
  EXPECT_HAS(load_error(neg), "offset = -64");
  const std::string wrap = slmq_with_header(Precision::w8a8, [&](json& h) {
    h["tensors"][index_of(h, "l0.wq")]["offset"] = std::numeric_limits<uint64_t>::max() - 63;
  });
  EXPECT_HAS(load_error(wrap), "past the end");
  // l0.wq and l0.wk have the same size: point wk at wq's bytes.
  const std::string overlap = slmq_with_header(Precision::w8a8, [&](json& h) {
    h["tensors"][index_of(h, "l0.wk")]["offset"] = h["tensors"][index_of(h, "l0.wq")]["offset"];
  });
  EXPECT_HAS(load_error(overlap), "overlaps");
  const std::string unaligned = slmq_with_header(Precision::w8a8, [&](json& h) { h["tensors"][index_of(h, "l0.wq")]["offset"] = 3; });
  EXPECT_HAS(load_error(unaligned), "not a multiple of 64");
}

TEST(ReliabilitySlmq, RowSumsMustMatchTheWeights) {
  quant::QuantModel q = model260(Precision::w8a8);
  q.tensors["l0.w2.row_sum"].as<int32_t>()[3] += 1;
  EXPECT_HAS(error_of([&] { quant::validate_for_inference(q); }), "l0.w2.row_sum[3]");
  q.tensors["l0.w2.row_sum"].as<int32_t>()[3] = INT32_MIN;  // used to overflow zp * row_sum
  EXPECT_HAS(error_of([&] { quant::validate_for_inference(q); }), "row_sum[3] = -2147483648");
}

TEST(ReliabilitySlmq, WrongHeaderTypesNameTheFieldNotALibraryException) {
  const std::string p1 = slmq_with_header(Precision::w8a8, [](json& h) { h["tensors"] = "x"; });
  std::string e = load_error(p1);
  EXPECT_HAS(e, "tensors");
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << e;
  const std::string p2 = slmq_with_header(Precision::w8a8, [](json& h) { h["config"]["norm_eps"] = "tiny"; });
  e = load_error(p2);
  EXPECT_HAS(e, "norm_eps");
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << e;
  const std::string p3 = slmq_with_header(Precision::w8a8, [](json& h) { h["tensors"][0]["shape"] = {1 << 30, 1 << 30, 1 << 30}; });
  e = load_error(p3);
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << e;
}

// ---- golden kernels: defined for every int8 / int16 input ----------------------------

TEST(ReliabilityGolden, Int8MatmulAccumulatorSaturatesInsteadOfOverflowing) {
  // K = 2^17 products of (-128 - 127) * -128 = 32640: 4.3e9 does not fit int32.
  const int64_t k = int64_t{1} << 17;
  std::vector<int8_t> x(static_cast<size_t>(k), -128), w(static_cast<size_t>(k), -128);
  const int32_t row_sum = INT32_MIN;  // -128 * 2^17 = -2^24; any int32 must be safe to fold
  const int32_t real_sum = static_cast<int32_t>(-128 * k);
  quant::QMul one{1 << 30, 30};  // multiplier 1.0
  for (int32_t rs : {real_sum, row_sum}) {
    quant::golden::WeightView v;
    v.n = 1;
    v.k = k;
    v.data = w.data();
    v.row_sum = &rs;
    v.requant = &one;
    int8_t y = 0, yr = 0;
    quant::golden::matmul<int8_t, int8_t>(x.data(), 1, 127, v, 0, &y);
    if (rs == real_sum) {
      quant::golden::matmul_ref<int8_t, int8_t>(x.data(), 1, 127, v, 0, &yr);
      EXPECT_EQ(y, 127);  // saturated accumulator (2^31 - 1) requantised, then saturated
      EXPECT_EQ(y, yr);
    }
  }
  EXPECT_EQ(quant::golden::dot_i8(x.data(), w.data(), k), int64_t{16384} * k);  // exact, no int32 wrap
}

TEST(ReliabilityGolden, ExtremeInt16InputsStayDefined) {
  // RMSNorm with the largest int16 deviation and eps: no division by zero, no wrap.
  std::vector<int16_t> x(64, -32768), y(64);
  std::vector<int16_t> gain(64, 32767);
  quant::golden::RmsNormParams p;
  p.eps_q = INT32_MAX;
  p.gain = gain.data();
  p.gain_shift = -29;
  quant::golden::rmsnorm<int16_t>(x.data(), 1, 64, p, y.data());
  EXPECT_LE(y[0], 0);
  // RoPE with tables outside the Q15 rotation range saturates the int32 product.
  std::vector<int16_t> c(1, -32768), s(1, -32768), q{-32768, -32768}, out(2);
  quant::golden::RopeParams rp{0, 0, quant::QMul{1 << 30, 31}, c.data(), s.data()};
  quant::golden::rope<int16_t>(q.data(), 1, 1, 2, 0, rp, out.data());
  EXPECT_EQ(out[1], 32767);
  // ADD with a large left shift: the shifted operands saturate instead of overflowing.
  std::vector<int8_t> a{127, -128}, b{127, -128}, r(2);
  quant::golden::AddParams ap;
  ap.a_zp = -128;
  ap.b_zp = 127;
  ap.left_shift = 20;
  ap.a_mul = ap.b_mul = ap.y_mul = quant::QMul{1 << 30, 31};
  quant::golden::add<int8_t>(a.data(), b.data(), 2, ap, r.data());
  SUCCEED();
}

// ---- budgets: KV cache by positions, host memory -------------------------------------

llama2::ModelConfig long_context() {
  llama2::ModelConfig c;
  c.dim = 16;
  c.hidden_dim = 32;
  c.n_layers = 2;
  c.n_heads = 2;
  c.n_kv_heads = 2;
  c.vocab_size = 64;
  c.seq_len = 1 << 20;
  c.name = "long-context";
  return c;
}

TEST(ReliabilityBudget, KvCacheIsSizedToTheRunsPositionsNotSeqLen) {
  const llama2::Model m = llama2::make_synthetic(long_context(), 3);
  const quant::QuantModel q = eval::quantize_calibrated(m, Precision::w8a16, {1, 8, eval::kCalibSeed});
  io::set_host_memory_budget(64ull << 20);  // the seq_len-sized cache would need 128 MiB
  std::string e = error_of([&] { quant::IntTransformer full(q); });
  EXPECT_HAS(e, "needs an estimated");
  EXPECT_HAS(e, "--max-host-memory");
  quant::IntTransformer t(q, 4);
  EXPECT_EQ(t.max_positions(), 4);
  const std::vector<int32_t> prompt = {1, 5, 9, 12};
  t.forward(prompt, 0);
  const int32_t next = 3;
  EXPECT_HAS(error_of([&] { t.forward(std::span<const int32_t>(&next, 1), 4); }), "exceed the run's positions 4");
  llama2::FloatTransformer f(m, 4);
  EXPECT_HAS(error_of([&] { f.forward(1, 4); }), "outside context [0, 4)");
  io::set_host_memory_budget(0);
}

TEST(ReliabilityBudget, ByteSizesParseAndBadOnesAreRefused) {
  EXPECT_EQ(io::parse_byte_size("8GiB", "x"), 8ull << 30);
  EXPECT_EQ(io::parse_byte_size("512 MB", "x"), 512000000ull);
  EXPECT_EQ(io::parse_byte_size("1000", "x"), 1000ull);
  EXPECT_HAS(error_of([] { io::parse_byte_size("lots", "--max-host-memory"); }), "--max-host-memory 'lots'");
  EXPECT_HAS(error_of([] { io::parse_byte_size("-5G", "x"); }), "between 1 byte");
  EXPECT_HAS(error_of([] { io::parse_byte_size("5 parsecs", "x"); }), "unknown unit");
  EXPECT_GT(io::host_memory_budget(), 0u);
}

// ---- bounded reads, atomic writes ----------------------------------------------------

TEST(ReliabilityIo, DevicesAndHugeFilesAreRefusedBeforeReading) {
  EXPECT_HAS(error_of([] { io::read_text_file("/dev/zero", 1 << 20, "config file"); }), "not a regular file");
  EXPECT_HAS(error_of([] { trace::read_trace_file("/dev/zero"); }), "not a regular file");
  EXPECT_HAS(error_of([] { llama2::read_shape_file("/dev/zero"); }), "not a regular file");
  const std::string big = tmp("big.yaml");
  spit(big, std::string((2 << 20) + 1, '#'));
  EXPECT_HAS(error_of([&] { llama2::read_shape_file(big); }), "larger than any shape file");
  std::filesystem::remove(big);
}

TEST(ReliabilityIo, AtomicWriterKeepsTheOldFileUntilCommitAndReportsFailures) {
  const std::string p = tmp("atomic.txt");
  spit(p, "old");
  {
    io::AtomicWriter w(p);
    w.write("new");
  }  // not committed: the old content stays, no temporary is left behind
  EXPECT_EQ(slurp(p), "old");
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(p).parent_path()))
    EXPECT_EQ(e.path().filename().string().find(std::filesystem::path(p).filename().string() + ".tmp"), std::string::npos);
  io::write_file_atomic(p, "new");
  EXPECT_EQ(slurp(p), "new");
  std::filesystem::remove(p);
  EXPECT_HAS(error_of([] { io::write_file_atomic("/dev/full", std::string(1 << 16, 'x')); }), "/dev/full: write failed");
  EXPECT_HAS(error_of([] { io::write_file_atomic("/nonexistent-dir/x.json", "x"); }), "cannot write");
  EXPECT_HAS(error_of([] {
               io::AtomicOfstream o("/dev/full");
               o.stream() << std::string(1 << 16, 'x');
               o.commit();
             }),
             "write failed");
}

// ---- tokenizer: prompt length first, merges O(n log n) with run.c's results ----------

// A small llama2.c tokenizer: <unk> <s> </s>, 256 byte pieces, then merges of a/b/" ".
std::string write_tokenizer(int& vocab) {
  std::vector<std::pair<std::string, float>> v = {{"<unk>", 0}, {"<s>", 0}, {"</s>", 0}};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    v.push_back({buf, 0});
  }
  const std::vector<std::pair<std::string, float>> merges = {
      {" ", -1}, {"a", -2}, {"b", -3}, {"ab", -4}, {"ba", -4}, {"aa", -5}, {" a", -6}, {"aba", -7}, {"abab", -8},
      {"bb", -4}, {"aaaa", -3}, {"bab", -7}, {" ab", -5}};
  v.insert(v.end(), merges.begin(), merges.end());
  vocab = static_cast<int>(v.size());
  std::string bytes;
  const int32_t max_len = 8;
  bytes.append(reinterpret_cast<const char*>(&max_len), 4);
  for (const auto& [piece, score] : v) {
    const int32_t len = static_cast<int32_t>(piece.size());
    bytes.append(reinterpret_cast<const char*>(&score), 4);
    bytes.append(reinterpret_cast<const char*>(&len), 4);
    bytes += piece;
  }
  std::string p = tmp("tok.bin");
  spit(p, bytes);
  return p;
}

// run.c's encode merge loop, written plainly (quadratic) as the reference.
std::vector<int> naive_merge(const llama2::Tokenizer& tok, std::vector<int> t) {
  std::map<std::string, int> ids;
  for (int i = tok.vocab_size() - 1; i >= 0; --i) ids[tok.piece(i)] = i;
  while (true) {
    float best = -1e10f;
    int best_id = -1;
    size_t at = 0;
    for (size_t i = 0; i + 1 < t.size(); ++i) {
      auto it = ids.find(tok.piece(t[i]) + tok.piece(t[i + 1]));
      if (it != ids.end() && tok.score(it->second) > best) best = tok.score(it->second), best_id = it->second, at = i;
    }
    if (best_id < 0) return t;
    t[at] = best_id;
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
}

TEST(ReliabilityTokenizer, HeapMergeEqualsRunCsLoopOnRandomText) {
  int vocab = 0;
  const std::string path = write_tokenizer(vocab);
  const llama2::Tokenizer tok(path, vocab);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) text += "ab c"[rng() % 4];
    // The pre-merge sequence: BOS, dummy " ", then one token per byte.
    auto id_of = [&](const std::string& piece) {
      for (int i = 0; i < tok.vocab_size(); ++i)
        if (tok.piece(i) == piece) return i;
      return static_cast<unsigned char>(piece[0]) + 3;  // byte fallback
    };
    std::vector<int> pre = {1, id_of(" ")};
    for (char ch : text) pre.push_back(id_of(std::string(1, ch)));
    std::vector<int> want = naive_merge(tok, std::vector<int>(pre.begin() + 1, pre.end()));
    want.insert(want.begin(), 1);
    EXPECT_EQ(tok.encode(text, true, false), want) << "'" << text << "'";
  }
}

TEST(ReliabilityTokenizer, HugePromptIsRefusedBeforeTokenizing) {
  int vocab = 0;
  const std::string path = write_tokenizer(vocab);
  const llama2::Tokenizer tok(path, vocab);
  const std::string huge(8 << 20, 'a');
  const std::string e = error_of([&] { tok.encode(huge, true, false, 512); });
  EXPECT_HAS(e, "512 positions");
  EXPECT_HAS(e, "needs at least");  // the lower bound from the byte length: refused before any merging
  // A prompt that fits by bytes but not by tokens is refused after encoding.
  EXPECT_HAS(error_of([&] { tok.encode("a b a b a b", true, false, 3); }), "positions available");
}

}  // namespace
