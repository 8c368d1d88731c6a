// slmsim quantize — calibrate a model and write the quantised model file (.slmq).
//
//   slmsim quantize --model stories260K.bin --precision w8a16 --out m.slmq
//                   [--calib-sequences 8] [--calib-tokens 128] [--calib-seed 1000000] [--weight-seed 1]
// The file format is in workloads/quant/quant_model.h and docs/quantization.md; the
// output can be reloaded by every command taking --model (path ending in .slmq).
#include <cstdio>
#include <memory>
#include <string>

#include "sim/cli/commands.h"
#include "workloads/common/error.h"
#include "workloads/eval/prepare.h"

namespace slm::cli {
namespace {

struct QuantizeOptions {
  std::string model, precision = "w8a16", out;
  eval::CalibrationSpec calib;
  uint64_t seed = 1;
};

void run(const QuantizeOptions& o) {
  if (eval::is_quant_file(o.model)) throw err("quantize: --model ", o.model, " is already quantised");
  const quant::QuantModel q = eval::prepare_quant_model(o.model, quant::precision_from_string(o.precision), o.calib, o.seed);
  q.save(o.out);
  uint64_t bytes = 0;
  for (const auto& [name, b] : q.tensors) bytes += b.bytes.size();
  std::printf("wrote %s: %s %s, %zu tensors, %llu data bytes, calibration %d x %d tokens\n", o.out.c_str(),
              q.config.name.c_str(), quant::to_string(q.precision), q.tensors.size(),
              static_cast<unsigned long long>(bytes), o.calib.sequences, o.calib.tokens);
}

}  // namespace

void register_quantize(CLI::App& app) {
  auto o = std::make_shared<QuantizeOptions>();
  auto* cmd = app.add_subcommand("quantize", "Calibrate and quantise a model; write a .slmq file");
  cmd->add_option("--model", o->model, "Checkpoint path, shape name or shape file")->required();
  cmd->add_option("--precision", o->precision, "w8a8 | w8a16 | w4a8")->capture_default_str();
  cmd->add_option("--out", o->out, "Output file (.slmq)")->required();
  add_calibration_options(cmd, o->calib);
  cmd->add_option("--weight-seed", o->seed, "Seed of synthetic weights")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace slm::cli
