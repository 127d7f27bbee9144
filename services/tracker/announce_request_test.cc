#include "services/tracker/announce_request.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/status/status_testing.h"

namespace p2pims::tracker {
namespace {

const PeerAddress kRemote = PeerAddress::V4({10, 1, 2, 3});

// 20 bytes that exercise escaping: NUL, '%', '&', '=', '+', high bytes and plain letters.
const std::string kHashBytes = std::string("\x00\x25\x26\x3d\x2b\xff\x80 abcdefghijkl", 20);
const std::string kHashEncoded = "%00%25%26%3d%2B%ff%80%20abcdefghijkl";
const std::string kPeerIdEncoded = "-TR3000-abcdefghijkl";  // 20 unreserved bytes

std::string Query(const std::string& extra = "") {
  return absl::StrCat("info_hash=", kHashEncoded, "&peer_id=", kPeerIdEncoded,
                      "&port=6881&uploaded=0&downloaded=0&left=1000", extra);
}

absl::StatusOr<AnnounceRequest> Announce(std::string_view query, RequestLimits limits = {}) {
  return ParseAnnounceQuery("tok", query, kRemote, limits);
}

// The refusal's message; fails the test when the query is accepted.
std::string AnnounceRefusal(std::string_view query, RequestLimits limits = {}) {
  absl::StatusOr<AnnounceRequest> r = Announce(query, limits);
  EXPECT_FALSE(r.ok()) << "accepted: " << query;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(r.status().message().empty());
  return std::string(r.status().message());
}

// ---- request line ----

TEST(RequestLine, AcceptsGetWithHttp11And10) {
  absl::StatusOr<RequestLine> l = ParseRequestLine("GET /a/t/announce?x=1 HTTP/1.1", {});
  ASSERT_OK(l.status());
  EXPECT_EQ(l->target, "/a/t/announce?x=1");
  EXPECT_EQ(l->http_minor, 1);
  l = ParseRequestLine("GET /a/t/scrape HTTP/1.0", {});
  ASSERT_OK(l.status());
  EXPECT_EQ(l->http_minor, 0);
}

TEST(RequestLine, RefusesOtherMethods) {
  EXPECT_EQ(ParseRequestLine("POST /a/t/announce HTTP/1.1", {}).status().message(),
            "only GET is supported");
}

TEST(RequestLine, RefusesOtherVersions) {
  EXPECT_FALSE(ParseRequestLine("GET /a/t/announce HTTP/2.0", {}).ok());
  EXPECT_FALSE(ParseRequestLine("GET /a/t/announce http/1.1", {}).ok());
  EXPECT_FALSE(ParseRequestLine("GET /a/t/announce", {}).ok());
}

TEST(RequestLine, RefusesTruncatedLines) {
  const std::string full = "GET /a/t/announce HTTP/1.1";
  ASSERT_OK(ParseRequestLine(full, {}).status());
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(ParseRequestLine(full.substr(0, n), {}).ok()) << full.substr(0, n);
  }
}

TEST(RequestLine, RefusesExtraSpacesAndControlBytes) {
  EXPECT_FALSE(ParseRequestLine("GET  /a/t/announce HTTP/1.1", {}).ok());
  EXPECT_FALSE(ParseRequestLine("GET /a/t/ann ounce HTTP/1.1", {}).ok());
  EXPECT_FALSE(ParseRequestLine("GET /a/t/announce HTTP/1.1\r", {}).ok());
  EXPECT_FALSE(ParseRequestLine(std::string("GET /a/t/\0announce HTTP/1.1", 27), {}).ok());
  EXPECT_FALSE(ParseRequestLine("GET /a/t/\xc3\xa9 HTTP/1.1", {}).ok());
}

TEST(RequestLine, RefusesOversizedLineAtTheBound) {
  RequestLimits limits;
  const std::string head = "GET /a/t/announce?pad=";
  const std::string tail = " HTTP/1.1";
  std::string fits =
      head + std::string(limits.max_request_line - head.size() - tail.size(), 'x') + tail;
  ASSERT_EQ(fits.size(), limits.max_request_line);
  EXPECT_OK(ParseRequestLine(fits, limits).status());
  std::string over =
      head + std::string(limits.max_request_line - head.size() - tail.size() + 1, 'x') + tail;
  EXPECT_EQ(ParseRequestLine(over, limits).status().message(), "request line too long");
}

// ---- target ----

TEST(Target, SplitsAnnounceTokenAndQuery) {
  absl::StatusOr<TrackerTarget> t = ParseTarget("/a/eyJr-_.sig/announce?info_hash=x", {});
  ASSERT_OK(t.status());
  EXPECT_EQ(t->endpoint, TrackerEndpoint::kAnnounce);
  EXPECT_EQ(t->token, "eyJr-_.sig");
  EXPECT_EQ(t->query, "info_hash=x");
}

TEST(Target, SplitsScrapeWithoutQuery) {
  absl::StatusOr<TrackerTarget> t = ParseTarget("/a/tok/scrape", {});
  ASSERT_OK(t.status());
  EXPECT_EQ(t->endpoint, TrackerEndpoint::kScrape);
  EXPECT_EQ(t->query, "");
}

TEST(Target, RefusesUnknownPaths) {
  for (std::string_view path :
       {"/announce?x=1", "/a/tok", "/a/tok/", "/a/tok/announce/", "/a/tok/announcex",
        "/a/tok/Announce", "/b/tok/announce", "a/tok/announce", "/a/tok/x/announce", ""}) {
    EXPECT_FALSE(ParseTarget(path, {}).ok()) << path;
  }
}

TEST(Target, APlainTrackerUrlIsToldItNeedsAToken) {
  for (std::string_view path : {"/announce?info_hash=x", "/scrape"}) {
    EXPECT_EQ(ParseTarget(path, {}).status().message(),
              "this tracker needs an access token in the announce URL "
              "(http://host:port/a/<token>/announce)")
        << path;
  }
}

TEST(Target, RefusesEmptyToken) {
  EXPECT_EQ(ParseTarget("/a//announce", {}).status().message(), "missing token");
}

TEST(Target, RefusesTokenOutsideUrlSafeBase64) {
  for (std::string_view path :
       {"/a/to+k/announce", "/a/to%2Fk/announce", "/a/to=k/announce", "/a/to~k/announce"}) {
    EXPECT_EQ(ParseTarget(path, {}).status().message(), "malformed token") << path;
  }
}

TEST(Target, RefusesTokenBeyondItsBound) {
  RequestLimits limits;
  limits.max_token = 8;
  EXPECT_OK(ParseTarget("/a/12345678/announce", limits).status());
  EXPECT_EQ(ParseTarget("/a/123456789/announce", limits).status().message(), "token too long");
}

TEST(Target, RefusesFragmentsAndOversizedTargets) {
  EXPECT_FALSE(ParseTarget("/a/tok/announce?x=1#frag", {}).ok());
  RequestLimits limits;
  limits.max_request_line = 32;
  EXPECT_FALSE(ParseTarget("/a/tok/announce?" + std::string(32, 'x'), limits).ok());
}

// ---- announce ----

TEST(Announce, ParsesRequiredFields) {
  absl::StatusOr<AnnounceRequest> r = Announce(Query());
  ASSERT_OK(r.status());
  EXPECT_EQ(r->token, "tok");
  EXPECT_EQ(AsView(r->info_hash), kHashBytes);
  EXPECT_EQ(AsView(r->peer_id), kPeerIdEncoded);
  EXPECT_EQ(r->peer.port, 6881);
  EXPECT_EQ(r->peer.address, kRemote);
  EXPECT_EQ(r->uploaded, 0);
  EXPECT_EQ(r->downloaded, 0);
  EXPECT_EQ(r->left, 1000);
  EXPECT_EQ(r->event, AnnounceEvent::kNone);
  EXPECT_EQ(r->numwant, RequestLimits{}.default_numwant);
  EXPECT_TRUE(r->compact);
  EXPECT_FALSE(r->has_key);
  EXPECT_FALSE(r->has_tracker_id);
  EXPECT_EQ(r->ipv6_hint, "");
}

TEST(Announce, ParsesOptionalFields) {
  // The request keeps views into the query, so the query must outlive it.
  const std::string q = Query(
      "&event=completed&numwant=30&compact=0&key=A1%2Bb&trackerid=t%2D1"
      "&ipv6=%5B2001%3Adb8%3A%3A1%5D%3A6881");
  absl::StatusOr<AnnounceRequest> r = Announce(q);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->event, AnnounceEvent::kCompleted);
  EXPECT_EQ(r->numwant, 30);
  EXPECT_FALSE(r->compact);
  EXPECT_TRUE(r->has_key);
  EXPECT_EQ(r->key, "A1+b");
  EXPECT_TRUE(r->has_tracker_id);
  EXPECT_EQ(r->tracker_id, "t-1");
  EXPECT_EQ(r->ipv6_hint, "%5B2001%3Adb8%3A%3A1%5D%3A6881");
}

