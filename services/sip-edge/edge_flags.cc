#include "services/sip-edge/edge_flags.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace p2pims::sip_edge {

void AddEdgeFlags(Flags& flags) {
  flags.Add("sip-url", "sip:127.0.0.1:5060", "SIP listen URL (UDP and TCP)");
  flags.Add("sips-url", "", "SIP over TLS listen URL, e.g. sips:*:5061 (empty: no TLS)");
  flags.Add("tls-dir", "", "directory with agent.pem (certificate and key) and cafile.pem, for TLS");
  flags.Add("udp-receive-buffer-kb", "4096",
            "SIP UDP socket receive buffer, KiB (capped by net.core.rmem_max): bursts wait there "
            "instead of being dropped");
  flags.Add("udp-send-buffer-kb", "4096",
            "SIP UDP socket send buffer, KiB (capped by net.core.wmem_max): a burst of 200 OKs, "
            "each carrying a session descriptor of tens of KiB, must fit");
  flags.Add("transaction-timeout-ms", "32000",
            "how long a final response waits for its ACK (retransmitted over UDP meanwhile), and "
            "a request sip-edge sends for its final response: SIP's 64 x T1 (timers H, B, F; RFC "
            "3261: 32000). Lower keeps less under overload (docs/results.md); 1000..64000");
  flags.Add("domains", "p2p.localhost", "comma-separated content domains (Request-URI hosts)");
  flags.Add("trusted-cscf", "127.0.0.1/32",
            "comma-separated CIDRs of CSCFs whose P-Asserted-Identity is trusted");
  flags.Add("rights", "127.0.0.1:50051", "rights gRPC address");
  flags.Add("charging", "127.0.0.1:50052", "charging gRPC address");
  flags.Add("tracker", "127.0.0.1:50053", "tracker gRPC address");
  flags.Add("backend-deadline-ms", "800", "deadline of each backend call");
  flags.Add("workers", "32", "threads calling the backends (each blocks on one session's calls)");
  flags.Add("max-queue", "1024", "requests waiting for a worker before 503");
  flags.Add("max-queue-wait-ms", "200",
            "a request a worker takes later than this after it arrived is answered 503 instead "
            "(bounds the latency of the work done under overload; below SIP's T1 of 500 ms, so the "
            "CSCF does not retransmit first)");
  flags.Add("admin-listen", "127.0.0.1:9101",
            "HTTP listen address for /metrics, /healthz, /readyz");
  flags.Add("node-id", "sip-edge-0", "this replica's name in logs, ICIDs and CDRs");
  flags.Add("db", "",
            "PostgreSQL connection string for subscriber digest credentials (schema sip); empty: "
            "direct clients are refused, only trusted CSCFs are served");
  flags.Add("db-wait", "30", "seconds to wait for PostgreSQL at start-up");
  flags.Add("realm", "", "digest realm (default: the first of --domains)");
  flags.Add("digest-algorithms", "SHA-256,MD5",
            "digest algorithms offered, preferred first (SHA-256, MD5); only these are accepted");
  flags.Add("max-session-seconds", "14400",
            "a session whose BYE never comes ends after this long (or at its token's expiry)");
  flags.Add("session-expires-seconds", "1800",
            "RFC 4028 session interval offered; the terminal refreshes, an unrefreshed session "
            "ends (0: no session timer)");
  flags.Add("min-se-seconds", "90", "smallest session interval accepted (RFC 4028 Min-SE; below: 422)");
  flags.Add("progress-interval-seconds", "5",
            "how often subscribed sessions' progress is checked (a NOTIFY when it changed)");
  flags.Add("access-check-seconds", "5",
            "how often open sessions are checked for swarm access ended by online charging (then "
            "a BYE, Reason 402)");
  flags.Add("max-progress-subscriptions", "10000",
            "progress subscriptions held at most (then 503)");
  flags.Add("min-expires", "60", "shortest registration accepted, seconds (shorter: 423)");
  flags.Add("max-expires", "7200", "longest registration granted, seconds");
  flags.Add("max-registrations", "1000000", "public identities registered at most (then 503)");
}

