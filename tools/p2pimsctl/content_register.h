// What "content register" and "content add" share: the RegisterContent request built from the
// command line, the fields a torrent fills in, and when content already in rights or in the
// tracker's index counts as the same (so that running "content add" again is safe). No I/O.
//
//   P2PIMS_ASSIGN_OR_RETURN(v1::RegisterContentRequest req, RegisterRequestFromFlags(cl, actor));
//   P2PIMS_RETURN_IF_ERROR(ApplyTorrent(summary, "sintel.torrent", cl.Has("title"),
//                                       *req.mutable_content()));
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2pims/rights/v1/rights.pb.h"
#include "p2pims/tracker/v1/tracker.pb.h"
#include "tools/p2pimsctl/command_line.h"
#include "tools/p2pimsctl/torrent_file.h"

namespace p2pims::ctl {

// Declares --id, --owner and --title (the licence flags are declared by AddLicenceFlags).
void AddIdentityFlags(CommandLine& cl, const std::string& title_default);

// RegisterContent's request from --id, --owner, --title and the licence flags, with `actor`.
// Info-hashes and size are left to the caller. Usage errors: --id, --owner or --price-model
// missing or empty, --title given empty, a bad licence flag (see ApplyLicenceFlags).
absl::StatusOr<::p2pims::rights::v1::RegisterContentRequest> RegisterRequestFromFlags(
    const CommandLine& cl, const std::string& actor);

// Sets the info-hashes and size from `torrent`, and the title from its name unless
// `title_given`. InvalidArgument naming `source` when a title is needed and the torrent has no
// name.
absl::Status ApplyTorrent(const TorrentSummary& torrent, const std::string& source,
                          bool title_given, ::p2pims::rights::v1::Content& content);

// The first 20 bytes of a v2 info-hash (BEP 52: how v2 swarms appear in v1 messages); empty for
// an empty hash.
std::string TruncatedV2(const std::string& info_hash_v2);

// The 20 bytes the tracker looks swarms up by, from the hex value of flag --`flag`: a v1
// info-hash (40 hex digits) or truncated v2 (40), or a whole v2 info-hash (64), truncated. Usage
// error otherwise.
absl::StatusOr<std::string> ParseSwarmHash(const std::string& flag, const std::string& hex);

// Why content already registered in rights is not what `wanted` would register, or "" when it
// is the same: content id, owner, v1 and v2 info-hashes and size are equal and it is not
// withdrawn. Title and licence do not count (they can be changed; "content update" does).
std::string RegistrationMismatch(const ::p2pims::rights::v1::Content& stored,
                                 const ::p2pims::rights::v1::Content& wanted);

// The same for content already in the tracker's index: content id, v1 info-hash and truncated v2
// info-hash must be equal. (Not the size: the tracker counts the pad files of hybrid multi-file
// torrents in it, rights does not.)
std::string IndexMismatch(const ::p2pims::tracker::v1::IndexedContent& stored,
                          const std::string& content_id, const TorrentSummary& wanted);

}  // namespace p2pims::ctl