TEST(Announce, AcceptsParametersInAnyOrderAndIgnoresUnknownOnes) {
  const std::string q = absl::StrCat("left=5&supportcrypto=1&no_peer_id=1&downloaded=7&port=1",
                                     "&ip=192.0.2.1&uploaded=9&peer_id=", kPeerIdEncoded,
                                     "&info_hash=", kHashEncoded, "&corrupt=0");
  absl::StatusOr<AnnounceRequest> r = Announce(q);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->left, 5);
  EXPECT_EQ(r->downloaded, 7);
  EXPECT_EQ(r->uploaded, 9);
  EXPECT_EQ(r->peer.port, 1);
}

TEST(Announce, TakesTheAddressFromTheSocketNotFromIp) {
  absl::StatusOr<AnnounceRequest> r = Announce(Query("&ip=203.0.113.9"));
  ASSERT_OK(r.status());
  EXPECT_EQ(r->peer.address, kRemote);
}

TEST(Announce, KeepsAnIpv6Remote) {
  std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 1;
  absl::StatusOr<AnnounceRequest> r =
      ParseAnnounceQuery("tok", Query(), PeerAddress::V6(v6), RequestLimits{});
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->peer.address.v6);
  EXPECT_EQ(r->peer.address.bytes, v6);
}

TEST(PeerAddressTest, MapsIpv4MappedIpv6ToIpv4) {
  const PeerAddress mapped =
      PeerAddress::V6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7});
  EXPECT_FALSE(mapped.v6);
  EXPECT_EQ(mapped, PeerAddress::V4({192, 0, 2, 7}));
}

