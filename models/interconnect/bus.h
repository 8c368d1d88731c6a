// Bus: a TLM-2.0 interconnect (crossbar or shared bus) with width, latency, a limit of
// outstanding transactions per initiator, and first-come-first-served arbitration.
//
// Initiators bind to `in` (initiator id = bind order), targets to `out` (target index =
// bind order, used by the AddressMap). A transaction of len bytes arriving at t:
//   t0    = first bus clock edge >= t;  ts = first time >= t0 the initiator has a free
//           slot (max_outstanding per initiator)
//   tr    = ts + latency_cycles                      -> forwarded to the target at tr
//   c     = the target's completion (its own timing formula)
//   bb    = ceil(len / width_bytes) bus cycles        (data beats on the link)
//   start = first time >= max(tr, c - bb) the link is idle for bb cycles (rounded to an edge)
//   done  = start + bb
// The link is one per target (topology crossbar) or one for all (topology shared). With
// matching widths and clocks an uncontended transfer costs latency_cycles + the target's
// own time; two masters sharing a target port share its bandwidth through the target's
// port Resource and the link. Arbitration is first-come-first-served in simulated arrival
// order: with the quantum at 0, two masters with equal demand alternate (each gets half);
// under temporal decoupling the master that runs ahead books first (docs/timing-model.md).
// Not modelled: priority or weighted arbitration, split read/write channels, QoS.
// Debug (transport_dbg) and DMI requests are routed with address translation.
// Stats: bus totals plus one child group per initiator ("in0", "in1": bytes, transactions,
// stall_cycles), so a report shows how two masters split a shared port.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "models/common/burst_train.h"
#include "models/common/clock.h"
#include "models/common/params.h"
#include "models/common/resource.h"
#include "models/interconnect/address_map.h"
#include "models/common/stats.h"

namespace slm {

class Bus : public sc_core::sc_module {
 public:
  struct Params {
    std::string topology = "crossbar";  // crossbar | shared
    uint32_t width_bytes = 16;          // bytes per bus cycle per link
    uint64_t clock_hz = 100'000'000;
    uint32_t latency_cycles = 1;        // request latency through the fabric
    uint32_t max_outstanding = 8;       // per initiator
    double pj_per_byte = 0;             // energy table entries
    double leakage_mw = 0;

    static void describe(params::Visitor& v, Params& p);
    void validate(const std::string& who) const;
  };
  static std::vector<params::EnergyEvent> energy_events();

  tlm_utils::multi_passthrough_target_socket<Bus> in;
  tlm_utils::multi_passthrough_initiator_socket<Bus> out;

  Bus(sc_core::sc_module_name name, const Params& p, stats::Group& parent);

  // The address map; fill it before simulation starts (target index = out bind order).
  AddressMap& address_map() { return map_; }

  const Params& params() const { return p_; }
  const Clock& clock() const { return clk_; }
  const stats::Group& stats() const { return stats_; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  void b_transport_train(int id, const AddressMap::Entry& e, BurstTrain& train, tlm::tlm_generic_payload& tx,
                         sc_core::sc_time& delay);
  void gather(int id, const AddressMap::Entry& e, BurstTrain& train, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  static void row_hook(void* ctx, BurstTrain& train, size_t row);
  void book_train_link(Resource& lk, uint64_t addr, uint64_t len, uint64_t burst, const uint64_t* issue, uint64_t* done,
                       size_t n, uint64_t now, uint64_t& last, uint64_t& stalled, uint64_t& beats) const;
  void count_train(int id, uint64_t n, uint64_t len, uint64_t beats, uint64_t stalled);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& tx);
  void end_of_elaboration() override;
  Resource& link(unsigned target);
  SlotPool& initiator_slots(int id);

  Params p_;
  Clock clk_;
  AddressMap map_;
  std::vector<Resource> links_;      // (1,) shared or (targets,) crossbar
  std::vector<SlotPool> slots_;      // (initiators,)
  struct InitiatorStats {
    stats::Counter* bytes;
    stats::Counter* transactions;
    stats::Counter* stall_cycles;
  };
  std::vector<InitiatorStats> per_initiator_;  // (initiators,) children "in0", "in1", ...

  stats::Group stats_;
  stats::Counter& transactions_;
  stats::Counter& bytes_;
  stats::Counter& link_busy_cycles_;
  stats::Counter& stall_cycles_;
  stats::Counter& decode_errors_;
};

}  // namespace slm
