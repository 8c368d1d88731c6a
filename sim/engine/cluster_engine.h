// ClusterEngine: a model's ops run as compiled RISC-V kernels on the Siracusa-class cluster
// (models/cluster: 1..8 RV32IMC+XpulpV2 ISS cores, banked L1, L2, event unit, DMA), the
// replay engine of a platform component of category `cluster` (type `riscv_cluster`).
//
// Per op: the engine reads the op's operands out of the platform's simulated memory (their
// views, backdoor), writes them with a job descriptor into the cluster's L2 I/O window, runs
// the kernel of cluster_kernels.elf that matches the op on the cores (one cluster for the run,
// restarted before every op into the state of a new one: start-up, the kernel, the closing barrier), reads the outputs the cores left in the
// cluster's L2 and writes them into the op's output views in the platform's memory; then the
// SystemC thread waits the cluster's cycles at the component's clock. The values come from
// the kernels (computes_values() is true): the replay compares them with the golden model.
//
// Ops and kernels (workloads/kernels/cluster/cluster_kernels.c):
//   matmul (int8 weights, int8 in and out)  GEMM: tiled through L1 with double-buffered DMA
//                                           (`gemm: tiled`, within l1_budget_bytes), untiled
//                                           from L2 (`untiled`, XpulpV2) or plain C (`plain`)
//   rmsnorm, add, silu (LUT), mul, rope,    untiled from L2, scalar C, split over the cores
//   softmax, attn_scores, attn_values
//   kv_write                                a parallel copy (k and v rows into the caches)
// Not run here (the replay sends them to the host CPU, engine.host, or refuses the run with
// the op's name when there is none): embed and argmax (host work), matmuls with int16 output
// (the classifier's logits) or int4 weights. Precisions other than w8a8 are refused: the
// kernels are int8.
//
// Timing: what the cluster model counts (cycles of the whole kernel run, from the first
// instruction of the start-up code to core 0's exit), at the component's clock. The platform's
// memories see no traffic: the cluster's own L2 model stands for the L2 (its latency is in the
// cluster config), and the copies between the platform's memory and the cluster's are free.
#pragma once
#include <memory>
#include <string>

#include <systemc>

#include "models/cluster/cluster.h"
#include "models/common/clock.h"
#include "models/common/params.h"
#include "models/common/stats.h"
#include "sim/engine/engine.h"
#include "sim/platform/platform.h"

namespace slm {

// The platform component (type `riscv_cluster`, category `cluster`): the configuration and
// the counters; the ClusterEngine below does the work.
class RiscvCluster : public sc_core::sc_module {
 public:
  struct Params {
    uint64_t clock_hz = 50'000'000;      // GVSoC siracusa default (anchors C2); not the silicon's operating point
    uint32_t cores = 8;                  // worker cores that run the kernels (overrides the cluster config's `cores`)
    std::string gemm = "tiled";          // tiled | untiled | plain | neureka
    uint64_t l1_budget_bytes = 64000;    // L1 a tiled GEMM may use (Deeploy's default L1, anchors C5)
    std::string cluster_config;          // cluster YAML ("" = built-in defaults = configs/cluster/siracusa.yaml)
    std::string program;                 // kernel ELF ("" = the build's rv32/cluster_kernels.elf)
    uint64_t max_cycles_per_op = 4'000'000'000ull;  // a kernel run longer than this is an error
    uint64_t quantum_cycles = 0;         // 0: the cluster config's quantum_cycles; N >= 1 overrides it (1 = lockstep)
    // Platform components that stand for the cluster's L1, L2, weight memory and DMA: the
    // kernels' traffic is counted on them (energy, reports); "" = not counted.
    std::string l1_memory, l2_memory, wmem_memory, dma;
    // The platform component (type `neureka`) that stands for the cluster's N-EUREKA: its jobs,
    // busy cycles and MACs are counted there, its own energy domain; "" = its MACs are counted
    // here (neureka_macs x neureka_mac_pj).
    std::string neureka;
    double instruction_pj = 0;           // energy table: per retired instruction (all cores)
    double neureka_mac_pj = 0;           // energy table: per N-EUREKA MAC (when `neureka` is empty)
    double leakage_mw = 0;
    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events() {
    return {{"instruction_pj", "instructions", "instructions retired x energy per instruction"},
            {"neureka_mac_pj", "neureka_macs", "N-EUREKA MACs (gemm: neureka) x energy per MAC"}};
  }