TEST(Announce, ParsesEveryEvent) {
  const std::pair<const char*, AnnounceEvent> cases[] = {
      {"", AnnounceEvent::kNone},
      {"started", AnnounceEvent::kStarted},
      {"completed", AnnounceEvent::kCompleted},
      {"stopped", AnnounceEvent::kStopped},
      {"paused", AnnounceEvent::kPaused},
  };
  for (const auto& [text, event] : cases) {
    absl::StatusOr<AnnounceRequest> r = Announce(Query(absl::StrCat("&event=", text)));
    ASSERT_OK(r.status());
    EXPECT_EQ(r->event, event) << text;
  }
}

TEST(Announce, RefusesUnknownEvent) {
  EXPECT_EQ(AnnounceRefusal(Query("&event=begun")), "unknown event");
  EXPECT_EQ(AnnounceRefusal(Query("&event=STARTED")), "unknown event");
  EXPECT_EQ(AnnounceRefusal(Query("&event=started_and_a_very_long_tail")), "unknown event");
}

TEST(Announce, AcceptsLargestCounters) {
  absl::StatusOr<AnnounceRequest> r = ParseAnnounceQuery(
      "tok",
      absl::StrCat("info_hash=", kHashEncoded, "&peer_id=", kPeerIdEncoded,
                   "&port=65535&uploaded=9223372036854775807&downloaded=00000000000000000000042"
                   "&left=0"),
      kRemote, {});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->uploaded, 9223372036854775807);
  EXPECT_EQ(r->peer.port, 65535);
  EXPECT_EQ(r->left, 0);
}

TEST(Announce, RefusesNegativeCounters) {
  for (const char* name : {"uploaded", "downloaded", "left"}) {
    std::string q = Query();
    const std::string field = absl::StrCat(name, "=");
    const size_t at = q.find(field) + field.size();
    q.insert(at, "-");
    EXPECT_EQ(AnnounceRefusal(q), absl::StrCat(name, " must not be negative"));
  }
}

TEST(Announce, RefusesOverflowingCounters) {
  const std::string base = absl::StrCat("info_hash=", kHashEncoded, "&peer_id=", kPeerIdEncoded,
                                        "&port=1&uploaded=0&downloaded=0");
  EXPECT_EQ(AnnounceRefusal(base + "&left=9223372036854775808"), "left is out of range");
  EXPECT_EQ(AnnounceRefusal(base + "&left=18446744073709551616"), "left is out of range");
  EXPECT_EQ(AnnounceRefusal(base + "&left=" + std::string(200, '9')), "left is out of range");
}

