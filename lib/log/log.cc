#include "lib/log/log.h"

#include <unistd.h>

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/json/json.h"

namespace p2pims::log {
namespace {

std::string& ServiceName() {
  static std::string name = "p2pims";
  return name;
}
std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

constexpr std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void Init(std::string service, Level min_level) {
  ServiceName() = std::move(service);
  g_min_level = static_cast<int>(min_level);
}

Level ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return Level::kInfo;
}

std::string Format(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  JsonObject o;
  o.Add("ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  o.Add("level", LevelName(level));
  o.Add("service", ServiceName());
  o.Add("msg", msg);
  for (const Field& f : fields) {
    std::visit([&](const auto& v) { o.Add(f.key, v); }, f.value);
  }
  std::string line = o.Close();
  line.push_back('\n');
  return line;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  const std::string line = Format(level, msg, fields);
  // One write(2) per line keeps lines whole when several threads log at once.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace p2pims::log
