// Minimal JSON reading (RFC 8259) for documents p2pims itself writes, such as the session
// descriptor a terminal gets in its 200 OK: a value tree, strings unescaped to UTF-8 (\u
// escapes and surrogate pairs included), numbers kept as text and as a double.
//
//   absl::StatusOr<JsonValue> v = ParseJson(R"({"size":124,"announce":["http://..."]})");
//   int64_t size = v->Find("size")->AsInt();      // Find: nullptr when absent
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace p2pims {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // a string's value, or a number as written
  std::vector<JsonValue> items;                             // kArray
  std::vector<std::pair<std::string, JsonValue>> members;  // kObject, in document order

  // Defined in json_reader.cc, where JsonValue is complete: clang with libstdc++ refuses to
  // instantiate std::pair<std::string, JsonValue> inside JsonValue's own definition.
  JsonValue();
  JsonValue(const JsonValue&);
  JsonValue(JsonValue&&) noexcept;
  JsonValue& operator=(const JsonValue&);
  JsonValue& operator=(JsonValue&&) noexcept;
  ~JsonValue();

  // The member called `key` of an object (the first one), or nullptr.
  const JsonValue* Find(std::string_view key) const;
  // A number written as an integer (no fraction or exponent), else `fallback`.
  int64_t AsInt(int64_t fallback = 0) const;
  bool is_string() const { return type == Type::kString; }
};

// The document's one value; InvalidArgument naming the byte offset of the first error. Nesting
// deeper than 64 levels is refused.
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

}  // namespace p2pims
