// Fuzz target for the SDP offers of content INVITEs (sdp.h), RFC 5547 file-selector included.
// Invariants: an accepted offer has v=0, o=, s= and m-lines of at least four fields, and its
// file selectors come from a=file-selector lines; the answer that declines it is itself a valid
// offer with the same m-lines on port 0 (same media and formats), and holds no control
// character but its CRLF line ends (nothing of the offer can add a line to the answer).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "lib/fuzzing/fuzz_check.h"
#include "services/sip-edge/sdp.h"

namespace p2pims::sip_edge {
namespace {

std::vector<std::string> Fields(const std::string& m) {
  return absl::StrSplit(m, ' ', absl::SkipEmpty());
}

void CleanLines(const std::string& sdp) {
  for (size_t i = 0; i < sdp.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(sdp[i]);
    if (c == '\r') {
      FUZZ_CHECK(i + 1 < sdp.size() && sdp[i + 1] == '\n');
      ++i;
      continue;
    }
    FUZZ_CHECK(c >= 0x20 && c != 0x7f);
  }
}

}  // namespace
}  // namespace p2pims::sip_edge

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims::sip_edge;
  const std::string body(reinterpret_cast<const char*>(data), size);
  std::string why;
  const std::optional<SdpOffer> offer = ParseSdpOffer(body, &why);
  if (!offer) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  FUZZ_CHECK(!offer->media.empty());
  for (const std::string& m : offer->media) FUZZ_CHECK(Fields(m).size() >= 4);
  for (const std::string& f : offer->file_selectors) {
    FUZZ_CHECK(body.find("a=file-selector:" + f) != std::string::npos);
  }
  const std::string answer = DeclineAll(*offer, "session-1");
  CleanLines(answer);
  std::string answer_why;
  const std::optional<SdpOffer> back = ParseSdpOffer(answer, &answer_why);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->media.size() == offer->media.size());
  FUZZ_CHECK(back->file_selectors.empty());
  for (size_t i = 0; i < offer->media.size(); ++i) {
    std::vector<std::string> asked = Fields(offer->media[i]), declined = Fields(back->media[i]);
    FUZZ_CHECK(declined.size() == asked.size() && declined[1] == "0");
    for (size_t j = 0; j < asked.size(); ++j) FUZZ_CHECK(j == 1 || declined[j] == asked[j]);
  }
  return 0;
}
