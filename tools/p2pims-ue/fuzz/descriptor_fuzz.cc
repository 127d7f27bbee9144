// Fuzz target for the session descriptor (docs/session-descriptor.md): the terminal's reader
// (tools/p2pims-ue/descriptor.h) on what arrives in a 200 OK, against sip-edge's writer
// (services/sip-edge/descriptor.h).
// Invariants:
//   - a descriptor the terminal accepts has a 20-byte info-hash and announce URLs, and written by
//     sip-edge reads back the same (strings as UTF-8, which is all sip-edge writes);
//   - whatever sip-edge writes (pieces of the input as its fields, a content name from a torrent
//     may hold any bytes) the terminal reads back field for field.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "lib/encoding/encoding.h"
#include "lib/fuzzing/fuzz_check.h"
#include "services/sip-edge/descriptor.h"
#include "tools/p2pims-ue/descriptor.h"

namespace p2pims {
namespace {

constexpr char kType[] = "application/vnd.p2pims.session+json";

sip_edge::SessionDescriptor AsSipEdgeWrites(const ue::Descriptor& d) {
  sip_edge::SessionDescriptor s;
  s.session_id = d.session_id;
  s.content_id = d.content_id;
  s.info_hash = d.info_hash;
  s.name = d.name;
  s.size_bytes = d.size;
  s.token = d.token;
  s.announce_urls = d.announce;
  s.metainfo = d.metainfo;
  s.progress_uri = d.progress;
  return s;
}

void CheckReadsBack(const sip_edge::SessionDescriptor& s) {
  absl::StatusOr<ue::Descriptor> d = ue::ParseDescriptor(kType, sip_edge::RenderDescriptor(s));
  FUZZ_CHECK(d.ok());
  FUZZ_CHECK(d->session_id == SanitizeUtf8(s.session_id) && d->token == SanitizeUtf8(s.token));
  FUZZ_CHECK(d->content_id == SanitizeUtf8(s.content_id) && d->name == SanitizeUtf8(s.name));
  FUZZ_CHECK(d->progress == SanitizeUtf8(s.progress_uri));
  FUZZ_CHECK(d->info_hash == s.info_hash && d->size == s.size_bytes && d->metainfo == s.metainfo);
  FUZZ_CHECK(d->announce.size() == s.announce_urls.size());
  for (size_t i = 0; i < d->announce.size(); ++i) {
    FUZZ_CHECK(d->announce[i] == SanitizeUtf8(s.announce_urls[i]));
  }
}

void Reader(const std::string& body) {
  absl::StatusOr<ue::Descriptor> d = ue::ParseDescriptor(kType, body);
  if (!d.ok()) {
    FUZZ_CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(d->info_hash.size() == 20 && !d->announce.empty());
  CheckReadsBack(AsSipEdgeWrites(*d));
}

void Writer(std::string_view input) {
  std::vector<std::string> p =
      absl::StrSplit(absl::string_view(input.data(), input.size()), '\x01');
  p.resize(std::max<size_t>(p.size(), 9));
  sip_edge::SessionDescriptor s;
  s.session_id = p[0];
  s.icid = p[1];
  s.content_id = p[2];
  s.name = p[3];
  s.token = p[4];
  s.progress_uri = p[5];
  s.metainfo = p[6];
  s.info_hash = (p[7] + std::string(20, 'h')).substr(0, 20);
  s.size_bytes = static_cast<int64_t>(input.size()) * 1'000'003 - 7;
  for (size_t i = 8; i < p.size(); ++i) s.announce_urls.push_back(p[i]);
  CheckReadsBack(s);
}

}  // namespace
}  // namespace p2pims

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  p2pims::Reader(input);
  p2pims::Writer(input);
  return 0;
}
