#include "services/sip-edge/trust.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace p2pims::sip_edge {
namespace {

bool ParseAddress(const std::string& text, int* family, std::array<uint8_t, 16>* out) {
  out->fill(0);
  if (inet_pton(AF_INET, text.c_str(), out->data()) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out->data()) == 1) {
    *family = AF_INET6;
    return true;
  }
  return false;
}

// A URI is printable ASCII without blanks, quotes or angle brackets (RFC 3986 escapes the rest):
// not the whole text after a bare URI (ims_headers_fuzz found "tel:+1}\0...>" taken whole).
bool UriCharacters(absl::string_view uri) {
  for (const char ch : uri) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>') return false;
  }
  return true;
}

}  // namespace

absl::Status TrustedNetworks::Parse(const std::string& list) {
  networks_.clear();
  for (absl::string_view raw : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::string entry(absl::StripAsciiWhitespace(raw));
    std::string addr = entry;
    int bits = -1;
    if (auto slash = entry.find('/'); slash != std::string::npos) {
      addr = entry.substr(0, slash);
      if (!absl::SimpleAtoi(entry.substr(slash + 1), &bits)) bits = -2;
    }
    Network n;
    if (!ParseAddress(addr, &n.family, &n.prefix)) {
      return absl::InvalidArgumentError(absl::StrCat("bad trusted network \"", entry, "\""));
    }
    const int max_bits = n.family == AF_INET ? 32 : 128;
    if (bits == -1) bits = max_bits;
    if (bits < 0 || bits > max_bits) {
      return absl::InvalidArgumentError(absl::StrCat("bad prefix length in \"", entry, "\""));
    }
    n.bits = bits;
    networks_.push_back(n);
  }
  return absl::OkStatus();
}

bool TrustedNetworks::Contains(const std::string& ip) const {
  int family;
  std::array<uint8_t, 16> addr;
  if (!ParseAddress(ip, &family, &addr)) return false;
  for (const Network& n : networks_) {
    if (n.family != family) continue;
    const int whole = n.bits / 8, rest = n.bits % 8;
    if (std::memcmp(addr.data(), n.prefix.data(), whole) != 0) continue;
    if (rest != 0) {
      const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      if ((addr[whole] & mask) != (n.prefix[whole] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::optional<std::string> FirstAssertedIdentity(const std::string& value) {
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (auto lt = part.find('<'); lt != absl::string_view::npos) {
      auto gt = part.find('>', lt);
      if (gt == absl::string_view::npos) continue;
      part = part.substr(lt + 1, gt - lt - 1);
    } else if (auto semi = part.find(';'); semi != absl::string_view::npos) {
      part = part.substr(0, semi);  // name-addr without brackets cannot carry parameters
    }
    if ((absl::StartsWith(part, "sip:") || absl::StartsWith(part, "sips:") ||
         absl::StartsWith(part, "tel:")) &&
        UriCharacters(part)) {
      return std::string(part);
    }
  }
  return std::nullopt;
}

}  // namespace p2pims::sip_edge
