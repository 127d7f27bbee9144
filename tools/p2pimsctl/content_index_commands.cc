// "content add" (hash a file, register it in rights, index it in the tracker), "content index"
// (index content registered in rights) and "content indexed" (read the tracker's index).
//
// "content add" changes two services that share no transaction. It registers in rights first
// (the catalogue decides who may have access; an index entry without a registration serves
// nobody, while a registration without an index entry is finished with "content index"), and
// treats content already present with the same info-hashes as done, so running it again after a
// failure is safe.
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/json/json.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"
#include "tools/p2pimsctl/content_register.h"
#include "tools/p2pimsctl/hash_progress.h"
#include "tools/p2pimsctl/licence_flags.h"
#include "tools/p2pimsctl/output.h"
#include "tools/p2pimsctl/synced_file.h"
#include "tools/p2pimsctl/table.h"
#include "tools/p2pimsctl/torrent_file.h"
#include "tools/p2pimsctl/torrent_maker.h"
#include "tools/p2pimsctl/tracker_output.h"

namespace p2pims::ctl {
namespace {

constexpr const char* kNothingChanged = "nothing was registered or indexed";

// The content rights has under `id`; nullopt when none.
absl::StatusOr<std::optional<v1::Content>> FindRegistered(const Invocation& in,
                                                          const std::string& id) {
  v1::GetContentRequest req;
  req.set_content_id(id);
  absl::StatusOr<v1::Content> c = in.rights.GetContent(req);
  if (absl::IsNotFound(c.status())) return std::nullopt;
  if (!c.ok()) return c.status();
  return *std::move(c);
}

// The tracker's index entry under `id`, or (when `id` is empty) for the 20-byte `info_hash` (v1
// or truncated v2); nullopt when none.
absl::StatusOr<std::optional<tv1::IndexedContent>> FindIndexed(const Invocation& in,
                                                               const std::string& id,
                                                               const std::string& info_hash = "") {
  tv1::GetIndexedContentRequest req;
  req.set_content_id(id);
  req.set_info_hash(info_hash);
  absl::StatusOr<tv1::IndexedContent> c = in.tracker.GetIndexedContent(req);
  if (absl::IsNotFound(c.status())) return std::nullopt;
  if (!c.ok()) return c.status();
  return *std::move(c);
}

// An ALREADY_EXISTS found by comparing what a service holds, printed like the service's own
// errors.
absl::Status Conflict(absl::string_view service, absl::string_view address,
                      absl::string_view message) {
  return RpcError(absl::AlreadyExistsError(message), service, address);
}

struct Outcome {
  bool already = false;  // it was there before, the same
};

// Registers `req` in rights unless the same content is there already (`known`, or found after
// ALREADY_EXISTS). ALREADY_EXISTS when rights holds different content under the id or the
// info-hash under another id.
absl::StatusOr<std::pair<v1::Content, Outcome>> RegisterOnce(const Invocation& in,
                                                             const v1::RegisterContentRequest& req,
                                                             std::optional<v1::Content> known) {
  const std::string& id = req.content().content_id();
  if (!known) {
    absl::StatusOr<v1::Content> registered = in.rights.RegisterContent(req);
    if (registered.ok()) return std::make_pair(*std::move(registered), Outcome{});
    if (!absl::IsAlreadyExists(registered.status())) return registered.status();
    // Registered meanwhile by someone else, or the info-hash is another content's.
    P2PIMS_ASSIGN_OR_RETURN(known, FindRegistered(in, id));
    if (!known) return registered.status();
  }
  if (std::string diff = RegistrationMismatch(*known, req.content()); !diff.empty()) {
    return Conflict(
        "rights", "",
        absl::StrCat("rights already has content '", id, "' and it is not this content: ", diff));
  }
  return std::make_pair(*std::move(known), Outcome{.already = true});
}

// Indexes `metainfo` in the tracker under `id` unless the same is indexed already (`known`, or
// found after ALREADY_EXISTS). ALREADY_EXISTS when the tracker indexes other content under the
// id, or the info-hash under another id.
absl::StatusOr<std::pair<tv1::IndexedContent, Outcome>> IndexOnce(
    const Invocation& in, const std::string& id, const std::string& metainfo,
    const TorrentSummary& torrent, std::optional<tv1::IndexedContent> known) {
  const std::string& address = in.tracker.address();
  if (!known) {
    tv1::IndexContentRequest req;
    req.set_content_id(id);
    req.set_metainfo(metainfo);
    absl::StatusOr<tv1::IndexedContent> indexed = in.tracker.IndexContent(req);
    if (indexed.ok()) return std::make_pair(*std::move(indexed), Outcome{});
    if (!absl::IsAlreadyExists(indexed.status())) return indexed.status();
    P2PIMS_ASSIGN_OR_RETURN(known, FindIndexed(in, id));
    if (!known) {
      // The id is free, so an info-hash is indexed under another id: name it.
      for (const std::string& hash : {torrent.info_hash_v1, TruncatedV2(torrent.info_hash_v2)}) {
        if (hash.empty()) continue;
        P2PIMS_ASSIGN_OR_RETURN(std::optional<tv1::IndexedContent> other,
                                FindIndexed(in, "", hash));
        if (other) {
          return Conflict("tracker", address,
                          absl::StrCat("the tracker indexes info-hash ", Hex(hash), " as content '",
                                       other->content_id(), "', not '", id, "'"));
        }
      }
      return indexed.status();
    }
  }
  if (std::string diff = IndexMismatch(*known, id, torrent); !diff.empty()) {
    return Conflict("tracker", address,
                    absl::StrCat("the tracker's index already has content '", id,
                                 "' and it is not this content: ", diff));
  }
  return std::make_pair(*std::move(known), Outcome{.already = true});
}

// Writes to stderr at once (the progress bar), ignoring errors: progress is not output.
void WriteStderr(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

// Keeps metainfo that could not be indexed in a new file under $TMPDIR, so that the operator can
// finish with "content index" without hashing again. "" when it cannot be written.
std::string KeepMetainfo(const std::string& id, const std::string& metainfo) {
  const char* tmp = std::getenv("TMPDIR");
  std::string safe_id;
  for (char c : id) safe_id += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  std::string path = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/p2pims-",
                                  safe_id.substr(0, 64), "-XXXXXX.torrent");
  const int fd = ::mkstemps(path.data(), 8);
  if (fd < 0) return "";
  ::close(fd);
  if (!WriteSynced(path, metainfo).ok()) {
    ::unlink(path.c_str());
    return "";
  }
  return path;
}

// Checks that `path` (--torrent-out) can be written, before hours of hashing: its directory
// exists and is writable, and it is not a directory itself.
absl::Status CheckWritable(const std::string& path) {
  const auto [dir, name] = SplitPath(path);
  if (name.empty()) return UsageError("--torrent-out must name a file");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write --torrent-out ", path, ": ", std::strerror(errno)));
  }
  if (::access(path.c_str(), F_OK) == 0 && ::access((path + "/.").c_str(), F_OK) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write --torrent-out ", path, ": it is a directory"));
  }
  return absl::OkStatus();
}

void DeclareAdd(CommandLine& cl) {
  cl.Arg("PATH", "the file, or directory of files, to hash");
  AddIdentityFlags(cl, "the file or directory name");
  cl.Switch("v1-only", "make a v1-only torrent (default: hybrid v1+v2)")
      .Flag("torrent-out", "FILE", "also write the .torrent to FILE (atomically)")
      .Flag("piece-kb", "KIB",
            "piece size: a power of two from 16 to 16384 (default: libtorrent's choice, e.g. 64 "
            "for 16 MiB)");
  AddLicenceFlags(cl, LicenceFlagsFor::kRegister);
  cl.Note(
      "Hashes PATH into a torrent with libtorrent (progress on stderr), registers it in rights\n"
      "(as 'content register --torrent') and indexes it in the tracker (ContentIndex).\n"
      "Both services are asked first: when one cannot be reached nothing is hashed or changed.\n"
      "Content already registered or indexed with the same info-hashes counts as done, so the\n"
      "command can be run again. Exit 3: registered in rights but not indexed in the tracker;\n"
      "the message names the command that finishes it (content index ID --torrent FILE).\n"
      "example:\n"
      "  p2pimsctl content add media/sintel.mkv --id sintel --owner blender-foundation \\\n"
      "      --price-model rental --price 299 --currency EUR --rental-seconds 172800 \\\n"
      "      --torrent-out sintel.torrent");
}

std::string AddJson(const v1::Content& content, const tv1::IndexedContent& indexed,
                    const MadeTorrent& made, const std::string& torrent_out, Outcome rights,
                    Outcome tracker) {
  JsonObject o;
  o.Add("content_id", content.content_id())
      .Add("title", content.title())
      .Add("name", made.summary.name)
      .Add("size_bytes", int64_t{made.summary.size_bytes})
      .Add("info_hash_v1", Hex(made.summary.info_hash_v1))
      .Add("info_hash_v2", Hex(made.summary.info_hash_v2))
      .Add("info_hash_v2_truncated", Hex(indexed.info_hash_v2_truncated()))
      .Add("piece_length", made.piece_length)
      .Add("num_pieces", made.num_pieces)
      .Add("torrent_out", torrent_out)
      .Add("rights", rights.already ? "already_registered" : "registered")
      .Add("tracker", tracker.already ? "already_indexed" : "indexed");
  return o.Close();
}

std::string AddDetails(const v1::Content& content, const tv1::IndexedContent& indexed,
                       const MadeTorrent& made, const std::string& torrent_out, Outcome rights,
                       Outcome tracker) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"content_id", content.content_id()},
      {"title", content.title()},
      {"size", absl::StrCat(made.summary.size_bytes, " bytes (",
                            FormatBytes(made.summary.size_bytes), ")")},
      {"info_hash_v1", Hex(made.summary.info_hash_v1)},
      {"info_hash_v2",
       made.summary.info_hash_v2.empty() ? "- (v1-only)" : Hex(made.summary.info_hash_v2)},
      {"pieces", absl::StrCat(made.num_pieces, " of ", FormatBytes(made.piece_length))},
  };
  if (!torrent_out.empty()) fields.emplace_back("torrent", torrent_out);
  fields.emplace_back("rights", rights.already ? "already registered (unchanged; the licence is "
                                                 "the one in force, see content update)"
                                               : "registered");
  fields.emplace_back("tracker", tracker.already
                                     ? "already indexed (unchanged)"
                                     : absl::StrCat("indexed (", indexed.content_id(), ")"));
  return Details(fields);
}

