// The tracker's gRPC handlers against a real PostgreSQL: indexing real torrents, opening
// sessions with signed access tokens, closing them, presence and swarm statistics.
#include "services/tracker/service.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/hasher.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/encoding/encoding.h"
#include "lib/pg/testing/schema_test.h"
#include "lib/status/status_testing.h"
#include "lib/token/codec.h"
#include "services/tracker/loopback_testing.h"
#include "services/tracker/udp_protocol_testing.h"
#include "lib/token/signer.h"
#include "services/tracker/metainfo.h"
#include "services/tracker/store.h"

namespace p2pims::tracker {
namespace {

constexpr int kPiece = 16 * 1024;

int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

// A real .torrent, made by libtorrent, for one file `name` of `size` bytes all equal to `fill`.
// `flags` picks v1-only, v2-only or (empty) hybrid. With 16 KiB pieces each piece is a single
// merkle leaf, so a v2 piece hash is the SHA-256 of the piece.
std::string Torrent(const std::string& name, int64_t size, lt::create_flags_t flags,
                    char fill = 'x') {
  lt::file_storage files;
  files.add_file(name, size);
  lt::create_torrent maker(files, kPiece, flags);
  const std::vector<char> data(kPiece, fill);
  for (lt::piece_index_t p(0); p < files.end_piece(); ++p) {
    const int length = files.piece_size(p);
    if (!(flags & lt::create_torrent::v2_only)) {
      maker.set_hash(p, lt::hasher(data.data(), length).final());
    }
    if (!(flags & lt::create_torrent::v1_only)) {
      maker.set_hash2(lt::file_index_t(0), lt::piece_index_t::diff_type(static_cast<int>(p)),
                      lt::hasher256(data.data(), length).final());
    }
  }
  std::string bencoded;
  lt::bencode(std::back_inserter(bencoded), maker.generate());
  return bencoded;
}

std::string Hybrid(const std::string& name, int64_t size) { return Torrent(name, size, {}); }
std::string V1Only(const std::string& name, int64_t size) {
  return Torrent(name, size, lt::create_torrent::v1_only);
}

class TrackerServiceTest : public pg::SchemaTest {
 protected:
  void SetUp() override {
    ResetSchema("tracker", TrackerMigrations(), TrackerStore::Statements());
    if (HasFatalFailure()) return;
    store_ = std::make_unique<TrackerStore>(pool());
    key_ = token::GenerateKey("rights-k1");
    verifier_.SetKeys({{key_.kid, key_.public_key}});
    AnnouncePlaneOptions options;  // named: GCC 12 -O2 warns wrongly on the temporary
    plane_ = std::make_unique<AnnouncePlane>(*store_, verifier_, revocations_, nullptr, registry_,
                                             std::move(options));
    tracker_ = std::make_unique<TrackerService>(
        *store_, verifier_, revocations_, *plane_, registry_,
        TrackerOptions{.replicas = ReplicaMap({.announce_host = "tracker.test:6969"})});
    index_ = std::make_unique<ContentIndexService>(*store_);
  }

  grpc::Status Index(const std::string& content_id, const std::string& metainfo,
                     v1::IndexedContent* out = nullptr) {
    v1::IndexContentRequest req;
    req.set_content_id(content_id);
    req.set_metainfo(metainfo);
    v1::IndexedContent ignored;
    return index_->IndexContent(nullptr, &req, out != nullptr ? out : &ignored);
  }

  // Indexes `content_id` from a fresh hybrid torrent and returns its v1 info-hash.
  std::string IndexHybrid(const std::string& content_id) {
    v1::IndexedContent out;
    const grpc::Status s = Index(content_id, Hybrid(content_id + ".bin", 3 * kPiece + 5), &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.info_hash();
  }

  grpc::Status Find(const std::string& content_id, const std::string& info_hash,
                    v1::IndexedContent* out) {
    v1::GetIndexedContentRequest req;
    req.set_content_id(content_id);
    req.set_info_hash(info_hash);
    return index_->GetIndexedContent(nullptr, &req, out);
  }

  // Claims as rights would issue them for one session.
  token::Claims Claims(const std::string& info_hash, const std::string& session_id) {
    token::Claims c;
    c.subject = "sip:alice@ims.test";
    std::copy_n(info_hash.begin(), std::min<size_t>(20, info_hash.size()), c.info_hash.begin());
    c.session_id = session_id;
    c.locality = "262-01/area-7/cell-3";
    c.issued_at = static_cast<uint32_t>(Now());
    c.expires_at = static_cast<uint32_t>(Now() + 3600);
    c.token_id.fill(0x5a);
    return c;
  }

  std::string Sign(const token::Claims& claims) {
    auto t = token::Signer(key_).Sign(claims);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : "";
  }

  grpc::Status Open(const std::string& token, const std::string& session_id,
                    const std::string& content_id = "", v1::OpenSessionResponse* out = nullptr) {
    v1::OpenSessionRequest req;
    req.set_token(token);
    req.set_session_id(session_id);
    req.set_content_id(content_id);
    v1::OpenSessionResponse ignored;
    return tracker_->OpenSession(nullptr, &req, out != nullptr ? out : &ignored);
  }

  grpc::Status Close(const std::string& session_id, v1::CloseSessionResponse* out,
                     const std::string& cause = "") {
    v1::CloseSessionRequest req;
    req.set_session_id(session_id);
    req.set_cause(cause);
    *out = v1::CloseSessionResponse();
    return tracker_->CloseSession(nullptr, &req, out);
  }

  grpc::Status Presence(const std::string& subject, const std::string& locality, bool verified,
                        int64_t expires_seconds) {
    v1::RegisterPresenceRequest req;
    req.set_subject(subject);
    req.set_locality(locality);
    req.set_locality_verified(verified);
    req.set_expires_seconds(expires_seconds);
    v1::RegisterPresenceResponse resp;
    return tracker_->RegisterPresence(nullptr, &req, &resp);
  }

  grpc::Status Stats(const std::string& content_id, const std::string& info_hash,
                     v1::SwarmStatsResponse* out) {
    v1::SwarmStatsRequest req;
    req.set_content_id(content_id);
    req.set_info_hash(info_hash);
    *out = v1::SwarmStatsResponse();
    return tracker_->SwarmStats(nullptr, &req, out);
  }

  // p2pims_tracker_token_verifications_total{result}
  double Verifications(const std::string& result) {
    return metrics::BuildCounter()
        .Name("p2pims_tracker_token_verifications_total")
        .Register(registry_)
        .Add({{"result", result}})
        .Value();
  }

  std::unique_ptr<TrackerStore> store_;
  token::KeyPair key_;
  token::Verifier verifier_;
  token::RevocationList revocations_;
  metrics::Registry registry_;
  std::unique_ptr<AnnouncePlane> plane_;
  std::unique_ptr<TrackerService> tracker_;
  std::unique_ptr<ContentIndexService> index_;
};

// ---- ContentIndex ----

TEST_F(TrackerServiceTest, HybridTorrentIsOneSwarmFoundByEitherHash) {
  const std::string metainfo = Hybrid("film.mkv", 5 * kPiece + 123);
  auto summary = SummariseMetainfo(metainfo);
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->info_hash_v1.size(), 20u);
  ASSERT_EQ(summary->info_hash_v2_truncated.size(), 20u);

