// "content register|list|show|update|withdraw": the catalogue and its licences in rights.
// "content add|index|indexed" (rights and the tracker) are in content_index_commands.cc.
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"
#include "tools/p2pimsctl/content_register.h"
#include "tools/p2pimsctl/licence_flags.h"
#include "tools/p2pimsctl/output.h"
#include "tools/p2pimsctl/torrent_file.h"

namespace p2pims::ctl {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// The raw bytes of a hex info-hash flag of `bytes` bytes.
absl::StatusOr<std::string> InfoHashFlag(const CommandLine& cl, absl::string_view name,
                                         size_t bytes) {
  std::optional<std::string> raw = Unhex(cl.Get(name));
  if (!raw || raw->size() != bytes) {
    return UsageError(absl::StrCat("--", name, ": expected ", 2 * bytes, " hex digits"));
  }
  return *raw;
}

void PrintContent(const Invocation& in, const v1::Content& c) {
  in.out += in.json ? ContentJson(c) + "\n" : ContentDetails(c);
}

void DeclareRegister(CommandLine& cl) {
  AddIdentityFlags(cl, "the torrent's name");
  cl.Flag("torrent", "FILE", "the .torrent (v1 or hybrid) to take info-hashes and size from")
      .Flag("info-hash-v1", "HEX", "v1 info-hash, 40 hex digits (instead of --torrent)")
      .Flag("info-hash-v2", "HEX", "v2 info-hash, 64 hex digits (hybrid torrents)")
      .Flag("size", "BYTES", "total size in bytes (with --info-hash-v1)");
  AddLicenceFlags(cl, LicenceFlagsFor::kRegister);
  cl.Note(
      "Give either --torrent FILE, or --info-hash-v1 HEX [--info-hash-v2 HEX] --size BYTES.\n"
      "Registers in rights only; 'content add' hashes a file, registers and indexes it.\n"
      "example:\n"
      "  p2pimsctl content register --id sintel --owner blender-foundation --torrent "
      "sintel.torrent \\\n"
      "      --price-model rental --price 299 --currency EUR --rental-seconds 172800");
}

absl::Status RunRegister(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_ASSIGN_OR_RETURN(v1::RegisterContentRequest req, RegisterRequestFromFlags(cl, in.actor));
  v1::Content& c = *req.mutable_content();
  const bool from_torrent = cl.Has("torrent");
  if (from_torrent && (cl.Has("info-hash-v1") || cl.Has("info-hash-v2") || cl.Has("size"))) {
    return UsageError("--torrent excludes --info-hash-v1, --info-hash-v2 and --size");
  }
  if (!from_torrent && !cl.Has("info-hash-v1")) {
    return UsageError("give --torrent FILE, or --info-hash-v1 HEX and --size BYTES");
  }
  if (!from_torrent) {
    if (!cl.Has("size")) return UsageError("--size is required with --info-hash-v1");
    if (!cl.Has("title")) return UsageError("--title is required without --torrent");
    P2PIMS_ASSIGN_OR_RETURN(std::string v1_hash, InfoHashFlag(cl, "info-hash-v1", 20));
    c.set_info_hash_v1(v1_hash);
    if (cl.Has("info-hash-v2")) {
      P2PIMS_ASSIGN_OR_RETURN(std::string v2_hash, InfoHashFlag(cl, "info-hash-v2", 32));
      c.set_info_hash_v2(v2_hash);
    }
    int64_t size = 0;
    P2PIMS_RETURN_IF_ERROR(cl.ReadInt("size", 0, kMaxInt64, &size));
    c.set_size_bytes(size);
  }

  // Every usage check has passed; now the file (a failure here exits 1 and sends nothing).
  if (from_torrent) {
    P2PIMS_ASSIGN_OR_RETURN(TorrentSummary torrent, ReadTorrentFile(cl.Get("torrent")));
    P2PIMS_RETURN_IF_ERROR(ApplyTorrent(torrent, cl.Get("torrent"), cl.Has("title"), c));
  }
  P2PIMS_ASSIGN_OR_RETURN(v1::Content registered, in.rights.RegisterContent(req));
  PrintContent(in, registered);
  return absl::OkStatus();
}

void DeclareList(CommandLine& cl) {
  cl.Flag("owner", "OWNER", "only content of this owner")
      .Flag("page-size", "N", "items per request (rights caps it; all pages are fetched)");
}

absl::Status RunList(const Invocation& in) {
  int64_t page_size = 0;
  P2PIMS_RETURN_IF_ERROR(
      in.cl.ReadInt("page-size", 1, std::numeric_limits<int32_t>::max(), &page_size));
  v1::ListContentRequest req;
  req.set_owner(in.cl.Get("owner"));
  req.set_page_size(static_cast<int32_t>(page_size));
  std::vector<v1::Content> all;
  std::set<std::string> seen_tokens;
  while (true) {
    P2PIMS_ASSIGN_OR_RETURN(v1::ListContentResponse page, in.rights.ListContent(req));
    all.insert(all.end(), page.content().begin(), page.content().end());
    if (page.next_page_token().empty()) break;
    // A token seen before would make this loop forever. (Tokens are compared for identity
    // only: rights orders ids by its database collation, which need not be byte order.)
    if (!seen_tokens.insert(page.next_page_token()).second) {
      return absl::InternalError(
          absl::StrCat("rights returned page token '", page.next_page_token(), "' twice"));
    }
    req.set_page_token(page.next_page_token());
  }
  if (in.json) {
    std::vector<std::string> items;
    for (const auto& c : all) items.push_back(ContentJson(c));
    in.out += JsonArray(items);
  } else {
    in.out += ContentTable(all);
  }
  return absl::OkStatus();
}

void DeclareShow(CommandLine& cl) { cl.Arg("ID", "content id"); }

absl::Status RunShow(const Invocation& in) {
  v1::GetContentRequest req;
  req.set_content_id(in.cl.Arg(0));
  P2PIMS_ASSIGN_OR_RETURN(v1::Content c, in.rights.GetContent(req));
  PrintContent(in, c);
  return absl::OkStatus();
}

void DeclareUpdate(CommandLine& cl) {
  cl.Arg("ID", "content id");
  AddLicenceFlags(cl, LicenceFlagsFor::kUpdate);
  cl.Note(
      "Fetches the licence in force, changes the fields given and sends the whole licence back.\n"
      "example:\n"
      "  p2pimsctl content update sintel --price 199 --window-end 2026-12-31T23:59:59Z");
}

absl::Status RunUpdate(const Invocation& in) {
  if (!HasLicenceFlags(in.cl)) return UsageError("nothing to update: give a licence flag");
  v1::Licence check;  // the flags' own errors, before anything is sent
  P2PIMS_RETURN_IF_ERROR(ApplyLicenceFlags(in.cl, check));

  v1::GetContentRequest get;
  get.set_content_id(in.cl.Arg(0));
  P2PIMS_ASSIGN_OR_RETURN(v1::Content current, in.rights.GetContent(get));
  v1::UpdateLicenceRequest req;
  req.set_content_id(in.cl.Arg(0));
  req.set_actor(in.actor);
  *req.mutable_licence() = current.licence();
  P2PIMS_RETURN_IF_ERROR(ApplyLicenceFlags(in.cl, *req.mutable_licence()));
  P2PIMS_ASSIGN_OR_RETURN(v1::Content updated, in.rights.UpdateLicence(req));
  PrintContent(in, updated);
  return absl::OkStatus();
}

void DeclareWithdraw(CommandLine& cl) {
  cl.Arg("ID", "content id").Flag("reason", "TEXT", "why, for the audit (required)");
}

absl::Status RunWithdraw(const Invocation& in) {
  P2PIMS_RETURN_IF_ERROR(in.cl.Require("reason"));
  v1::WithdrawContentRequest req;
  req.set_content_id(in.cl.Arg(0));
  req.set_reason(in.cl.Get("reason"));
  req.set_actor(in.actor);
  P2PIMS_ASSIGN_OR_RETURN(v1::Content c, in.rights.WithdrawContent(req));
  PrintContent(in, c);
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> ContentCommands() {
  return {
      {"content register", "Registers content and its licence.", DeclareRegister, RunRegister},
      {"content list", "Lists the catalogue in content id order.", DeclareList, RunList},
      {"content show", "Prints one content item and its licence.", DeclareShow, RunShow},
      {"content update", "Changes the licence of registered content.", DeclareUpdate, RunUpdate},
      {"content withdraw", "Withdraws content: no new access, live access revoked.",
       DeclareWithdraw, RunWithdraw},
  };
}

}  // namespace p2pims::ctl
