// Structured logs: one JSON object per line on stderr, with time, level, service and message,
// plus any fields the caller adds.
//
//   log::Init("rights");
//   log::Info("listening", {{"address", addr}, {"port", int64_t{50051}}});
//   // {"ts":"2026-11-25T08:00:00.000Z","level":"info","service":"rights","msg":"listening",...}
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include "absl/strings/string_view.h"

namespace p2pims::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// One key/value of a log line. Secrets must never be passed here.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, absl::string_view v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  std::string_view key;
  std::variant<std::string, int64_t, bool> value;
};

// Sets the service name and the lowest level written. Call once before other threads start.
void Init(std::string service, Level min_level = Level::kInfo);
// Parses "debug", "info", "warn", "error"; anything else is kInfo.
Level ParseLevel(std::string_view name);

// Formats a line without writing it (used by Write and by tests).
std::string Format(Level level, std::string_view msg, std::initializer_list<Field> fields);
// Writes one line atomically to stderr. Safe from any thread.
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields);

inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kError, msg, f); }

}  // namespace p2pims::log
