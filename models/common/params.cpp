#include "models/common/params.h"

namespace slm::params {
const char* unit_name(Unit u) {
  switch (u) {
    case Unit::none: return "";
    case Unit::bytes: return "bytes";
    case Unit::hz: return "Hz";
    case Unit::cycles: return "cycles";
    case Unit::ns: return "ns";
    case Unit::pj: return "pJ";
    case Unit::pj_per_byte: return "pJ/byte";
    case Unit::mw: return "mW";
  }
  return "?";
}
}  // namespace slm::params
