#include "sim/engine/npu_engine.h"

#include <algorithm>
#include <sstream>

#include "workloads/common/error.h"

namespace slm::engine {

namespace {
const std::string& require_host(const platform::Platform& p) {
  const auto& cfg = p.config();
  if (cfg.engine.host.empty())
    throw err(cfg.file, ": engine.compute = '", cfg.engine.compute, "' is an NPU: engine.host must name the host CPU that programs it");
  return cfg.engine.host;
}
}  // namespace

NpuEngine::NpuEngine(platform::Platform& p, quant::Precision prec)
    : name_(p.config().engine.compute),
      p_(p),
      npu_(&p.get<EthosU85>(name_, "NPU")),
      host_(&p.get<HostCpu>(require_host(p), "host CPU")),
      regs_base_(p.base(name_)),
      mapper_(npu_->variant(), prec, p.config().engine.shape_mode == "fixed") {
  // Regions: one per memory, in address-map order (at most 8).
  for (const auto& m : p.config().address_map) {
    const auto* c = p.config().find(m.target);
    if (!c || c->type->category != "memory") continue;
    if (regions_.memory.size() == 8) throw err(p.config().file, ": the NPU addresses at most 8 memories (regions)");
    regions_.memory.push_back(m.target);
    regions_.base.push_back(m.base);
    regions_.ext.push_back(c->type->name != "sram");
  }
}

void NpuEngine::finish_declare(replay::Layout& layout, const RunShape& rs) {
  mapper_.finish(layout, rs);
}

void NpuEngine::execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout, const OpDone& done) {
  const mapper::Lowered low = mapper_.lower(step, ops, layout, regions_);
  const replay::Region& cmdbuf = layout.region("npu.commands");
  const uint64_t bytes = low.words.size() * 4;
  if (bytes > cmdbuf.bytes)
    throw err("NPU engine: command stream of ", bytes, " bytes exceeds its buffer (", cmdbuf.bytes, " bytes)");
  // The stream is part of the compiled model (written without run-time cost; docs/npu.md).
  layout.write(cmdbuf.addr, low.words.data(), bytes);

  // Per op: the NPU's operation stats, folded as its commands complete.
  size_t j = 0;
  std::vector<EthosU85::OpStats> acc(ops.size());
  std::vector<bool> started(ops.size(), false);
  npu_->on_operation_done = [&](const EthosU85::OpStats& s) {
    while (j < ops.size() && s.command > low.last_command[j]) ++j;
    if (j >= ops.size()) return;
    EthosU85::OpStats& a = acc[j];
    if (!started[j]) {
      a = s;
      started[j] = true;
    } else {
      a.start_fs = std::min(a.start_fs, s.start_fs);
      a.end_fs = std::max(a.end_fs, s.end_fs);
      a.mac_cycles += s.mac_cycles, a.ao_cycles += s.ao_cycles, a.wd_cycles += s.wd_cycles, a.cmd_cycles += s.cmd_cycles;
      a.blocks += s.blocks, a.macs += s.macs, a.weight_bytes += s.weight_bytes;
      for (int r = 0; r < 8; ++r) a.region_read[r] += s.region_read[r], a.region_written[r] += s.region_written[r];
    }
    if (s.command != low.last_command[j]) return;
    // The op is complete: report it (its outputs are in memory).
    const Clock& clk = npu_->clock();
    OpResult res;
    res.start = sc_core::sc_time::from_value(a.start_fs);
    res.end = sc_core::sc_time::from_value(std::max(a.end_fs, a.start_fs));
    const uint64_t cyc = clk.to_cycles_fs(a.end_fs > a.start_fs ? a.end_fs - a.start_fs : 0);
    res.cycles = cyc;
    const int ifm_bits = ops[j].op->inputs.empty() ? 8 : trace::dtype_bits(ops[j].op->inputs[0].dtype);
    const double peak = double(npu_->variant().macs) / (ifm_bits >= 16 ? 2.0 : 1.0);
    nlohmann::json d = {{"npu_cycles", cyc}, {"mac_cycles", a.mac_cycles}, {"ao_cycles", a.ao_cycles},
                        {"wd_cycles", a.wd_cycles}, {"cmd_cycles", a.cmd_cycles}, {"npu_blocks", a.blocks},
                        {"npu_macs", a.macs}, {"weight_stream_bytes", a.weight_bytes},
                        {"mac_util", cyc ? double(a.macs) / (peak * double(cyc)) : 0.0}};
    // Bytes and access cycles per memory (Vela: bytes / the memory's bandwidth, in NPU cycles).
    std::string limiter = "mac";
    double worst = double(a.mac_cycles);
    if (double(a.ao_cycles) > worst) worst = double(a.ao_cycles), limiter = "ao";
    if (double(a.wd_cycles) > worst) worst = double(a.wd_cycles), limiter = "weight_decoder";
    for (size_t r = 0; r < regions_.memory.size(); ++r) {
      const uint64_t rb = a.region_read[r], wb = a.region_written[r];
      if (!rb && !wb) continue;
      const Memory& m = p_.memory(regions_.memory[r]);
      const double bytes_per_npu_cycle = double(m.params().width_bytes) * m.params().ports * double(m.clock().hz()) / double(clk.hz());
      const double access = double(rb + wb) / bytes_per_npu_cycle;
      d["bytes_" + regions_.memory[r]] = rb + wb;
      d["access_cycles_" + regions_.memory[r]] = static_cast<uint64_t>(std::ceil(access));
      if (access > worst) worst = access, limiter = regions_.memory[r];
    }
    d["limiter"] = limiter;
    res.detail = std::move(d);
    done(j, res);
    ++j;
  };

  // The host programs the NPU and waits for its interrupt.
  const uint64_t R = regs_base_;
  for (size_t r = 0; r < regions_.base.size(); ++r) {
    host_->write32(R + EthosU85::REG_BASEP0 + 8 * r, static_cast<uint32_t>(regions_.base[r]));
    host_->write32(R + EthosU85::REG_BASEP0 + 8 * r + 4, static_cast<uint32_t>(regions_.base[r] >> 32));
  }
  host_->write32(R + EthosU85::REG_REGIONCFG, regions_.regioncfg());
  host_->write32(R + EthosU85::REG_QBASE, static_cast<uint32_t>(cmdbuf.addr));
  host_->write32(R + EthosU85::REG_QBASE_HI, static_cast<uint32_t>(cmdbuf.addr >> 32));
  host_->write32(R + EthosU85::REG_QSIZE, static_cast<uint32_t>(bytes));
  host_->write32(R + EthosU85::REG_CMD, 1);
  sc_core::wait(npu_->irq_event());
  const uint32_t status = host_->read32(R + EthosU85::REG_STATUS);
  host_->write32(R + EthosU85::REG_CMD, 2);  // clear the interrupt
  npu_->on_operation_done = nullptr;
  if (npu_->fault()) throw err("NPU '", name_, "' fault at ", npu_->fault()->str(), " (STATUS 0x", std::hex, status, ")");
  if (j != ops.size())
    throw err("NPU '", name_, "' stopped after ", j, " of ", ops.size(), " ops (STATUS 0x", std::hex, status, ")");
}

}  // namespace slm::engine
