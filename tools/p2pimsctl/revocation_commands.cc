// "revoke" (access tokens by token id, subscriber or content) and "audit" (the trail of
// decisions and admin changes).
#include <limits>

#include "absl/strings/str_cat.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"
#include "tools/p2pimsctl/output.h"

namespace p2pims::ctl {
namespace {

void DeclareRevoke(CommandLine& cl) {
  cl.Flag("token-id", "ID", "one access token (its jti)")
      .Flag("subject", "SIP-URI", "every token of this subscriber")
      .Flag("content", "ID", "every token for this content")
      .Flag("issued-before", "TIME",
            "only tokens issued before this time (Unix seconds or RFC 3339; default: now)")
      .Flag("reason", "TEXT", "why, for the audit (required)")
      .Note(
          "Give exactly one of --token-id, --subject, --content. New access is still governed\n"
          "by entitlements: revoke those too to keep a subscriber out.");
}

absl::Status RunRevoke(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.RequireExactlyOne({"token-id", "subject", "content"}));
  for (const char* name : {"token-id", "subject", "content"}) {
    if (cl.Has(name)) P2PIMS_RETURN_IF_ERROR(cl.Require(name));
  }
  P2PIMS_RETURN_IF_ERROR(cl.Require("reason"));
  v1::RevokeRequest req;
  req.set_actor(in.actor);
  v1::Revocation& r = *req.mutable_revocation();
  r.set_token_id(cl.Get("token-id"));
  r.set_subject(cl.Get("subject"));
  r.set_content_id(cl.Get("content"));
  r.set_reason(cl.Get("reason"));
  int64_t before = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("issued-before", &before));
  r.set_issued_before(before);
  P2PIMS_ASSIGN_OR_RETURN(v1::Revocation done, in.rights.Revoke(req));
  in.out += in.json ? RevocationJson(done) + "\n" : RevocationDetails(done);
  return absl::OkStatus();
}

void DeclareAudit(CommandLine& cl) {
  cl.Flag("subject", "SIP-URI", "records about this subscriber")
      .Flag("content", "ID", "records about this content")
      .Flag("from", "TIME", "from this time, inclusive (Unix seconds or RFC 3339)")
      .Flag("to", "TIME", "until this time, exclusive (default: now)")
      .Flag("limit", "N", "at most N records (rights caps it)")
      .Note("Records are printed newest first.");
}

absl::Status RunAudit(const Invocation& in) {
  const CommandLine& cl = in.cl;
  v1::QueryAuditRequest req;
  req.set_subject(cl.Get("subject"));
  req.set_content_id(cl.Get("content"));
  int64_t from = 0, to = 0, limit = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("from", &from));
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("to", &to));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("limit", 1, std::numeric_limits<int32_t>::max(), &limit));
  if (from != 0 && to != 0 && from >= to) {
    return UsageError("--from must be before --to");
  }
  req.set_from_time(from);
  req.set_to_time(to);
  req.set_limit(static_cast<int32_t>(limit));
  P2PIMS_ASSIGN_OR_RETURN(v1::QueryAuditResponse resp, in.rights.QueryAudit(req));
  std::vector<v1::AuditRecord> records(resp.records().begin(), resp.records().end());
  if (in.json) {
    std::vector<std::string> json;
    for (const auto& r : records) json.push_back(AuditJson(r));
    in.out += JsonArray(json);
  } else {
    in.out += AuditTable(records);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> RevocationCommands() {
  return {
      {"revoke", "Revokes access tokens by token id, subscriber or content.", DeclareRevoke,
       RunRevoke},
      {"audit", "Queries the audit trail of decisions and admin changes.", DeclareAudit, RunAudit},
  };
}

}  // namespace p2pims::ctl