absl::StatusOr<EdgeSettings> ReadEdgeFlags(const Flags& flags) {
  EdgeSettings s;
  // A positive integer flag, or the error naming it.
  auto positive = [&](const char* name) -> absl::StatusOr<int64_t> {
    auto v = flags.GetInt(name);
    if (!v.ok()) return v.status();
    if (*v <= 0) return absl::InvalidArgumentError(std::string("--") + name + " must be positive");
    return *v;
  };
  auto deadline = positive("backend-deadline-ms");
  auto workers = positive("workers");
  auto max_queue = positive("max-queue");
  auto max_queue_wait = positive("max-queue-wait-ms");
  auto udp_receive_buffer = positive("udp-receive-buffer-kb");
  auto udp_send_buffer = positive("udp-send-buffer-kb");
  auto transaction_timeout = positive("transaction-timeout-ms");
  auto max_session = positive("max-session-seconds");
  auto db_wait = flags.GetInt("db-wait");
  auto min_expires = positive("min-expires");
  auto max_expires = positive("max-expires");
  auto max_registrations = positive("max-registrations");
  auto progress_interval = positive("progress-interval-seconds");
  auto access_check = positive("access-check-seconds");
  auto session_expires = flags.GetInt("session-expires-seconds");
  auto min_se = positive("min-se-seconds");
  auto max_progress = positive("max-progress-subscriptions");
  for (const absl::Status& st :
       {deadline.status(), workers.status(), max_queue.status(), max_queue_wait.status(),
        udp_receive_buffer.status(), udp_send_buffer.status(), transaction_timeout.status(),
        max_session.status(),
        db_wait.status(), min_expires.status(), max_expires.status(), max_registrations.status(),
        progress_interval.status(), max_progress.status(), session_expires.status(),
        min_se.status(), access_check.status()}) {
    if (!st.ok()) return st;
  }
  if (*session_expires < 0 || *session_expires > 86400 || *min_se > 86400 ||
      (*session_expires > 0 && *session_expires < *min_se)) {
    return absl::InvalidArgumentError(
        "--session-expires-seconds must be 0 (no session timer) or within --min-se-seconds..86400");
  }
  if (*transaction_timeout < 1000 || *transaction_timeout > 64000) {
    return absl::InvalidArgumentError("--transaction-timeout-ms must be 1000..64000");
  }
  if (*max_expires < *min_expires) {
    return absl::InvalidArgumentError("--max-expires must not be below --min-expires");
  }
  if (!flags.Get("sips-url").empty() && flags.Get("tls-dir").empty()) {
    return absl::InvalidArgumentError("--sips-url needs --tls-dir");
  }
  if (absl::Status t = s.sessions.trusted.Parse(flags.Get("trusted-cscf")); !t.ok()) return t;

  s.stack.url = flags.Get("sip-url");
  s.stack.sips_url = flags.Get("sips-url");
  s.stack.tls_dir = flags.Get("tls-dir");
  s.stack.udp_receive_buffer = static_cast<unsigned>(std::min<int64_t>(*udp_receive_buffer, 1 << 20) * 1024);
  s.stack.udp_send_buffer = static_cast<unsigned>(std::min<int64_t>(*udp_send_buffer, 1 << 20) * 1024);
  s.stack.transaction_timeout_ms = static_cast<unsigned>(*transaction_timeout);
  s.stack.session_expires = static_cast<unsigned>(*session_expires);
  s.stack.min_se = static_cast<unsigned>(*min_se);
  s.sessions.node_id = flags.Get("node-id");
  for (absl::string_view d : absl::StrSplit(flags.Get("domains"), ',', absl::SkipWhitespace())) {
    s.sessions.domains.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(d)));
  }
  s.sessions.max_session = absl::Seconds(*max_session);
  s.progress.domains = s.sessions.domains;
  s.progress.max_subscriptions = static_cast<int>(std::min<int64_t>(*max_progress, 1 << 30));
  s.progress_interval = absl::Seconds(*progress_interval);
  s.access_check_interval = absl::Seconds(*access_check);
  s.registrar.min_expires = absl::Seconds(*min_expires);
  s.registrar.max_expires = absl::Seconds(*max_expires);
  s.registrar.default_expires = std::min(absl::Hours(1), s.registrar.max_expires);
  s.registrar.max_registrations = static_cast<size_t>(*max_registrations);
  s.backends.rights = flags.Get("rights");
  s.backends.charging = flags.Get("charging");
  s.backends.tracker = flags.Get("tracker");
  s.backends.deadline = absl::Milliseconds(*deadline);
  s.auth.realm = !flags.Get("realm").empty()      ? flags.Get("realm")
                 : !s.sessions.domains.empty()    ? s.sessions.domains.front()
                                                  : std::string("p2p.localhost");
  s.auth.algorithms.clear();
  for (absl::string_view name :
       absl::StrSplit(flags.Get("digest-algorithms"), ',', absl::SkipWhitespace())) {
    name = absl::StripAsciiWhitespace(name);
    auto a = ParseDigestAlgorithm(std::string_view(name.data(), name.size()));
    if (!a || name.empty()) {
      return absl::InvalidArgumentError("--digest-algorithms: unknown algorithm " + std::string(name));
    }
    if (std::find(s.auth.algorithms.begin(), s.auth.algorithms.end(), *a) == s.auth.algorithms.end()) {
      s.auth.algorithms.push_back(*a);
    }
  }
  if (s.auth.algorithms.empty()) return absl::InvalidArgumentError("--digest-algorithms is empty");
  s.workers = static_cast<int>(*workers);
  s.max_queue = static_cast<size_t>(*max_queue);
  s.max_queue_wait = absl::Milliseconds(*max_queue_wait);
  s.admin_listen = flags.Get("admin-listen");
  s.db = flags.Get("db");
  s.db_wait = absl::Seconds(*db_wait);
  return s;
}

}  // namespace p2pims::sip_edge
