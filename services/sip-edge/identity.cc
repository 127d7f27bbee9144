#include "services/sip-edge/identity.h"

namespace p2pims::sip_edge {

std::variant<std::string, SipResponse> Identifier::operator()(const SipRequest& req,
                                                              absl::Time now) const {
  if (!Trusted(req)) {
    // A direct client: its P-Asserted-Identity is ignored, its credentials decide.
    if (authenticator_ != nullptr) return authenticator_->Authenticate(req, now);
    return reply_(req.method, 403, "Forbidden",
                  "untrusted source: send through the S-CSCF or authenticate");
  }
  auto identity = FirstAssertedIdentity(req.p_asserted_identity);
  if (!identity) return reply_(req.method, 400, "Missing P-Asserted-Identity");
  return *identity;
}

}  // namespace p2pims::sip_edge
