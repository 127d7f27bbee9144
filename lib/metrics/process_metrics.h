// The standard process_* metrics Prometheus client libraries export, read from /proc at every
// scrape:
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds
//
//   Registry registry;
//   AddProcessMetrics(registry);
#pragma once

#include "lib/metrics/registry.h"

namespace p2pims::metrics {

// Registers the families and a collect hook that refreshes them. Call once per registry.
void AddProcessMetrics(Registry& registry);

}  // namespace p2pims::metrics
