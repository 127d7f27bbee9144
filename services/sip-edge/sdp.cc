#include "services/sip-edge/sdp.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/encoding/encoding.h"

namespace p2pims::sip_edge {

std::optional<SdpOffer> ParseSdpOffer(const std::string& body, std::string* why) {
  SdpOffer offer;
  bool version = false, origin = false, name = false;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=') {
      *why = "SDP line without type=value";
      return std::nullopt;
    }
    // SDP never holds NUL or CR inside a line (RFC 4566 section 5), and the m-lines come back
    // in the answer: they must not add lines to it (sdp_fuzz found NULs reflected).
    if (line.find_first_of(absl::string_view("\0\r", 2)) != absl::string_view::npos) {
      *why = "SDP line with a NUL or CR";
      return std::nullopt;
    }
    const absl::string_view value = line.substr(2);
    switch (line[0]) {
      case 'v':
        version = value == "0";
        break;
      case 'o':
        origin = true;
        break;
      case 's':
        name = true;
        break;
      case 'm': {
        // <media> <port> <proto> <fmt> ...
        std::vector<absl::string_view> f = absl::StrSplit(value, ' ', absl::SkipEmpty());
        if (f.size() < 4) {
          *why = "m-line needs media, port, protocol and a format";
          return std::nullopt;
        }
        if (std::any_of(value.begin(), value.end(),
                        [](char c) { return static_cast<unsigned char>(c) < ' ' || c == 0x7f; })) {
          *why = "m-line with a control character";
          return std::nullopt;
        }
        offer.media.emplace_back(value);
        break;
      }
      case 'a': {
        absl::string_view attribute = value;
        if (absl::ConsumePrefix(&attribute, "file-selector:")) {
          offer.file_selectors.emplace_back(attribute);
        }
        break;
      }
      default:
        break;
    }
  }
  if (!version || !origin || !name) {
    *why = "SDP needs v=0, o= and s= lines";
    return std::nullopt;
  }
  if (offer.media.empty()) {
    *why = "SDP offer without an m-line";
    return std::nullopt;
  }
  return offer;
}

std::string DeclineAll(const SdpOffer& offer, const std::string& session_id) {
  std::string out = absl::StrCat("v=0\r\no=p2pims 0 0 IN IP4 0.0.0.0\r\ns=", session_id,
                                 "\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n");
  for (const std::string& m : offer.media) {
    // The same media, protocol and formats, on port 0: declined.
    std::vector<absl::string_view> f = absl::StrSplit(m, ' ', absl::SkipEmpty());
    absl::StrAppend(&out, "m=", f[0], " 0");
    for (size_t i = 2; i < f.size(); ++i) absl::StrAppend(&out, " ", f[i]);
    absl::StrAppend(&out, "\r\n");
  }
  return out;
}

Multipart MultipartMixed(const std::vector<std::pair<std::string, std::string>>& parts) {
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  const std::string boundary = "p2pims-" + Hex({reinterpret_cast<const char*>(raw), sizeof raw});
  Multipart m{absl::StrCat("multipart/mixed;boundary=", boundary), ""};
  for (const auto& [type, body] : parts) {
    absl::StrAppend(&m.body, "--", boundary, "\r\nContent-Type: ", type, "\r\n\r\n", body, "\r\n");
  }
  absl::StrAppend(&m.body, "--", boundary, "--\r\n");
  return m;
}

}  // namespace p2pims::sip_edge
