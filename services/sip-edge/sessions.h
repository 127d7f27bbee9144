// Content sessions (DESIGN.md §2): INVITE sip:<content-id>@<domain> -> rights Authorize ->
// charging INITIAL -> tracker OpenSession -> 200 OK with the session descriptor, accounting START
// queued; BYE -> tracker CloseSession -> charging TERMINATION, accounting STOP queued (one CDR).
// The Rf records go through the AccountingQueue: no call waits for them.
// Failures map to SIP: 400 malformed, 403 + Warning denied, 402 out of credit, 404 unknown
// content, 503 + Retry-After when a backend is down.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/family.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/histogram.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/accounting_queue.h"
#include "services/sip-edge/authenticator.h"
#include "services/sip-edge/backends.h"
#include "services/sip-edge/identity.h"
#include "services/sip-edge/responder.h"
#include "services/sip-edge/sip_message.h"
#include "services/sip-edge/trust.h"

namespace p2pims::sip_edge {

struct SessionConfig {
  std::string node_id = "sip-edge-0";
  std::string warn_agent = "p2pims";  // warn-agent of Warning headers
  std::vector<std::string> domains;   // accepted Request-URI hosts; empty accepts any
  TrustedNetworks trusted;            // CSCFs whose P-Asserted-Identity is believed
  // Direct clients (untrusted sources) prove who they are with digest; null refuses them.
  Authenticator* authenticator = nullptr;
  int retry_after_seconds = 5;
  int teardown_attempts = 20;  // for the BYE work, which must not be lost
  absl::Duration teardown_backoff = absl::Milliseconds(200);
  // A session whose BYE never comes ends after this long, or when its token expires if sooner.
  absl::Duration max_session = absl::Hours(4);
  // Called on the worker after a session's teardown, with its session id (its progress
  // subscribers get their final NOTIFY at once).
  std::function<void(const std::string& session_id)> on_ended;
};

// Thread-safe: INVITEs and BYEs of different dialogs run on different workers.
// The Reason (RFC 3326) of sip-edge's BYE for a session past its end (maximum duration, token
// expiry): the terminal can tell it from a hang-up.
inline constexpr char kTimeLimitReason[] = "SIP;cause=408;text=\"session time limit reached\"";

class SessionManager {
 public:
  SessionManager(Backends& backends, AccountingQueue& accounting, SessionConfig config,
                 metrics::Registry& registry);

  // Marks dialog `id`'s INVITE as being set up, before it is queued for a worker, so that the
  // dialog's end (a CANCEL) handled first still finds it; AbandonSetUp when it is not queued.
  void BeginSetUp(uint64_t id);
  void AbandonSetUp(uint64_t id);
  // Sets up a content session; blocks on backend calls (run it on a worker).
  SipResponse HandleInvite(const SipRequest& req);
  // Tears down the session of dialog `req.id` (on BYE, or when the dialog ended otherwise),
  // retrying each idempotent step until it is answered; false when it had to give up (logged
  // with everything needed to replay it). A dialog that ends while its INVITE is still being
  // set up (CANCEL) is torn down as soon as the set-up finishes.
  bool HandleBye(const SipRequest& req);
  size_t active() const;
  // Dialogs of sessions past their end (max_session or token expiry), each returned once: the
  // caller sends their BYE, and the dialog's end tears them down with cause "timeout".
  std::vector<uint64_t> Overdue(absl::Time now);
  // The open sessions (dialog id, session id), for the access check; a snapshot.
  std::vector<std::pair<uint64_t, std::string>> OpenSessions() const;
  // Marks the session of dialog `id` ended by online charging: its teardown's cause becomes
  // "out_of_credit". False when it is gone or already ending; the caller sends the BYE.
  bool EndForCredit(uint64_t id);

 private:
  struct Active {
    std::string session_id;
    std::string icid;
    std::string subject;
    std::string content_id;
    std::string locality;
    std::string access_network_info;  // P-Access-Network-Info as received, for the CDR
    std::string called_party;         // the request URI, for the CDR
    bool credit_controlled = false;  // INITIAL answered SUCCESS: a TERMINATION is owed
    absl::Time ends_at = absl::InfiniteFuture();
    std::string cause = "normal";  // "timeout" once Overdue ended it, "out_of_credit" ...
  };
  cv1::CreditControlRequest Ccr(const Active& a, cv1::RequestType type, int64_t number) const;
  cv1::AccountingRequest Acr(const Active& a, cv1::RecordType type, int64_t number) const;
  // Runs the INVITE's backend steps; on success fills `established`.
  SipResponse SetUp(const SipRequest& req, Active* established);
  bool Teardown(const Active& a);
  void ReleaseReservation(const Active& a);
  // Undoes a set-up that got as far as an open tracker session.
  void AbandonSession(const Active& a);
  template <typename F>
  bool Retry(const char* step, const Active& a, F&& attempt);

  Backends& backends_;
  AccountingQueue& accounting_;
  SessionConfig config_;
  Responder reply_;
  const Identifier identify_;
  metrics::Histogram& setup_seconds_;
  metrics::Gauge& active_gauge_;
  metrics::Counter& teardown_failures_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, Active> active_ ABSL_GUARDED_BY(mu_);
  // Dialogs whose INVITE is being set up, and whether the dialog ended meanwhile.
  std::map<uint64_t, bool> setting_up_ ABSL_GUARDED_BY(mu_);
};

}  // namespace p2pims::sip_edge
