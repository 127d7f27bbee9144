// Fuzz target for the headers sip-edge parses itself (ims_headers.h, trust.h): P-Charging-Vector,
// P-Access-Network-Info (also as found in the body of a third-party REGISTER) and
// P-Asserted-Identity. The whole input is each header's value, and a body.
// Invariants:
//   - a locality is empty, "wlan/<id>" or exactly mcc-mnc/area/cell with the widths the radio
//     type gives; the access type is the text before the first ';';
//   - the charging vector's values, written back quoted, parse to the same vector;
//   - an asserted identity is a sip:, sips: or tel: URI from the input, without ',' or '>', and
//     the same identity comes back from "<identity>";
//   - HeaderInBody finds a header it is given as a body line, and returns one line's value.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "lib/fuzzing/fuzz_check.h"
#include "services/sip-edge/ims_headers.h"
#include "services/sip-edge/trust.h"

namespace p2pims::sip_edge {
namespace {

bool Chars(std::string_view s, size_t min, size_t max, int (*is)(int)) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!is(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int IsUpperHex(int c) { return std::isdigit(c) || (c >= 'A' && c <= 'F'); }

// "mcc-mnc/area/cell": 3 digits, 2-3 digits, then upper-case hex of the radio's widths.
bool CellLocality(std::string_view l, bool nr) {
  const size_t dash = l.find('-'), slash1 = l.find('/'), slash2 = l.rfind('/');
  if (dash != 3 || slash1 == std::string_view::npos || slash1 == slash2) return false;
  const size_t area = nr ? 6 : 4, cell = nr ? 9 : 7;
  return Chars(l.substr(0, 3), 3, 3, isdigit) && Chars(l.substr(4, slash1 - 4), 2, 3, isdigit) &&
         Chars(l.substr(slash1 + 1, slash2 - slash1 - 1), area, area, IsUpperHex) &&
         Chars(l.substr(slash2 + 1), cell, cell, IsUpperHex);
}

void AccessNetworkInfo(const std::string& value) {
  const AccessNetwork a = ParseAccessNetworkInfo(value);
  if (a.access_type.empty() && a.locality.empty()) return;
  FUZZ_CHECK(a.access_type.find(';') == std::string::npos);
  FUZZ_CHECK(absl::StartsWith(absl::StripLeadingAsciiWhitespace(value), a.access_type));
  if (a.locality.empty()) return;
  if (absl::StartsWith(a.locality, "wlan/")) {
    FUZZ_CHECK(a.locality.size() > 5 && a.locality == absl::AsciiStrToLower(a.locality));
    FUZZ_CHECK(a.locality.find(';') == std::string::npos);
  } else {
    FUZZ_CHECK(CellLocality(a.locality,
                            absl::StartsWith(absl::AsciiStrToUpper(a.access_type), "3GPP-NR")));
  }
}

void ChargingVectorRoundTrip(const std::string& value) {
  const ChargingVector v = ParseChargingVector(value);
  for (const std::string* s : {&v.icid, &v.orig_ioi, &v.term_ioi}) {
    FUZZ_CHECK(s->find(';') == std::string::npos);
  }
  const std::string written = "icid-value=\"" + v.icid + "\"; orig-ioi=\"" + v.orig_ioi +
                              "\"; term-ioi=\"" + v.term_ioi + "\"";
  const ChargingVector back = ParseChargingVector(written);
  FUZZ_CHECK(back.icid == v.icid && back.orig_ioi == v.orig_ioi && back.term_ioi == v.term_ioi);
}

void AssertedIdentity(const std::string& value) {
  const std::optional<std::string> id = FirstAssertedIdentity(value);
  if (!id) return;
  FUZZ_CHECK(absl::StartsWith(*id, "sip:") || absl::StartsWith(*id, "sips:") ||
             absl::StartsWith(*id, "tel:"));
  FUZZ_CHECK(value.find(*id) != std::string::npos);
  FUZZ_CHECK(id->find_first_of(",>") == std::string::npos);
  FUZZ_CHECK(FirstAssertedIdentity("<" + *id + ">") == *id);
  FUZZ_CHECK(FirstAssertedIdentity("\"Display\" <" + *id + ">, <tel:+1>") == *id);
}

void HeaderInBodyOf(const std::string& body) {
  const std::string found = HeaderInBody(body, "P-Access-Network-Info");
  FUZZ_CHECK(found.find('\n') == std::string::npos);
  FUZZ_CHECK(found == std::string(absl::StripAsciiWhitespace(found)));
  FUZZ_CHECK(found.empty() || body.find(found) != std::string::npos);
  // Given as the first line of a body, a value without line ends is found as it is (stripped).
  if (body.find('\n') == std::string::npos) {
    const std::string message = "p-access-network-info: " + body + "\r\n" + body;
    FUZZ_CHECK(HeaderInBody(message, "P-Access-Network-Info") ==
               std::string(absl::StripAsciiWhitespace(body)));
  }
}

}  // namespace
}  // namespace p2pims::sip_edge

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims::sip_edge;
  const std::string input(reinterpret_cast<const char*>(data), size);
  AccessNetworkInfo(input);
  ChargingVectorRoundTrip(input);
  AssertedIdentity(input);
  HeaderInBodyOf(input);
  return 0;
}
