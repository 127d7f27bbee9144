// The session descriptor in the 200 OK to a content INVITE (docs/session-descriptor.md), as the
// terminal reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace p2pims::ue {

struct Descriptor {
  std::string session_id, content_id, name, token, progress;
  std::string info_hash;  // 20 raw bytes
  int64_t size = 0;
  std::vector<std::string> announce;  // tracker URLs, HTTP first
  std::string metainfo;               // raw bencoded .torrent; empty when the index has none
};

// InvalidArgument saying what is wrong: another media type, bad JSON, a missing field.
absl::StatusOr<Descriptor> ParseDescriptor(const std::string& content_type, const std::string& body);

}  // namespace p2pims::ue