  RiscvCluster(sc_core::sc_module_name name, const Params& p, stats::Group& parent);
  const Params& params() const { return p_; }
  const Clock& clock() const { return clk_; }

  stats::Group stats_;
  stats::Counter& ops;
  stats::Counter& busy_cycles;
  stats::Counter& instructions;
  stats::Counter& neureka_macs;

 private:
  Params p_;
  Clock clk_;
};

// The N-EUREKA of a riscv_cluster as a platform component of its own (type `neureka`,
// category `accelerator`): the energy domain of the engine, apart from the cores'. It does no
// work: the cluster engine (riscv_cluster key `neureka`) books on it what N-EUREKA did in each
// kernel run (the engine itself runs inside models/cluster).
class NeurekaUnit : public sc_core::sc_module {
 public:
  struct Params {
    double mac_pj = 0;      // energy per MAC
    double leakage_mw = 0;  // static power
    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events() { return {{"mac_pj", "macs", "MACs x energy per MAC"}}; }

  NeurekaUnit(sc_core::sc_module_name name, const Params& p, stats::Group& parent);
  const Params& params() const { return p_; }

  stats::Group stats_;
  stats::Counter& jobs;
  stats::Counter& busy_cycles;
  stats::Counter& macs;
  stats::Counter& tcdm_bytes;
  stats::Counter& wmem_bytes;

 private:
  Params p_;
};

namespace engine {

class ClusterEngine : public Engine {
 public:
  ClusterEngine(platform::Platform& p, const std::string& component, quant::Precision prec);
  ~ClusterEngine() override;
  const std::string& engine_name() const override { return name_; }
  std::string engine_kind() const override { return "riscv-cluster"; }
  bool computes_values() const override { return true; }
  bool supports(const trace::Op& op) const override;
  void declare(const trace::Op& op, replay::Layout& layout) override;
  void load(const quant::QuantModel& qm, replay::Layout& layout) override;
  void execute(const StepInfo& step, std::span<const BoundOp> ops, replay::Layout& layout, const OpDone& done) override;
  uint64_t clock_hz() const override { return block_->clock().hz(); }
  // Cycles of a kernel launch alone (op 0: start-up, closing barrier, exit), measured once.
  uint64_t launch_cycles() const { return launch_cycles_; }
  // Why `op` is not run here ("" if it is).
  static std::string unsupported_reason(const trace::Op& op);

 private:
  struct Job;
  cluster::ClusterResult run_job(const Job& job, const std::string& what, std::vector<uint8_t>* out_bytes, uint32_t* tiles);

  std::string name_, who_;  // component name; "FILE: components.NAME" for messages
  RiscvCluster* block_;
  cluster::ClusterConfig cfg_;
  std::unique_ptr<rv32::ElfImage> elf_;
  std::unique_ptr<cluster::Cluster> cl_;  // kept across kernel runs (restart() between them)
  Memory* l1m_ = nullptr;                  // where the kernels' traffic is counted (Params)
  Memory* l2m_ = nullptr;
  Memory* wmm_ = nullptr;
  Dma* dmac_ = nullptr;
  NeurekaUnit* ne_ = nullptr;
  void count_traffic(const cluster::ClusterResult& r);
  uint64_t launch_cycles_ = 0;
  std::vector<std::string> declared_;
};

}  // namespace engine
}  // namespace slm
