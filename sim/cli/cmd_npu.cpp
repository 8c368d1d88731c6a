// slmsim npu — the NPU's command streams (docs/npu-command-stream.md).
//
//   slmsim npu compile --config FILE --model M [--precision P] [--steps N] [--pos P] --out FILE
//       the command stream the NPU runs for one step (the decode step at position P; P = 0:
//       the prefill of the BOS token), as little-endian 32-bit words
//   slmsim npu disasm FILE
//       one line per command: index, word offset, name, parameter and payload; a malformed
//       stream is disassembled up to the first bad command, which is reported (exit 2)
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "models/npu/command_stream.h"
#include "sim/cli/commands.h"
#include "sim/replay/session.h"
#include "workloads/common/error.h"

namespace slm::cli {

void register_npu(CLI::App& app) {
  auto* npu = app.add_subcommand("npu", "NPU command streams: compile one step's stream, disassemble a stream");
  npu->require_subcommand(1);

  auto o = std::make_shared<replay::SessionOptions>();
  auto out = std::make_shared<std::string>();
  auto pos = std::make_shared<int>(0);
  auto* comp = npu->add_subcommand("compile", "Write the command stream the NPU runs for one step");
  comp->add_option("--config", o->config, "platform YAML with an NPU engine (default: configs/mcu-ethos-u85.yaml)");
  comp->add_option("--set", o->sets, "override a config parameter (repeatable)");
  comp->add_option("--model", o->model, "checkpoint, .slmq or synthetic shape (default: the config's workload.model)");
  comp->add_option("--precision", o->precision, "w8a8 | w8a16 | w4a8 (default: the config's workload.precision)");
  comp->add_option("--steps", o->steps, "positions of the run the stream belongs to (KV cache and score widths)")->check(CLI::Range(1, 1 << 20));
  comp->add_option("--pos", *pos, "position of the step (0: the prefill of BOS)")->check(CLI::Range(0, 1 << 20))->capture_default_str();
  comp->add_option("--weight-seed", o->weight_seed, "seed of synthetic weights");
  add_calibration_options(comp, o->calibration);
  comp->add_option("--out", *out, "output file (32-bit little-endian words)")->required();
  comp->callback([o, out, pos] {
    const std::vector<uint32_t> words = replay::compile_npu_step(*o, *pos);
    std::ofstream f(*out, std::ios::binary);
    if (!f) throw err(*out, ": cannot write");
    f.write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(words.size() * 4));
    f.close();
    if (!f) throw err(*out, ": write failed");
    std::printf("wrote %s: %zu words\n", out->c_str(), words.size());
  });

  auto file = std::make_shared<std::string>();
  auto* dis = npu->add_subcommand("disasm", "Disassemble an NPU command stream file");
  dis->add_option("FILE", *file, "command stream (32-bit little-endian words)")->required();
  dis->callback([file] {
    std::ifstream f(*file, std::ios::binary);
    if (!f) throw err(*file, ": cannot read");
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    if (size < 0) throw err(*file, ": cannot read its size");
    if (size % 4) throw err(*file, ": ", size, " bytes is not a whole number of 32-bit words");
    if (size > (64 << 20)) throw err(*file, ": ", size, " bytes: larger than a command stream can be (64 MiB)");
    std::vector<uint32_t> words(static_cast<size_t>(size) / 4);
    f.seekg(0);
    f.read(reinterpret_cast<char*>(words.data()), size);
    if (!f) throw err(*file, ": read failed");
    std::optional<npu::Fault> fault;
    const auto cmds = npu::decode(words.data(), words.size(), &fault);
    std::cout << npu::disassemble(cmds);
    std::cout.flush();
    if (fault) throw err(*file, ": ", fault->str());
    if (cmds.empty() || cmds.back().opcode != npu::NPU_OP_STOP) throw err(*file, ": the stream ends without NPU_OP_STOP");
  });
}

}  // namespace slm::cli
