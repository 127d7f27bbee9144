#include "services/origin/seed_access.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/encoding/encoding.h"
#include "lib/grpc/client.h"

namespace p2pims::origin {

absl::Time RenewalDue(const SeedGrant& g) {
  return g.issued_at + (g.expires_at - g.issued_at) * 3 / 4;
}

SeedAccess::SeedAccess(std::shared_ptr<rights::v1::Rights::StubInterface> rights,
                       std::shared_ptr<tracker::v1::Tracker::StubInterface> tracker,
                       SeedAccessOptions options)
    : rights_(std::move(rights)), tracker_(std::move(tracker)), options_(std::move(options)) {}

std::string SeedAccess::NewSessionId() {
  unsigned char random[8];
  randombytes_buf(random, sizeof random);
  return absl::StrCat("origin-", options_.node_id, "-",
                      Hex({reinterpret_cast<const char*>(random), sizeof random}));
}

absl::StatusOr<SeedGrant> SeedAccess::Open(const std::string& content_id,
                                           const std::string& session_id) {
  SeedGrant grant;
  grant.session_id = session_id.empty() ? NewSessionId() : session_id;
  rights::v1::AuthorizeRequest ask;
  ask.set_subject(options_.subject);
  ask.set_content_id(content_id);
  ask.set_locality(options_.locality);
  ask.set_session_id(grant.session_id);
  ask.set_device(options_.node_id);
  ask.set_role("origin");
  rights::v1::AuthorizeResponse decision;
  grant.issued_at = absl::Now();
  if (absl::Status s = Call({.deadline = options_.deadline, .idempotent = true},
                            [&](grpc::ClientContext& ctx) {
                              return rights_->Authorize(&ctx, ask, &decision);
                            });
      !s.ok()) {
    return s;
  }
  if (!decision.allowed()) {
    return absl::PermissionDeniedError(absl::StrCat("rights: ", decision.message()));
  }
  tracker::v1::OpenSessionRequest open;
  open.set_token(decision.token());
  open.set_session_id(grant.session_id);
  open.set_content_id(content_id);
  open.set_max_peers(1);
  tracker::v1::OpenSessionResponse opened;
  // Opening the same session again changes nothing, so a retry is safe.
  if (absl::Status s = Call({.deadline = options_.deadline, .idempotent = true},
                            [&](grpc::ClientContext& ctx) {
                              return tracker_->OpenSession(&ctx, open, &opened);
                            });
      !s.ok()) {
    // The session to renew was closed (say, by an operator): a new one takes over.
    if (!session_id.empty() && absl::IsFailedPrecondition(s)) return Open(content_id);
    return s;
  }
  grant.announce_urls.assign(opened.announce_urls().begin(), opened.announce_urls().end());
  grant.expires_at = absl::FromUnixSeconds(decision.expires_at());
  return grant;
}

absl::Status SeedAccess::Close(const std::string& session_id) {
  tracker::v1::CloseSessionRequest req;
  req.set_session_id(session_id);
  req.set_cause("normal");
  tracker::v1::CloseSessionResponse resp;
  return Call({.deadline = options_.deadline, .idempotent = true},
              [&](grpc::ClientContext& ctx) { return tracker_->CloseSession(&ctx, req, &resp); });
}

}  // namespace p2pims::origin
