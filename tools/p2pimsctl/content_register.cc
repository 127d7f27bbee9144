#include "tools/p2pimsctl/content_register.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/encoding/encoding.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/licence_flags.h"

namespace p2pims::ctl {
namespace {

namespace v1 = ::p2pims::rights::v1;

std::string HexOrNone(const std::string& bytes) { return bytes.empty() ? "none" : Hex(bytes); }

void Compare(std::vector<std::string>& out, const char* what, const std::string& stored,
             const std::string& wanted) {
  if (stored != wanted)
    absl::StrAppend(&out.emplace_back(), what, " ", stored, " (not ", wanted, ")");
}

}  // namespace

void AddIdentityFlags(CommandLine& cl, const std::string& title_default) {
  cl.Flag("id", "ID", "content id, the user part of sip:ID@<p2p domain> (required)")
      .Flag("owner", "OWNER", "content owner, the payee of revenue share (required)")
      .Flag("title", "TITLE", absl::StrCat("title (default: ", title_default, ")"));
}

absl::StatusOr<v1::RegisterContentRequest> RegisterRequestFromFlags(const CommandLine& cl,
                                                                    const std::string& actor) {
  P2PIMS_RETURN_IF_ERROR(cl.Require("id"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("owner"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("price-model"));
  if (cl.Has("title") && cl.Get("title").empty()) return UsageError("--title cannot be empty");
  v1::RegisterContentRequest req;
  req.set_actor(actor);
  v1::Content& c = *req.mutable_content();
  P2PIMS_RETURN_IF_ERROR(ApplyLicenceFlags(cl, *c.mutable_licence()));
  c.set_content_id(cl.Get("id"));
  c.set_owner(cl.Get("owner"));
  c.set_title(cl.Get("title"));
  return req;
}

absl::Status ApplyTorrent(const TorrentSummary& torrent, const std::string& source,
                          bool title_given, v1::Content& content) {
  content.set_info_hash_v1(torrent.info_hash_v1);
  content.set_info_hash_v2(torrent.info_hash_v2);
  content.set_size_bytes(torrent.size_bytes);
  if (!title_given) {
    if (torrent.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": the torrent has no name; give --title"));
    }
    content.set_title(torrent.name);
  }
  return absl::OkStatus();
}

std::string TruncatedV2(const std::string& info_hash_v2) { return info_hash_v2.substr(0, 20); }

absl::StatusOr<std::string> ParseSwarmHash(const std::string& flag, const std::string& hex) {
  std::optional<std::string> raw = Unhex(hex);
  if (!raw || (raw->size() != 20 && raw->size() != 32)) {
    return UsageError(absl::StrCat("--", flag,
                                   ": expected 40 hex digits (v1 or truncated v2 info-hash) or 64 "
                                   "(v2 info-hash)"));
  }
  return TruncatedV2(*raw);
}

std::string RegistrationMismatch(const v1::Content& stored, const v1::Content& wanted) {
  std::vector<std::string> diffs;
  Compare(diffs, "content id", stored.content_id(), wanted.content_id());
  Compare(diffs, "owner", stored.owner(), wanted.owner());
  Compare(diffs, "info-hash v1", HexOrNone(stored.info_hash_v1()),
          HexOrNone(wanted.info_hash_v1()));
  Compare(diffs, "info-hash v2", HexOrNone(stored.info_hash_v2()),
          HexOrNone(wanted.info_hash_v2()));
  Compare(diffs, "size", absl::StrCat(stored.size_bytes()), absl::StrCat(wanted.size_bytes()));
  if (stored.withdrawn()) diffs.push_back("it is withdrawn");
  return absl::StrJoin(diffs, ", ");
}

std::string IndexMismatch(const ::p2pims::tracker::v1::IndexedContent& stored,
                          const std::string& content_id, const TorrentSummary& wanted) {
  std::vector<std::string> diffs;
  Compare(diffs, "content id", stored.content_id(), content_id);
  Compare(diffs, "info-hash", HexOrNone(stored.info_hash()), HexOrNone(wanted.info_hash_v1));
  Compare(diffs, "truncated v2 info-hash", HexOrNone(stored.info_hash_v2_truncated()),
          HexOrNone(TruncatedV2(wanted.info_hash_v2)));
  return absl::StrJoin(diffs, ", ");
}

}  // namespace p2pims::ctl
