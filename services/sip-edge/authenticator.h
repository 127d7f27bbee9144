// Who a request comes from when no trusted CSCF vouches for it: SIP digest (RFC 3261 §22,
// RFC 8760) against the subscriber credentials in PostgreSQL. A request without credentials, or
// with a stale nonce, is challenged (401, SHA-256 offered before MD5); wrong credentials are
// refused (403); a source that fails too often is refused without a check for a while.
//
//   Authenticator auth(lookup, reply, registry, {.realm = "p2p.example.net"});
//   auto who = auth.Authenticate(req, absl::Now());   // identity, or the response to send
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/registry.h"
#include "lib/sip/digest.h"
#include "services/sip-edge/responder.h"
#include "services/sip-edge/sip_message.h"

namespace p2pims::sip_edge {

// Digest itself is lib/sip's (the terminal computes the same responses).
using sip::DigestAlgorithm;
using sip::DigestAlgorithmName;
using sip::DigestAuthorization;
using sip::DigestHa1;
using sip::DigestResponse;
using sip::NonceSource;
using sip::ParseDigestAlgorithm;
using sip::ParseDigestAuthorization;

// A subscriber's digest credentials: HA1 per algorithm (never the password) and the public
// identity the private one (username) may use.
struct SubscriberCredentials {
  std::string username, realm, identity;
  std::string ha1_md5, ha1_sha256;
};
// nullopt for an unknown username; an error when the store cannot be read.
using CredentialLookup =
    std::function<absl::StatusOr<std::optional<SubscriberCredentials>>(const std::string& username)>;

struct AuthConfig {
  std::string realm = "p2p.localhost";
  // Offered in this order (RFC 8760: the preferred first; a client takes the first it supports).
  // Only these are accepted.
  std::vector<DigestAlgorithm> algorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
  absl::Duration nonce_lifetime = absl::Minutes(5);
  int max_failures = 5;  // per source address within failure_window, then blocked
  absl::Duration failure_window = absl::Minutes(1);
  absl::Duration block = absl::Minutes(5);
  size_t max_sources = 100'000;  // failing sources remembered at most
};

// Thread-safe.
class Authenticator {
 public:
  Authenticator(CredentialLookup lookup, Responder& reply, metrics::Registry& registry,
                AuthConfig config);

  // The public identity the request's credentials prove, or the response to send: 401 with
  // challenges, 400 for a malformed Authorization, 403 for wrong credentials or a blocked
  // source, 503 when the credentials cannot be read.
  std::variant<std::string, SipResponse> Authenticate(const SipRequest& req, absl::Time now);

 private:
  SipResponse Challenge(const SipRequest& req, absl::Time now, bool stale);
  SipResponse Fail(const SipRequest& req, absl::Time now, const std::string& why);
  bool Blocked(const std::string& source, absl::Time now);

  const CredentialLookup lookup_;
  Responder& reply_;
  const AuthConfig config_;
  const NonceSource nonces_;
  struct Failures {
    int count = 0;
    absl::Time window_start;
    absl::Time blocked_until;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Failures> failures_ ABSL_GUARDED_BY(mu_);
  metrics::Counter &ok_, &challenged_, &stale_, &failed_, &blocked_;
};

}  // namespace p2pims::sip_edge
