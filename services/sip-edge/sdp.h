// SDP in content INVITEs (RFC 4566, RFC 3264). The content travels over BitTorrent, not over
// media the INVITE negotiates, so sip-edge answers an offer by declining every stream (port 0,
// the same number of m-lines, as RFC 3264 §6 asks) and carries the session descriptor beside the
// answer in a multipart/mixed body. An RFC 5547 file-transfer offer (a=file-selector) is
// answered the same way: the file comes through the swarm.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace p2pims::sip_edge {

struct SdpOffer {
  std::vector<std::string> media;           // the m-lines, without "m="
  std::vector<std::string> file_selectors;  // a=file-selector values, when present
};

// nullopt with `why` set when the body is not a usable offer (no v=0, no o= or s= line, no
// m-line, or a malformed m-line).
std::optional<SdpOffer> ParseSdpOffer(const std::string& body, std::string* why);

// The answer declining every offered stream; `session_id` names it in the o= line.
std::string DeclineAll(const SdpOffer& offer, const std::string& session_id);

// A multipart/mixed body (RFC 2046) of (content type, body) parts, and its Content-Type value.
struct Multipart {
  std::string content_type;
  std::string body;
};
Multipart MultipartMixed(const std::vector<std::pair<std::string, std::string>>& parts);

}  // namespace p2pims::sip_edge
