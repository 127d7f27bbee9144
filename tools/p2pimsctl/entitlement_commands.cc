// "entitlement grant|revoke|list": subscribers' rights to content.
#include "absl/strings/str_cat.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"
#include "tools/p2pimsctl/enum_names.h"
#include "tools/p2pimsctl/output.h"

namespace p2pims::ctl {
namespace {

void PrintEntitlement(const Invocation& in, const v1::Entitlement& e) {
  in.out += in.json ? EntitlementJson(e) + "\n" : EntitlementDetails(e, in.now);
}

void DeclareGrant(CommandLine& cl) {
  cl.Flag("subject", "SIP-URI", "the subscriber's IMS public identity (required)")
      .Flag("kind", EntitlementKindChoices(), "kind of entitlement (required)")
      .RepeatedFlag("content", "ID", "content covered (several for a bundle)")
      .Flag("owner", "OWNER", "the whole catalogue of this owner (subscriptions)")
      .Flag("expires", "TIME",
            "expiry (Unix seconds or RFC 3339); none by default; a rental without it lasts its "
            "content's rental period")
      .Note(
          "Give --content (one or more) or --owner.\n"
          "example:\n"
          "  p2pimsctl entitlement grant --subject sip:alice@ims.example.net --kind purchase "
          "--content sintel");
}

absl::Status RunGrant(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("subject"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("kind"));
  P2PIMS_RETURN_IF_ERROR(cl.RequireExactlyOne({"content", "owner"}));
  auto kind = EntitlementKindFromName(cl.Get("kind"));
  if (!kind) {
    return UsageError(
        absl::StrCat("--kind: '", cl.Get("kind"), "' is not one of ", EntitlementKindChoices()));
  }
  v1::GrantEntitlementRequest req;
  req.set_actor(in.actor);
  v1::Entitlement& e = *req.mutable_entitlement();
  e.set_subject(cl.Get("subject"));
  e.set_kind(*kind);
  for (const std::string& id : cl.GetAll("content")) {
    if (id.empty()) return UsageError("--content: a content id cannot be empty");
    e.add_content_ids(id);
  }
  if (cl.Has("owner")) {
    P2PIMS_RETURN_IF_ERROR(cl.Require("owner"));
    e.set_owner(cl.Get("owner"));
  }
  int64_t expires = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("expires", &expires));
  e.set_expires_at(expires);
  P2PIMS_ASSIGN_OR_RETURN(v1::Entitlement granted, in.rights.GrantEntitlement(req));
  PrintEntitlement(in, granted);
  return absl::OkStatus();
}

void DeclareRevoke(CommandLine& cl) {
  cl.Arg("ENTITLEMENT_ID", "the entitlement's id (from grant or list)")
      .Flag("reason", "TEXT", "why, for the audit (required)")
      .Note("Live access tokens the entitlement backed are revoked too.");
}

absl::Status RunRevoke(const Invocation& in) {
  P2PIMS_RETURN_IF_ERROR(in.cl.Require("reason"));
  v1::RevokeEntitlementRequest req;
  req.set_entitlement_id(in.cl.Arg(0));
  req.set_reason(in.cl.Get("reason"));
  req.set_actor(in.actor);
  P2PIMS_ASSIGN_OR_RETURN(v1::Entitlement e, in.rights.RevokeEntitlement(req));
  PrintEntitlement(in, e);
  return absl::OkStatus();
}

void DeclareList(CommandLine& cl) {
  cl.Flag("subject", "SIP-URI", "entitlements of this subscriber")
      .Flag("content", "ID", "holders of this content")
      .Switch("all", "include revoked and expired entitlements")
      .Note("Give --subject or --content.");
}

absl::Status RunList(const Invocation& in) {
  P2PIMS_RETURN_IF_ERROR(in.cl.RequireExactlyOne({"subject", "content"}));
  v1::ListEntitlementsRequest req;
  req.set_subject(in.cl.Get("subject"));
  req.set_content_id(in.cl.Get("content"));
  if (req.subject().empty() && req.content_id().empty()) {
    return UsageError(
        absl::StrCat(in.cl.Has("subject") ? "--subject" : "--content", " cannot be empty"));
  }
  req.set_include_inactive(in.cl.GetSwitch("all"));
  P2PIMS_ASSIGN_OR_RETURN(v1::ListEntitlementsResponse resp, in.rights.ListEntitlements(req));
  std::vector<v1::Entitlement> items(resp.entitlements().begin(), resp.entitlements().end());
  if (in.json) {
    std::vector<std::string> json;
    for (const auto& e : items) json.push_back(EntitlementJson(e));
    in.out += JsonArray(json);
  } else {
    in.out += EntitlementTable(items, in.now);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> EntitlementCommands() {
  return {
      {"entitlement grant", "Grants a subscriber an entitlement.", DeclareGrant, RunGrant},
      {"entitlement revoke", "Revokes an entitlement.", DeclareRevoke, RunRevoke},
      {"entitlement list", "Lists a subscriber's entitlements or a content's holders.", DeclareList,
       RunList},
  };
}

}  // namespace p2pims::ctl
