#include "lib/sip/digest.h"

#include <openssl/evp.h>
#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace p2pims::sip {
namespace {

std::string HexHash(DigestAlgorithm a, std::string_view text) {
  if (a == DigestAlgorithm::kSha256) {
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    std::string hex(2 * sizeof out, '\0');
    sodium_bin2hex(hex.data(), hex.size() + 1, out, sizeof out);
    return hex;
  }
  // MD5 only for digest interoperability (RFC 8760 keeps it for older clients).
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), out, &n, EVP_md5(), nullptr);
  std::string hex(2 * n, '\0');
  sodium_bin2hex(hex.data(), hex.size() + 1, out, n);
  return hex;
}

// The parts joined with ':' (Debian's absl::StrCat does not take std::string_view).
std::string Colons(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) out.push_back(':');
    out.append(p);
    first = false;
  }
  return out;
}

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

std::optional<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name) {
  if (name.empty() || absl::EqualsIgnoreCase(Absl(name), "MD5")) return DigestAlgorithm::kMd5;
  if (absl::EqualsIgnoreCase(Absl(name), "SHA-256")) return DigestAlgorithm::kSha256;
  return std::nullopt;
}

const char* DigestAlgorithmName(DigestAlgorithm a) {
  return a == DigestAlgorithm::kSha256 ? "SHA-256" : "MD5";
}

std::string DigestHa1(DigestAlgorithm a, std::string_view username, std::string_view realm,
                      std::string_view password) {
  return HexHash(a, Colons({username, realm, password}));
}

std::string DigestResponse(DigestAlgorithm a, std::string_view ha1, std::string_view nonce,
                           std::string_view nc, std::string_view cnonce, std::string_view qop,
                           std::string_view method, std::string_view uri) {
  const std::string ha2 = HexHash(a, Colons({method, uri}));
  return HexHash(a, Colons({ha1, nonce, nc, cnonce, qop, ha2}));
}

std::optional<DigestAuthorization> ParseDigestAuthorization(std::string_view value) {
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(Absl(value));
  if (rest.size() < 7 || !absl::EqualsIgnoreCase(rest.substr(0, 6), "Digest") ||
      !absl::ascii_isspace(static_cast<unsigned char>(rest[6]))) {
    return std::nullopt;
  }
  rest.remove_prefix(7);
  DigestAuthorization a;
  while (true) {
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (rest.empty()) break;
    const size_t eq = rest.find('=');
    if (eq == absl::string_view::npos) return std::nullopt;
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(rest.substr(0, eq)));
    rest = absl::StripLeadingAsciiWhitespace(rest.substr(eq + 1));
    std::string v;
    if (!rest.empty() && rest[0] == '"') {
      size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;  // quoted-pair
        v.push_back(rest[i]);
      }
      if (i >= rest.size()) return std::nullopt;  // unterminated
      rest.remove_prefix(i + 1);
    } else {
      const size_t end = rest.find(',');
      v = std::string(absl::StripAsciiWhitespace(rest.substr(0, end)));
      rest = end == absl::string_view::npos ? absl::string_view() : rest.substr(end);
    }
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (!rest.empty()) {
      if (rest[0] != ',') return std::nullopt;
      rest.remove_prefix(1);
    }
    if (name == "username") a.username = v;
    else if (name == "realm") a.realm = v;
    else if (name == "nonce") a.nonce = v;
    else if (name == "uri") a.uri = v;
    else if (name == "response") a.response = absl::AsciiStrToLower(v);
    else if (name == "algorithm") a.algorithm = v;
    else if (name == "qop") a.qop = v;
    else if (name == "nc") a.nc = v;
    else if (name == "cnonce") a.cnonce = v;
    else if (name == "opaque") a.opaque = v;
  }
  if (a.username.empty() || a.nonce.empty() || a.response.empty() || a.uri.empty()) {
    return std::nullopt;
  }
  return a;
}

NonceSource::NonceSource(absl::Duration lifetime) : lifetime_(lifetime) {
  randombytes_buf(key_.data(), key_.size());
}

std::string NonceSource::Tag(int64_t issued_ms, std::string_view client) const {
  const std::string text = absl::StrCat(issued_ms, ":", Absl(client));
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                         key_.data());
  return absl::WebSafeBase64Escape(std::string(reinterpret_cast<char*>(mac), 18));
}

std::string NonceSource::Make(absl::Time now, std::string_view client) const {
  const int64_t issued = absl::ToUnixMillis(now);
  return absl::StrCat(issued, ".", Tag(issued, client));
}

NonceSource::Check NonceSource::Verify(std::string_view nonce, absl::Time now,
                                       std::string_view client) const {
  const size_t dot = nonce.find('.');
  int64_t issued = 0;
  const absl::string_view issued_text(nonce.data(), dot == std::string_view::npos ? 0 : dot);
  // Only the digits Make writes: SimpleAtoi also takes "+", leading zeros and blanks, which made
  // one nonce valid under many spellings (found by digest_fuzz).
  if (dot == std::string_view::npos || !absl::SimpleAtoi(issued_text, &issued) ||
      absl::StrCat(issued) != issued_text) {
    return Check::kForged;
  }
  const std::string want = Tag(issued, client);
  const std::string_view got = nonce.substr(dot + 1);
  if (got.size() != want.size() || sodium_memcmp(got.data(), want.data(), want.size()) != 0) {
    return Check::kForged;
  }
  const absl::Time at = absl::FromUnixMillis(issued);
  if (at > now + absl::Seconds(5) || now - at > lifetime_) return Check::kStale;
  return Check::kValid;
}

}  // namespace p2pims::sip