absl::Status RunAdd(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_ASSIGN_OR_RETURN(v1::RegisterContentRequest req, RegisterRequestFromFlags(cl, in.actor));
  const std::string& path = cl.Arg(0);
  const std::string id = cl.Get("id");
  const std::string torrent_out = cl.Get("torrent-out");
  if (cl.Has("torrent-out") && torrent_out.empty()) {
    return UsageError("--torrent-out cannot be empty");
  }
  int64_t piece_kib = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("piece-kb", 16, 16384, &piece_kib));
  if ((piece_kib & (piece_kib - 1)) != 0) {
    return UsageError("--piece-kb must be a power of two (16, 32, 64, ... 16384)");
  }

  // Local checks, then both services, before the (possibly long) hashing: any failure up to
  // there exits having changed nothing.
  P2PIMS_RETURN_IF_ERROR(CheckHashable(path));
  if (!torrent_out.empty()) P2PIMS_RETURN_IF_ERROR(CheckWritable(torrent_out));
  absl::StatusOr<std::optional<v1::Content>> known_rights = FindRegistered(in, id);
  if (!known_rights.ok())
    return WithSuffix(known_rights.status(), absl::StrCat("; ", kNothingChanged));
  absl::StatusOr<std::optional<tv1::IndexedContent>> known_index = FindIndexed(in, id);
  if (!known_index.ok())
    return WithSuffix(known_index.status(), absl::StrCat("; ", kNothingChanged));
  if (*known_rights && (*known_rights)->withdrawn()) {
    return absl::FailedPreconditionError(
        absl::StrCat("content '", id, "' is withdrawn in rights; ", kNothingChanged));
  }

  std::optional<ProgressMeter> bar;  // made before the first piece, when the total is known
  const bool interactive = ::isatty(STDERR_FILENO) == 1;
  const MakeTorrentOptions options{.v1_only = cl.GetSwitch("v1-only"),
                                   .piece_bytes = static_cast<int>(piece_kib * 1024)};
  absl::StatusOr<MadeTorrent> made = MakeTorrent(path, options, [&](int64_t done, int64_t total) {
    if (!bar) bar.emplace(total, interactive, WriteStderr);
    bar->Update(done);
  });
  if (!made.ok()) return WithSuffix(made.status(), absl::StrCat("; ", kNothingChanged));
  if (!bar) bar.emplace(made->hashed_bytes, interactive, WriteStderr);
  bar->Finish(made->hashed_bytes);

  v1::Content& content = *req.mutable_content();
  P2PIMS_RETURN_IF_ERROR(ApplyTorrent(made->summary, path, cl.Has("title"), content));
  if (!torrent_out.empty()) {
    const auto [dir, name] = SplitPath(torrent_out);
    if (absl::Status s = WriteFileAtomically(dir, name, made->bencoded); !s.ok()) {
      return WithSuffix(s, absl::StrCat("; ", kNothingChanged));
    }
  }

  absl::StatusOr<std::pair<v1::Content, Outcome>> registered =
      RegisterOnce(in, req, *std::move(known_rights));
  if (!registered.ok()) {
    std::string state = kNothingChanged;
    if (*known_index) {
      absl::StrAppend(&state, " (the tracker's index already had '", id, "' before this run)");
    }
    return WithSuffix(registered.status(), absl::StrCat("; ", state));
  }

  absl::StatusOr<std::pair<tv1::IndexedContent, Outcome>> indexed =
      IndexOnce(in, id, made->bencoded, made->summary, *std::move(known_index));
  if (!indexed.ok()) {
    const std::string file = torrent_out.empty() ? KeepMetainfo(id, made->bencoded) : torrent_out;
    const std::string finish =
        file.empty() ? "run this 'p2pimsctl content add' again"
                     : absl::StrCat("p2pimsctl content index ", id, " --torrent ", file);
    return PartlyDone(WithSuffix(
        indexed.status(),
        absl::StrCat(
            "; content '", id, "' ",
            registered->second.already ? "was already registered in rights"
                                       : "is now registered in rights",
            " but is NOT indexed in the tracker; to finish, fix the cause and run: ", finish)));
  }

  const auto& [stored, rights_outcome] = *registered;
  const auto& [entry, tracker_outcome] = *indexed;
  in.out += in.json
                ? AddJson(stored, entry, *made, torrent_out, rights_outcome, tracker_outcome) + "\n"
                : AddDetails(stored, entry, *made, torrent_out, rights_outcome, tracker_outcome);
  return absl::OkStatus();
}

