// EthosU85: an Ethos-U85-class NPU that executes command streams on data in simulated memory.
//
// Software view (the public Ethos-U register map, anchors A4b): a register window (`regs`)
// with ID 0x00, STATUS 0x04, CMD 0x08, QBASE 0x10/0x14, QSIZE 0x20, CONFIG 0x28, REGIONCFG
// 0x3C and BASEP0..7 at 0x80 + 8n. The host writes the region base pointers, the command
// stream's address and size, then CMD.transition_to_run; the NPU fetches the stream through
// its AXI ports, executes it and raises its interrupt (irq_event(), STATUS.irq_raised) at
// NPU_OP_STOP or at a fault (STATUS.cmd_parse_error / bus_status, with fault()).
//
// Datapath (computed here, never by the golden kernels): every operation reads its operands
// from memory through the AXI ports (TLM transactions with data), computes in its own
// dataflow order - OFM blocks of channels, IFM depth blocks, int32 accumulators (48-bit for
// int16 activations) - and writes its OFM back through an output stage: bias, requantisation
// (multiplier, shift, round half up; the 16-bit-scale path for 48-bit accumulators), zero
// point, clamp, LUT. Values never depend on the MAC count.
//
// Timing (models/npu/ethos_u85_arch.h, Vela 5.1's U85 model), per block of an operation:
//   weights   the weight decoder fetches the op's encoded stream through the AXI port of its
//             region, `weight_prefetch_blocks` blocks ahead, and decodes it at
//             weight_decoder_rate() weights per cycle;
//   IFM       the block's input is read through its region's port;
//   MAC       mac_cycles_per_depth_block() per IFM depth block, after the block's weights are
//             decoded and its IFM has arrived, after the previous block's MACs;
//   AO        ao_cycles_per_block() after the block's MACs and the previous block's AO;
//   OFM       the block's output is written when its AO ends.
//   Each stage of a block lasts at least the command-issue limit (memory + MAC + AO) / 4.
// Memory transactions are bursts of `burst_bytes_*` with at most `max_outstanding` in
// flight per port class; each AXI port moves 16 B per NPU cycle. The NPU runs ahead of
// SystemC time within an operation and synchronises at its end (temporal decoupling); the
// platform's reservation calendars keep the arbitration with other masters.
// DMA (NPU_OP_DMA_START) copies memory to memory, or into the LUT RAM, concurrently with
// kernels; NPU_OP_DMA_WAIT waits for it.
// Not modelled: depthwise, resize and pooling windows (H x W kernels), chaining buffers,
// NHCWB16 bricks, weight compression, the PMU, the second command queue, security.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "models/common/burst_train.h"
#include "models/common/clock.h"
#include "models/common/params.h"
#include "models/common/resource.h"
#include "models/common/stats.h"
#include "models/npu/command_stream.h"
#include "models/npu/ethos_u85_arch.h"

namespace slm {

class EthosU85 : public sc_core::sc_module {
 public:
  struct Params {
    std::string variant = "ethos-u85-512";  // ethos-u85-128 | -256 | -512 | -1024 | -2048
    uint64_t clock_hz = 500'000'000;
    uint32_t burst_bytes_sram = 64;         // AXI burst on the SRAM-class ports
    uint32_t burst_bytes_ext = 128;         // AXI burst on the external-class ports
    uint32_t max_outstanding_sram = 8;      // transactions in flight on the SRAM-class ports
    uint32_t max_outstanding_ext = 4;       // on the external-class ports
    uint32_t weight_prefetch_blocks = 2;    // weight blocks fetched ahead of the MAC array
    uint32_t command_cycles = 1;            // issue cost of one command
    uint64_t register_window_bytes = 16384;
    double mac_pj_8x8 = 0;                  // energy per int8 x int8 MAC
    double mac_pj_16x8 = 0;                 // per int16 x int8 MAC
    double ao_pj_per_element = 0;           // per output element through the output unit
    double wd_pj_per_weight = 0;            // per weight decoded
    double leakage_mw = 0;

    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events();

