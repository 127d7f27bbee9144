// Fuzz target for SIP digest (digest.h): the Authorization header a direct client sends to
// sip-edge, and the nonce inside it.
// Invariants:
//   - a parsed Authorization has username, nonce, uri and a lower-case response, and written back
//     (every value quoted, '"' and '\' escaped) parses to the same parameters;
//   - a nonce verifies (valid or stale) only when it is exactly one NonceSource::Make wrote: the
//     input is tried as the time part of a nonce whose tag is genuine for a fixed time.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "lib/fuzzing/fuzz_check.h"
#include "lib/sip/digest.h"

namespace p2pims::sip {
namespace {

void AppendParam(std::string& out, std::string_view name, std::string_view value) {
  out += out.empty() ? "Digest " : ", ";
  out += name;
  out += "=\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

bool Same(const DigestAuthorization& a, const DigestAuthorization& b) {
  return a.username == b.username && a.realm == b.realm && a.nonce == b.nonce && a.uri == b.uri &&
         a.response == b.response && a.algorithm == b.algorithm && a.qop == b.qop &&
         a.nc == b.nc && a.cnonce == b.cnonce && a.opaque == b.opaque;
}

void Authorization(std::string_view input) {
  std::optional<DigestAuthorization> a = ParseDigestAuthorization(input);
  if (!a) return;
  FUZZ_CHECK(!a->username.empty() && !a->nonce.empty() && !a->uri.empty() &&
             !a->response.empty());
  FUZZ_CHECK(a->response == absl::AsciiStrToLower(a->response));
  std::string written;
  AppendParam(written, "username", a->username);
  AppendParam(written, "realm", a->realm);
  AppendParam(written, "nonce", a->nonce);
  AppendParam(written, "uri", a->uri);
  AppendParam(written, "response", a->response);
  AppendParam(written, "algorithm", a->algorithm);
  AppendParam(written, "qop", a->qop);
  AppendParam(written, "nc", a->nc);
  AppendParam(written, "cnonce", a->cnonce);
  AppendParam(written, "opaque", a->opaque);
  std::optional<DigestAuthorization> back = ParseDigestAuthorization(written);
  FUZZ_CHECK(back && Same(*a, *back));
}

void Nonce(std::string_view input) {
  static const NonceSource nonces(absl::Minutes(5));
  const absl::Time issued = absl::FromUnixMillis(1'700'000'000'000);
  const std::string genuine = nonces.Make(issued, "192.0.2.7");
  const size_t dot = genuine.find('.');
  FUZZ_CHECK(dot != std::string::npos);
  FUZZ_CHECK(nonces.Verify(genuine, issued, "192.0.2.7") == NonceSource::Check::kValid);
  FUZZ_CHECK(nonces.Verify(genuine, issued, "192.0.2.8") == NonceSource::Check::kForged);
  const std::string candidate = std::string(input) + genuine.substr(dot);
  if (nonces.Verify(candidate, issued, "192.0.2.7") != NonceSource::Check::kForged) {
    FUZZ_CHECK(candidate == genuine);
  }
  if (nonces.Verify(input, issued, "192.0.2.7") != NonceSource::Check::kForged) {
    FUZZ_CHECK(input == genuine);
  }
}

}  // namespace
}  // namespace p2pims::sip

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  p2pims::sip::Authorization(input);
  p2pims::sip::Nonce(input);
  return 0;
}
