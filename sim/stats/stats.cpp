#include "sim/stats/stats.h"
// implementation pending