TEST(Announce, RefusesNonDecimalCounters) {
  const std::string base = absl::StrCat("info_hash=", kHashEncoded, "&peer_id=", kPeerIdEncoded,
                                        "&port=1&uploaded=0&downloaded=0");
  for (const char* left : {"", "+1", "1e3", "0x10", "1.5", "%201", "abc"}) {
    EXPECT_EQ(AnnounceRefusal(absl::StrCat(base, "&left=", left)), "left must be a decimal integer")
        << left;
  }
  EXPECT_EQ(AnnounceRefusal(base + "&left"), "left must be a decimal integer");
}

TEST(Announce, RefusesPortsOutOfRange) {
  for (const char* port : {"0", "65536", "-1", "99999999999999999999999", "", "x", "80a"}) {
    std::string q = Query();
    q.replace(q.find("port=6881"), 9, absl::StrCat("port=", port));
    EXPECT_EQ(AnnounceRefusal(q), "port must be 1..65535") << port;
  }
}

TEST(Announce, RefusesWrongInfoHashLength) {
  const std::string rest =
      absl::StrCat("&peer_id=", kPeerIdEncoded, "&port=1&uploaded=0&downloaded=0&left=0");
  for (const char* hash :
       {"", "abcdefghijklmnopqrs", "abcdefghijklmnopqrstu", "%00%00%00", "abcdefghijklmnopqrs%0"}) {
    const std::string message = AnnounceRefusal(absl::StrCat("info_hash=", hash, rest));
    EXPECT_TRUE(message == "info_hash must be 20 bytes" ||
                message == "bad percent-encoding in info_hash")
        << hash << ": " << message;
  }
  EXPECT_EQ(AnnounceRefusal(absl::StrCat("info_hash=abcdefghijklmnopqrstu", rest)),
            "info_hash must be 20 bytes");
  // 60 raw characters that decode to 20 bytes are fine; 63 that decode to 21 are not.
  std::string exact;
  for (int i = 0; i < 20; ++i) exact += "%41";
  EXPECT_OK(Announce(absl::StrCat("info_hash=", exact, rest)).status());
  std::string over;
  for (int i = 0; i < 21; ++i) over += "%41";
  EXPECT_EQ(AnnounceRefusal(absl::StrCat("info_hash=", over, rest)), "info_hash must be 20 bytes");
}

TEST(Announce, RefusesWrongPeerIdLength) {
  const std::string base =
      absl::StrCat("info_hash=", kHashEncoded, "&port=1&uploaded=0&downloaded=0&left=0");
  EXPECT_EQ(AnnounceRefusal(base + "&peer_id=short"), "peer_id must be 20 bytes");
  EXPECT_EQ(AnnounceRefusal(base + "&peer_id=" + std::string(21, 'p')), "peer_id must be 20 bytes");
  EXPECT_EQ(AnnounceRefusal(base + "&peer_id="), "peer_id must be 20 bytes");
}

TEST(Announce, RefusesBadPercentEncoding) {
  const std::string rest =
      absl::StrCat("&peer_id=", kPeerIdEncoded, "&port=1&uploaded=0&downloaded=0&left=0");
  for (const char* bad : {"%", "%4", "%G1", "%1G", "%%41", "%-1", "% 1"}) {
    // 'x' is no hex digit, so it never completes a truncated escape.
    const std::string q = absl::StrCat("info_hash=xxxxxxxxx", bad, "xxxxxxxxxx", rest);
    EXPECT_EQ(AnnounceRefusal(q), "bad percent-encoding in info_hash") << bad;
    // At the very end of the query too.
    EXPECT_EQ(AnnounceRefusal(absl::StrCat(rest.substr(1), "&info_hash=xxxxxxxxx", bad)),
              "bad percent-encoding in info_hash")
        << bad;
  }
  EXPECT_EQ(AnnounceRefusal(Query("&key=%zz")), "bad percent-encoding in key");
  EXPECT_EQ(AnnounceRefusal(Query("&trackerid=%")), "bad percent-encoding in trackerid");
  EXPECT_EQ(AnnounceRefusal(Query("&event=%7")), "bad percent-encoding in event");
  EXPECT_EQ(AnnounceRefusal(Query("&ipv6=%fg")), "bad percent-encoding in ipv6");
  EXPECT_EQ(AnnounceRefusal(Query("&uploaded2=%")), "bad percent-encoding in the query");
  EXPECT_EQ(AnnounceRefusal(Query("&%zz=1")), "bad percent-encoding in a query key");
  EXPECT_EQ(AnnounceRefusal(Query("&left%=1")), "bad percent-encoding in a query key");
}

