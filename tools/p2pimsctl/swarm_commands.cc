// "swarm stats": the tracker's statistics of one swarm (Tracker.SwarmStats).
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"
#include "tools/p2pimsctl/content_register.h"
#include "tools/p2pimsctl/tracker_output.h"

namespace p2pims::ctl {
namespace {

void DeclareStats(CommandLine& cl) {
  cl.OptionalArg("ID", "content id")
      .Flag(
          "info-hash", "HEX",
          "the swarm's info-hash instead of ID: v1 (40 hex digits), v2 (64) or truncated v2 (40)");
  cl.Note(
      "Seeders and leechers announcing now, completed downloads, open sessions and the bytes\n"
      "their peers reported. Give ID or --info-hash.\n"
      "examples:\n"
      "  p2pimsctl swarm stats sintel\n"
      "  p2pimsctl --json swarm stats --info-hash 318a0c5bb4bd8b7b3d2a1d1c4bd6b8a0e9f4a1c2");
}

absl::Status RunStats(const Invocation& in) {
  const CommandLine& cl = in.cl;
  const bool by_id = cl.ArgCount() == 1;
  if (by_id == cl.Has("info-hash")) return UsageError("give ID or --info-hash (one of them)");
  tv1::SwarmStatsRequest req;
  std::string what;
  if (by_id) {
    if (cl.Arg(0).empty()) return UsageError("ID cannot be empty");
    req.set_content_id(cl.Arg(0));
    what = absl::StrCat("content '", cl.Arg(0), "'");
  } else {
    P2PIMS_ASSIGN_OR_RETURN(std::string hash, ParseSwarmHash("info-hash", cl.Get("info-hash")));
    req.set_info_hash(hash);
    what = absl::StrCat("info-hash ", cl.Get("info-hash"));
  }
  absl::StatusOr<tv1::SwarmStatsResponse> stats = in.tracker.SwarmStats(req);
  if (absl::IsNotFound(stats.status())) {
    // The tracker says only "content is not indexed"; say which, and where to look.
    return RpcError(absl::NotFoundError(absl::StrCat(what, " is not in the tracker's index at ",
                                                     in.tracker.address(),
                                                     " (see p2pimsctl content indexed)")),
                    "tracker", in.tracker.address());
  }
  if (!stats.ok()) return stats.status();
  const std::string id = by_id ? cl.Arg(0) : "";
  in.out += in.json ? SwarmStatsJson(id, *stats) + "\n" : SwarmStatsDetails(id, *stats);
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> SwarmCommands() {
  return {
      {"swarm stats", "Peers, completions, sessions and bytes of one swarm (tracker).",
       DeclareStats, RunStats},
  };
}

}  // namespace p2pims::ctl
