// Compact binary encoding of token claims (version 1), small enough that a signed token fits a
// URL path and a BEP 41 option:
//   u8 version=1 | str kid | str subject | info_hash[20] | str session_id | str locality |
//   u8 role | u8 caps | u8 rate_class | u32be issued_at | u32be expires_at | token_id[16]
// where str is a u8 length and that many bytes.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/token/claims.h"

namespace p2pims::token {

// InvalidArgument when a string field is longer than 255 bytes.
absl::StatusOr<std::string> EncodeClaims(const Claims& claims);
// InvalidArgument when `bytes` is not exactly one version-1 claims encoding.
absl::StatusOr<Claims> DecodeClaims(std::string_view bytes);

}  // namespace p2pims::token