  // Register offsets (public Ethos-U map).
  enum Reg : uint32_t {
    REG_ID = 0x00, REG_STATUS = 0x04, REG_CMD = 0x08, REG_RESET = 0x0C, REG_QBASE = 0x10, REG_QBASE_HI = 0x14,
    REG_QREAD = 0x18, REG_QCONFIG = 0x1C, REG_QSIZE = 0x20, REG_PROT = 0x24, REG_CONFIG = 0x28, REG_REGIONCFG = 0x3C,
    REG_BASEP0 = 0x80,
  };
  enum Status : uint32_t { ST_RUNNING = 1, ST_IRQ = 2, ST_BUS_ERROR = 4, ST_PARSE_ERROR = 16, ST_END = 32 };

  // What one operation command did (for the per-op report and the Vela cross-check).
  struct OpStats {
    uint32_t command = 0;              // command index
    uint16_t opcode = 0, mode = 0;
    uint64_t start_fs = 0, end_fs = 0;
    uint64_t mac_cycles = 0, ao_cycles = 0, wd_cycles = 0, cmd_cycles = 0, blocks = 0;
    uint64_t macs = 0;                 // MACs performed (dense count; 2:4 sparse halves the cycles, not this)
    uint64_t weight_bytes = 0;
    uint64_t region_read[8] = {}, region_written[8] = {};
  };

  tlm_utils::simple_target_socket<EthosU85> regs;
  tlm_utils::simple_initiator_socket<EthosU85> axi_sram;
  tlm_utils::simple_initiator_socket<EthosU85> axi_ext;

  EthosU85(sc_core::sc_module_name name, const Params& p, stats::Group& parent);
  ~EthosU85() override;

  const sc_core::sc_event& irq_event() const { return irq_; }
  uint32_t status() const { return status_; }
  const std::optional<npu::Fault>& fault() const { return fault_; }
  // Called as each operation completes (its OFM written), in the NPU thread.
  std::function<void(const OpStats&)> on_operation_done;

  // Strided reads (many rows of one view) go as one gather train (models/common/burst_train.h)
  // when the bus and memory take it; the times are those of one train per row. Off: one
  // train per row (the tests compare the two). gathers(): gather trains taken so far.
  void set_gather_reads(bool on) { gather_reads_ = on; }
  uint64_t gathers() const { return gathers_; }

  const Params& params() const { return p_; }
  const npu::Variant& variant() const { return *var_; }
  const Clock& clock() const { return clk_; }
  const stats::Group& stats() const { return stats_; }

 private:
  struct View;
  struct Port;
  struct Regs;
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  void thread();
  void run_stream();
  bool execute(const npu::Command& c);
  // Memory through the AXI ports: bursts issued from `issue_fs` on (updated to the last
  // burst's issue time, so that consecutive transfers continue the same stream); returns the
  // completion time (fs). A read given `borrowed` may have the memory lend its bytes
  // instead of filling `data` (BurstTrain::borrow_read): *borrowed is then a pointer to
  // them, else nullptr and `data` holds them. The timing is the same either way.
  uint64_t transfer(bool is_write, uint32_t region, uint64_t offset, uint8_t* data, uint64_t len, uint64_t& issue_fs,
                    OpStats* st, const uint8_t** borrowed = nullptr);
  uint64_t transfer_abs(bool ext, bool is_write, uint64_t addr, uint8_t* data, uint64_t len, uint64_t& issue_fs,
                        const uint8_t** borrowed = nullptr);
  tlm_utils::simple_initiator_socket<EthosU85>& axi(bool ext) { return ext ? axi_ext : axi_sram; }
  uint64_t book_ports(bool ext, uint64_t addr, uint64_t len, uint64_t issue, size_t f, size_t n, uint64_t now);
  // Rows of region `region` (offsets), read in order as read_box's per-row transfers would be.
  uint64_t gather_rows(uint32_t region, const std::vector<BurstTrain::Row>& rows, uint8_t* data, uint64_t issue, OpStats* st);
  static void row_hook(void* ctx, BurstTrain& train, size_t row);
  [[noreturn]] static void raise(const npu::Command& c, const std::string& cause);
  // Operations (ethos_u85_ops.cpp).
  void exec_conv(const npu::Command& c, OpStats& st);
  void exec_elementwise(const npu::Command& c, OpStats& st);
  void exec_pool(const npu::Command& c, OpStats& st);
  void exec_dma(const npu::Command& c, OpStats& st);
  // Reads the box [y0,y1) x [x0,x1) x [z0,z1) of view v into `dst` (dense over the whole
  // view, index (y*w + x)*c + z); axes of stride 0 are read once and replicated. Issued at
  // `issue`; returns the completion time.
  uint64_t read_box(const View& v, int y0, int y1, int x0, int x1, int z0, int z1, std::vector<int64_t>& dst,
                    uint64_t issue, OpStats& st);
  uint64_t write_box(const View& v, int y0, int y1, int x0, int x1, int z0, int z1, const std::vector<int64_t>& src,
                     uint64_t issue, OpStats& st);
  // The output stage: requantise v, add the OFM zero point, clamp, LUT.
  int64_t output_stage(__int128 v, int32_t m, int shift, bool acc48) const;
  void check_view(const npu::Command& c, const View& v, const char* what) const;