TEST(Announce, RefusesBadPercentEncodingInCounters) {
  std::string q = Query();
  q.replace(q.find("left=1000"), 9, "left=1%0");
  EXPECT_EQ(AnnounceRefusal(q), "bad percent-encoding in left");
}

TEST(Announce, DecodesPercentEncodedKeyNames) {
  // %5F is '_': a client that escapes more than it must is still understood.
  std::string q = Query();
  q.replace(q.find("info_hash"), 9, "info%5Fhash");
  absl::StatusOr<AnnounceRequest> r = Announce(q);
  ASSERT_OK(r.status());
  EXPECT_EQ(AsView(r->info_hash), kHashBytes);
}

TEST(Announce, RefusesEachMissingRequiredField) {
  for (const char* name : {"info_hash", "peer_id", "port", "uploaded", "downloaded", "left"}) {
    std::string q = Query();
    const size_t start = q.find(absl::StrCat(name, "="));
    ASSERT_NE(start, std::string::npos);
    size_t end = q.find('&', start);
    end = end == std::string::npos ? q.size() : end + 1;
    q.erase(start, end - start);
    EXPECT_EQ(AnnounceRefusal(q), absl::StrCat("missing ", name)) << q;
  }
  EXPECT_EQ(AnnounceRefusal(""), "missing info_hash");
}

TEST(Announce, RefusesRepeatedKnownKeys) {
  EXPECT_EQ(AnnounceRefusal(Query("&port=6882")), "duplicate port");
  EXPECT_EQ(AnnounceRefusal(Query(absl::StrCat("&info_hash=", kHashEncoded))),
            "duplicate info_hash");
  EXPECT_EQ(AnnounceRefusal(Query("&event=started&event=stopped")), "duplicate event");
}

TEST(Announce, NumwantDefaultsAndClampsToConfiguredMaximum) {
  RequestLimits limits;
  limits.default_numwant = 25;
  limits.max_numwant = 80;
  absl::StatusOr<AnnounceRequest> r = Announce(Query(), limits);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->numwant, 25);
  r = Announce(Query("&numwant=0"), limits);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->numwant, 0);
  r = Announce(Query("&numwant=80"), limits);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->numwant, 80);
  r = Announce(Query("&numwant=81"), limits);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->numwant, 80);
  r = Announce(Query("&numwant=99999999999999999999999999"), limits);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->numwant, 80);
}

TEST(Announce, RefusesNegativeOrNonNumericNumwant) {
  EXPECT_EQ(AnnounceRefusal(Query("&numwant=-1")), "numwant must not be negative");
  EXPECT_EQ(AnnounceRefusal(Query("&numwant=ten")), "numwant must be a decimal integer");
  EXPECT_EQ(AnnounceRefusal(Query("&numwant=")), "numwant must be a decimal integer");
}

TEST(Announce, RefusesCompactOtherThanZeroOrOne) {
  EXPECT_EQ(AnnounceRefusal(Query("&compact=2")), "compact must be 0 or 1");
  EXPECT_EQ(AnnounceRefusal(Query("&compact=")), "compact must be 0 or 1");
}

TEST(Announce, BoundsKeyAndTrackerIdLength) {
  RequestLimits limits;
  limits.max_key = 8;
  limits.max_tracker_id = 4;
  EXPECT_OK(Announce(Query("&key=12345678&trackerid=abcd"), limits).status());
  // The bound applies to decoded bytes: "%41" counts as one.
  EXPECT_OK(Announce(Query("&key=%41%41%41%41%41%41%41%41"), limits).status());
  EXPECT_EQ(AnnounceRefusal(Query("&key=123456789"), limits), "key is too long");
  EXPECT_EQ(AnnounceRefusal(Query("&trackerid=abcde"), limits), "trackerid is too long");
}

TEST(Announce, BoundsIpv6Hint) {
  RequestLimits limits;
  limits.max_ipv6_hint = 10;
  EXPECT_OK(Announce(Query("&ipv6=2001%3Adb8"), limits).status());
  EXPECT_EQ(AnnounceRefusal(Query("&ipv6=2001%3Adb8%3A%3A1"), limits), "ipv6 is too long");
}

