#include "workloads/common/error.h"
// (header-only today; the translation unit keeps the library non-empty)
