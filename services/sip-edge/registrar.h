// Registrations (TS 24.229 §5.4.1.7, RFC 3261 §10): the S-CSCF's third-party REGISTER (To: the
// subscriber's public identity; From and Contact: the S-CSCF) and a REGISTER relayed by a trusted
// CSCF. Bindings per public identity with expiry, refresh, removal (Expires: 0, Contact: *) and
// expiry removal; the locality of P-Access-Network-Info (or of the original REGISTER carried in
// the body) becomes the subscriber's presence at the tracker, verified only when a trusted CSCF
// marked it network-provided.
//
//   Registrar registrar(reply, trusted, registry, {});
//   RegisterResult r = registrar.Register(req, absl::Now());   // r.response, r.presence
//   for (PresenceChange& gone : registrar.Expire(absl::Now())) { ... tell the tracker ... }
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/authenticator.h"
#include "services/sip-edge/responder.h"
#include "services/sip-edge/sip_message.h"
#include "services/sip-edge/trust.h"

namespace p2pims::sip_edge {

struct RegistrarConfig {
  absl::Duration min_expires = absl::Seconds(60);   // shorter: 423 Interval Too Brief
  absl::Duration max_expires = absl::Hours(2);      // longer asks are shortened
  absl::Duration default_expires = absl::Hours(1);  // neither parameter nor header
  size_t max_contacts = 10;                         // per public identity
  size_t max_registrations = 1'000'000;             // beyond: 503 (memory stays bounded)
};

// What the tracker is told (Tracker.RegisterPresence): expires_seconds 0 removes the presence.
struct PresenceChange {
  std::string subject;
  std::string locality;
  bool verified = false;
  int64_t expires_seconds = 0;
};

struct RegisterResult {
  SipResponse response;
  std::optional<PresenceChange> presence;  // when the tracker must learn of it
};

// A registration as sip-edge holds it.
struct Registration {
  std::string subject;
  std::string locality;
  bool locality_verified = false;
  std::string access_network_info;     // as received, for CDRs
  bool third_party = false;            // sent by the S-CSCF on the subscriber's behalf
  std::string icid, orig_ioi;          // P-Charging-Vector of the REGISTER
  std::string charging_function_addresses;
  struct Contact {
    std::string uri;
    std::string call_id;
    uint32_t cseq = 0;
    absl::Time expires_at;
  };
  std::vector<Contact> contacts;
};

// Thread-safe: registrations are sharded by public identity.
class Registrar {
 public:
  // `authenticator` checks direct clients (untrusted sources); null refuses them.
  Registrar(Responder& reply, const TrustedNetworks& trusted, metrics::Registry& registry,
            RegistrarConfig config, Authenticator* authenticator = nullptr);

  RegisterResult Register(const SipRequest& req, absl::Time now);
  // Drops expired contacts; the identities left without any are returned as removals.
  std::vector<PresenceChange> Expire(absl::Time now);
  // The identity's registration, when it has a contact that has not expired.
  std::optional<Registration> Find(const std::string& subject, absl::Time now) const;
  size_t registrations() const;

 private:
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Registration> by_subject ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(const std::string& subject) const;
  void Count(int delta);

  Responder& reply_;
  const TrustedNetworks& trusted_;
  Authenticator* const authenticator_;
  const RegistrarConfig config_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<int64_t> count_{0};
  metrics::Gauge& registrations_;
};

}  // namespace p2pims::sip_edge