  v1::IndexedContent indexed;
  const grpc::Status s = Index("film", metainfo, &indexed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(indexed.content_id(), "film");
  EXPECT_EQ(indexed.info_hash(), summary->info_hash_v1);
  EXPECT_EQ(indexed.info_hash_v2_truncated(), summary->info_hash_v2_truncated);
  EXPECT_EQ(indexed.name(), "film.mkv");
  EXPECT_EQ(indexed.size_bytes(), 5 * kPiece + 123);
  EXPECT_EQ(indexed.metainfo(), metainfo);

  for (const auto& [id, hash] : std::vector<std::pair<std::string, std::string>>{
           {"film", ""}, {"", summary->info_hash_v1}, {"", summary->info_hash_v2_truncated}}) {
    v1::IndexedContent found;
    ASSERT_TRUE(Find(id, hash, &found).ok()) << id << Hex(hash);
    EXPECT_EQ(found.content_id(), "film");
    EXPECT_EQ(found.info_hash(), summary->info_hash_v1);
    EXPECT_EQ(found.info_hash_v2_truncated(), summary->info_hash_v2_truncated);
    EXPECT_EQ(found.metainfo(), metainfo);
  }
  EXPECT_EQ(Rows("SELECT count(*) FROM tracker.content"), (std::vector<std::string>{"1"}));
}

TEST_F(TrackerServiceTest, V1TorrentHasNoV2Hash) {
  const std::string metainfo = V1Only("clip.mp4", 40000);
  v1::IndexedContent indexed;
  ASSERT_TRUE(Index("clip", metainfo, &indexed).ok());
  EXPECT_EQ(indexed.info_hash().size(), 20u);
  EXPECT_TRUE(indexed.info_hash_v2_truncated().empty());
  EXPECT_EQ(indexed.name(), "clip.mp4");
  EXPECT_EQ(indexed.size_bytes(), 40000);

  v1::IndexedContent found;
  ASSERT_TRUE(Find("", indexed.info_hash(), &found).ok());
  EXPECT_EQ(found.content_id(), "clip");
  EXPECT_TRUE(found.info_hash_v2_truncated().empty());
  EXPECT_EQ(Rows("SELECT info_hash_v2_truncated IS NULL FROM tracker.content"),
            (std::vector<std::string>{"t"}));
}

TEST_F(TrackerServiceTest, IndexWithoutMetainfoTakesTheCallersHash) {
  v1::IndexContentRequest req;
  req.set_content_id("bare");
  req.set_info_hash(std::string(20, '\x01'));
  req.set_name("bare.bin");
  req.set_size_bytes(777);
  v1::IndexedContent out;
  ASSERT_TRUE(index_->IndexContent(nullptr, &req, &out).ok());
  v1::IndexedContent found;
  ASSERT_TRUE(Find("bare", "", &found).ok());
  EXPECT_EQ(found.info_hash(), std::string(20, '\x01'));
  EXPECT_EQ(found.name(), "bare.bin");
  EXPECT_EQ(found.size_bytes(), 777);
  EXPECT_TRUE(found.metainfo().empty());
  EXPECT_TRUE(found.info_hash_v2_truncated().empty());
}

TEST_F(TrackerServiceTest, DuplicateContentIdOrInfoHashIsAlreadyExists) {
  const std::string metainfo = Hybrid("a.bin", 2 * kPiece);
  v1::IndexedContent first;
  ASSERT_TRUE(Index("a", metainfo, &first).ok());
  EXPECT_EQ(Index("a", Hybrid("b.bin", 2 * kPiece)).error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << "same content id";
  EXPECT_EQ(Index("b", metainfo).error_code(), grpc::StatusCode::ALREADY_EXISTS) << "same torrent";

  v1::IndexContentRequest bare;
  bare.set_content_id("c");
  bare.set_info_hash(first.info_hash());
  bare.set_name("c.bin");
  bare.set_size_bytes(1);
  v1::IndexedContent out;
  EXPECT_EQ(index_->IndexContent(nullptr, &bare, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS)
      << "same v1 hash without metainfo";

  EXPECT_TRUE(Index("b", Hybrid("b.bin", 2 * kPiece)).ok());
  EXPECT_EQ(Rows("SELECT content_id FROM tracker.content ORDER BY content_id"),
            (std::vector<std::string>{"a", "b"}));
}

TEST_F(TrackerServiceTest, MalformedIndexRequestsAreInvalidArgument) {
  EXPECT_EQ(Index("junk", "this is not bencode").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Index("junk", "d4:infoi1ee").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Index("v2", Torrent("v2.bin", kPiece, lt::create_torrent::v2_only)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "v2-only: no v1 hash to put in tokens";
  EXPECT_EQ(Index("", Hybrid("x.bin", kPiece)).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "no content id";

  v1::IndexContentRequest good;
  good.set_content_id("bare");
  good.set_info_hash(std::string(20, '\x02'));
  good.set_name("bare.bin");
  good.set_size_bytes(10);
  v1::IndexedContent out;
  v1::IndexContentRequest bad = good;
  bad.set_info_hash(std::string(19, '\x02'));
  EXPECT_EQ(index_->IndexContent(nullptr, &bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "19-byte hash";
  bad = good;
  bad.clear_info_hash();
  EXPECT_EQ(index_->IndexContent(nullptr, &bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "no hash";
  bad = good;
  bad.clear_name();
  EXPECT_EQ(index_->IndexContent(nullptr, &bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "no name";
  bad = good;
  bad.set_size_bytes(-1);
  EXPECT_EQ(index_->IndexContent(nullptr, &bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "negative size";
  EXPECT_TRUE(Rows("SELECT content_id FROM tracker.content").empty());

  v1::IndexedContent found;
  EXPECT_EQ(Find("", "", &found).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Find("", std::string(32, 'h'), &found).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "a full v2 hash is not a lookup key";
  EXPECT_EQ(Find("nothing", "", &found).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Find("", std::string(20, 'h'), &found).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(TrackerServiceTest, ListIndexedContentPagesWithoutMetainfo) {
  for (const char* id : {"c", "a", "d", "b"}) IndexHybrid(id);
  std::vector<std::string> seen;
  v1::ListIndexedContentRequest req;
  req.set_page_size(3);
  v1::ListIndexedContentResponse page;
  ASSERT_TRUE(index_->ListIndexedContent(nullptr, &req, &page).ok());
  for (const auto& c : page.content()) {
    seen.push_back(c.content_id());
    EXPECT_TRUE(c.metainfo().empty());
    EXPECT_EQ(c.info_hash().size(), 20u);
  }
  EXPECT_EQ(page.next_page_token(), "c");
  req.set_page_token(page.next_page_token());
  page.Clear();
  ASSERT_TRUE(index_->ListIndexedContent(nullptr, &req, &page).ok());
  for (const auto& c : page.content()) seen.push_back(c.content_id());
  EXPECT_TRUE(page.next_page_token().empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d"}));
}

// ---- OpenSession ----

TEST_F(TrackerServiceTest, OpenSessionReturnsAnnounceUrlsCarryingTheToken) {
  const std::string metainfo = Hybrid("show.mkv", 4 * kPiece);
  v1::IndexedContent indexed;
  ASSERT_TRUE(Index("show", metainfo, &indexed).ok());
  const std::string token = Sign(Claims(indexed.info_hash(), "icid-1"));

  v1::OpenSessionResponse resp;
  const grpc::Status s = Open(token, "icid-1", "show", &resp);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(resp.session_id(), "icid-1");
  EXPECT_EQ(resp.info_hash(), indexed.info_hash());
  EXPECT_EQ(resp.name(), "show.mkv");
  EXPECT_EQ(resp.size_bytes(), 4 * kPiece);
  EXPECT_EQ(resp.metainfo(), metainfo);
  ASSERT_EQ(resp.announce_urls_size(), 2);
  EXPECT_EQ(resp.announce_urls(0), "http://tracker.test:6969/a/" + token + "/announce");
  EXPECT_TRUE(absl::StartsWith(resp.announce_urls(1), "udp://tracker.test:6969/"))
      << resp.announce_urls(1);
  // UDP carries the session's short key instead (a BEP 41 path must fit 255 bytes).
  const std::string key = resp.announce_urls(1).substr(resp.announce_urls(1).rfind('/') + 1);
  EXPECT_TRUE(absl::StartsWith(resp.announce_urls(1), "udp://tracker.test:6969/s/"))
      << resp.announce_urls(1);
  EXPECT_EQ(key.size(), 22u) << "16 random bytes, base64url";
  EXPECT_EQ(Rows("SELECT token = '" + token + "' FROM tracker.session WHERE announce_key = '" +
                 key + "'"),
            (std::vector<std::string>{"t"}));

  // The session is recorded with what the token says; content_id may be left out.
  EXPECT_EQ(Rows("SELECT session_id, token_id, encode(info_hash, 'hex'), subject, locality,"
                 " closed_at FROM tracker.session"),
            (std::vector<std::string>{"icid-1|" + Hex(std::string(16, '\x5a')) + "|" +
                                      Hex(indexed.info_hash()) +
                                      "|sip:alice@ims.test|262-01/area-7/cell-3|NULL"}));
}

TEST_F(TrackerServiceTest, OpeningTheSameSessionTwiceIsFine) {
  const std::string hash = IndexHybrid("show");
  const std::string token = Sign(Claims(hash, "icid-2"));
  v1::OpenSessionResponse first;
  ASSERT_TRUE(Open(token, "icid-2", "", &first).ok());
  v1::OpenSessionResponse again;
  const grpc::Status s = Open(token, "icid-2", "show", &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.announce_urls_size(), 2);
  EXPECT_EQ(again.announce_urls(1), first.announce_urls(1)) << "the same announce key";
  EXPECT_EQ(Rows("SELECT count(*) FROM tracker.session"), (std::vector<std::string>{"1"}));
}

TEST_F(TrackerServiceTest, ASessionIdCannotBeReusedForOtherContentOrAfterClosing) {
  const std::string show = IndexHybrid("show");
  const std::string other = IndexHybrid("other");
  ASSERT_TRUE(Open(Sign(Claims(show, "icid-9")), "icid-9").ok());
  EXPECT_EQ(Open(Sign(Claims(other, "icid-9")), "icid-9").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(Close("icid-9", &closed).ok());
  EXPECT_EQ(Open(Sign(Claims(show, "icid-9")), "icid-9").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(TrackerServiceTest, OpenSessionRefusesTokensThatDoNotFit) {
  const std::string hash = IndexHybrid("show");
  IndexHybrid("other");
  const std::string good = Sign(Claims(hash, "icid-3"));

  // Tampered: the claims say mallory, the signature is alice's.
  const size_t dot = good.find('.');
  ASSERT_NE(dot, std::string::npos);
  auto payload = Base64UrlDecode(good.substr(0, dot));
  ASSERT_TRUE(payload.has_value());
  auto claims = token::DecodeClaims(*payload);
  ASSERT_TRUE(claims.ok()) << claims.status();
  claims->subject = "sip:mallory@ims.test";
  auto forged_payload = token::EncodeClaims(*claims);
  ASSERT_TRUE(forged_payload.ok());
  const std::string tampered = Base64UrlEncode(*forged_payload) + good.substr(dot);
  EXPECT_EQ(Open(tampered, "icid-3").error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "tampered claims";
  std::string flipped = good;
  flipped[dot + 10] = flipped[dot + 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Open(flipped, "icid-3").error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "tampered signature";
  EXPECT_EQ(Open("not-a-token", "icid-3").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  token::Claims expired = Claims(hash, "icid-3");
  expired.issued_at = static_cast<uint32_t>(Now() - 7200);
  expired.expires_at = static_cast<uint32_t>(Now() - 60);
  EXPECT_EQ(Open(Sign(expired), "icid-3").error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "expired";

  auto stranger = token::Signer(token::GenerateKey("rights-k9")).Sign(Claims(hash, "icid-3"));
  ASSERT_TRUE(stranger.ok());
  EXPECT_EQ(Open(*stranger, "icid-3").error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "signed by a key the tracker does not know";

  EXPECT_EQ(Open(good, "icid-other").error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "token bound to another session";
  EXPECT_EQ(Open(Sign(Claims(std::string(20, '\x09'), "icid-3")), "icid-3").error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "info-hash not indexed";
  EXPECT_EQ(Open(good, "icid-3", "other").error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "content id of another swarm";
  EXPECT_EQ(Open(good, "icid-3", "nothing").error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "unknown content id";
  EXPECT_EQ(Open("", "icid-3").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Open(good, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Rows("SELECT session_id FROM tracker.session").empty())
      << "a refused session leaves no row";

  EXPECT_TRUE(Open(good, "icid-3", "show").ok());
}

TEST_F(TrackerServiceTest, OpenSessionRefusesRevokedTokensAndCountsEveryVerification) {
  const std::string show = IndexHybrid("show");
  const std::string news = IndexHybrid("news");
  token::Claims revoked = Claims(show, "icid-r1");
  revoked.token_id.fill(0x01);
  token::Claims other_token = Claims(news, "icid-r2");  // same subscriber, other content
  other_token.token_id.fill(0x02);
  token::Claims bobs = Claims(show, "icid-r3");
  bobs.subject = "sip:bob@ims.test";
  bobs.token_id.fill(0x03);
  ASSERT_TRUE(Open(Sign(revoked), "icid-r1").ok());
  EXPECT_EQ(Verifications("ok"), 1);

  ASSERT_TRUE(revocations_
                  .Add({.sequence = 1,
                        .token_id = Hex(std::string(16, '\x01')),
                        .issued_before = Now() + 1,
                        .expires_at = Now() + 3600})
                  .ok());
  const grpc::Status refused = Open(Sign(revoked), "icid-r1");  // even an open session
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.error_message(), "token revoked");
  EXPECT_EQ(Open(Sign(revoked), "icid-elsewhere").error_message(), "token revoked")
      << "revocation is checked before the session binding";
  EXPECT_TRUE(Open(Sign(other_token), "icid-r2").ok());
  EXPECT_TRUE(Open(Sign(bobs), "icid-r3").ok());

  // Content revocations name the content id; the index maps the token's info-hash to it.
  ASSERT_TRUE(
      revocations_
          .Add({.sequence = 2, .content = "show", .issued_before = Now() + 1, .expires_at = 0})
          .ok());
  EXPECT_EQ(Open(Sign(bobs), "icid-r3").error_message(), "token revoked");
  EXPECT_TRUE(Open(Sign(other_token), "icid-r2").ok());
  token::Claims later = bobs;  // issued after the revocation's issued_before: not affected
  later.issued_at = static_cast<uint32_t>(Now() + 1);
  EXPECT_TRUE(Open(Sign(later), "icid-r3").ok());

  EXPECT_EQ(Open("not-a-token", "icid-r9").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Verifications("ok"), 5);
  EXPECT_EQ(Verifications("revoked"), 3);
  EXPECT_EQ(Verifications("malformed"), 1);
  EXPECT_EQ(Verifications("expired"), 0);
}

// ---- CloseSession ----

TEST_F(TrackerServiceTest, CloseSessionReturnsUsageAndTimesOnce) {
  const std::string hash = IndexHybrid("show");
  const int64_t before_ms = Now() * 1000;
  ASSERT_TRUE(Open(Sign(Claims(hash, "icid-4")), "icid-4").ok());
  ASSERT_OK(pool().WithTransaction([](pqxx::work& tx) {
    tx.exec(
        "UPDATE tracker.session SET bytes_down = 5000, bytes_up = 700, bytes_up_in_cell = 300"
        " WHERE session_id = 'icid-4'");
    return absl::OkStatus();
  }));

  v1::CloseSessionResponse first;
  ASSERT_TRUE(Close("icid-4", &first).ok());
  const int64_t after_ms = (Now() + 1) * 1000;
  EXPECT_EQ(first.session_id(), "icid-4");
  EXPECT_EQ(first.bytes_down(), 5000);
  EXPECT_EQ(first.bytes_up(), 700);
  EXPECT_EQ(first.bytes_up_in_cell(), 300);
  EXPECT_GE(first.opened_at_ms(), before_ms);
  EXPECT_LE(first.opened_at_ms(), first.closed_at_ms());
  EXPECT_LE(first.closed_at_ms(), after_ms);

  v1::CloseSessionResponse again;
  ASSERT_TRUE(Close("icid-4", &again, "timeout").ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString())
      << "first:\n"
      << first.DebugString() << "again:\n"
      << again.DebugString();
  EXPECT_EQ(Rows("SELECT close_cause FROM tracker.session"), (std::vector<std::string>{"normal"}))
      << "the first close's cause stays";

  v1::CloseSessionResponse none;
  EXPECT_EQ(Close("never-opened", &none).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Close("", &none).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A sip-edge killed mid-session never sends the BYE's CloseSession: once the session's token has
// expired for the grace period, housekeeping closes it itself. A session whose token is still
// valid (or expired only recently) stays open, and the close is what CloseSession would do.
TEST_F(TrackerServiceTest, SessionsWhoseTokenExpiredLongAgoAreClosedAsExpired) {
  const std::string hash = IndexHybrid("film");
  for (const char* id : {"orphan", "recent", "live"}) {
    ASSERT_TRUE(Open(Sign(Claims(hash, id)), id).ok()) << id;
  }
  ASSERT_OK(pool().WithTransaction([](pqxx::work& tx) {
    tx.exec(
        "UPDATE tracker.session SET token_expires_at = now() - interval '2 hours',"
        " bytes_down = 900 WHERE session_id = 'orphan'");
    tx.exec(
        "UPDATE tracker.session SET token_expires_at = now() - interval '10 minutes'"
        " WHERE session_id = 'recent'");
    return absl::OkStatus();
  }));

  EXPECT_EQ(plane_->CloseExpiredSessions(), 1);  // the grace is an hour by default
  EXPECT_EQ(Rows("SELECT session_id || ' ' || coalesce(close_cause, 'open') FROM tracker.session"
                 " ORDER BY session_id"),
            (std::vector<std::string>{"live open", "orphan expired", "recent open"}));
  EXPECT_EQ(plane_->CloseExpiredSessions(), 0) << "closed once";
  // A late BYE still gets the session's figures.
  v1::CloseSessionResponse late;
  ASSERT_TRUE(Close("orphan", &late).ok());
  EXPECT_EQ(late.bytes_down(), 900);
  EXPECT_EQ(Rows("SELECT close_cause FROM tracker.session WHERE session_id = 'orphan'"),
            (std::vector<std::string>{"expired"}));
}

TEST_F(TrackerServiceTest, SessionProgressTellsWhenOnlineChargingEndedTheAccess) {
  const std::string hash = IndexHybrid("match");
  ASSERT_TRUE(Open(Sign(Claims(hash, "s-cc")), "s-cc").ok());
  v1::SessionProgressRequest req;
  req.add_session_ids("s-cc");
  v1::SessionProgressResponse resp;
  ASSERT_TRUE(tracker_->SessionProgress(nullptr, &req, &resp).ok());
  ASSERT_EQ(resp.sessions_size(), 1);
  EXPECT_FALSE(resp.sessions(0).access_ended());
  ASSERT_OK(pool().WithTransaction([](pqxx::work& tx) {
    tx.exec("UPDATE tracker.session SET cc_ended = 'out of credit' WHERE session_id = 's-cc'");
    return absl::OkStatus();
  }));
  resp.Clear();
  ASSERT_TRUE(tracker_->SessionProgress(nullptr, &req, &resp).ok());
  EXPECT_TRUE(resp.sessions(0).access_ended());
  EXPECT_EQ(resp.sessions(0).access_end_reason(), "out of credit");
  EXPECT_FALSE(resp.sessions(0).closed()) << "ended access is not a closed session";
}

// ---- RegisterPresence ----

TEST_F(TrackerServiceTest, PresenceIsUpsertedAndDeleted) {
  ASSERT_TRUE(Presence("sip:alice@ims.test", "262-01/area-7", true, 600).ok());
  EXPECT_EQ(Rows("SELECT subject, locality, verified,"
                 " expires_at BETWEEN now() + interval '590 seconds' AND now() + interval '610 "
                 "seconds' FROM tracker.presence"),
            (std::vector<std::string>{"sip:alice@ims.test|262-01/area-7|t|t"}));

  ASSERT_TRUE(Presence("sip:alice@ims.test", "262-02/area-1", false, 3600).ok());
  ASSERT_TRUE(Presence("sip:bob@ims.test", "262-01/area-9", true, 60).ok());
  EXPECT_EQ(Rows("SELECT subject, locality, verified,"
                 " expires_at > now() + interval '3000 seconds' FROM tracker.presence"
                 " ORDER BY subject"),
            (std::vector<std::string>{"sip:alice@ims.test|262-02/area-1|f|t",
                                      "sip:bob@ims.test|262-01/area-9|t|f"}));

  EXPECT_EQ(Presence("sip:alice@ims.test", "", true, 600).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "a positive expiry needs a locality";
  EXPECT_EQ(Presence("", "262-01", true, 600).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "no subject";

  ASSERT_TRUE(Presence("sip:alice@ims.test", "", false, 0).ok()) << "leaving needs no locality";
  EXPECT_EQ(Rows("SELECT subject FROM tracker.presence"),
            (std::vector<std::string>{"sip:bob@ims.test"}));
  EXPECT_TRUE(Presence("sip:nobody@ims.test", "", false, 0).ok()) << "deleting nothing is fine";
  EXPECT_TRUE(Presence("sip:bob@ims.test", "262-01/area-9", true, -5).ok());
  EXPECT_TRUE(Rows("SELECT subject FROM tracker.presence").empty()) << "a negative expiry deletes";
}

// ---- SwarmStats ----

TEST_F(TrackerServiceTest, SwarmStatsCountsOpenSessionsOfTheContent) {
  const std::string metainfo = Hybrid("show.mkv", 4 * kPiece);
  v1::IndexedContent show;
  ASSERT_TRUE(Index("show", metainfo, &show).ok());
  const std::string other = IndexHybrid("other");

  ASSERT_TRUE(Open(Sign(Claims(show.info_hash(), "s-1")), "s-1").ok());
  ASSERT_TRUE(Open(Sign(Claims(show.info_hash(), "s-2")), "s-2").ok());
  ASSERT_TRUE(Open(Sign(Claims(other, "o-1")), "o-1").ok());

  v1::SwarmStatsResponse stats;
  ASSERT_TRUE(Stats("show", "", &stats).ok());
  EXPECT_EQ(stats.info_hash(), show.info_hash());
  EXPECT_EQ(stats.open_sessions(), 2);
  ASSERT_TRUE(Stats("", show.info_hash(), &stats).ok());
  EXPECT_EQ(stats.open_sessions(), 2);
  ASSERT_TRUE(Stats("", show.info_hash_v2_truncated(), &stats).ok());
  EXPECT_EQ(stats.info_hash(), show.info_hash()) << "the v2 hash names the same swarm";
  EXPECT_EQ(stats.open_sessions(), 2);

  ASSERT_OK(pool().WithTransaction([](pqxx::work& tx) {
    tx.exec(
        "UPDATE tracker.session SET bytes_down = 100, bytes_up = 10 WHERE session_id = 's-1';"
        "UPDATE tracker.session SET bytes_down = 200, bytes_up = 20 WHERE session_id = 's-2';"
        "UPDATE tracker.session SET bytes_down = 999, bytes_up = 99 WHERE session_id = 'o-1'");
    return absl::OkStatus();
  }));
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(Close("s-1", &closed).ok());
  ASSERT_TRUE(Stats("show", "", &stats).ok());
  EXPECT_EQ(stats.open_sessions(), 1);
  EXPECT_EQ(stats.bytes_down(), 300) << "closed sessions still count towards the bytes";
  EXPECT_EQ(stats.bytes_up(), 30);
  ASSERT_TRUE(Stats("other", "", &stats).ok());
  EXPECT_EQ(stats.open_sessions(), 1);

  EXPECT_EQ(Stats("nothing", "", &stats).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Stats("", std::string(20, '\x07'), &stats).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Stats("", "", &stats).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Stats("", std::string(19, '\x07'), &stats).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- The announce plane behind the sessions ----

// One HTTP announce to the plane on loopback; the bencoded body.
std::string Announce(int port, const std::string& token, const std::string& info_hash, char peer,
                     int64_t uploaded, int64_t downloaded, int64_t left) {
  std::string hash;
  for (unsigned char c : info_hash) absl::StrAppend(&hash, "%", absl::Hex(c, absl::kZeroPad2));
  const std::string request = absl::StrCat(
      "GET /a/", token, "/announce?info_hash=", hash, "&peer_id=", std::string(19, '-') + peer,
      "&port=", 7000 + peer, "&uploaded=", uploaded, "&downloaded=", downloaded, "&left=", left,
      " HTTP/1.1\r\nConnection: close\r\n\r\n");
  const int fd = ConnectLoopback(port);
  std::string response;
  if (fd >= 0 && write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, n);
  }
  if (fd >= 0) close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

TEST_F(TrackerServiceTest, AnnouncesAreMeteredGivePeersAndEndWithTheSession) {
  ASSERT_TRUE(plane_->Start("127.0.0.1:0").ok());
  const std::string hash = IndexHybrid("film");
  token::Claims seeder_claims = Claims(hash, "seed-1");
  seeder_claims.token_id.fill(1);
  const std::string seeder = Sign(seeder_claims);
  token::Claims leecher_claims = Claims(hash, "leech-1");
  leecher_claims.token_id.fill(2);
  const std::string leecher = Sign(leecher_claims);
  ASSERT_TRUE(Open(seeder, "seed-1").ok());

  const int port = plane_->http_port();
  std::string body = Announce(port, seeder, hash, 's', 0, 0, 0);
  EXPECT_NE(body.find("8:completei1e"), std::string::npos) << body;

  // A new session's first peers come with OpenSession, before any announce of its own.
  v1::OpenSessionResponse opened;
  ASSERT_TRUE(Open(leecher, "leech-1", "", &opened).ok());
  ASSERT_EQ(opened.peers_size(), 1);
  EXPECT_EQ(opened.peers(0).ip(), "127.0.0.1");
  EXPECT_EQ(opened.peers(0).port(), 7000 + 's');
  EXPECT_TRUE(opened.peers(0).seeder());

  // Usage is the difference between successive announces, per session.
  body = Announce(port, leecher, hash, 'l', 0, 0, 1000);
  EXPECT_NE(body.find("5:peers6:"), std::string::npos) << body;
  Announce(port, leecher, hash, 'l', 10, 600, 400);
  Announce(port, seeder, hash, 's', 600, 0, 0);
  v1::SwarmStatsResponse stats;
  ASSERT_TRUE(Stats("film", "", &stats).ok());
  EXPECT_EQ(stats.seeders(), 1);
  EXPECT_EQ(stats.leechers(), 1);

  v1::CloseSessionResponse closed;
  ASSERT_TRUE(Close("leech-1", &closed).ok());
  EXPECT_EQ(closed.bytes_down(), 600);
  EXPECT_EQ(closed.bytes_up(), 10);
  // Closed: that session's token is refused from now on, and nothing more is metered.
  body = Announce(port, leecher, hash, 'l', 10, 900, 100);
  EXPECT_NE(body.find("this token's access has ended"), std::string::npos) << body;
  plane_->FlushUsage();
  EXPECT_EQ(Rows("SELECT bytes_down, bytes_up FROM tracker.session WHERE session_id = 'leech-1'"),
            (std::vector<std::string>{"600|10"}));
  EXPECT_EQ(Rows("SELECT bytes_down, bytes_up FROM tracker.session WHERE session_id = 'seed-1'"),
            (std::vector<std::string>{"0|600"}));
}

TEST_F(TrackerServiceTest, AnOperatorSeedsUsageIsCountedButNeverGoesToCharging) {
  ASSERT_TRUE(plane_->Start("127.0.0.1:0").ok());
  const std::string hash = IndexHybrid("news");
  token::Claims origin_claims = Claims(hash, "origin-1");
  origin_claims.subject = "sip:origin@ims.test";
  origin_claims.role = token::Role::kOrigin;
  origin_claims.token_id.fill(3);
  const std::string origin = Sign(origin_claims);
  token::Claims leecher_claims = Claims(hash, "leech-2");
  leecher_claims.token_id.fill(4);
  const std::string leecher = Sign(leecher_claims);

  v1::OpenSessionRequest with_credit;
  with_credit.set_token(origin);
  with_credit.set_session_id("origin-1");
  with_credit.mutable_credit()->set_granted_bytes_down(1000);
  v1::OpenSessionResponse ignored;
  EXPECT_EQ(tracker_->OpenSession(nullptr, &with_credit, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Open(origin, "origin-1").ok());
  ASSERT_TRUE(Open(leecher, "leech-2").ok());

  const int port = plane_->http_port();
  Announce(port, origin, hash, 'o', 0, 0, 0);
  Announce(port, leecher, hash, 'l', 0, 0, 1000);
  Announce(port, origin, hash, 'o', 800, 0, 0);
  Announce(port, leecher, hash, 'l', 0, 800, 200);
  plane_->FlushUsage();
  EXPECT_EQ(Rows("SELECT session_id, bytes_down, bytes_up, operator_seed FROM tracker.session"
                 " ORDER BY session_id"),
            (std::vector<std::string>{"leech-2|800|0|f", "origin-1|0|800|t"}));
  // What a session gathers for charging is its totals less what records carried; the outbox
  // marks the sessions that gather.
  EXPECT_EQ(Rows("SELECT o.session_id, s.bytes_down - s.queued_down FROM tracker.usage_outbox o"
                 " JOIN tracker.session s USING (session_id)"),
            (std::vector<std::string>{"leech-2|800"}))
      << "only the subscriber's usage waits for charging";

  v1::CloseSessionResponse closed;
  ASSERT_TRUE(Close("origin-1", &closed).ok());
  EXPECT_EQ(closed.bytes_up(), 800);
  EXPECT_EQ(closed.unreported_bytes_up(), 0) << "nothing for a STOP record";
}

TEST_F(TrackerServiceTest, ASessionGoesOnWithARenewedToken) {
  ASSERT_TRUE(plane_->Start("127.0.0.1:0").ok());
  const std::string hash = IndexHybrid("show");
  token::Claims first_claims = Claims(hash, "icid-r");
  first_claims.expires_at = static_cast<uint32_t>(Now() + 600);
  first_claims.token_id.fill(7);
  const std::string first = Sign(first_claims);
  token::Claims later_claims = Claims(hash, "icid-r");
  later_claims.token_id.fill(8);
  const std::string later = Sign(later_claims);  // expires in an hour
  v1::OpenSessionResponse opened, renewed;
  ASSERT_TRUE(Open(first, "icid-r", "", &opened).ok());
  const int port = plane_->http_port();
  Announce(port, first, hash, 'p', 0, 0, 1000);
  Announce(port, first, hash, 'p', 0, 300, 700);

  ASSERT_TRUE(Open(later, "icid-r", "", &renewed).ok());
  EXPECT_EQ(renewed.announce_urls(1), opened.announce_urls(1)) << "the same announce key";
  EXPECT_NE(renewed.announce_urls(0).find(later), std::string::npos) << "HTTP carries the new token";
  // The client's counters go on from where they were: only the difference counts.
  Announce(port, later, hash, 'p', 0, 500, 500);
  plane_->FlushUsage();
  EXPECT_EQ(Rows("SELECT bytes_down, token = '" + later + "' FROM tracker.session"),
            (std::vector<std::string>{"500|t"}));
  // An older token does not take the session back; a retransmission changes nothing.
  ASSERT_TRUE(Open(first, "icid-r").ok());
  ASSERT_TRUE(Open(later, "icid-r").ok());
  EXPECT_EQ(Rows("SELECT count(*), bool_and(token = '" + later + "') FROM tracker.session"),
            (std::vector<std::string>{"1|t"}));
}

TEST_F(TrackerServiceTest, UsageResumesWhereItWasMeteredWhenTheTrackerRestarts) {
  ASSERT_TRUE(plane_->Start("127.0.0.1:0").ok());
  const std::string hash = IndexHybrid("film");
  const std::string token = Sign(Claims(hash, "s-restart"));
  ASSERT_TRUE(Open(token, "s-restart").ok());
  Announce(plane_->http_port(), token, hash, 'r', 0, 0, 1000);
  Announce(plane_->http_port(), token, hash, 'r', 0, 400, 600);
  plane_->Stop();  // writes what was metered

  // A new tracker process: nothing in memory, the same database. The client, unaware, reports
  // its running totals without `started`.
  metrics::Registry other;
  AnnouncePlaneOptions options;
  AnnouncePlane restarted(*store_, verifier_, revocations_, nullptr, other, std::move(options));
  ASSERT_TRUE(restarted.Start("127.0.0.1:0").ok());
  Announce(restarted.http_port(), token, hash, 'r', 0, 700, 300);
  restarted.FlushUsage();
  EXPECT_EQ(Rows("SELECT bytes_down FROM tracker.session WHERE session_id = 's-restart'"),
            (std::vector<std::string>{"700"}))
      << "400 before the restart and 300 after, not 400 + 700";
  restarted.Stop();
}

// A UDP client on one loopback socket (connection ids are bound to its address and port).
class UdpClient {
 public:
  // To 127.0.0.1:port, or to [::1]:port with `ipv6`.
  explicit UdpClient(int port, bool ipv6 = false)
      : fd_(socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0)) {
    timeval timeout{.tv_sec = 2, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (ipv6) {
      auto& a = reinterpret_cast<sockaddr_in6&>(addr_);
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<uint16_t>(port));
      a.sin6_addr = in6addr_loopback;
      addr_len_ = sizeof a;
    } else {
      auto& a = reinterpret_cast<sockaddr_in&>(addr_);
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr_len_ = sizeof a;
    }
  }
  ~UdpClient() { close(fd_); }

  // Sends one datagram; the reply, or "" when none came within 2 s.
  std::string Exchange(const std::string& datagram) {
    char buf[2048];
    ssize_t n = -1;
    if (sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&addr_),
               addr_len_) == static_cast<ssize_t>(datagram.size())) {
      n = recv(fd_, buf, sizeof buf, 0);
    }
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  const int fd_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
};

TEST_F(TrackerServiceTest, UdpAnnouncesCarryTheTokenInUrlData) {
  ASSERT_TRUE(plane_->Start("127.0.0.1:0").ok());
  ASSERT_EQ(plane_->udp_port(), plane_->http_port()) << "one port number for both protocols";
  const std::string hash = IndexHybrid("clip");
  token::Claims claims = Claims(hash, "udp-1");
  const std::string token = Sign(claims);
  ASSERT_TRUE(Open(token, "udp-1").ok());
  UdpClient client(plane_->udp_port());

  auto connect = udp::testing::DecodeResponse(
      client.Exchange(udp::testing::EncodeConnect(udp::kProtocolId, 7)), false);
  ASSERT_TRUE(connect.ok()) << connect.status();
  EXPECT_EQ(connect->transaction_id, 7u);

  udp::testing::AnnouncePacket a;
  a.connection_id = connect->connection_id;
  a.transaction_id = 8;
  std::copy_n(hash.begin(), 20, a.info_hash.begin());
  a.peer_id.fill('u');
  a.left = 0;
  a.uploaded = 300;
  a.port = 6000;
  a.options = udp::testing::UrlData("/a/" + token);  // ~265 bytes: two URLData options
  auto announced = udp::testing::DecodeResponse(client.Exchange(EncodeAnnounce(a)), false);
  ASSERT_TRUE(announced.ok()) << announced.status();
  EXPECT_EQ(announced->action, 1u) << announced->message;
  EXPECT_EQ(announced->seeders, 1);

  // The URL OpenSession gave: the session's short key stands for the token.
  v1::OpenSessionResponse opened;
  ASSERT_TRUE(Open(token, "udp-1", "", &opened).ok());
  const std::string url = opened.announce_urls(1);
  a.options = udp::testing::UrlData(url.substr(url.find("/s/")), 255);
  a.peer_id.fill('w');
  auto by_key = udp::testing::DecodeResponse(client.Exchange(EncodeAnnounce(a)), false);
  ASSERT_TRUE(by_key.ok()) << by_key.status();
  EXPECT_EQ(by_key->action, 1u) << by_key->message;
  a.options = udp::testing::UrlData("/s/AAAAAAAAAAAAAAAAAAAAAA");
  auto unknown = udp::testing::DecodeResponse(client.Exchange(EncodeAnnounce(a)), false);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->message, "unknown announce key");
  a.peer_id.fill('u');

  // A forged token gets an error reply; an unknown connection id gets silence.
  std::string forged = token;
  // Inside the signature: its last character carries padding bits, whose change is malformed.
  forged[forged.size() - 10] = forged[forged.size() - 10] == 'A' ? 'B' : 'A';
  a.options = udp::testing::UrlData("/a/" + forged);
  auto refused = udp::testing::DecodeResponse(client.Exchange(EncodeAnnounce(a)), false);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->action, 3u);
  EXPECT_EQ(refused->message, "bad token signature");
  a.options = udp::testing::UrlData("/a/" + token);
  UdpClient other(plane_->udp_port());  // another source port: the id is not its own
  EXPECT_EQ(other.Exchange(EncodeAnnounce(a)), "");

  v1::SwarmStatsResponse stats;
  ASSERT_TRUE(Stats("clip", "", &stats).ok());
  EXPECT_EQ(stats.seeders(), 2) << "peers 'u' (by token) and 'w' (by key)";
  plane_->FlushUsage();
  EXPECT_EQ(Rows("SELECT bytes_up FROM tracker.session WHERE session_id = 'udp-1'"),
            (std::vector<std::string>{"600"}));
}

// Whether this machine has IPv6 loopback (containers may run without it).
bool HaveIpv6Loopback() {
  const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

TEST_F(TrackerServiceTest, OneDualStackPortServesIpv4AndIpv6PeersEachInTheirFamily) {
  if (!HaveIpv6Loopback()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  ASSERT_TRUE(plane_->Start("[::]:0").ok());
  const std::string hash = IndexHybrid("dual");
  token::Claims v4_claims = Claims(hash, "v4-1");
  v4_claims.token_id.fill(4);
  token::Claims v6_claims = Claims(hash, "v6-1");
  v6_claims.token_id.fill(6);
  const std::string v4_token = Sign(v4_claims), v6_token = Sign(v6_claims);
  ASSERT_TRUE(Open(v4_token, "v4-1").ok());
  ASSERT_TRUE(Open(v6_token, "v6-1").ok());

  // Announces over both families; each gets the other family's seeders only where it can
  // carry them: BEP 15 replies hold peers of the request's family.
  auto announce = [&](bool ipv6, const std::string& token, char peer, int64_t left) {
    UdpClient client(plane_->udp_port(), ipv6);
    auto c = udp::testing::DecodeResponse(
        client.Exchange(udp::testing::EncodeConnect(udp::kProtocolId, 1)), ipv6);
    EXPECT_TRUE(c.ok()) << c.status();
    udp::testing::AnnouncePacket a;
    a.connection_id = c.ok() ? c->connection_id : 0;
    std::copy_n(hash.begin(), 20, a.info_hash.begin());
    a.peer_id.fill(peer);
    a.left = left;
    a.port = 7000;
    a.options = udp::testing::UrlData("/a/" + token);
    return udp::testing::DecodeResponse(client.Exchange(EncodeAnnounce(a)), ipv6);
  };
  auto v6_seeder = announce(true, v6_token, '6', 0);
  ASSERT_TRUE(v6_seeder.ok()) << v6_seeder.status();
  EXPECT_EQ(v6_seeder->action, 1u) << v6_seeder->message;
  auto v4_leecher = announce(false, v4_token, '4', 100);
  ASSERT_TRUE(v4_leecher.ok()) << v4_leecher.status();
  EXPECT_EQ(v4_leecher->seeders, 1);
  EXPECT_TRUE(v4_leecher->peers.empty()) << "an IPv6 seeder does not fit a 6-byte entry";
  auto v6_again = announce(true, v6_token, '6', 0);
  ASSERT_TRUE(v6_again.ok()) << v6_again.status();
  ASSERT_EQ(v6_again->leechers, 1);
  EXPECT_TRUE(v6_again->peers.empty()) << "and the IPv4 leecher not an 18-byte one";

  // Over HTTP the same swarm lists the IPv6 seeder in peers6 (BEP 7).
  const std::string body = Announce(plane_->http_port(), v4_token, hash, '4', 0, 0, 100);
  EXPECT_NE(body.find("6:peers618:"), std::string::npos) << body;
}

}  // namespace
}  // namespace p2pims::tracker
