// Fuzz target for lib/encoding: the base64url inside every token, the hex of ids and hashes, and
// the UTF-8 cleaning of names from torrents and headers.
// Invariants: a decoding re-encodes to exactly the input (one spelling per byte string, so a
// token cannot be rewritten into another string that decodes the same); SanitizeUtf8 returns
// valid UTF-8, leaves valid UTF-8 alone and is idempotent.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "lib/encoding/encoding.h"
#include "lib/fuzzing/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (std::optional<std::string> bytes = Base64UrlDecode(input)) {
    FUZZ_CHECK(Base64UrlEncode(*bytes) == input);
  }
  FUZZ_CHECK(Base64UrlDecode(Base64UrlEncode(input)) == std::string(input));

  if (std::optional<std::string> bytes = Unhex(input)) {
    FUZZ_CHECK(bytes->size() * 2 == input.size());
    FUZZ_CHECK(Hex(*bytes) == absl::AsciiStrToLower(absl::string_view(input.data(), input.size())));
  }
  FUZZ_CHECK(Unhex(Hex(input)) == std::string(input));

  const std::string clean = SanitizeUtf8(input);
  FUZZ_CHECK(SanitizeUtf8(clean) == clean);
  // Every byte left out was replaced by U+FFFD (3 bytes), so the output is never shorter.
  FUZZ_CHECK(clean.size() >= input.size());
  const bool valid = clean == input;
  if (!valid) FUZZ_CHECK(clean.find("\xEF\xBF\xBD") != std::string::npos);
  return 0;
}