void DeclareIndex(CommandLine& cl) {
  cl.Arg("ID", "content id, as registered in rights")
      .Flag("torrent", "FILE", "the .torrent registered for ID (required)");
  cl.Note(
      "Indexes content already registered in rights (content register) in the tracker, with its\n"
      "metainfo. The torrent's info-hashes must be the ones rights has for ID. Content indexed\n"
      "already with the same info-hashes counts as done.\n"
      "example:\n"
      "  p2pimsctl content index sintel --torrent sintel.torrent");
}

absl::Status RunIndex(const Invocation& in) {
  P2PIMS_RETURN_IF_ERROR(in.cl.Require("torrent"));
  const std::string& id = in.cl.Arg(0);
  const std::string file = in.cl.Get("torrent");
  P2PIMS_ASSIGN_OR_RETURN(std::string metainfo, ReadTorrentBytes(file));
  absl::StatusOr<TorrentSummary> torrent = ParseTorrent(metainfo);
  if (!torrent.ok()) {
    return absl::Status(torrent.status().code(),
                        absl::StrCat(file, ": ", torrent.status().message()));
  }

  P2PIMS_ASSIGN_OR_RETURN(std::optional<v1::Content> registered, FindRegistered(in, id));
  if (!registered) {
    return RpcError(absl::NotFoundError(absl::StrCat(
                        "content '", id,
                        "' is not registered in rights; register it first (content register "
                        "--torrent FILE, or content add); nothing was indexed")),
                    "rights", "");
  }
  if (registered->info_hash_v1() != torrent->info_hash_v1 ||
      (!registered->info_hash_v2().empty() &&
       registered->info_hash_v2() != torrent->info_hash_v2)) {
    return absl::FailedPreconditionError(
        absl::StrCat(file, " is not the torrent registered for '", id, "': its info-hash is ",
                     Hex(torrent->info_hash_v1), ", rights has ", Hex(registered->info_hash_v1()),
                     registered->info_hash_v2().empty()
                         ? ""
                         : absl::StrCat(" (v2 ", Hex(registered->info_hash_v2()), ")"),
                     "; nothing was indexed"));
  }
  P2PIMS_ASSIGN_OR_RETURN(auto indexed, IndexOnce(in, id, metainfo, *torrent, std::nullopt));
  const auto& [entry, outcome] = indexed;
  in.out += in.json
                ? IndexedContentJson(entry, outcome.already ? "already_indexed" : "indexed") + "\n"
                : IndexedContentDetails(
                      entry, outcome.already ? "already indexed (unchanged)" : "indexed");
  return absl::OkStatus();
}

