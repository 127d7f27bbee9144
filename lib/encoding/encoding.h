// Byte encodings used across services: base64url without padding (RFC 4648 §5; tokens travel in
// URL paths and BEP 41 options) and hex (info-hashes, ids, PostgreSQL bytea via encode/decode).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2pims {

std::string Base64UrlEncode(std::string_view bytes);
// nullopt when `text` is not unpadded base64url.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// `text` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD, so that
// names from torrents or headers are safe in JSON and the Prometheus format.
std::string SanitizeUtf8(std::string_view text);

// Lower-case hex, for logs and ids.
std::string Hex(std::string_view bytes);
// nullopt when `text` has odd length or a non-hex character; either case accepted.
std::optional<std::string> Unhex(std::string_view text);

}  // namespace p2pims