  Params p_;
  const npu::Variant* var_;
  Clock clk_;
  sc_core::sc_event run_, irq_;
  uint32_t status_ = 0;
  uint64_t qbase_ = 0, qsize_ = 0, basep_[8] = {}, regioncfg_ = 0;
  std::optional<npu::Fault> fault_;
  std::unique_ptr<Regs> r_;
  std::vector<Port> ports_;         // [0..sram) SRAM class, then ext class
  uint32_t n_sram_ports_ = 1, n_ext_ports_ = 1;
  std::vector<uint64_t> sram_flight_, ext_flight_;  // completions of the latest bursts per port class (outstanding limit)
  uint64_t t_ = 0;                  // local time (fs): when the kernel pipeline is free
  uint64_t dma_done_ = 0;           // local time the last DMA completes
  uint64_t weight_free_fs_ = 0;     // the weight channel finished issuing the last stream: the next
                                    // op's first blocks may be fetched from then (Vela: slack hiding)
  std::vector<uint8_t> lut_ram_;
  tlm::tlm_generic_payload tx_;
  BurstTrain train_;
  // Sends tx_ (command, address, data, length) with train_ attached through AXI port class `ext`.
  void send_train(bool ext, bool is_write, uint64_t addr, uint8_t* data, uint64_t len, sc_core::sc_time& delay);
  std::vector<uint8_t> stream_buf_;  // the current op's weight stream
  std::vector<uint8_t> box_buf_;     // read_box / write_box: one run's bytes (read_box: all runs')
  std::vector<BurstTrain::Row> box_rows_;  // read_box: its runs (region offsets, lengths)
  struct BoxRun { size_t dst; int n, axis; };  // read_box: a run's first element in dst, length, axis
  std::vector<BoxRun> box_runs_;
  std::vector<int64_t> ifm2_buf_;    // exec_conv: a matmul's IFM2 elements (only grows)
  bool gather_reads_ = true;
  uint64_t gathers_ = 0;
  void* row_ctx_ = nullptr;          // the gather in progress (row_hook)

  stats::Group stats_;
  stats::Counter& busy_cycles_;
  stats::Counter& active_cycles_;
  stats::Counter& mac_cycles_;
  stats::Counter& ao_cycles_;
  stats::Counter& wd_cycles_;
  stats::Counter& macs_8x8_;
  stats::Counter& macs_16x8_;
  stats::Counter& ao_elements_;
  stats::Counter& weights_decoded_;
  stats::Counter& commands_;
  stats::Counter& operations_;
  stats::Counter& bytes_read_;
  stats::Counter& bytes_written_;
  stats::Counter& dma_bytes_;
  stats::Counter& faults_;
};

}  // namespace slm
