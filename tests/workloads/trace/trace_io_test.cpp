// Trace JSON Lines format: write -> read round trip, and every validation error names
// its line (bad version, missing field, inconsistent shapes, counts, order, truncation).
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "workloads/common/error.h"
#include "workloads/llama2/shapes.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/trace_io.h"

namespace {

using namespace slm;
using nlohmann::json;

// A shape-only trace of stories260K: prefill of 4 tokens + 2 decode steps.
std::string make_trace(quant::Precision p = quant::Precision::w8a16) {
  const llama2::ModelConfig c = llama2::shape_config("stories260K");
  quant::IntTransformer it(c, p);
  std::ostringstream os;
  trace::TraceHeader h;
  h.model = {{"name", c.name}, {"dim", c.dim}, {"hidden_dim", c.hidden_dim}, {"n_layers", c.n_layers}, {"n_heads", c.n_heads},
             {"n_kv_heads", c.n_kv_heads}, {"vocab_size", c.vocab_size}, {"seq_len", c.seq_len}};
  h.precision = quant::to_string(p);
  h.shape_only = true;
  {
    trace::JsonlWriter w(os, h);
    const std::vector<int32_t> prompt = {1, 2, 3, 4};
    it.forward(prompt, 0, &w);
    for (int pos = 4; pos < 6; ++pos) {
      const int32_t t = 7;
      it.forward(std::span<const int32_t>(&t, 1), pos, &w);
    }
  }
  return os.str();
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string l; std::getline(is, l);) out.push_back(l);
  return out;
}

std::string join(const std::vector<std::string>& ls) {
  std::string s;
  for (const auto& l : ls) s += l + "\n";
  return s;
}

