// Minimal JSON writing: string escaping (RFC 8259) and a flat object builder for log lines and
// session descriptors.
//
//   JsonObject o;
//   o.Add("id", "x\"y").Add("bytes", int64_t{42});
//   std::string text = o.Close();   // {"id":"x\"y","bytes":42}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace p2pims {

// Appends `in` to `out` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view in);

// Builds one JSON object field by field. Values given as JsonObject::Raw are inserted as is
// (nested objects or arrays already serialised). Not thread-safe.
class JsonObject {
 public:
  struct Raw {
    std::string_view json;
  };
  JsonObject& Add(std::string_view key, std::string_view value);
  JsonObject& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  JsonObject& Add(std::string_view key, const std::string& value) { return Add(key, std::string_view(value)); }
  JsonObject& Add(std::string_view key, int64_t value);
  JsonObject& Add(std::string_view key, uint64_t value);
  JsonObject& Add(std::string_view key, int value) { return Add(key, int64_t{value}); }
  JsonObject& Add(std::string_view key, bool value);
  JsonObject& Add(std::string_view key, double value);
  JsonObject& Add(std::string_view key, Raw value);
  // Returns the finished object; the builder is left empty.
  std::string Close();

 private:
  void Key(std::string_view key);
  std::string out_ = "{";
};

}  // namespace p2pims
