// Values with units. A field's unit is fixed by its name suffix (params::Unit); in YAML the
// value may be a plain number in that base unit, or a string "<number> <unit>" whose unit
// has the same dimension: "32 MHz", "320 KiB", "50 uW", "1.5 ns". Anything else is an
// error naming the node's file:line:col, key path, the value and the accepted units.
#pragma once
#include <cstdint>
#include <string>

#include "models/common/params.h"
#include "sim/config/node.h"

namespace slm::config {

// Parses a scalar node into the field's base unit. Throws slm::Error on a wrong type/unit.
double parse_quantity(const Node& n, params::Unit unit);
// Same, for integer fields: the value (after unit scaling) must be a whole number >= 0.
uint64_t parse_count(const Node& n, params::Unit unit);
bool parse_bool(const Node& n);
// "KB, KiB, MB, ..." — the units accepted for a dimension, for messages and docs.
std::string accepted_units(params::Unit unit);

}  // namespace slm::config
