// EthosU85: see ethos_u85.h for the model; docs/npu.md and docs/npu-command-stream.md.
#include "models/npu/ethos_u85.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "models/common/edge_cache.h"
#include "models/npu/ethos_u85_internal.h"
#include "models/npu/weight_stream.h"
#include "workloads/common/error.h"

namespace slm {

using params::Field;
using params::Unit;
using sc_core::sc_time;
using namespace npu;
using namespace npu_detail;

// ---------------------------------------------------------------------------------------
// Parameters

void EthosU85::Params::describe(params::Visitor& v, Params& p) {
  std::vector<std::string> names;
  for (const auto& x : npu::variants()) names.push_back(x.name);
  v.field(Field{"variant", Unit::none, "accelerator configuration (MACs, micro-blocks, internal RAMs, AXI ports: anchors A2)"},
          p.variant, names);
  v.field(Field{"clock_hz", Unit::hz, "NPU clock", false, 1, 1e12}, p.clock_hz);
  v.field(Field{"burst_bytes_sram", Unit::bytes, "AXI burst on the SRAM-class ports (Vela <Mem>_burst_length)", false, 16, 4096},
          p.burst_bytes_sram);
  v.field(Field{"burst_bytes_ext", Unit::bytes, "AXI burst on the external-class ports", false, 16, 4096}, p.burst_bytes_ext);
  v.field(Field{"max_outstanding_sram", Unit::none, "transactions in flight on the SRAM-class ports", false, 1, 1024},
          p.max_outstanding_sram);
  v.field(Field{"max_outstanding_ext", Unit::none, "transactions in flight on the external-class ports", false, 1, 1024},
          p.max_outstanding_ext);
  v.field(Field{"weight_prefetch_blocks", Unit::none, "weight blocks the decoder fetches ahead of the MAC array", false, 1, 64},
          p.weight_prefetch_blocks);
  v.field(Field{"command_cycles", Unit::cycles, "issue cost of one command", false, 0, 1e6}, p.command_cycles);
  v.field(Field{"register_window_bytes", Unit::bytes, "size of the register window in the address map", false, 256, 1 << 24},
          p.register_window_bytes);
  v.field(Field{"mac_pj_8x8", Unit::pj, "energy per int8 x int8 MAC"}, p.mac_pj_8x8);
  v.field(Field{"mac_pj_16x8", Unit::pj, "energy per int16 x int8 MAC"}, p.mac_pj_16x8);
  v.field(Field{"ao_pj_per_element", Unit::pj, "energy per element through the output unit"}, p.ao_pj_per_element);
  v.field(Field{"wd_pj_per_weight", Unit::pj, "energy per weight decoded"}, p.wd_pj_per_weight);
  v.field(Field{"leakage_mw", Unit::mw, "static power"}, p.leakage_mw);
}

void EthosU85::Params::validate(const std::string& who) const {
  try {
    npu::variant(variant);
  } catch (const Error& e) {
    throw err(who, ": field variant: ", e.what());
  }
  if (clock_hz == 0) throw err(who, ": field clock_hz = 0: must be >= 1");
  for (auto [k, b] : {std::pair{"burst_bytes_sram", burst_bytes_sram}, {"burst_bytes_ext", burst_bytes_ext}})
    if (b < 16 || b % 16) throw err(who, ": field ", k, " = ", b, ": must be a multiple of 16 (the AXI port width)");
  if (max_outstanding_sram == 0 || max_outstanding_ext == 0) throw err(who, ": max_outstanding fields must be >= 1");
  if (weight_prefetch_blocks == 0) throw err(who, ": field weight_prefetch_blocks = 0: must be >= 1");
  for (double e : {mac_pj_8x8, mac_pj_16x8, ao_pj_per_element, wd_pj_per_weight, leakage_mw})
    if (!(e >= 0)) throw err(who, ": energy fields must be >= 0");
}

std::vector<params::EnergyEvent> EthosU85::energy_events() {
  return {{"mac_pj_8x8", "macs_8x8", "int8 x int8 MACs x energy per MAC"},
          {"mac_pj_16x8", "macs_16x8", "int16 x int8 MACs x energy per MAC"},
          {"ao_pj_per_element", "ao_elements", "output-unit elements x energy per element"},
          {"wd_pj_per_weight", "weights_decoded", "weights decoded x energy per weight"}};
}

// ---------------------------------------------------------------------------------------
// State

EthosU85::EthosU85(sc_core::sc_module_name name, const Params& p, stats::Group& parent)
    : sc_module(name),
      regs("regs"),
      axi_sram("axi_sram"),
      axi_ext("axi_ext"),
      p_((p.validate(this->name()), p)),
      var_(&npu::variant(p.variant)),
      clk_(p.clock_hz),
      r_(std::make_unique<Regs>()),
      lut_ram_(kLutRamBytes, 0),
      stats_(basename(), &parent),
      busy_cycles_(stats_.counter("busy_cycles", "cycles",
                                  "cycles the datapath limited an operation: per operation max(MAC, AO, weight-decoder) cycles")),
      active_cycles_(stats_.counter("active_cycles", "cycles", "cycles an operation was in progress (datapath or memory)")),
      mac_cycles_(stats_.counter("mac_cycles", "cycles", "MAC-array stage cycles (Vela's formula per block)")),
      ao_cycles_(stats_.counter("ao_cycles", "cycles", "output-unit stage cycles")),
      wd_cycles_(stats_.counter("wd_cycles", "cycles", "weight-decoder cycles")),
      macs_8x8_(stats_.counter("macs_8x8", "MACs", "multiply-accumulates with 8-bit activations")),
      macs_16x8_(stats_.counter("macs_16x8", "MACs", "multiply-accumulates with 16-bit activations")),
      ao_elements_(stats_.counter("ao_elements", "elements", "elements through the output unit")),
      weights_decoded_(stats_.counter("weights_decoded", "weights", "weights through the weight decoder")),
      commands_(stats_.counter("commands", "commands", "commands executed")),
      operations_(stats_.counter("operations", "operations", "operation commands executed")),
      bytes_read_(stats_.counter("bytes_read", "bytes", "bytes read through the AXI ports")),
      bytes_written_(stats_.counter("bytes_written", "bytes", "bytes written through the AXI ports")),
      dma_bytes_(stats_.counter("dma_bytes", "bytes", "bytes copied by NPU_OP_DMA_START")),
      faults_(stats_.counter("faults", "events", "command-stream faults raised")) {
  n_sram_ports_ = static_cast<uint32_t>(var_->axi_sram_ports);
  n_ext_ports_ = static_cast<uint32_t>(var_->axi_ext_ports);
  ports_.resize(n_sram_ports_ + n_ext_ports_);
  regs.register_b_transport(this, &EthosU85::b_transport);
  SC_HAS_PROCESS(EthosU85);
  SC_THREAD(thread);
  const double hz = double(p.clock_hz);
  auto& busy = busy_cycles_;
  stats_.formula("utilisation", "ratio", "busy_cycles / simulated cycles (the datapath's share of the time)",
                 [&busy, hz](double s) { return s > 0 ? double(busy.value) / (s * hz) : 0.0; });
  auto& macs8 = macs_8x8_;
  auto& macs16 = macs_16x8_;
  const double peak = var_->macs;
  stats_.formula("mac_utilisation", "ratio", "(macs_8x8 + 2 x macs_16x8) / (MACs per cycle x simulated cycles)",
                 [&macs8, &macs16, hz, peak](double s) {
                   return s > 0 ? double(macs8.value + 2 * macs16.value) / (peak * s * hz) : 0.0;
                 });
}

// ---------------------------------------------------------------------------------------
EthosU85::~EthosU85() = default;

// ---------------------------------------------------------------------------------------
// Register window

void EthosU85::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
  if (const auto* t = tx.get_extension<BurstTrain>(); t && !t->rows.empty()) return;  // a gather: refused, untouched
  const uint64_t off = tx.get_address();
  if (tx.get_data_length() != 4 || off % 4 || off >= p_.register_window_bytes || tx.get_byte_enable_ptr()) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  uint32_t v = 0;
  std::memcpy(&v, tx.get_data_ptr(), 4);
  const bool wr = tx.get_command() == tlm::TLM_WRITE_COMMAND;
  auto rd = [&](uint32_t x) { std::memcpy(tx.get_data_ptr(), &x, 4); };
  delay += clk_.period();  // one NPU cycle per register access
  if (off >= REG_BASEP0 && off < REG_BASEP0 + 8 * 8) {
    const uint32_t r = static_cast<uint32_t>((off - REG_BASEP0) / 8);
    const bool hi = (off - REG_BASEP0) % 8 == 4;
    if (wr) basep_[r] = hi ? (basep_[r] & 0xFFFFFFFFull) | (uint64_t{v} << 32) : (basep_[r] & ~0xFFFFFFFFull) | v;
    else rd(static_cast<uint32_t>(hi ? basep_[r] >> 32 : basep_[r]));
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  switch (off) {
    case REG_ID: if (!wr) rd(0x20000000u); break;  // architecture 2.x (Ethos-U85)
    case REG_STATUS: if (!wr) rd(status_); break;
    case REG_CMD:
      if (wr) {
        if (v & 2) status_ &= ~uint32_t{ST_IRQ};
        if (v & 1) {
          if (status_ & ST_RUNNING) break;
          status_ = ST_RUNNING;
          fault_.reset();
          run_.notify(delay);
        }
      }
      break;
    case REG_RESET: if (wr) status_ = 0; break;
    case REG_QBASE: if (wr) qbase_ = (qbase_ & ~0xFFFFFFFFull) | v; else rd(static_cast<uint32_t>(qbase_)); break;
    case REG_QBASE_HI: if (wr) qbase_ = (qbase_ & 0xFFFFFFFFull) | (uint64_t{v} << 32); else rd(static_cast<uint32_t>(qbase_ >> 32)); break;
    case REG_QSIZE: if (wr) qsize_ = v; else rd(static_cast<uint32_t>(qsize_)); break;
    case REG_REGIONCFG: if (wr) regioncfg_ = v; else rd(static_cast<uint32_t>(regioncfg_)); break;
    case REG_CONFIG: {  // macs log2 [3:0], command stream version [7:4]
      int log2 = 0;
      while ((1 << log2) < var_->macs) ++log2;
      if (!wr) rd(static_cast<uint32_t>(log2) | (1u << 4));
      break;
    }
    default: if (!wr) rd(0); break;  // QREAD, QCONFIG, PROT, AXI limits: read as 0, writes ignored
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

// ---------------------------------------------------------------------------------------
// AXI traffic

void EthosU85::send_train(bool ext, bool is_write, uint64_t addr, uint8_t* data, uint64_t len, sc_time& delay) {
  tx_.set_command(is_write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tx_.set_address(addr);
  tx_.set_data_ptr(data);
  tx_.set_data_length(static_cast<unsigned>(len));
  tx_.set_streaming_width(static_cast<unsigned>(len));
  tx_.set_byte_enable_ptr(nullptr);
  tx_.set_dmi_allowed(false);
  tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tx_.set_extension(&train_);
  axi(ext)->b_transport(tx_, delay);
  tx_.clear_extension(&train_);
}

uint64_t EthosU85::transfer_abs(bool ext, bool is_write, uint64_t addr, uint8_t* data, uint64_t len, uint64_t& issue_fs,
                               const uint8_t** borrowed) {
  // One burst train per transfer (models/common/burst_train.h): bursts of burst_bytes_*,
  // at most max_outstanding_* x ports in flight per port class, one issue per NPU cycle.
  const std::vector<uint64_t>& flight = ext ? ext_flight_ : sram_flight_;
  const uint32_t k = (ext ? p_.max_outstanding_ext : p_.max_outstanding_sram) * (ext ? n_ext_ports_ : n_sram_ports_);
  const uint64_t now = sc_core::sc_time_stamp().value();
  const uint64_t issue = std::max(clk_.next_edge_fs(issue_fs), now);
  train_.burst_bytes = ext ? p_.burst_bytes_ext : p_.burst_bytes_sram;
  train_.max_outstanding = k;
  train_.issue_period_fs = clk_.period_fs();
  train_.in_flight.assign(flight.begin(), flight.end());
  train_.hops.clear();
  train_.borrow_read = borrowed && !is_write;
  train_.borrowed = nullptr;
  sc_time delay = sc_time::from_value(issue - now);
  send_train(ext, is_write, addr, data, len, delay);
  if (borrowed) *borrowed = train_.borrowed;
  if (tx_.is_response_error())
    throw err("AXI ", is_write ? "write" : "read", " of ", len, " bytes at 0x", std::hex, addr, ": ", tx_.get_response_string());
  const uint64_t last = book_ports(ext, addr, len, issue, 0, train_.done.size(), now);
  if (!train_.issue.empty()) issue_fs = train_.issue.back();
  (is_write ? bytes_written_ : bytes_read_) += len;
  return last;
}

// Each burst's data crosses one of the class's 16 B/cycle AXI ports: bursts [f, f + n) of
// train_ (a transfer of [addr, addr + len) issued from `issue`) are booked on the ports, their
// completions join the class's in-flight list; returns the latest completion (at least `issue`).
uint64_t EthosU85::book_ports(bool ext, uint64_t addr, uint64_t len, uint64_t issue, size_t f, size_t n, uint64_t now) {
  std::vector<uint64_t>& flight = ext ? ext_flight_ : sram_flight_;
  const uint32_t k = (ext ? p_.max_outstanding_ext : p_.max_outstanding_sram) * (ext ? n_ext_ports_ : n_sram_ports_);
  const uint32_t p0 = ext ? n_sram_ports_ : 0, np = ext ? n_ext_ports_ : n_sram_ports_;
  uint64_t last = issue;
  const uint64_t burst = train_.burst_bytes, first = addr / burst;
  const uint64_t* iss = train_.issue.data() + f;
  const uint64_t* dn = train_.done.data() + f;
  EdgeCache want_edge(clk_.period_fs());
  for (size_t i = 0; i < n; ++i) {
    const uint64_t a0 = i == 0 ? addr : (first + i) * burst;
    const uint64_t a1 = std::min<uint64_t>((first + i + 1) * burst, addr + len);
    const uint64_t beats = (a1 - a0 + kAxiPortBytesPerCycle - 1) / kAxiPortBytesPerCycle, dur = clk_.cycles_fs(beats);
    const uint64_t c = dn[i];
    const uint64_t want = want_edge.next_edge_fs(c > dur ? std::max(c - dur, iss[i]) : iss[i]);
    uint32_t best = p0;
    uint64_t best_start = ports_[p0].data.probe_fs(want, dur);
    for (uint32_t q = p0 + 1; q < p0 + np; ++q) {  // (the first port with the earliest start)
      const uint64_t st = ports_[q].data.probe_fs(want, dur);
      if (st < best_start) best_start = st, best = q;
    }
    ports_[best].data.book_fs(best_start, dur, now);
    const uint64_t done = std::max(c, best_start + dur);
    flight.push_back(done);
    last = std::max(last, done);
  }
  if (flight.size() > k) flight.erase(flight.begin(), flight.end() - k);
  return last;
}

// Reads rows (region-relative, in order) as read_box would with one transfer() each, the
// i-th issued from the previous one's last burst issue + one cycle (the first from `issue`):
// one gather train (burst_train.h) when the bus and memory take it, else one train per row.
// The bytes land back to back in `data`. Returns the latest completion (at least `issue`).
namespace {
struct NpuRowCtx {
  uint64_t now, issue_fs, row_issue, last;
  bool ext;
};
}  // namespace

void EthosU85::row_hook(void* ctx, BurstTrain& train, size_t r) {
  auto* self = static_cast<EthosU85*>(ctx);
  NpuRowCtx& c = *static_cast<NpuRowCtx*>(self->row_ctx_);
  const size_t f = train.row_first[r], n = train.row_first[r + 1] - f;
  const uint64_t addr = train.rows[r].addr, len = train.rows[r].len;
  c.last = std::max(c.last, self->book_ports(c.ext, addr, len, c.row_issue, f, n, c.now));
  self->bytes_read_ += len;
  // As transfer_abs() then read_box(): the next row continues from this one's last burst issue.
  c.issue_fs = train.issue[f + n - 1] + self->clk_.period_fs();
  c.row_issue = std::max(self->clk_.next_edge_fs(c.issue_fs), c.now);
  train.row_issue_fs = c.row_issue;
  const std::vector<uint64_t>& flight = c.ext ? self->ext_flight_ : self->sram_flight_;
  train.in_flight.assign(flight.begin(), flight.end());
}

uint64_t EthosU85::gather_rows(uint32_t region, const std::vector<BurstTrain::Row>& rows, uint8_t* data, uint64_t issue,
                               OpStats* st) {
  if (rows.empty()) return issue;
  if (region > 7) throw err("region ", region, " does not exist (0..7)");
  const bool ext = ((regioncfg_ >> (2 * region)) & 3) == 1;
  uint64_t done = issue;
  if (gather_reads_ && rows.size() > 1) {
    const uint64_t now = sc_core::sc_time_stamp().value();
    NpuRowCtx c{now, issue, std::max(clk_.next_edge_fs(issue), now), issue, ext};
    const std::vector<uint64_t>& flight = ext ? ext_flight_ : sram_flight_;
    train_.burst_bytes = ext ? p_.burst_bytes_ext : p_.burst_bytes_sram;
    train_.max_outstanding = (ext ? p_.max_outstanding_ext : p_.max_outstanding_sram) * (ext ? n_ext_ports_ : n_sram_ports_);
    train_.issue_period_fs = clk_.period_fs();
    train_.in_flight.assign(flight.begin(), flight.end());
    train_.hops.clear();
    train_.borrow_read = false;
    train_.borrowed = nullptr;
    train_.rows.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) train_.rows[i] = {basep_[region] + rows[i].addr, rows[i].len};
    train_.rows_base = 0;
    train_.gather_refused = true;
    train_.on_row = &EthosU85::row_hook;
    train_.on_row_ctx = this;
    row_ctx_ = &c;
    sc_time delay = sc_time::from_value(c.row_issue - now);
    send_train(ext, false, train_.rows[0].addr, data, rows[0].len, delay);
    const bool taken = !train_.gather_refused;
    train_.rows.clear();
    train_.on_row = nullptr;
    row_ctx_ = nullptr;
    if (taken) {
      ++gathers_;
      if (st) for (const auto& r : rows) st->region_read[region] += r.len;
      return std::max(done, c.last);
    }
  }
  // One transfer per row (nothing was booked by a refused gather).
  for (const auto& r : rows) {
    done = std::max(done, transfer(false, region, r.addr, data, r.len, issue, st));
    issue += clk_.period_fs();
    data += r.len;
  }
  return done;
}

uint64_t EthosU85::transfer(bool is_write, uint32_t region, uint64_t offset, uint8_t* data, uint64_t len,
                            uint64_t& issue_fs, OpStats* st, const uint8_t** borrowed) {
  if (region > 7) throw err("region ", region, " does not exist (0..7)");
  const bool ext = ((regioncfg_ >> (2 * region)) & 3) == 1;
  if (st) (is_write ? st->region_written : st->region_read)[region] += len;
  return transfer_abs(ext, is_write, basep_[region] + offset, data, len, issue_fs, borrowed);
}

// ---------------------------------------------------------------------------------------
// Execution

void EthosU85::raise(const Command& c, const std::string& cause) {
  Fault f;
  f.index = c.index;
  f.word = c.word;
  f.value = uint32_t{c.opcode} | (uint32_t{c.param} << 16);
  f.cause = cause;
  throw f;
}

void EthosU85::thread() {
  for (;;) {
    sc_core::wait(run_);
    try {
      run_stream();
      status_ = ST_END | ST_IRQ;
    } catch (const Fault& f) {
      fault_ = f;
      ++faults_;
      status_ = ST_PARSE_ERROR | ST_IRQ;
    }
    const uint64_t now = sc_core::sc_time_stamp().value();
    if (t_ > now) sc_core::wait(sc_time::from_value(t_ - now));
    irq_.notify(sc_core::SC_ZERO_TIME);
  }
}

void EthosU85::run_stream() {
  const uint64_t now = sc_core::sc_time_stamp().value();
  t_ = std::max(t_, clk_.next_edge_fs(now));
  dma_done_ = std::max(dma_done_, t_);
  weight_free_fs_ = t_;
  *r_ = Regs{};
  if (qsize_ == 0 || qsize_ % 4 || qsize_ > (64u << 20)) {
    Command none;
    raise(none, "QSIZE = " + std::to_string(qsize_) + ": the command stream size must be a non-zero multiple of 4 up to 64 MiB");
  }
  std::vector<uint32_t> words(qsize_ / 4);
  try {
    uint64_t issue = t_;
    t_ = transfer_abs(false, false, qbase_, reinterpret_cast<uint8_t*>(words.data()), qsize_, issue);
  } catch (const Error& e) {
    Command none;
    status_ |= ST_BUS_ERROR;
    raise(none, std::string("fetching the command stream: ") + e.what());
  }
  std::optional<Fault> f;
  const std::vector<Command> cmds = decode(words.data(), words.size(), &f);
  for (const Command& c : cmds) {
    ++commands_;
    t_ += clk_.cycles_fs(p_.command_cycles);
    if (!execute(c)) return;  // NPU_OP_STOP
  }
  if (f) throw *f;
  Command end;
  end.index = static_cast<uint32_t>(cmds.size());
  end.word = static_cast<uint32_t>(words.size());
  raise(end, "the command stream ends without NPU_OP_STOP");
}

namespace {

// Element size and signedness from a precision register value.
bool decode_precision(uint16_t v, int& bytes, bool& is_signed) {
  if (v & ~uint16_t{7}) return false;
  bytes = 1 << (v & 3);
  is_signed = (v & PREC_SIGNED) != 0;
  return true;
}

}  // namespace

bool EthosU85::execute(const Command& c) {
  Regs& r = *r_;
  auto prec = [&](View& v) {
    if (!decode_precision(c.param, v.bytes, v.is_signed)) raise(c, "precision value 0x" + std::to_string(c.param) + " not modelled");
  };
  auto region = [&](uint32_t& field) {
    if (c.param > 7) raise(c, "region " + std::to_string(c.param) + " does not exist (0..7)");
    field = c.param;
  };
  const int32_t s32 = static_cast<int32_t>(c.payload);
  switch (c.opcode) {
    // ---- IFM
    case NPU_SET_IFM_DEPTH_M1: r.ifm.c = c.param + 1; return true;
    case NPU_SET_IFM_PRECISION: prec(r.ifm); return true;
    case NPU_SET_IFM_ZERO_POINT: r.ifm.zp = static_cast<int16_t>(c.param); return true;
    case NPU_SET_IFM_WIDTH0_M1: r.ifm.w = c.param + 1; return true;
    case NPU_SET_IFM_HEIGHT0_M1: r.ifm.h = c.param + 1; return true;
    case NPU_SET_IFM_HEIGHT1_M1: return true;
    case NPU_SET_IFM_REGION: region(r.ifm.region); return true;
    case NPU_SET_IFM_BASE0: r.ifm.base = c.address(); return true;
    case NPU_SET_IFM_STRIDE_X: r.ifm.sx = s32; return true;
    case NPU_SET_IFM_STRIDE_Y: r.ifm.sy = s32; return true;
    case NPU_SET_IFM_STRIDE_C: r.ifm.sc = s32; return true;
    case NPU_SET_IFM_PAD_TOP: case NPU_SET_IFM_PAD_LEFT: case NPU_SET_IFM_PAD_RIGHT: case NPU_SET_IFM_PAD_BOTTOM:
      if (c.param) raise(c, "IFM padding is not modelled");
      return true;
    case NPU_SET_IFM_UPSCALE: if (c.param) raise(c, "IFM upscaling is not modelled"); return true;
    // ---- IFM2
    case NPU_SET_IFM2_BROADCAST: r.ifm2_broadcast = c.param; return true;
    case NPU_SET_IFM2_SCALAR: r.ifm2_scalar = static_cast<int16_t>(c.param); return true;
    case NPU_SET_IFM2_PRECISION: prec(r.ifm2); return true;
    case NPU_SET_IFM2_ZERO_POINT: r.ifm2.zp = static_cast<int16_t>(c.param); return true;
    case NPU_SET_IFM2_WIDTH0_M1: r.ifm2.w = c.param + 1; return true;
    case NPU_SET_IFM2_HEIGHT0_M1: r.ifm2.h = c.param + 1; return true;
    case NPU_SET_IFM2_HEIGHT1_M1: return true;
    case NPU_SET_IFM2_REGION: region(r.ifm2.region); return true;
    case NPU_SET_IFM2_BASE0: r.ifm2.base = c.address(); return true;
    case NPU_SET_IFM2_STRIDE_X: r.ifm2.sx = s32; return true;
    case NPU_SET_IFM2_STRIDE_Y: r.ifm2.sy = s32; return true;
    case NPU_SET_IFM2_STRIDE_C: r.ifm2.sc = s32; return true;
    // ---- OFM
    case NPU_SET_OFM_WIDTH_M1: r.ofm.w = c.param + 1; return true;
    case NPU_SET_OFM_HEIGHT_M1: r.ofm.h = c.param + 1; return true;
    case NPU_SET_OFM_DEPTH_M1: r.ofm.c = c.param + 1; return true;
    case NPU_SET_OFM_PRECISION: prec(r.ofm); return true;
    case NPU_SET_OFM_BLK_WIDTH_M1: r.ofm_blk_w = c.param + 1; return true;
    case NPU_SET_OFM_BLK_HEIGHT_M1: r.ofm_blk_h = c.param + 1; return true;
    case NPU_SET_OFM_BLK_DEPTH_M1: r.ofm_blk_c = c.param + 1; return true;
    case NPU_SET_OFM_ZERO_POINT: r.ofm.zp = static_cast<int16_t>(c.param); return true;
    case NPU_SET_OFM_WIDTH0_M1: case NPU_SET_OFM_HEIGHT0_M1: case NPU_SET_OFM_HEIGHT1_M1: return true;
    case NPU_SET_OFM_REGION: region(r.ofm.region); return true;
    case NPU_SET_OFM_BASE0: r.ofm.base = c.address(); return true;
    case NPU_SET_OFM_STRIDE_X: r.ofm.sx = s32; return true;
    case NPU_SET_OFM_STRIDE_Y: r.ofm.sy = s32; return true;
    case NPU_SET_OFM_STRIDE_C: r.ofm.sc = s32; return true;
    // ---- kernel, accumulator, activation
    case NPU_SET_KERNEL_WIDTH_M1: r.kernel_w = c.param + 1; return true;
    case NPU_SET_KERNEL_HEIGHT_M1: r.kernel_h = c.param + 1; return true;
    case NPU_SET_KERNEL_STRIDE: r.kernel_stride = c.param; return true;
    case NPU_SET_PARALLEL_MODE: case NPU_SET_AB_START: case NPU_SET_BLOCKDEP: return true;
    case NPU_SET_ACC_FORMAT:
      if (c.param > 1) raise(c, "accumulator format " + std::to_string(c.param) + " not modelled (0: 32-bit, 1: 48-bit)");
      r.acc_format = c.param;
      return true;
    case NPU_SET_ACTIVATION: {
      const uint16_t fn = c.param & 0x1F;
      if (fn != kActClip && (fn < kActTable0 || fn > kActTable0 + 7)) raise(c, "activation function " + std::to_string(fn) + " not modelled");
      r.activation = c.param;
      return true;
    }
    case NPU_SET_ACTIVATION_MIN: r.act_min = static_cast<int16_t>(c.param); return true;
    case NPU_SET_ACTIVATION_MAX: r.act_max = static_cast<int16_t>(c.param); return true;
    // ---- weights, scales
    case NPU_SET_WEIGHT_REGION: region(r.weight_region); return true;
    case NPU_SET_SCALE_REGION: region(r.scale_region); return true;
    case NPU_SET_WEIGHT_BASE: r.weight_base = c.address(); return true;
    case NPU_SET_WEIGHT_LENGTH: r.weight_length = c.payload; return true;
    case NPU_SET_SCALE_BASE: r.scale_base = c.address(); return true;
    case NPU_SET_SCALE_LENGTH: r.scale_length = c.payload; return true;
    case NPU_SET_OFM_SCALE: r.ofm_m = s32; r.ofm_shift = c.param & 63; return true;
    case NPU_SET_OPA_SCALE: r.opa_m = s32; r.opa_shift = c.param & 63; r.left_shift = (c.param >> 8) & 63; return true;
    case NPU_SET_OPB_SCALE: r.opb_m = s32; r.opb_shift = c.param & 63; return true;
    // ---- DMA
    case NPU_SET_DMA0_SRC_REGION: r.dma_src_region = c.param; return true;
    case NPU_SET_DMA0_DST_REGION: r.dma_dst_region = c.param; return true;
    case NPU_SET_DMA0_SIZE0: case NPU_SET_DMA0_SIZE1: return true;
    case NPU_SET_DMA0_SRC: r.dma_src = c.address(); return true;
    case NPU_SET_DMA0_DST: r.dma_dst = c.address(); return true;
    case NPU_SET_DMA0_LEN: r.dma_len = c.payload; return true;
    // ---- operations
    case NPU_OP_STOP: return false;
    case NPU_OP_IRQ: irq_.notify(sc_time::from_value(t_ - std::min<uint64_t>(t_, sc_core::sc_time_stamp().value()))); return true;
    case NPU_OP_PMU_MASK: case NPU_OP_KERNEL_WAIT: return true;
    case NPU_OP_DMA_WAIT: t_ = std::max(t_, dma_done_); return true;
    case NPU_OP_DEPTHWISE: raise(c, "NPU_OP_DEPTHWISE is not modelled"); return false;
    case NPU_OP_RESIZE: raise(c, "NPU_OP_RESIZE is not modelled"); return false;
    default: break;
  }
  // Operations that compute or move data.
  OpStats st;
  st.command = c.index;
  st.opcode = c.opcode;
  st.mode = c.param;
  st.start_fs = t_;
  try {
    switch (c.opcode) {
      case NPU_OP_DMA_START: exec_dma(c, st); break;
      case NPU_OP_CONV: exec_conv(c, st); break;
      case NPU_OP_ELEMENTWISE: exec_elementwise(c, st); break;
      case NPU_OP_POOL: exec_pool(c, st); break;
      default: raise(c, "opcode not executable");
    }
  } catch (const Error& e) {
    status_ |= ST_BUS_ERROR;
    raise(c, e.what());
  }
  ++operations_;
  mac_cycles_ += st.mac_cycles;
  ao_cycles_ += st.ao_cycles;
  wd_cycles_ += st.wd_cycles;
  if (c.opcode != NPU_OP_DMA_START) {
    active_cycles_ += clk_.to_cycles_fs(st.end_fs - st.start_fs);
    busy_cycles_ += std::max({st.mac_cycles, st.ao_cycles, st.wd_cycles});
    t_ = st.end_fs;
    // Synchronise with SystemC time at the end of each operation - or earlier, at the time the
    // next operation may start fetching its weights, so that it can book them then.
    const uint64_t now = sc_core::sc_time_stamp().value(), to = std::min(t_, std::max(weight_free_fs_, now));
    if (to > now) sc_core::wait(sc_time::from_value(to - now));
  }
  if (on_operation_done) on_operation_done(st);
  return true;
}

}  // namespace slm
