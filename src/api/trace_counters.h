// Counters behind jit's compile statistics (how many scan bodies a trace recorded).
#pragma once

#include <cstdint>

namespace strata::detail {

void count_scan_body_trace();
int64_t scan_body_traces();  // since the program started, on this thread

}  // namespace strata::detail
