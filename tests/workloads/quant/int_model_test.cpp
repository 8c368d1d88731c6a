// Integer transformer: quantised-file round trip, determinism, prefill == decodes,
// golden replay of every emitted op, shape-only mode, bad input.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <unistd.h>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "workloads/common/error.h"
#include "workloads/eval/eval.h"
#include "workloads/eval/prepare.h"
#include "workloads/llama2/load.h"
#include "workloads/llama2/shapes.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/trace_io.h"

namespace {

using namespace slm;
using quant::Precision;

const quant::QuantModel& model260(Precision p) {
  static std::map<Precision, quant::QuantModel> cache;
  auto it = cache.find(p);
  if (it == cache.end()) {
    llama2::Model m = llama2::load_model("stories260K", 1);  // synthetic weights, real shape
    it = cache.emplace(p, eval::quantize_calibrated(m, p, {2, 32, eval::kCalibSeed})).first;
  }
  return it->second;
}

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("slmsim_int_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::vector<uint8_t> file_bytes(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

std::vector<int16_t> logits_of(const quant::IntTransformer& it) {
  return {it.logits(), it.logits() + it.config().vocab_size};
}

const std::vector<int32_t> kPrompt = {1, 45, 300, 7, 511, 0, 99};

TEST(IntModel, SaveLoadRoundTripIsBitIdentical) {
  for (Precision p : quant::kAllPrecisions) {
    const quant::QuantModel& q = model260(p);
    const std::string a = tmp_path("a.slmq"), b = tmp_path("b.slmq");
    q.save(a);
    const quant::QuantModel r = quant::QuantModel::load(a);
    r.save(b);
    EXPECT_EQ(file_bytes(a), file_bytes(b)) << quant::to_string(p);
    quant::IntTransformer x(q), y(r);
    x.forward(kPrompt, 0);
    y.forward(kPrompt, 0);
    EXPECT_EQ(logits_of(x), logits_of(y));
    std::filesystem::remove(a);
    std::filesystem::remove(b);
  }
}

TEST(IntModel, LoadRejectsBadFilesWithClearErrors) {
  const std::string a = tmp_path("bad.slmq");
  model260(Precision::w8a8).save(a);
  std::vector<uint8_t> good = file_bytes(a);
  auto expect_error = [&](std::vector<uint8_t> bytes, const std::string& needle) {
    std::ofstream(a, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    try {
      quant::QuantModel::load(a);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(a), std::string::npos) << e.what();
    }
  };
  auto bad_magic = good;
  bad_magic[0] = 'X';
  expect_error(bad_magic, "bad magic");
  auto bad_version = good;
  bad_version[8] = 9;
  expect_error(bad_version, "version 9");
  expect_error(std::vector<uint8_t>(good.begin(), good.end() - 100), "past the end");
  expect_error(std::vector<uint8_t>(good.begin(), good.begin() + 10), "too short");
  std::filesystem::remove(a);
  EXPECT_THROW(quant::QuantModel::load(a), Error);
}

TEST(IntModel, InconsistentTensorsAreErrorsNotCrashes) {
  quant::QuantModel q = model260(Precision::w8a8);
  q.tensors["l2.w1"].shape = {171, 64};
  EXPECT_THROW(quant::IntTransformer{q}, Error);
  q = model260(Precision::w8a8);
  q.tensors.erase("l0.silu.lut");
  EXPECT_THROW(quant::IntTransformer{q}, Error);
  q = model260(Precision::w8a8);
  q.tensors["cls.requant"].as<int32_t>()[1] = 99;  // shift out of [1, 62]
  EXPECT_THROW(quant::IntTransformer{q}, Error);
  q = model260(Precision::w8a8);
  q.params["ops"]["l1.add_att"].erase("y_mul");
  EXPECT_THROW(quant::IntTransformer{q}, Error);
  q = model260(Precision::w8a8);
  q.params["ops"]["l3.wq"]["weight"] = 7;  // wrong JSON type
  EXPECT_THROW(quant::IntTransformer{q}, Error);
}

TEST(IntModel, DeterministicAcrossRuns) {
  for (Precision p : quant::kAllPrecisions) {
    quant::IntTransformer x(model260(p)), y(model260(p));
    for (int pos = 0; pos < 5; ++pos) {
      const int32_t t = kPrompt[pos];
      x.forward(std::span<const int32_t>(&t, 1), pos);
      y.forward(std::span<const int32_t>(&t, 1), pos);
      ASSERT_EQ(logits_of(x), logits_of(y));
    }
  }
}

TEST(IntModel, PrefillEqualsSequenceOfDecodeSteps) {
  for (Precision p : quant::kAllPrecisions) {
    quant::IntTransformer pre(model260(p)), dec(model260(p));
    pre.forward(kPrompt, 0);
    for (size_t pos = 0; pos < kPrompt.size(); ++pos) dec.forward(std::span<const int32_t>(&kPrompt[pos], 1), static_cast<int>(pos));
    ASSERT_EQ(logits_of(pre), logits_of(dec)) << quant::to_string(p);
    const int32_t next = 42;  // the KV caches must agree too
    pre.forward(std::span<const int32_t>(&next, 1), 7);
    dec.forward(std::span<const int32_t>(&next, 1), 7);
    ASSERT_EQ(logits_of(pre), logits_of(dec)) << quant::to_string(p);
  }
}

// Recomputes every op from its operands through golden_execute and compares bits.
class ReplayCheck : public trace::OpSink {
 public:
  void begin_step(trace::Phase, int pos, int) override { pos_ = pos; }
  void on_op(const trace::Op& op, const trace::OpOperands& o) override {
    std::vector<std::vector<uint8_t>> bufs;
    std::vector<void*> out;
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      const auto& t = op.outputs[i];
      const size_t bytes = (t.elems() * static_cast<size_t>(trace::dtype_bits(t.dtype)) + 7) / 8;
      bufs.emplace_back(bytes, 0);
      if (op.kind == trace::OpKind::kv_write) std::memcpy(bufs.back().data(), o.out[i], bytes);  // whole cache
      out.push_back(bufs.back().data());
    }
    quant::golden_execute(op, o, pos_, out);
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_EQ(std::memcmp(bufs[i].data(), o.out[i], bufs[i].size()), 0) << op.name << " output " << i;
    ++ops;
  }
  int ops = 0;

 private:
  int pos_ = 0;
};

TEST(IntModel, GoldenExecuteReproducesEveryEmittedOp) {
  for (Precision p : quant::kAllPrecisions) {
    quant::IntTransformer it(model260(p));
    ReplayCheck check;
    it.forward(kPrompt, 0, &check);
    const int32_t t = 3;
    it.forward(std::span<const int32_t>(&t, 1), 7, &check);
    EXPECT_EQ(check.ops, 2 * (1 + 5 * 19 + 3)) << quant::to_string(p);
  }
}

TEST(IntModel, ShapeOnlyEmitsTheSameRecordsAsDataMode) {
  for (Precision p : quant::kAllPrecisions) {
    trace::StepCollector a, b;
    quant::IntTransformer data(model260(p)), shape(llama2::shape_config("stories260K"), p);
    EXPECT_TRUE(shape.shape_only());
    data.forward(kPrompt, 0, &a);
    shape.forward(kPrompt, 0, &b);
    ASSERT_EQ(a.steps.size(), 1u);
    ASSERT_EQ(a.steps[0].ops.size(), b.steps[0].ops.size());
    for (size_t i = 0; i < a.steps[0].ops.size(); ++i) {
      trace::Op x = a.steps[0].ops[i], y = b.steps[0].ops[i];
      if (x.kind != trace::OpKind::kv_write && x.kind != trace::OpKind::argmax) {
        EXPECT_FALSE(x.quant.empty()) << x.name;
      }
      x.quant = y.quant = nlohmann::json::object();
      EXPECT_EQ(trace::to_json(x), trace::to_json(y));
    }
  }
}

TEST(IntModel, ShapeOnlyLargestShapesCountMacsAndBytes) {
  for (const char* name : {"llama2-7b", "phi3-mini", "tinyllama-1.1b"}) {
    const llama2::ModelConfig c = llama2::shape_config(name);
    for (Precision p : {Precision::w8a8, Precision::w4a8}) {
      quant::IntTransformer it(c, p);
      trace::StepCollector s;
      const int32_t t = 5;
      it.forward(std::span<const int32_t>(&t, 1), 10, &s);
      const uint64_t D = c.dim, KV = c.kv_dim(), H = c.hidden_dim, V = c.vocab_size, L = c.n_layers;
      const uint64_t matmul = L * (2 * D * D + 2 * D * KV + 3 * D * H) + V * D;
      EXPECT_EQ(s.steps[0].total_macs(), matmul + 2 * L * D * 11) << name;  // attention: 11 positions
      const uint64_t layer_w = L * (2 * D * D + 2 * D * KV + 3 * D * H);
      const uint64_t wbytes = (p == Precision::w4a8 ? layer_w / 2 : layer_w) + V * D + D;  // + one embedding row
      EXPECT_EQ(s.steps[0].total_weight_bytes(), wbytes) << name;
    }
  }
}

TEST(IntModel, MicrollamaTakesVectorsAndHasNoClassifier) {
  llama2::Model m = llama2::load_model("microllama", 1);
  quant::QuantModel q = eval::quantize_calibrated(m, Precision::w8a8, {2, 16, eval::kCalibSeed});
  quant::IntTransformer it(q);
  std::vector<int8_t> x(3 * 64, 5);
  trace::StepCollector s;
  ReplayCheck check;
  it.forward_vectors(x.data(), 3, 0, &s);
  it.forward_vectors(x.data(), 1, 3, &check);
  ASSERT_EQ(s.steps[0].ops.size(), 8u * 19 + 1);
  EXPECT_EQ(s.steps[0].ops.front().name, "l0.att_norm");
  EXPECT_EQ(s.steps[0].ops.back().name, "final.rmsnorm");
  EXPECT_NE(it.output(), nullptr);
  EXPECT_THROW(it.logits(), Error);
  const int32_t tok = 1;
  EXPECT_THROW(it.forward(std::span<const int32_t>(&tok, 1), 0), Error);
}

TEST(IntModel, BadTokensAndPositionsAreErrors) {
  quant::IntTransformer it(model260(Precision::w8a8));
  const int32_t bad = 512, neg = -1, ok = 3;
  EXPECT_THROW(it.forward(std::span<const int32_t>(&bad, 1), 0), Error);
  EXPECT_THROW(it.forward(std::span<const int32_t>(&neg, 1), 0), Error);
  EXPECT_THROW(it.forward(std::span<const int32_t>(&ok, 1), 512), Error);
  EXPECT_THROW(it.forward(std::span<const int32_t>(&ok, 0), 0), Error);
  EXPECT_THROW(quant::precision_from_string("w2a2"), Error);
}

}  // namespace