TEST(Announce, ToleratesEmptyQueryPieces) { EXPECT_OK(Announce("&&" + Query("&&")).status()); }

TEST(Announce, TruncatedQueriesAreRefusedOrParsedNeverCrash) {
  // Every prefix of a full request is either refused or, when it happens to still hold every
  // required field, parsed; the fuzz target explores further.
  const std::string full = Query("&event=started&numwant=10&key=abc&trackerid=x");
  int refused = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    absl::StatusOr<AnnounceRequest> r = Announce(std::string_view(full).substr(0, n));
    if (!r.ok()) ++refused;
  }
  // Everything before "left=1" is complete is missing a required field or is cut inside one.
  EXPECT_GE(refused, static_cast<int>(full.find("left=1")) + 6);
}

TEST(Announce, WholePipelineFromRequestLine) {
  const std::string line =
      absl::StrCat("GET /a/abc.DEF_-1/announce?", Query("&event=started"), " HTTP/1.1");
  absl::StatusOr<RequestLine> l = ParseRequestLine(line, {});
  ASSERT_OK(l.status());
  absl::StatusOr<TrackerTarget> t = ParseTarget(l->target, {});
  ASSERT_OK(t.status());
  ASSERT_EQ(t->endpoint, TrackerEndpoint::kAnnounce);
  absl::StatusOr<AnnounceRequest> r = ParseAnnounceQuery(t->token, t->query, kRemote, {});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->token, "abc.DEF_-1");
  EXPECT_EQ(r->event, AnnounceEvent::kStarted);
  EXPECT_EQ(AsView(r->info_hash), kHashBytes);
}

// ---- scrape ----

TEST(Scrape, ParsesRepeatedInfoHashesInOrder) {
  const std::string q = absl::StrCat(
      "info_hash=", kHashEncoded, "&info_hash=", std::string(20, 'b'), "&info_hash=", kHashEncoded);
  absl::StatusOr<ScrapeRequest> r = ParseScrapeQuery("tok", q, {});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->token, "tok");
  ASSERT_EQ(r->info_hashes.size(), 3u);
  EXPECT_EQ(AsView(r->info_hashes[0]), kHashBytes);
  EXPECT_EQ(AsView(r->info_hashes[1]), std::string(20, 'b'));
  EXPECT_EQ(AsView(r->info_hashes[2]), kHashBytes);
}

TEST(Scrape, RefusesScrapeOfEverything) {
  EXPECT_EQ(ParseScrapeQuery("tok", "", {}).status().message(),
            "scrape needs at least one info_hash");
  EXPECT_FALSE(ParseScrapeQuery("tok", "peer_id=x", {}).ok());
}

TEST(Scrape, RefusesWrongLengthOrBadEncoding) {
  EXPECT_EQ(ParseScrapeQuery("tok", "info_hash=short", {}).status().message(),
            "info_hash must be 20 bytes");
  EXPECT_EQ(ParseScrapeQuery("tok", "info_hash=%zzbcdefghijklmnopqrst", {}).status().message(),
            "bad percent-encoding in info_hash");
  EXPECT_FALSE(ParseScrapeQuery("tok", absl::StrCat("info_hash=", kHashEncoded, "&x=%"), {}).ok());
}

TEST(Scrape, TruncatedEscapeIsNotCompletedFromBytesBeyondTheQuery) {
  // The query is a view into a larger buffer (the whole request): an escape cut off at its
  // end must not borrow the hex digit that follows in memory.
  const std::string buffer = "info_hash=" + std::string(19, 'a') + "%41";
  const std::string_view query = std::string_view(buffer).substr(0, buffer.size() - 1);
  EXPECT_EQ(ParseScrapeQuery("tok", query, {}).status().message(),
            "bad percent-encoding in info_hash");
  EXPECT_OK(ParseScrapeQuery("tok", buffer, {}).status());
}

TEST(Scrape, BoundsTheNumberOfInfoHashes) {
  RequestLimits limits;
  limits.max_scrape_hashes = 2;
  const std::string one = absl::StrCat("info_hash=", std::string(20, 'a'));
  EXPECT_OK(ParseScrapeQuery("tok", one + "&" + one, limits).status());
  EXPECT_EQ(ParseScrapeQuery("tok", one + "&" + one + "&" + one, limits).status().message(),
            "too many info_hash values in scrape");
}

}  // namespace
}  // namespace p2pims::tracker
