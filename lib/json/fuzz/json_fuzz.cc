// Fuzz target for ParseJson (json_reader.h), which a terminal runs on the session descriptor
// sip-edge sends, and for the writer (json.h) that writes descriptors, logs and CDR exports.
// Invariants:
//   - a parsed document is at most 64 levels deep, its numbers are valid JSON number text, and
//     written back with AppendJsonString it parses to the same tree (strings as SanitizeUtf8
//     makes them: the writer emits only UTF-8);
//   - JsonObject with the input's pieces as keys and values parses back to exactly those pieces
//     (sanitized), in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "lib/encoding/encoding.h"
#include "lib/fuzzing/fuzz_check.h"
#include "lib/json/json.h"
#include "lib/json/json_reader.h"

namespace p2pims {
namespace {

bool NumberText(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  const size_t start = i;
  const size_t n = digits();
  if (n == 0 || (n > 1 && t[start] == '0')) return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

void Write(const JsonValue& v, int depth, std::string& out) {
  FUZZ_CHECK(depth <= 65);
  switch (v.type) {
    case JsonValue::Type::kNull:
      out += "null";
      return;
    case JsonValue::Type::kBool:
      out += v.boolean ? "true" : "false";
      return;
    case JsonValue::Type::kNumber:
      FUZZ_CHECK(NumberText(v.text));
      out += v.text;
      return;
    case JsonValue::Type::kString:
      AppendJsonString(out, v.text);
      return;
    case JsonValue::Type::kArray:
      out += "[";
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ",";
        Write(v.items[i], depth + 1, out);
      }
      out += "]";
      return;
    case JsonValue::Type::kObject:
      out += "{";
      for (size_t i = 0; i < v.members.size(); ++i) {
        if (i > 0) out += ",";
        AppendJsonString(out, v.members[i].first);
        out += ":";
        Write(v.members[i].second, depth + 1, out);
      }
      out += "}";
      return;
  }
}

// a (parsed from the input) and b (parsed from a as written) are the same tree.
bool Same(const JsonValue& a, const JsonValue& b) {
  if (a.type != b.type || a.boolean != b.boolean) return false;
  if (a.type == JsonValue::Type::kString && SanitizeUtf8(a.text) != b.text) return false;
  if (a.type == JsonValue::Type::kNumber && a.text != b.text) return false;
  if (a.items.size() != b.items.size() || a.members.size() != b.members.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (!Same(a.items[i], b.items[i])) return false;
  }
  for (size_t i = 0; i < a.members.size(); ++i) {
    if (SanitizeUtf8(a.members[i].first) != b.members[i].first ||
        !Same(a.members[i].second, b.members[i].second)) {
      return false;
    }
  }
  return true;
}

void Reader(std::string_view input) {
  absl::StatusOr<JsonValue> doc = ParseJson(input);
  if (!doc.ok()) {
    FUZZ_CHECK(doc.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  std::string written;
  Write(*doc, 0, written);
  absl::StatusOr<JsonValue> again = ParseJson(written);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(Same(*doc, *again));
}

void Writer(std::string_view input) {
  const std::vector<std::string> pieces =
      absl::StrSplit(absl::string_view(input.data(), input.size()), '\x01');
  JsonObject o;
  for (size_t i = 0; i + 1 < pieces.size(); i += 2) o.Add(pieces[i], pieces[i + 1]);
  absl::StatusOr<JsonValue> back = ParseJson(o.Close());
  FUZZ_CHECK(back.ok() && back->type == JsonValue::Type::kObject);
  FUZZ_CHECK(back->members.size() == pieces.size() / 2);
  for (size_t i = 0; i < back->members.size(); ++i) {
    FUZZ_CHECK(back->members[i].first == SanitizeUtf8(pieces[2 * i]));
    FUZZ_CHECK(back->members[i].second.is_string());
    FUZZ_CHECK(back->members[i].second.text == SanitizeUtf8(pieces[2 * i + 1]));
  }
}

}  // namespace
}  // namespace p2pims

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  p2pims::Reader(input);
  p2pims::Writer(input);
  return 0;
}
