// Fuzz target for the HTTP tracker request parsers (announce_request.h): ParseRequestLine, then
// ParseTarget and ParseAnnounceQuery or ParseScrapeQuery on what it yields; and each of them on
// the raw input too, so that the fuzzer reaches the query parsers without first having to find
// a valid request line. Run twice: with the default limits and with tight ones.
// Invariants: every refusal is InvalidArgument with a message; results point into the input
// and stay within the limits; the replies built from them (announce, scrape, and a failure from
// each refusal) are valid bencoding that says what was put in.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/tracker/announce_request.h"
#include "services/tracker/announce_response.h"
#include "services/tracker/bencode.h"
#include "lib/fuzzing/fuzz_check.h"

namespace p2pims::tracker {
namespace {

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// A refusal: well-formed, and its failure reply carries its message.
void CheckRefusal(const absl::Status& s) {
  FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  FUZZ_CHECK(!s.message().empty());
  std::string body;
  const std::string_view reason(s.message().data(), s.message().size());
  AppendFailureReply({.reason = reason}, &body);
  absl::StatusOr<bencode::Value> v = bencode::Parse(body);
  FUZZ_CHECK(v.ok());
  const bencode::Value* r = v->Find("failure reason");
  FUZZ_CHECK(r != nullptr && r->string == reason);
}

void CheckAnnounce(std::string_view token, std::string_view query, const RequestLimits& limits) {
  const PeerAddress remote = PeerAddress::V4({192, 0, 2, 1});
  absl::StatusOr<AnnounceRequest> a = ParseAnnounceQuery(token, query, remote, limits);
  if (!a.ok()) return CheckRefusal(a.status());
  FUZZ_CHECK(a->token == token);
  FUZZ_CHECK(a->peer.address == remote);
  FUZZ_CHECK(a->peer.port >= 1);
  FUZZ_CHECK(a->uploaded >= 0 && a->downloaded >= 0 && a->left >= 0);
  FUZZ_CHECK(a->numwant >= 0 && a->numwant <= limits.max_numwant);
  FUZZ_CHECK(a->key.size() <= limits.max_key);
  FUZZ_CHECK(a->tracker_id.size() <= limits.max_tracker_id);
  FUZZ_CHECK(a->ipv6_hint.size() <= limits.max_ipv6_hint && Within(a->ipv6_hint, query));

  // The reply to this peer, given itself as a peer: valid bencoding with its 6 bytes.
  const PeerEndpoint peers[] = {a->peer};
  AnnounceReply reply;
  reply.peers = peers;
  reply.tracker_id = a->tracker_id;
  std::string body;
  AppendAnnounceReply(reply, &body);
  absl::StatusOr<bencode::Value> v = bencode::Parse(body);
  FUZZ_CHECK(v.ok());
  const bencode::Value* p = v->Find("peers");
  FUZZ_CHECK(p != nullptr && p->string.size() == 6);
  const bencode::Value* id = v->Find("tracker id");
  FUZZ_CHECK(a->tracker_id.empty() ? id == nullptr : id != nullptr && id->string == a->tracker_id);
}

void CheckScrape(std::string_view token, std::string_view query, const RequestLimits& limits) {
  absl::StatusOr<ScrapeRequest> s = ParseScrapeQuery(token, query, limits);
  if (!s.ok()) return CheckRefusal(s.status());
  FUZZ_CHECK(s->token == token);
  FUZZ_CHECK(!s->info_hashes.empty() && s->info_hashes.size() <= limits.max_scrape_hashes);
  std::vector<ScrapeEntry> entries;
  for (const InfoHash& h : s->info_hashes) entries.push_back({.info_hash = h, .complete = 1});
  std::string body;
  AppendScrapeReply(entries, &body);
  absl::StatusOr<bencode::Value> v = bencode::Parse(body);
  FUZZ_CHECK(v.ok());
  const bencode::Value* files = v->Find("files");
  FUZZ_CHECK(files != nullptr && files->type == bencode::Value::Type::kDict);
  FUZZ_CHECK(!files->items.empty() && files->items.size() <= entries.size());
  for (const InfoHash& h : s->info_hashes) FUZZ_CHECK(files->Find(AsView(h)) != nullptr);
}

void CheckTarget(std::string_view target, const RequestLimits& limits) {
  absl::StatusOr<TrackerTarget> t = ParseTarget(target, limits);
  if (!t.ok()) return CheckRefusal(t.status());
  FUZZ_CHECK(Within(t->token, target) && Within(t->query, target));
  FUZZ_CHECK(ValidateToken(t->token, limits).ok());
  if (t->endpoint == TrackerEndpoint::kAnnounce) {
    CheckAnnounce(t->token, t->query, limits);
  } else {
    CheckScrape(t->token, t->query, limits);
  }
}

void CheckAll(std::string_view input, const RequestLimits& limits) {
  absl::StatusOr<RequestLine> line = ParseRequestLine(input, limits);
  if (line.ok()) {
    FUZZ_CHECK(input.size() <= limits.max_request_line);
    FUZZ_CHECK(!line->target.empty() && Within(line->target, input));
    FUZZ_CHECK(line->http_minor == 0 || line->http_minor == 1);
    CheckTarget(line->target, limits);
  } else {
    CheckRefusal(line.status());
  }
  CheckTarget(input, limits);
  CheckAnnounce("tok", input, limits);
  CheckScrape("tok", input, limits);
}

}  // namespace
}  // namespace p2pims::tracker

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims::tracker;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckAll(input, RequestLimits{});
  RequestLimits tight;
  tight.max_request_line = 64;
  tight.max_token = 4;
  tight.max_key = 2;
  tight.max_tracker_id = 2;
  tight.max_ipv6_hint = 3;
  tight.default_numwant = 1;
  tight.max_numwant = 2;
  tight.max_scrape_hashes = 2;
  CheckAll(input, tight);
  return 0;
}
