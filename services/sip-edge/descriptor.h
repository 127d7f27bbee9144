// The session descriptor sip-edge returns in the 200 OK to an INVITE, media type
// application/vnd.p2pims.session+json (documented in docs/session-descriptor.md):
//   {"version":1,"session_id":"...","icid":"...","content_id":"...","info_hash":"<hex>",
//    "name":"...","size":123,"token":"...","expires_at":1764000000,
//    "announce":["http://...","udp://..."],"progress":"sip:<session-id>@<domain>",
//    "metainfo":"<base64url>"}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace p2pims::sip_edge {

inline constexpr char kDescriptorType[] = "application/vnd.p2pims.session+json";

struct SessionDescriptor {
  std::string session_id;
  std::string icid;
  std::string content_id;
  std::string info_hash;  // raw 20 bytes
  std::string name;
  int64_t size_bytes = 0;
  std::string token;
  int64_t expires_at = 0;
  std::vector<std::string> announce_urls;
  std::string metainfo;  // raw bencoded bytes, may be empty
  std::string progress_uri;  // where to SUBSCRIBE to the session's progress (progress.h)
};

std::string RenderDescriptor(const SessionDescriptor& d);

}  // namespace p2pims::sip_edge
