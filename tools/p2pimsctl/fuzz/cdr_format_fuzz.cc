// Fuzz target for the CDR formats of "cdr export", "cdr pull" and "cdr tail" (cdr_format.h,
// csv.h). A CDR's strings come from subscribers (identities, ICIDs, access network info) and
// content owners, so the input is a serialized p2pims.charging.v1.Cdr of any content.
// Invariants:
//   - the CSV record is one RFC 4180 record with as many fields as the header, each the value's
//     text exactly (read back with a reader written here);
//   - the JSON object parses and carries the same names and values, in order;
//   - the human forms (cdr tail's line, cdr pull's table) hold no control character that could
//     move the operator's cursor (C0, DEL, C1), and the line is one line.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/fuzzing/fuzz_check.h"
#include "lib/json/json_reader.h"
#include "tools/p2pimsctl/cdr_format.h"

namespace p2pims::ctl {
namespace {

// One CSV record ending in CRLF, the whole of `text`; nullopt when it is not.
std::optional<std::vector<std::string>> ReadCsvRecord(std::string_view text) {
  std::vector<std::string> fields(1);
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && fields.back().empty()) {
      for (++i;; ++i) {
        if (i >= text.size()) return std::nullopt;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            fields.back() += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        fields.back() += text[i];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\r') return std::nullopt;
      continue;
    }
    if (c == ',') {
      fields.emplace_back();
    } else if (c == '\r') {
      return text.substr(i) == "\r\n" ? std::optional(fields) : std::nullopt;
    } else if (c == '\n' || c == '"') {
      return std::nullopt;
    } else {
      fields.back() += c;
    }
    ++i;
  }
  return std::nullopt;
}

std::string Text(const CdrValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v.value)) return absl::StrCat(*i);
  if (const auto* b = std::get_if<bool>(&v.value)) return *b ? "true" : "false";
  return std::get<std::string>(v.value);
}

bool NoControls(std::string_view s, bool newlines) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n' && newlines) continue;
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace p2pims::ctl

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims;
  using namespace p2pims::ctl;
  cv1::Cdr cdr;
  if (!cdr.ParseFromArray(data, static_cast<int>(size))) return 0;

  const std::vector<CdrValue> values = CdrValues(cdr, CdrFields::kFile);
  const std::optional<std::vector<std::string>> header = ReadCsvRecord(CdrCsvHeader());
  const std::optional<std::vector<std::string>> record = ReadCsvRecord(CdrCsvRecord(cdr));
  FUZZ_CHECK(header && record);
  FUZZ_CHECK(header->size() == values.size() && record->size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    FUZZ_CHECK((*header)[i] == values[i].name);
    FUZZ_CHECK((*record)[i] == Text(values[i]));
  }

  const std::vector<CdrValue> all = CdrValues(cdr, CdrFields::kDelivery);
  absl::StatusOr<JsonValue> json = ParseJson(CdrJson(cdr, CdrFields::kDelivery));
  FUZZ_CHECK(json.ok() && json->members.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const JsonValue& v = json->members[i].second;
    FUZZ_CHECK(json->members[i].first == all[i].name);
    if (const auto* n = std::get_if<int64_t>(&all[i].value)) {
      FUZZ_CHECK(v.type == JsonValue::Type::kNumber && v.text == absl::StrCat(*n));
    } else if (const auto* b = std::get_if<bool>(&all[i].value)) {
      FUZZ_CHECK(v.type == JsonValue::Type::kBool && v.boolean == *b);
    } else {
      FUZZ_CHECK(v.is_string() && v.text == SanitizeUtf8(std::get<std::string>(all[i].value)));
    }
  }

  const std::string line = CdrLine(cdr);
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  FUZZ_CHECK(NoControls(std::string_view(line).substr(0, line.size() - 1), false));
  FUZZ_CHECK(NoControls(CdrTable({cdr, cdr}), true));
  return 0;
}
