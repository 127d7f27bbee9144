#include "lib/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"

namespace p2pims::metrics {
namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double start_seconds_after_boot = 0;
};

// Fields of /proc/self/stat after the command name, which may itself contain spaces.
bool ReadProcStat(ProcStat* out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 2));
  std::string f[24];
  for (auto& v : f) fields >> v;  // f[0] is field 3 (state)
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  try {
    out->cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;  // utime + stime
    out->start_seconds_after_boot = std::stod(f[19]) / ticks;          // starttime
    out->virtual_bytes = std::stod(f[20]);                             // vsize
    out->resident_bytes = std::stod(f[21]) * page;                     // rss pages
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
  }
  return 0;
}

}  // namespace

void AddProcessMetrics(Registry& registry) {
  Counter& cpu = BuildCounter()
                     .Name("process_cpu_seconds_total")
                     .Help("Total user and system CPU time spent in seconds.")
                     .Register(registry)
                     .Add({});
  Gauge& resident = BuildGauge()
                        .Name("process_resident_memory_bytes")
                        .Help("Resident memory size in bytes.")
                        .Register(registry)
                        .Add({});
  Gauge& virt = BuildGauge()
                    .Name("process_virtual_memory_bytes")
                    .Help("Virtual memory size in bytes.")
                    .Register(registry)
                    .Add({});
  Gauge& fds = BuildGauge()
                   .Name("process_open_fds")
                   .Help("Number of open file descriptors.")
                   .Register(registry)
                   .Add({});
  Gauge& max_fds = BuildGauge()
                       .Name("process_max_fds")
                       .Help("Maximum number of open file descriptors.")
                       .Register(registry)
                       .Add({});
  Gauge& start = BuildGauge()
                     .Name("process_start_time_seconds")
                     .Help("Start time of the process since unix epoch in seconds.")
                     .Register(registry)
                     .Add({});
  const double boot = BootTime();
  registry.AddCollectHook([&cpu, &resident, &virt, &fds, &max_fds, &start, boot] {
    ProcStat stat;
    if (ReadProcStat(&stat)) {
      cpu.Increment(stat.cpu_seconds - cpu.Value());  // a counter follows the kernel's total
      resident.Set(stat.resident_bytes);
      virt.Set(stat.virtual_bytes);
      start.Set(boot + stat.start_seconds_after_boot);
    }
    std::error_code ec;
    double open = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++open;
    }
    fds.Set(open);
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) max_fds.Set(static_cast<double>(limit.rlim_cur));
  });
}

}  // namespace p2pims::metrics