// Expects read_trace to fail with "<name>:<line>:" and `needle` in the message.
void expect_error(const std::string& text, int line, const std::string& needle) {
  std::istringstream is(text);
  try {
    trace::read_trace(is, "t.jsonl");
    ADD_FAILURE() << "no error, expected line " << line << ": " << needle;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("t.jsonl:" + std::to_string(line) + ":"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

// Edits field `key` of the JSON record on 0-based line `i`.
std::string edit(std::vector<std::string> ls, size_t i, const std::function<void(json&)>& f) {
  json j = json::parse(ls.at(i));
  f(j);
  ls[i] = j.dump();
  return join(ls);
}

TEST(TraceIo, WriteReadRoundTrip) {
  const std::string text = make_trace();
  std::istringstream is(text);
  const trace::Trace t = trace::read_trace(is, "t.jsonl");
  EXPECT_EQ(t.header.version, trace::kTraceVersion);
  EXPECT_TRUE(t.header.shape_only);
  EXPECT_EQ(t.header.precision, "w8a16");
  ASSERT_EQ(t.steps.size(), 3u);
  EXPECT_EQ(t.steps[0].phase, trace::Phase::prefill);
  EXPECT_EQ(t.steps[0].n_tokens, 4);
  EXPECT_EQ(t.steps[2].phase, trace::Phase::decode);
  EXPECT_EQ(t.steps[2].pos, 5);
  // Re-serialising what was read gives the same op lines.
  const auto ls = lines_of(text);
  EXPECT_EQ(trace::to_json(t.steps[0].ops[0]).dump(), ls[2]);
  EXPECT_EQ(trace::to_json(t.steps[2].ops.back()).dump(), ls[ls.size() - 2]);
  // Prefill: one step, weights read once (m = 4 rows per matmul).
  const trace::Op& wq = t.steps[0].ops[2];
  EXPECT_EQ(wq.name, "l0.wq");
  EXPECT_EQ(wq.m, 4);
  EXPECT_EQ(wq.weight_bytes(), 64u * 64u);
  // ... so the prefill reads the same weights as a decode step, plus 3 more embedding rows.
  EXPECT_EQ(t.steps[0].total_weight_bytes(), t.steps[1].total_weight_bytes() + 3 * 64);
}

TEST(TraceIo, BadVersionIsAnErrorOnLine1) {
  const auto ls = lines_of(make_trace());
  expect_error(edit(ls, 0, [](json& j) { j["version"] = 2; }), 1, "unsupported trace version 2");
  expect_error(edit(ls, 0, [](json& j) { j["format"] = "other"; }), 1, "format");
  expect_error(edit(ls, 0, [](json& j) { j.erase("shape_only"); }), 1, "'shape_only' missing");
}

TEST(TraceIo, MissingOrBadFieldsNameTheirLine) {
  const auto ls = lines_of(make_trace());
  expect_error(edit(ls, 5, [](json& j) { j.erase("kind"); }), 6, "op field 'kind' missing");
  expect_error(edit(ls, 7, [](json& j) { j.erase("macs"); }), 8, "'macs' missing");
  expect_error(edit(ls, 7, [](json& j) { j["kind"] = "conv"; }), 8, "unknown op kind 'conv'");
  expect_error(edit(ls, 3, [](json& j) { j["inputs"][0]["dtype"] = "q7"; }), 4, "unknown dtype 'q7'");
  expect_error(edit(ls, 1, [](json& j) { j.erase("n_ops"); }), 2, "'n_ops' missing");
  expect_error(edit(ls, 1, [](json& j) { j["phase"] = "decode"; }), 2, "decode step with n_tokens 4");
  std::vector<std::string> broken = ls;
  broken[9] = "{not json";
  expect_error(join(broken), 10, "not valid JSON");
}

TEST(TraceIo, InconsistentShapesAreErrors) {
  const auto ls = lines_of(make_trace());
  // line 5 (index 4) is l0.wq: a matmul of m=4, n=64, k=64
  ASSERT_NE(ls[4].find("\"l0.wq\""), std::string::npos);
  expect_error(edit(ls, 4, [](json& j) { j["inputs"][1]["shape"] = {64, 63}; j["inputs"][1]["bytes"] = 64 * 63; }), 5, "expected 64x64");
  expect_error(edit(ls, 4, [](json& j) { j["outputs"][0]["shape"] = {4, 65}; }), 5, "expected 4x64");
  expect_error(edit(ls, 4, [](json& j) { j["macs"] = 1; }), 5, "macs 1 != m*n*k");
  expect_error(edit(ls, 4, [](json& j) { j["inputs"][1]["bytes"] = 1u << 20; }), 5, "exceed its shape");
  expect_error(edit(ls, 4, [](json& j) { j["m"] = 9; j["inputs"][0]["shape"] = {9, 64}; j["outputs"][0]["shape"] = {9, 64}; j["macs"] = 9 * 64 * 64; }),
               5, "exceeds the step's n_tokens 4");
}

TEST(TraceIo, CountsOrderAndTruncationAreErrors) {
  const auto ls = lines_of(make_trace());
  expect_error(edit(ls, 4, [](json& j) { j["index"] = 7; }), 5, "op index 7, expected 2");
  std::vector<std::string> cut(ls.begin(), ls.end() - 1);  // no end record
  expect_error(join(cut), static_cast<int>(cut.size()), "truncated");
  expect_error(edit(ls, ls.size() - 1, [](json& j) { j["n_steps"] = 5; }), static_cast<int>(ls.size()), "says 5 steps");
  // Drop the first step's last op: the second step header arrives with 1 op still due.
  std::vector<std::string> dropped = ls;
  size_t second_step = 0;
  for (size_t i = 2; i < dropped.size() && !second_step; ++i)
    if (dropped[i].find("\"type\":\"step\"") != std::string::npos) second_step = i;
  ASSERT_GT(second_step, 2u);
  dropped.erase(dropped.begin() + static_cast<std::ptrdiff_t>(second_step) - 1);
  expect_error(join(dropped), static_cast<int>(second_step), "remaining ops");
  std::vector<std::string> no_header(ls.begin() + 1, ls.end());
  expect_error(join(no_header), 1, "first record must be the header");
}

TEST(TraceIo, ShapeOnlyLlama2_7bPrefillIsOneBatchedStep) {
  const llama2::ModelConfig c = llama2::shape_config("llama2-7b");
  quant::IntTransformer it(c, quant::Precision::w4a8);
  trace::StepCollector s;
  std::vector<int32_t> prompt(16, 3);
  it.forward(prompt, 0, &s);
  ASSERT_EQ(s.steps.size(), 1u);
  for (const trace::Op& op : s.steps[0].ops)
    if (op.kind == trace::OpKind::matmul && op.name != "cls") EXPECT_EQ(op.m, 16) << op.name;
  // attention is causal: sum over rows of (row + 1) positions
  const trace::Op& sc = s.steps[0].ops[8];  // embed, att_norm, wq, wk, wv, rope_q, rope_k, kv_write
  EXPECT_EQ(sc.kind, trace::OpKind::attn_scores);
  EXPECT_EQ(sc.macs, uint64_t{16 * 17 / 2} * 4096);
}

}  // namespace
