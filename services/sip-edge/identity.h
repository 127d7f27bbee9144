// Who sent a request: a trusted CSCF vouches with P-Asserted-Identity; anyone else proves it with
// digest (when configured) or is refused. Shared by content sessions and catalogue queries; the
// registrar, whose identity is the To header, applies the same trust rule itself.
#pragma once

#include <string>
#include <variant>

#include "absl/time/time.h"
#include "services/sip-edge/authenticator.h"
#include "services/sip-edge/responder.h"
#include "services/sip-edge/sip_message.h"
#include "services/sip-edge/trust.h"

namespace p2pims::sip_edge {

// Thread-safe.
class Identifier {
 public:
  // `authenticator` may be null: direct clients are refused.
  Identifier(const TrustedNetworks& trusted, Authenticator* authenticator, Responder& reply)
      : trusted_(trusted), authenticator_(authenticator), reply_(reply) {}

  // The subscriber's public identity, or the response to send (400, 401, 403, 503).
  std::variant<std::string, SipResponse> operator()(const SipRequest& req, absl::Time now) const;
  bool Trusted(const SipRequest& req) const { return trusted_.Contains(req.source_ip); }

 private:
  const TrustedNetworks& trusted_;
  Authenticator* const authenticator_;
  Responder& reply_;
};

}  // namespace p2pims::sip_edge
