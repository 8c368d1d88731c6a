// Parameter description shared by every hardware block (VCML properties / gem5 Params).
//
// Each model has one `Params` struct whose fields carry their unit in the name
// (size_bytes, clock_hz, read_latency_cycles, read_pj_per_byte, leakage_mw). The struct
// lists its fields once, in a static `describe(Visitor&, Params&)`; the same listing
// drives YAML loading and validation (sim/config), `slmsim config show`, and the
// generated reference docs/config-reference.md. Models never parse text themselves.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace slm::params {

// The physical dimension a field's value is expressed in. In YAML a value may be a plain
// number (in the field's base unit, named by its suffix) or a string with a unit of the
// same dimension: clock_hz: "32 MHz", size_bytes: "320 KiB", leakage_mw: "50 uW".
enum class Unit : uint8_t {
  none,         // dimensionless count or ratio
  bytes,        // *_bytes      B, KB(1000), KiB(1024), MB, MiB, GB, GiB
  hz,           // *_hz         Hz, kHz, MHz, GHz
  cycles,       // *_cycles     clock cycles of the block's own clock
  ns,           // *_ns         ps, ns, us, ms, s
  pj,           // *_pj         pJ per event, fJ, pJ, nJ
  pj_per_byte,  // *_pj_per_byte
  mw,           // *_mw         uW, mW, W
};
const char* unit_name(Unit);

struct Field {
  const char* key;     // YAML key, snake_case with the unit suffix
  Unit unit;
  const char* desc;    // one line, shown by `config schema`
  bool required = false;
  double min = 0;      // inclusive bounds, checked by the loader
  double max = std::numeric_limits<double>::max();
};

class Visitor {
 public:
  virtual ~Visitor() = default;
  virtual void field(const Field& f, uint64_t& v) = 0;
  virtual void field(const Field& f, uint32_t& v) = 0;
  virtual void field(const Field& f, double& v) = 0;
  virtual void field(const Field& f, bool& v) = 0;
  // choices: allowed values (empty = any string)
  virtual void field(const Field& f, std::string& v, const std::vector<std::string>& choices) = 0;
};

// An energy event: `param` (pJ per unit, a field of the block's energy entry) times the
// value of counter `counter` of the same component. Leakage is always `leakage_mw`.
struct EnergyEvent {
  const char* param;    // "read_pj_per_byte"
  const char* counter;  // "read_bytes"
  const char* desc;
};

}  // namespace slm::params
