#include "sim/engine/cluster_engine.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "models/cluster/cluster_config.h"
#include "models/cluster/gemm_job.h"
#include "sim/engine/generic_engine.h"
#include "sim/engine/golden_exec.h"
#include "sim/replay/session.h"
#include "workloads/common/error.h"
#include "workloads/quant/quant_model.h"

#ifndef SLMSIM_RV32_DIR
#define SLMSIM_RV32_DIR "rv32"
#endif

namespace slm {

using params::Field;
using params::Unit;

void RiscvCluster::Params::describe(params::Visitor& v, Params& p) {
  v.field(Field{"clock_hz", Unit::hz, "cluster clock: converts the kernels' cycles to time (50 MHz: GVSoC's siracusa default, anchors C2; not the silicon's operating point)",
                false, 1, 1e12},
          p.clock_hz);
  v.field(Field{"cores", Unit::none, "worker cores that run every kernel (overrides `cores` of cluster_config)", false, 1, 8}, p.cores);
  v.field(Field{"gemm", Unit::none,
                "int8 GEMM kernel: tiled (weights streamed through L1 by double-buffered DMA), untiled (operands in L2, XpulpV2), plain (untiled, RV32IMC C), "
                "neureka (one N-EUREKA job per matmul, weights in the weight memory, read through the engine's direct port; needs neureka.enabled and "
                "wmem.size_bytes in cluster_config). Also the mode of softmax and attention: tiled through L1 by DMA with tiled and neureka, "
                "operands in L2 with untiled and plain"},
          p.gemm, {"tiled", "untiled", "plain", "neureka"});
  v.field(Field{"l1_budget_bytes", Unit::bytes, "L1 a tiled kernel may use: the tiled GEMM, the tiled softmax and attention, the softmax's scratch (Deeploy's default L1 64000 B, anchors C5)", false, 64,
                256.0 * 1024 * 1024},
          p.l1_budget_bytes);
  v.field(Field{"cluster_config", Unit::none,
                "cluster YAML (cores, L1, L2 latency, DMA, event unit, core timing: docs/siracusa.md); relative: to the platform YAML's folder, "
                "else the current directory, else the shipped configs folder; empty: the built-in defaults (= configs/cluster/siracusa.yaml)"},
          p.cluster_config, {});
  v.field(Field{"program", Unit::none, "kernel ELF (empty: the build's rv32/cluster_kernels.elf; relative: as cluster_config)"}, p.program, {});
  v.field(Field{"max_cycles_per_op", Unit::cycles, "a kernel run longer than this is an error", false, 1000, 1e15}, p.max_cycles_per_op);
  v.field(Field{"l1_memory", Unit::none, "platform memory that stands for the cluster's L1: the cores', DMA's and N-EUREKA's L1 bytes are counted on it (energy); empty: not counted"},
          p.l1_memory, {});
  v.field(Field{"l2_memory", Unit::none, "platform memory that stands for the cluster's L2 (the cores' and the DMA's L2 bytes); empty: not counted"}, p.l2_memory, {});
  v.field(Field{"wmem_memory", Unit::none, "platform memory that stands for the weight memory (N-EUREKA's weight reads); empty: not counted"},
          p.wmem_memory, {});
  v.field(Field{"dma", Unit::none, "platform DMA that stands for the cluster DMA (its bytes); empty: not counted"}, p.dma, {});
  v.field(Field{"neureka", Unit::none,
                "platform component (type neureka) that stands for the cluster's N-EUREKA: its jobs, busy cycles, MACs and bytes are counted there (its own "
                "energy domain); empty: its MACs are counted on this component (neureka_macs x neureka_mac_pj)"},
          p.neureka, {});
  v.field(Field{"quantum_cycles", Unit::cycles,
                "0: the cluster config's quantum_cycles (lockstep by default); N >= 1 overrides it: 1 lockstep, N > 1 windows of N cycles "
                "(same arbitration rule, faster, cycles within ~1 %: docs/siracusa.md)",
                false, 0, 100000},
          p.quantum_cycles);
  v.field(Field{"instruction_pj", Unit::pj, "energy per retired instruction"}, p.instruction_pj);
  v.field(Field{"neureka_mac_pj", Unit::pj, "energy per N-EUREKA MAC (gemm: neureka) when `neureka` names no component"}, p.neureka_mac_pj);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void RiscvCluster::Params::validate(const std::string& who) const {
  if (clock_hz == 0) throw err(who, ": field clock_hz = 0: must be >= 1");
  if (cores < 1 || cores > 8) throw err(who, ": field cores = ", cores, ": must be 1..8");
  if (!(instruction_pj >= 0) || !(leakage_mw >= 0) || !(neureka_mac_pj >= 0)) throw err(who, ": energy fields must be >= 0");
  if (gemm != "tiled" && gemm != "untiled" && gemm != "plain" && gemm != "neureka")
    throw err(who, ": field gemm = '", gemm, "': not one of tiled, untiled, plain, neureka");
}

RiscvCluster::RiscvCluster(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      stats_(basename(), &parent),
      ops(stats_.counter("ops", "ops", "kernel runs (one per op)")),
      busy_cycles(stats_.counter("busy_cycles", "cycles", "cycles of the kernel runs")),
      instructions(stats_.counter("instructions", "instructions", "instructions retired by all cores")),
      neureka_macs(stats_.counter("neureka_macs", "MACs", "MACs computed by N-EUREKA (gemm: neureka)")),
      p_(p),
      clk_((p.validate(this->name()), p.clock_hz)) {}

void NeurekaUnit::Params::describe(params::Visitor& v, Params& p) {
  v.field(Field{"mac_pj", Unit::pj, "energy per MAC"}, p.mac_pj);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void NeurekaUnit::Params::validate(const std::string& who) const {
  if (!(mac_pj >= 0) || !(leakage_mw >= 0)) throw err(who, ": energy fields must be >= 0");
}

NeurekaUnit::NeurekaUnit(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      stats_(basename(), &parent),
      jobs(stats_.counter("jobs", "jobs", "N-EUREKA jobs run")),
      busy_cycles(stats_.counter("busy_cycles", "cycles", "cycles N-EUREKA was busy with jobs")),
      macs(stats_.counter("macs", "MACs", "MACs computed")),
      tcdm_bytes(stats_.counter("tcdm_bytes", "bytes", "bytes read from and written to L1 (activations, weights in L1, normalisation, outputs)")),
      wmem_bytes(stats_.counter("wmem_bytes", "bytes", "weight bytes read through the weight memory's direct port")),
      p_((p.validate(this->name()), p)) {}

namespace engine {

using trace::DType;
using trace::OpKind;

namespace {

constexpr uint32_t kHeaderBytes = 0x100;  // job words; the tensors follow, 64-byte aligned

// A relative path: next to the platform YAML, else from the current directory, else in the
// shipped configs folder.
std::string resolve(const std::string& path, const std::string& platform_file) {
  namespace fs = std::filesystem;
  if (path.empty() || fs::path(path).is_absolute()) return path;
  for (const fs::path& base : {fs::path(platform_file).parent_path(), fs::path(), fs::path(replay::config_dir())}) {
    const fs::path c = base / path;
    if (fs::exists(c)) return c.string();
  }
  return path;
}

bool all_i8(const trace::Op& op) {
  // Softmax reads int32 scores: its activation type is its output's (as golden_execute decides).
  if (op.kind == OpKind::softmax) return op.outputs.at(0).dtype == DType::i8;
  for (const auto& t : op.inputs)
    if ((t.role == trace::Role::activation || t.role == trace::Role::kv_cache) && t.dtype != DType::i8) return false;
  return true;
}

int32_t qi(const nlohmann::json& q, const char* key, const trace::Op& op) {
  if (!q.contains(key) || !q[key].is_number_integer()) throw err("cluster engine: op ", op.name, ": quant parameter '", key, "' missing");
  return q[key].get<int32_t>();
}
quant::QMul qm(const nlohmann::json& q, const char* key, const trace::Op& op) {
  if (!q.contains(key)) throw err("cluster engine: op ", op.name, ": quant parameter '", key, "' missing");
  return quant::qmul_from_json(q[key], op.name + "." + key);
}

}  // namespace

// One kernel run: the job words 1..15 and the tensors (offsets from the I/O base).
struct ClusterEngine::Job {
  uint32_t w[16] = {};
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> blobs;
  uint32_t end = kHeaderBytes;
  uint32_t out = 0, out_bytes = 0;
  std::vector<uint8_t> wmem;  // bytes at the start of the weight memory (gemm: neureka)
  // Reserves `bytes` (64-byte aligned) and returns the offset.
  uint32_t reserve(uint64_t bytes) {
    const uint32_t at = end;
    const uint64_t e = uint64_t(end) + ((bytes + 63) & ~uint64_t{63});
    if (e > 0xFFFFFFFFull) throw err("cluster engine: job too large");
    end = static_cast<uint32_t>(e);
    return at;
  }
  uint32_t put(std::vector<uint8_t> bytes) {
    const uint32_t at = reserve(bytes.size());
    blobs.emplace_back(at, std::move(bytes));
    return at;
  }
  template <typename T>
  uint32_t put_words(const std::vector<T>& v) {
    std::vector<uint8_t> b(v.size() * sizeof(T));
    if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
    return put(std::move(b));
  }
  void output(uint64_t bytes) {
    out = reserve(bytes);
    out_bytes = static_cast<uint32_t>(bytes);
  }
};

std::string ClusterEngine::unsupported_reason(const trace::Op& op) {
  switch (op.kind) {
    case OpKind::embed: return "the embedding lookup is host work";
    case OpKind::argmax: return "the token choice is host work";
    case OpKind::matmul:
      if (op.inputs.size() < 4) return "a matmul without requantisation multipliers and row sums";
      if (op.inputs.at(1).dtype != DType::i8) return "int4 weights (the cluster GEMM is int8)";
      if (op.outputs.at(0).dtype != DType::i8) return "int16 output (the classifier's logits; the cluster GEMM writes int8)";
      break;
    default: break;
  }
  if (!all_i8(op)) return "int16 activations (the cluster kernels are int8)";
  return "";
}

bool ClusterEngine::supports(const trace::Op& op) const { return unsupported_reason(op).empty(); }

ClusterEngine::ClusterEngine(platform::Platform& p, const std::string& component, quant::Precision prec)
    : name_(component), block_(&p.get<RiscvCluster>(component, "RISC-V cluster")) {
  const auto& bp = block_->params();
  who_ = p.config().file + ": components." + component;
  const std::string& who = who_;
  if (prec != quant::Precision::w8a8)
    throw err(who, ": the cluster kernels are int8 (w8a8); precision ", quant::to_string(prec), " cannot run on them");
  const std::string cfg_path = resolve(bp.cluster_config, p.config().file);
  if (!cfg_path.empty() && !std::filesystem::exists(cfg_path))
    throw err(who, ".cluster_config = '", bp.cluster_config, "': file not found");
  cfg_ = cluster::load_config(cfg_path);
  cfg_.cores = bp.cores;
  if (bp.quantum_cycles) cfg_.quantum_cycles = static_cast<uint32_t>(bp.quantum_cycles);
  cfg_.validate();
  if (!bp.l1_memory.empty()) l1m_ = &p.memory(bp.l1_memory);
  if (!bp.l2_memory.empty()) l2m_ = &p.memory(bp.l2_memory);
  if (!bp.wmem_memory.empty()) wmm_ = &p.memory(bp.wmem_memory);
  if (!bp.dma.empty()) dmac_ = &p.dma(bp.dma);
  if (!bp.neureka.empty()) ne_ = &p.get<NeurekaUnit>(bp.neureka, "N-EUREKA component (type neureka)");
  const std::string prog = bp.program.empty() ? std::string(SLMSIM_RV32_DIR) + "/cluster_kernels.elf" : resolve(bp.program, p.config().file);
  if (!std::filesystem::exists(prog))
    throw err(who, (bp.program.empty() ? ": the kernel ELF '" : ".program = '"), prog,
              bp.program.empty() ? "' was not built (needs riscv64-unknown-elf-gcc: scripts/install-deps.sh)" : "': file not found");
  elf_ = std::make_unique<rv32::ElfImage>(rv32::read_elf(prog));
  // The launch alone (op 0), for the per-op breakdown.
  Job nop;
  launch_cycles_ = run_job(nop, "the launch (op 0)", nullptr, nullptr).cycles;
}

ClusterEngine::~ClusterEngine() = default;

// The kernel run's memory traffic, counted on the platform components that stand for the
// cluster's memories (energy per domain): L1 = the cores' loads and stores, the DMA's L1 side
// and N-EUREKA's TCDM reads and writes; L2 = the cores' and the DMA's L2 side; the weight
// memory = N-EUREKA's weight reads; the DMA = its bytes. Transactions: the cores' loads and
// stores; the DMA's and N-EUREKA's bytes as 4-byte words (their beats are not kept).
void ClusterEngine::count_traffic(const cluster::ClusterResult& r) {
  uint64_t l1_rd = 0, l1_wr = 0, l2_rd = 0, l2_wr = 0, l1_ld = 0, l1_st = 0, l2_ld = 0, l2_st = 0;
  for (const auto& c : r.cores) {
    l1_rd += c.l1_read_bytes, l1_wr += c.l1_write_bytes, l2_rd += c.l2_read_bytes, l2_wr += c.l2_write_bytes;
    l1_ld += c.l1_loads, l1_st += c.l1_accesses - c.l1_loads, l2_ld += c.l2_loads, l2_st += c.l2_accesses - c.l2_loads;
  }
  const uint64_t in = r.dma.bytes_to_l1, out = r.dma.bytes - r.dma.bytes_to_l1;
  auto words = [](uint64_t b) { return (b + 3) / 4; };
  if (l1m_)
    l1m_->count_activity(l1_ld + words(out) + words(r.neureka.tcdm_read_bytes), l1_rd + out + r.neureka.tcdm_read_bytes,
                         l1_st + words(in) + words(r.neureka.tcdm_write_bytes), l1_wr + in + r.neureka.tcdm_write_bytes);
  if (l2m_) l2m_->count_activity(l2_ld + words(in), l2_rd + in, l2_st + words(out), l2_wr + out);
  if (wmm_) wmm_->count_activity(words(r.neureka.wmem_read_bytes), r.neureka.wmem_read_bytes, 0, 0);
  if (dmac_) dmac_->count_activity(r.dma.bytes);
}

void ClusterEngine::declare(const trace::Op& op, replay::Layout& layout) { declare_raw(op, layout, declared_); }
void ClusterEngine::load(const quant::QuantModel& qm, replay::Layout& layout) { load_raw(qm, layout, declared_); }

cluster::ClusterResult ClusterEngine::run_job(const Job& job, const std::string& what, std::vector<uint8_t>* out_bytes, uint32_t* tiles) {
  // One cluster for the whole run, restarted before every kernel run: the same state as a new
  // cluster (Cluster::restart), without rebuilding its memories and decoded code each time.
  if (!cl_) {
    cl_ = std::make_unique<cluster::Cluster>(cfg_);
    cl_->load(*elf_);
  } else {
    cl_->restart();
  }
  cluster::Cluster& cl = *cl_;
  const uint32_t window = cfg_.l2_size_bytes - (cluster::kIoBase - cluster::kL2Base);
  if (job.end > window)
    throw err("cluster engine: ", what, ": its operands and outputs need ", job.end, " bytes of the cluster's L2 I/O window (", window,
              " bytes from 0x", std::hex, cluster::kIoBase, std::dec, "): raise l2.size_bytes in the cluster config");
  uint8_t* io = cl.host(cluster::kIoBase, job.end);
  uint32_t words[16];
  std::memcpy(words, job.w, sizeof words);
  words[0] = cluster::kJobMagic;
  std::memcpy(io, words, sizeof words);
  for (const auto& [off, bytes] : job.blobs)
    if (!bytes.empty()) std::memcpy(io + off, bytes.data(), bytes.size());
  if (job.out_bytes) std::memset(io + job.out, 0x5a, job.out_bytes);  // a kernel that writes nothing cannot pass
  if (!job.wmem.empty()) {
    if (job.wmem.size() > cfg_.wmem_size_bytes)
      throw err("cluster engine: the op's weights (", job.wmem.size(), " bytes) do not fit in the weight memory (wmem.size_bytes = ",
                cfg_.wmem_size_bytes, " in the cluster config)");
    std::memcpy(cl.host(cluster::kWmemBase, static_cast<uint32_t>(job.wmem.size())), job.wmem.data(), job.wmem.size());
  }
  cluster::ClusterResult r = cl.run(block_->params().max_cycles_per_op);
  if (r.stop != rv32::Stop::exit || r.exit_code != 0) {
    if (r.stop == rv32::Stop::exit && r.exit_code == 3)
      throw err(who_, ".l1_budget_bytes = ", block_->params().l1_budget_bytes, ": too small for ", what,
                job.w[1] <= cluster::kGemmNeureka
                    ? " (the tiled GEMM needs k + 12 bytes per weight row twice, plus one token's x and y)"
                    : " (a tiled kernel needs its fixed operands plus one row or element of each streamed operand twice)");
    std::string why = r.stop == rv32::Stop::limit ? "ran longer than max_cycles_per_op (" + std::to_string(block_->params().max_cycles_per_op) + ")"
                      : r.error.empty()             ? r.trap.text()
                                                    : r.error;
    if (r.stop == rv32::Stop::exit) why = "exit code " + std::to_string(r.exit_code);
    throw err("cluster engine: ", what, " (kernel op ", job.w[1], ") failed: ", why);
  }
  if (out_bytes) out_bytes->assign(io + job.out, io + job.out + job.out_bytes);
  if (tiles) std::memcpy(tiles, io + cluster::kJobTiles * 4, 4);
  return r;
}

void ClusterEngine::execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout, const OpDone& done) {
  const bool data = !layout.options().shape_only;
  const auto& bp = block_->params();
  auto rd = [&](uint64_t a, void* d, uint64_t n) { layout.read(a, d, n); };
  for (size_t j = 0; j < ops.size(); ++j) {
    const BoundOp& b = ops[j];
    const trace::Op& op = *b.op;
    const std::string why = unsupported_reason(op);
    if (!why.empty()) throw err("cluster engine: op ", op.name, " (", trace::to_string(op.kind), "): ", why);
    OpResult res;
    res.start = sc_core::sc_time_stamp();
    const nlohmann::json& q = op.quant;
    // Dense operand bytes (zeros in shape-only mode: the kernels' timing hardly depends on values).
    std::vector<std::vector<uint8_t>> in(op.inputs.size());
    for (size_t i = 0; i < op.inputs.size(); ++i) in[i] = data ? read_view(b.in.at(i), rd) : std::vector<uint8_t>(b.in.at(i).bytes(), 0);
    Job job;
    uint32_t* w = job.w;
    const int64_t M = op.m;
    auto need = [&](size_t i, uint64_t bytes, const char* what) {
      if (in.at(i).size() < bytes)
        throw err("cluster engine: op ", op.name, ": ", what, " holds ", in[i].size(), " bytes, the kernel needs ", bytes);
    };
    uint64_t out_expected = b.out.at(0).bytes();
    // The L1 budget of the tiled kernels; the element-wise ops, RMSNorm and the KV write stream
    // their operands through L1 when the GEMM is tiled or on N-EUREKA (Deeploy tiles every
    // operator), and stay untiled from L2 with the untiled and plain GEMMs (GVSoC's "untiled, all
    // data in L2" runs).
    const uint32_t l1_budget = static_cast<uint32_t>(
        std::min<uint64_t>(bp.l1_budget_bytes, cfg_.l1_size_bytes - (cluster::kL1KernelBase - cluster::kL1Base)));
    const uint32_t ew_budget = bp.gemm == "tiled" || bp.gemm == "neureka" ? l1_budget : 0;
    switch (op.kind) {
      case OpKind::matmul: {
        if (bp.gemm == "neureka") {  // one N-EUREKA job: weights in the weight memory, requantisation in its layout
          w[1] = cluster::kGemmNeureka;
          w[2] = uint32_t(M), w[3] = uint32_t(op.n), w[4] = uint32_t(op.k);
          w[5] = uint32_t(qi(q, "x_zp", op)), w[6] = uint32_t(qi(q, "y_zp", op));
          w[7] = l1_budget;
          need(0, uint64_t(M * op.k), "x"), need(1, uint64_t(op.n * op.k), "W"), need(2, uint64_t(op.n) * 8, "multipliers");
          std::vector<int32_t> mult(size_t(op.n));
          std::vector<uint8_t> shift(size_t(op.n));
          for (int64_t c = 0; c < op.n; ++c) {
            int32_t pair[2];
            std::memcpy(pair, in[2].data() + 8 * c, 8);
            mult[size_t(c)] = pair[0];
            shift[size_t(c)] = static_cast<uint8_t>(std::clamp(pair[1], 0, 255));  // the engine refuses shifts outside [1, 62]
          }
          in[1].resize(size_t(op.n * op.k));
          job.wmem = std::move(in[1]);
          w[8] = job.put(std::move(in[0])), w[9] = 0, w[12] = 1;
          w[13] = job.put_words(mult), w[14] = job.put(std::move(shift));
          job.output(uint64_t(M * op.n));
          w[11] = job.out;
          break;
        }
        w[1] = bp.gemm == "tiled" ? cluster::kGemmTiled : bp.gemm == "untiled" ? cluster::kGemmUntiled : cluster::kGemmPlain;
        w[2] = uint32_t(M), w[3] = uint32_t(op.n), w[4] = uint32_t(op.k);
        w[5] = uint32_t(qi(q, "x_zp", op)), w[6] = uint32_t(qi(q, "y_zp", op));
        w[7] = l1_budget;
        need(0, uint64_t(M * op.k), "x"), need(1, uint64_t(op.n * op.k), "W"), need(2, uint64_t(op.n) * 8, "multipliers"),
            need(3, uint64_t(op.n) * 4, "row sums");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1])), w[10] = job.put(std::move(in[2]));
        w[15] = job.put(std::move(in[3]));
        job.output(uint64_t(M * op.n));
        w[11] = job.out;
        break;
      }
      case OpKind::rmsnorm: {
        const int64_t eps = q.value("eps_q", int64_t{0});
        w[1] = 20, w[2] = uint32_t(M), w[3] = uint32_t(op.n), w[5] = uint32_t(qi(q, "x_zp", op)), w[6] = uint32_t(qi(q, "y_zp", op));
        w[7] = ew_budget;
        need(0, uint64_t(M * op.n), "x"), need(1, uint64_t(op.n) * 2, "gain");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1]));
        w[10] = job.put_words(std::vector<int32_t>{int32_t(eps & 0xffffffff), int32_t(uint64_t(eps) >> 32), qi(q, "gain_shift", op)});
        job.output(uint64_t(M * op.n));
        w[11] = job.out;
        break;
      }
      case OpKind::add: {
        const auto am = qm(q, "a_mul", op), bm = qm(q, "b_mul", op), ym = qm(q, "y_mul", op);
        w[1] = 21, w[2] = 1, w[3] = uint32_t(M * op.n), w[7] = ew_budget;
        need(0, uint64_t(M * op.n), "a"), need(1, uint64_t(M * op.n), "b");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1]));
        w[10] = job.put_words(std::vector<int32_t>{qi(q, "a_zp", op), qi(q, "b_zp", op), qi(q, "y_zp", op), qi(q, "left_shift", op), am.m,
                                                   am.shift, bm.m, bm.shift, ym.m, ym.shift});
        job.output(uint64_t(M * op.n));
        w[11] = job.out;
        break;
      }
      case OpKind::silu: {
        w[1] = 22, w[2] = 1, w[3] = uint32_t(M * op.n), w[7] = ew_budget;
        need(0, uint64_t(M * op.n), "x"), need(1, 256, "LUT");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1]));
        job.output(uint64_t(M * op.n));
        w[11] = job.out;
        break;
      }
      case OpKind::mul: {
        const auto mm = qm(q, "mul", op);
        w[1] = 27, w[2] = 1, w[3] = uint32_t(M * op.n), w[7] = ew_budget;
        need(0, uint64_t(M * op.n), "a"), need(1, uint64_t(M * op.n), "b");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1]));
        w[10] = job.put_words(std::vector<int32_t>{qi(q, "a_zp", op), qi(q, "b_zp", op), qi(q, "y_zp", op), mm.m, mm.shift});
        job.output(uint64_t(M * op.n));
        w[11] = job.out;
        break;
      }
      case OpKind::softmax: {
        const int64_t tokens = M / op.heads, tt = step.pos0 + tokens;
        // L1: a per-core scratch of exp values within l1_budget_bytes; with the tiled / N-EUREKA GEMM
        // (Deeploy's tiled code) the exp LUT is copied into L1 and the score rows move through L1 by DMA
        // (double-buffered tiles of rows); untiled / plain keep the operands in L2.
        w[1] = 23, w[2] = uint32_t(tokens), w[3] = uint32_t(op.heads), w[4] = uint32_t(step.pos0);
        w[7] = l1_budget;
        w[12] = (bp.gemm == "tiled" || bp.gemm == "neureka") ? 1u : 0u;
        need(0, uint64_t(M * tt) * 4, "scores"), need(1, 257 * 4, "exp LUT");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1]));
        job.output(uint64_t(M * tt));
        w[11] = job.out;
        break;
      }
      case OpKind::rope: {
        const auto mm = qm(q, "mul", op);
        const int64_t hs = op.n / op.heads;
        w[1] = 24, w[2] = uint32_t(M), w[3] = uint32_t(op.heads), w[4] = uint32_t(hs), w[5] = uint32_t(qi(q, "x_zp", op)),
        w[6] = uint32_t(qi(q, "y_zp", op)), w[7] = uint32_t(step.pos0);
        need(0, uint64_t(M * op.n), "x"), need(1, uint64_t(step.pos0 + M) * uint64_t(hs / 2) * 2, "cos table"),
            need(2, uint64_t(step.pos0 + M) * uint64_t(hs / 2) * 2, "sin table");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1]));
        const uint32_t sin_at = job.put(std::move(in[2]));
        w[10] = job.put_words(std::vector<int32_t>{mm.m, mm.shift, int32_t(sin_at), int32_t(ew_budget)});
        job.output(uint64_t(M * op.n));
        w[11] = job.out;
        break;
      }
      case OpKind::attn_scores:
      case OpKind::attn_values: {
        const bool values = op.kind == OpKind::attn_values;
        const auto mm = qm(q, "mul", op);
        const int64_t hs = values ? op.n / op.heads : op.k, kvh = op.inputs.at(1).shape.at(1) / hs, tt = step.pos0 + M;
        // Tiled / N-EUREKA GEMM (Deeploy's tiled code): the K or V cache moves through L1 by DMA within the
        // L1 budget; untiled / plain: every operand stays in L2 (GVSoC's "untiled from L2" runs).
        w[1] = values ? 26 : 25, w[2] = uint32_t(M), w[3] = uint32_t(op.heads), w[4] = uint32_t(hs), w[5] = uint32_t(step.pos0),
        w[6] = uint32_t(kvh);
        w[7] = l1_budget;
        w[12] = (bp.gemm == "tiled" || bp.gemm == "neureka") ? 1u : 0u;
        need(0, uint64_t(values ? M * op.heads * tt : M * op.heads * hs), values ? "probabilities" : "q");
        need(1, uint64_t(tt * kvh * hs), values ? "V cache" : "K cache");
        w[8] = job.put(std::move(in[0])), w[9] = job.put(std::move(in[1]));
        w[10] = values ? job.put_words(std::vector<int32_t>{qi(q, "p_zp", op), qi(q, "v_zp", op), qi(q, "y_zp", op), mm.m, mm.shift})
                       : job.put_words(std::vector<int32_t>{qi(q, "q_zp", op), qi(q, "k_zp", op), 0, mm.m, mm.shift});
        job.output(values ? uint64_t(M * op.heads * hs) : uint64_t(M * op.heads * tt) * 4);
        w[11] = job.out;
        break;
      }
      case OpKind::kv_write: {
        // k then v rows, copied in one run; the two halves go to the caches' new rows.
        const uint64_t kb = b.out.at(0).bytes(), vb = b.out.at(1).bytes();
        need(0, kb, "k"), need(1, vb, "v");
        std::vector<uint8_t> kv(in[0].begin(), in[0].begin() + static_cast<std::ptrdiff_t>(kb));
        kv.insert(kv.end(), in[1].begin(), in[1].begin() + static_cast<std::ptrdiff_t>(vb));
        w[1] = 28, w[2] = 1, w[3] = uint32_t(kb + vb), w[7] = ew_budget;
        w[8] = job.put(std::move(kv));
        job.output(kb + vb);
        w[11] = job.out;
        out_expected = kb + vb;
        break;
      }
      default: throw err("cluster engine: op ", op.name, " (", trace::to_string(op.kind), ") has no cluster kernel");
    }
    if (job.out_bytes != out_expected)
      throw err("cluster engine: op ", op.name, ": the kernel writes ", job.out_bytes, " bytes, its output view holds ", out_expected);
    std::vector<uint8_t> out;
    uint32_t tiles = 0;
    const cluster::ClusterResult r = run_job(job, "op " + op.name, &out, &tiles);
    if (data) {
      auto wr = [&](uint64_t a, const void* s, uint64_t n) { layout.write(a, s, n); };
      if (op.kind == OpKind::kv_write) {
        write_view(b.out[0], out.data(), wr);
        write_view(b.out[1], out.data() + b.out[0].bytes(), wr);
      } else {
        write_view(b.out[0], out.data(), wr);
      }
    }
    ++block_->ops;
    block_->busy_cycles += r.cycles;
    block_->instructions += r.instructions;
    if (ne_) {
      ne_->jobs += r.neureka.jobs;
      ne_->busy_cycles += r.neureka.busy_cycles;
      ne_->macs += r.neureka.macs;
      ne_->tcdm_bytes += r.neureka.tcdm_read_bytes + r.neureka.tcdm_write_bytes;
      ne_->wmem_bytes += r.neureka.wmem_read_bytes;
    } else {
      block_->neureka_macs += r.neureka.macs;
    }
    count_traffic(r);
    sc_core::wait(block_->clock().cycles(r.cycles));
    res.end = sc_core::sc_time_stamp();
    res.cycles = r.cycles;
    cluster::CoreStats sum;
    for (const auto& c : r.cores) {
      sum.bank_stall_cycles += c.bank_stall_cycles, sum.l2_cycles += c.l2_cycles, sum.barrier_wait_cycles += c.barrier_wait_cycles;
      sum.dma_wait_cycles += c.dma_wait_cycles, sum.dispatch_wait_cycles += c.dispatch_wait_cycles;
      sum.icache_stall_cycles += c.icache_stall_cycles, sum.icache_l0_misses += c.icache_l0_misses;
      sum.icache_shared_misses += c.icache_shared_misses;
    }
    res.detail = {{"cluster_cycles", r.cycles},
                  {"instructions", r.instructions},
                  {"cores", cfg_.cores},
                  {"kernel", w[1] == cluster::kGemmTiled ? "gemm_tiled" : w[1] == cluster::kGemmUntiled ? "gemm_untiled"
                                                          : w[1] == cluster::kGemmPlain             ? "gemm_plain"
                                                          : w[1] == cluster::kGemmNeureka           ? "gemm_neureka"
                                                                                                    : trace::to_string(op.kind)},
                  {"launch_cycles", launch_cycles_},
                  {"bank_stall_cycles", sum.bank_stall_cycles},
                  {"l2_extra_cycles", sum.l2_cycles},
                  {"barrier_wait_cycles", sum.barrier_wait_cycles},
                  {"dma_wait_cycles", sum.dma_wait_cycles},
                  {"icache_stall_cycles", sum.icache_stall_cycles},
                  {"icache_l0_misses", sum.icache_l0_misses},
                  {"icache_shared_misses", sum.icache_shared_misses},
                  {"barriers", r.barriers},
                  {"dma_transfers", r.dma.transfers},
                  {"dma_bytes", r.dma.bytes},
                  {"dma_busy_cycles", r.dma.busy_cycles},
                  {"neureka_busy_cycles", r.neureka.busy_cycles},
                  {"neureka_bank_stall_cycles", r.neureka.bank_stall_cycles},
                  {"tiles", w[1] == cluster::kGemmTiled || (w[12] & 1u && (w[1] == 23 || w[1] == 25 || w[1] == 26)) ? tiles : 0u}};
    done(j, res);
  }
}

}  // namespace engine
}  // namespace slm
