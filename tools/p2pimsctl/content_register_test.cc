#include "tools/p2pimsctl/content_register.h"

#include <gtest/gtest.h>

#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/licence_flags.h"

namespace p2pims::ctl {
namespace {

namespace v1 = ::p2pims::rights::v1;
namespace tv1 = ::p2pims::tracker::v1;

CommandLine AddLine() {
  CommandLine cl("content add", "Adds.");
  cl.Arg("PATH", "what");
  AddIdentityFlags(cl, "the file name");
  AddLicenceFlags(cl, LicenceFlagsFor::kRegister);
  return cl;
}

absl::StatusOr<v1::RegisterContentRequest> Build(const std::vector<std::string>& args) {
  CommandLine cl = AddLine();
  if (absl::Status s = cl.Parse(args); !s.ok()) return s;
  return RegisterRequestFromFlags(cl, "op");
}

TEST(RegisterRequestFromFlagsTest, TakesIdOwnerTitleLicenceAndActor) {
  absl::StatusOr<v1::RegisterContentRequest> req =
      Build({"f", "--id", "sintel", "--owner", "bf", "--title", "Sintel", "--price-model", "rental",
             "--price", "299", "--rental-seconds", "60"});
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->actor(), "op");
  EXPECT_EQ(req->content().content_id(), "sintel");
  EXPECT_EQ(req->content().owner(), "bf");
  EXPECT_EQ(req->content().title(), "Sintel");
  EXPECT_EQ(req->content().licence().price().minor(), 299);
  EXPECT_EQ(req->content().licence().rental_seconds(), 60);
  EXPECT_TRUE(req->content().info_hash_v1().empty());  // left to the caller
}

TEST(RegisterRequestFromFlagsTest, UsageErrorsNameTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"f", "--owner", "o", "--price-model", "free"}, "--id is required"},
      {{"f", "--id=", "--owner", "o", "--price-model", "free"}, "--id is required"},
      {{"f", "--id", "x", "--price-model", "free"}, "--owner is required"},
      {{"f", "--id", "x", "--owner", "o"}, "--price-model is required"},
      {{"f", "--id", "x", "--owner", "o", "--price-model", "free", "--title="},
       "--title cannot be empty"},
      {{"f", "--id", "x", "--owner", "o", "--price-model", "gratis"}, "--price-model: 'gratis'"},
  };
  for (const auto& [args, message] : cases) {
    absl::Status s = Build(args).status();
    EXPECT_TRUE(IsUsageError(s)) << s;
    EXPECT_EQ(ExitCode(s), 2);
    EXPECT_NE(s.message().find(message), absl::string_view::npos) << s << " vs " << message;
  }
}

TorrentSummary Hybrid() {
  return {.info_hash_v1 = std::string(20, '\x01'),
          .info_hash_v2 = std::string(20, '\x02') + std::string(12, '\x03'),
          .size_bytes = 1000,
          .name = "movie.mkv"};
}

TEST(ApplyTorrentTest, HashesSizeAndTitleFromTheName) {
  v1::Content c;
  ASSERT_TRUE(ApplyTorrent(Hybrid(), "x.torrent", false, c).ok());
  EXPECT_EQ(c.info_hash_v1(), Hybrid().info_hash_v1);
  EXPECT_EQ(c.info_hash_v2(), Hybrid().info_hash_v2);
  EXPECT_EQ(c.size_bytes(), 1000);
  EXPECT_EQ(c.title(), "movie.mkv");
  c.set_title("Given");
  ASSERT_TRUE(ApplyTorrent(Hybrid(), "x.torrent", true, c).ok());
  EXPECT_EQ(c.title(), "Given");
  TorrentSummary nameless = Hybrid();
  nameless.name.clear();
  absl::Status s = ApplyTorrent(nameless, "x.torrent", false, c);
  EXPECT_EQ(s.message(), "x.torrent: the torrent has no name; give --title");
}

TEST(ParseSwarmHashTest, V1TruncatedOrWholeV2) {
  const std::string v1(40, 'a');
  EXPECT_EQ(*ParseSwarmHash("info-hash", v1), std::string(20, '\xaa'));
  EXPECT_EQ(*ParseSwarmHash("info-hash", std::string(40, 'B') + std::string(24, '0')),
            std::string(20, '\xbb'));
  for (const std::string& bad : std::vector<std::string>{
           "", "abc", std::string(39, 'a'), std::string(42, 'a'), std::string(40, 'g')}) {
    absl::Status s = ParseSwarmHash("info-hash", bad).status();
    EXPECT_TRUE(IsUsageError(s)) << bad;
    EXPECT_NE(s.message().find("--info-hash: expected 40 hex digits"), absl::string_view::npos);
  }
}

TEST(RegistrationMismatchTest, SameHashesOwnerAndSizeAreTheSame) {
  v1::Content wanted;
  wanted.set_content_id("sintel");
  wanted.set_owner("bf");
  ASSERT_TRUE(ApplyTorrent(Hybrid(), "x", false, wanted).ok());
  v1::Content stored = wanted;
  stored.set_title("Other title");  // titles and licences may change
  stored.mutable_licence()->set_rental_seconds(5);
  EXPECT_EQ(RegistrationMismatch(stored, wanted), "");

  stored.set_info_hash_v1(std::string(20, '\x09'));
  stored.set_size_bytes(7);
  EXPECT_EQ(RegistrationMismatch(stored, wanted),
            "info-hash v1 0909090909090909090909090909090909090909 (not "
            "0101010101010101010101010101010101010101), size 7 (not 1000)");
  stored = wanted;
  stored.set_info_hash_v2("");
  EXPECT_NE(RegistrationMismatch(stored, wanted).find("info-hash v2 none (not 0202"),
            std::string::npos);
  stored = wanted;
  stored.set_owner("someone");
  stored.set_withdrawn(true);
  EXPECT_EQ(RegistrationMismatch(stored, wanted), "owner someone (not bf), it is withdrawn");
}

TEST(IndexMismatchTest, ComparesIdAndBothHashes) {
  tv1::IndexedContent stored;
  stored.set_content_id("sintel");
  stored.set_info_hash(Hybrid().info_hash_v1);
  stored.set_info_hash_v2_truncated(std::string(20, '\x02'));
  stored.set_size_bytes(99999);  // the tracker may count pad files: not compared
  EXPECT_EQ(IndexMismatch(stored, "sintel", Hybrid()), "");
  EXPECT_EQ(IndexMismatch(stored, "other", Hybrid()), "content id sintel (not other)");
  TorrentSummary v1_only = Hybrid();
  v1_only.info_hash_v2.clear();
  EXPECT_EQ(IndexMismatch(stored, "sintel", v1_only),
            "truncated v2 info-hash 0202020202020202020202020202020202020202 (not none)");
}

TEST(CliErrorTest, PartlyDoneExitsThreeAndKeepsTheRpcLine) {
  absl::Status rpc = RpcError(absl::UnavailableError("connect failed"), "tracker", "127.0.0.1:1");
  absl::Status partly = PartlyDone(WithSuffix(rpc, "; finish with X"));
  EXPECT_EQ(ExitCode(partly), 3);
  EXPECT_TRUE(IsPartlyDone(partly));
  EXPECT_FALSE(IsPartlyDone(rpc));
  EXPECT_EQ(ErrorLine(partly),
            "p2pimsctl: UNAVAILABLE: tracker at 127.0.0.1:1: connect failed; finish with X");
  EXPECT_EQ(ExitCode(rpc), 1);
  EXPECT_TRUE(PartlyDone(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace p2pims::ctl