void DeclareIndexed(CommandLine& cl) {
  cl.OptionalArg("ID", "content id: show this item (with the size of its metainfo)")
      .Flag("info-hash", "HEX",
            "show the item with this info-hash: v1 (40 hex digits), v2 (64) or truncated v2 (40)")
      .Flag("page-size", "N", "items per request when listing (the tracker caps it at 1000)");
  cl.Note(
      "Without ID or --info-hash, lists the whole index in content id order.\n"
      "examples:\n"
      "  p2pimsctl content indexed\n"
      "  p2pimsctl --json content indexed sintel");
}

absl::Status RunIndexed(const Invocation& in) {
  const CommandLine& cl = in.cl;
  const bool by_id = cl.ArgCount() == 1;
  if (by_id && cl.Has("info-hash")) return UsageError("give ID or --info-hash, not both");
  if ((by_id || cl.Has("info-hash")) && cl.Has("page-size")) {
    return UsageError("--page-size is for listing (without ID or --info-hash)");
  }
  int64_t page_size = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("page-size", 1, 1000, &page_size));
  if (by_id || cl.Has("info-hash")) {
    tv1::GetIndexedContentRequest req;
    if (by_id) {
      req.set_content_id(cl.Arg(0));
    } else {
      P2PIMS_ASSIGN_OR_RETURN(std::string hash, ParseSwarmHash("info-hash", cl.Get("info-hash")));
      req.set_info_hash(hash);
    }
    P2PIMS_ASSIGN_OR_RETURN(tv1::IndexedContent c, in.tracker.GetIndexedContent(req));
    in.out += in.json ? IndexedContentJson(c) + "\n" : IndexedContentDetails(c);
    return absl::OkStatus();
  }
  tv1::ListIndexedContentRequest req;
  req.set_page_size(static_cast<int32_t>(page_size));
  std::vector<tv1::IndexedContent> all;
  std::set<std::string> seen_tokens;
  while (true) {
    P2PIMS_ASSIGN_OR_RETURN(tv1::ListIndexedContentResponse page,
                            in.tracker.ListIndexedContent(req));
    all.insert(all.end(), page.content().begin(), page.content().end());
    if (page.next_page_token().empty()) break;
    if (!seen_tokens.insert(page.next_page_token()).second) {
      return absl::InternalError(
          absl::StrCat("the tracker returned page token '", page.next_page_token(), "' twice"));
    }
    req.set_page_token(page.next_page_token());
  }
  if (in.json) {
    std::vector<std::string> items;
    for (const auto& c : all) items.push_back(IndexedContentJson(c));
    in.out += JsonArray(items);
  } else {
    in.out += IndexedContentTable(all);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> ContentIndexCommands() {
  return {
      {"content add", "Hashes a file, registers it in rights and indexes it in the tracker.",
       DeclareAdd, RunAdd},
      {"content index", "Indexes registered content in the tracker from its .torrent.",
       DeclareIndex, RunIndex},
      {"content indexed", "Shows the tracker's content index, or one item of it.", DeclareIndexed,
       RunIndexed},
  };
}

}  // namespace p2pims::ctl
