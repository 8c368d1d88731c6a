// Loader entry points for fuzzing and regression replay (see targets.h): the workload
// loaders (no SystemC; these fuzzers link only slmsim_workloads).
#include "tests/fuzz/targets.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "workloads/common/error.h"
#include "workloads/common/io.h"
#include "workloads/llama2/checkpoint.h"
#include "workloads/llama2/float_model.h"
#include "workloads/llama2/shapes.h"
#include "workloads/llama2/tokenizer.h"
#include "workloads/quant/int_model.h"
#include "workloads/trace/trace_io.h"

namespace slm::fuzz {

std::string& scratch_dir() {
  static std::string d;
  return d;
}

std::string put(const char* name, const uint8_t* data, size_t size) {
  std::string p = scratch_dir() + "/" + name;
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

void init() {
  static bool done = false;
  if (done) return;
  done = true;
  io::set_host_memory_budget(512ull << 20);
  scratch_dir() = (std::filesystem::temp_directory_path() / ("slmsim_fuzz_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(scratch_dir());
}

int checkpoint(const uint8_t* data, size_t size) {
  init();
  const std::string p = put("model.bin", data, size);
  return guarded([&] {
    const llama2::Model m = llama2::load_checkpoint(p);
    llama2::FloatTransformer f(m, 2);
    f.forward(0, 0);
    f.forward(m.config.vocab_size - 1, 1);
  });
}

int tokenizer(const uint8_t* data, size_t size) {
  init();
  if (size < 3) return 1;
  const int vocab = data[0] | (data[1] << 8);
  const size_t n = std::min<size_t>(data[2], size - 3);
  const std::string prompt(reinterpret_cast<const char*>(data + 3), n);
  const std::string p = put("tokenizer.bin", data + 3 + n, size - 3 - n);
  return guarded([&] {
    const llama2::Tokenizer tok(p, vocab);
    const std::vector<int> t = tok.encode(prompt, true, false, 512);
    for (size_t i = 1; i < t.size(); ++i) (void)llama2::Tokenizer::printable(tok.decode(t[i - 1], t[i]));
  });
}

int shape_file(const uint8_t* data, size_t size) {
  init();
  const std::string p = put("shape.yaml", data, size);
  return guarded([&] {
    const llama2::ModelConfig c = llama2::read_shape_file(p);
    (void)c.n_params();
  });
}

int slmq(const uint8_t* data, size_t size) {
  init();
  const std::string p = put("model.slmq", data, size);
  return guarded([&] {
    const quant::QuantModel q = quant::QuantModel::load(p);
    quant::IntTransformer t(q, 3);
    if (q.config.has_vocab()) {
      const std::vector<int32_t> prompt = {1, q.config.vocab_size - 1};
      t.forward(prompt, 0);
      const int32_t next = 0;
      t.forward(std::span<const int32_t>(&next, 1), 2);
    } else {
      std::vector<uint8_t> x(static_cast<size_t>(q.config.dim) * 2 * 2, 0x81);
      t.forward_vectors(x.data(), 2, 0);
    }
  });
}

int trace(const uint8_t* data, size_t size) {
  init();
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The whole-file reader and the streaming one (`run --trace`) on the same bytes: neither may
  // crash, and when both accept they must give the same steps.
  size_t whole_steps = 0, whole_ops = 0;
  std::istringstream in(text);
  const int whole = guarded([&] {
    const trace::Trace t = trace::read_trace(in, "fuzz.jsonl");
    uint64_t macs = 0;
    for (const auto& s : t.steps) macs += s.total_macs() + s.total_weight_bytes();
    (void)macs;
    whole_steps = t.steps.size();
    for (const auto& s : t.steps) whole_ops += s.ops.size();
  });
  size_t streamed_steps = 0, streamed_ops = 0;
  std::istringstream in2(text);
  const int streamed = guarded([&] {
    trace::TraceReader r(in2, "fuzz.jsonl");
    trace::Step s;
    while (r.next(s)) {
      ++streamed_steps;
      streamed_ops += s.ops.size();
      s = trace::Step{};
    }
  });
  if (whole == 0 && streamed == 0 && (whole_steps != streamed_steps || whole_ops != streamed_ops)) {
    std::fprintf(stderr, "trace readers disagree: read_trace %zu steps / %zu ops, TraceReader %zu / %zu\n", whole_steps,
                 whole_ops, streamed_steps, streamed_ops);
    std::abort();
  }
  return whole;
}

}  // namespace slm::fuzz
