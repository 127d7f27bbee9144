#include "lib/json/json.h"

#include <cmath>
#include <cstdio>

#include "lib/encoding/encoding.h"

namespace p2pims {

void AppendJsonString(std::string& out, std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string in = SanitizeUtf8(raw);  // JSON text must be valid UTF-8
  out.push_back('"');
  for (unsigned char c : in) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void JsonObject::Key(std::string_view key) {
  if (out_.size() > 1) out_.push_back(',');
  AppendJsonString(out_, key);
  out_.push_back(':');
}

JsonObject& JsonObject::Add(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(out_, value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view key, int64_t value) {
  Key(key);
  out_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view key, uint64_t value) {
  Key(key);
  out_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view key, bool value) {
  Key(key);
  out_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::Add(std::string_view key, double value) {
  Key(key);
  if (!std::isfinite(value)) {
    out_ += "null";  // JSON has no NaN or infinity.
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out_ += buf;
  }
  return *this;
}

JsonObject& JsonObject::Add(std::string_view key, Raw value) {
  Key(key);
  out_ += value.json;
  return *this;
}

std::string JsonObject::Close() {
  out_.push_back('}');
  std::string done = std::move(out_);
  out_.clear();  // a moved-from string is valid but unspecified; start the next object afresh
  out_.push_back('{');
  return done;
}

}  // namespace p2pims
