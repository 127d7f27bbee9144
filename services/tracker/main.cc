// p2pims-tracker: content index and managed swarms.
#include <optional>

#include "absl/strings/str_cat.h"
#include "lib/grpc/client.h"
#include "lib/log/log.h"
#include "lib/runtime/service_runtime.h"
#include "lib/token/revocation_list.h"
#include "services/tracker/announce_plane.h"
#include "services/tracker/https_flags.h"
#include "services/tracker/key_fetcher.h"
#include "services/tracker/policy_flags.h"
#include "services/tracker/revocation_watcher.h"
#include "services/tracker/service.h"

int main(int argc, char** argv) {
  using namespace p2pims;
  ServiceRuntime rt({.name = "tracker",
                     .summary = "Content index and managed BitTorrent swarms.",
                     .grpc_listen = "127.0.0.1:50053",
                     .admin_listen = "127.0.0.1:9104",
                     .schema = "tracker",
                     .migrations = &TrackerMigrations(),
                     .prepared = tracker::TrackerStore::Statements()});
  rt.flags().Add("rights", "127.0.0.1:50051",
                 "rights gRPC address (signing keys, revocation stream)");
  rt.flags().Add("announce-host", "127.0.0.1:6969",
                 "host:port that peers use for this replica's BitTorrent tracker");
  rt.flags().Add("announce-listen", "",
                 "host:port the BitTorrent tracker listens on, TCP (HTTP) and UDP; empty: "
                 "--announce-host");
  rt.flags().Add("announce-threads", "2", "worker threads per tracker protocol");
  rt.flags().Add("replicas", "1",
                 "tracker replicas sharing the swarms (each owns the info-hashes that map to it)");
  rt.flags().Add("replica-index", "",
                 "this replica's index, 0..replicas-1; empty: the trailing number of --node-id "
                 "(a StatefulSet pod's ordinal), else 0");
  rt.flags().Add("key-refresh", "30", "seconds between signing-key refreshes");
  rt.flags().Add("usage-flush-ms", "1000",
                 "how often metered usage is written to PostgreSQL and sent on (ms, 100..60000)");
  rt.flags().Add("seed-announce-seconds", "300",
                 "announce interval handed to the operator's seeds (role seed or origin), so a "
                 "restarted tracker has them back this soon (10..1800)");
  rt.flags().Add("credit-announce-seconds", "60",
                 "announce interval handed to peers of sessions whose online charging grants "
                 "bytes (their downloads are checked against the grant this often; 10..1800)");
  rt.flags().Add("http-max-connections", "50000",
                 "open HTTP tracker connections at most; one more gets a 'tracker busy' failure "
                 "reply (retry in 1 minute) and is closed");
  rt.flags().Add("udp-max-wait-ms", "50",
                 "a UDP announce that waited longer than this in the socket (the tracker behind "
                 "its load) is not served: the first few of a batch get 'tracker busy; retry "
                 "later', the rest are dropped and counted (ms, 0..60000; 0: served however late)");
  rt.flags().Add("http-max-wait-ms", "50",
                 "an HTTP request read longer than this after it arrived (queued behind others "
                 "while the tracker is behind its load) is not served: it gets 'tracker busy; "
                 "retry later' (retry in 1 minute) at once; an HTTPS connection whose first bytes "
                 "waited longer is closed before its handshake (ms, 0..60000; 0: served however "
                 "late)");
  rt.flags().Add("http-listen-backlog", "0",
                 "connections queued for each HTTP worker before the kernel drops new ones "
                 "(their clients retry); 0: net.core.somaxconn");
  rt.flags().Add("close-expired-sessions-minutes", "60",
                 "an open session whose token expired this long ago is closed by the tracker "
                 "(cause 'expired'; its terminal can no longer announce and no BYE came), "
                 "checked once a minute (0..10080; 0: never)");
  rt.flags().Add("udp-receive-buffer-kb", "0",
                 "receive buffer of each UDP socket, KiB (0..1048576; 0: the system's "
                 "net.core.rmem_default): room for bursts; --udp-max-wait-ms bounds the wait");
  rt.flags().Add("cold-admissions-per-address", "50",
                 "new tokens (a signature check) or announce keys (a database read) one source "
                 "address may present per second, with a burst of four times that; beyond, its "
                 "announces are refused at once (0: no limit)");
  tracker::AddPolicyFlags(rt.flags());
  tracker::AddHttpsFlags(rt.flags());
  rt.flags().Add("charging", "127.0.0.1:50052",
                 "charging gRPC address for metered usage (INTERIM records); empty: none, the "
                 "STOP record carries all usage");
  if (auto code = rt.Init(argc, argv)) return *code;
  auto refresh = rt.flags().GetInt("key-refresh");
  if (!refresh.ok() || *refresh <= 0) {
    log::Error("--key-refresh must be a positive number of seconds");
    return 2;
  }
  auto announce_threads = rt.flags().GetInt("announce-threads");
  if (!announce_threads.ok() || *announce_threads <= 0 || *announce_threads > 64) {
    log::Error("--announce-threads must be 1..64");
    return 2;
  }

  // An integer flag within [lo, hi]; nullopt (logged) when it is not.
  auto ranged = [&](const char* name, int64_t lo, int64_t hi) -> std::optional<int64_t> {
    auto v = rt.flags().GetInt(name);
    if (v.ok() && *v >= lo && *v <= hi) return *v;
    log::Error(absl::StrCat("--", name, " must be ", lo, "..", hi));
    return std::nullopt;
  };
  const auto credit_announce = ranged("credit-announce-seconds", 10, 1800);
  const auto seed_announce = ranged("seed-announce-seconds", 10, 1800);
  const auto cold = ranged("cold-admissions-per-address", 0, 1000000);
  const auto http_max = ranged("http-max-connections", 1, 10000000);
  const auto usage_flush = ranged("usage-flush-ms", 100, 60000);
  const auto udp_max_wait = ranged("udp-max-wait-ms", 0, 60000);
  const auto http_max_wait = ranged("http-max-wait-ms", 0, 60000);
  const auto http_backlog = ranged("http-listen-backlog", 0, 1 << 20);
  const auto close_expired = ranged("close-expired-sessions-minutes", 0, 10080);
  const auto udp_buffer_kb = ranged("udp-receive-buffer-kb", 0, 1 << 20);
  if (!credit_announce || !seed_announce || !cold || !http_max || !usage_flush || !udp_max_wait ||
      !http_max_wait || !http_backlog || !close_expired || !udp_buffer_kb) {
    return 2;
  }

  const std::shared_ptr<grpc::Channel> rights_channel = MakeChannel(rt.flags().Get("rights"));
  token::Verifier verifier;
  tracker::KeyFetcher keys(rights::v1::Rights::NewStub(rights_channel), verifier,
                           absl::Seconds(*refresh));
  (void)keys.Start();  // not fatal: /readyz stays 503 until rights answers
  rt.AddReadinessCheck([&keys] { return keys.Ready(); });
  // Not a readiness condition: while the stream is down, the revocations received are enforced.
  token::RevocationList revocations;
  tracker::RevocationWatcher revocation_watcher(rights_channel, revocations, rt.registry());
  revocation_watcher.Start();

  auto replica_count = rt.flags().GetInt("replicas");
  int replica_index = tracker::OrdinalOf(rt.flags().Get("node-id"));
  if (!rt.flags().Get("replica-index").empty()) {
    auto i = rt.flags().GetInt("replica-index");
    replica_index = i.ok() ? static_cast<int>(*i) : -1;
  } else if (replica_index < 0) {
    replica_index = 0;
  }
  auto policy = tracker::PolicyFromFlags(rt.flags());
  if (!policy.ok()) {
    log::Error(std::string(policy.status().message()));
    return 2;
  }
  auto https = tracker::HttpsFromFlags(rt.flags(), rt.registry());
  if (!https.ok()) {
    log::Error(std::string(https.status().message()));
    return 2;
  }
  tracker::ReplicaConfig replica_config;
  replica_config.count = replica_count.ok() ? static_cast<int>(*replica_count) : 0;
  replica_config.self = replica_index;
  replica_config.announce_host = rt.flags().Get("announce-host");
  replica_config.https_announce_host = https->announce_host;
  replica_config.plain_announce_urls = https->plain_announce_urls;
  auto replicas = tracker::ReplicaMap::Create(std::move(replica_config));
  if (!replicas.ok()) {
    log::Error(std::string(replicas.status().message()));
    return 2;
  }
  tracker::TrackerStore store(rt.pool());
  const std::string& charging_target = rt.flags().Get("charging");
  std::shared_ptr<charging::v1::Charging::StubInterface> charging;
  if (!charging_target.empty()) charging = charging::v1::Charging::NewStub(MakeChannel(charging_target));
  // Built field by field: GCC 12 at -O2 warns (wrongly) on nested designated temporaries here.
  tracker::AnnouncePlaneOptions plane_options;
  plane_options.threads = static_cast<int>(*announce_threads);
  plane_options.usage_flush_period = absl::Milliseconds(*usage_flush);
  plane_options.handler.replicas = *replicas;
  plane_options.handler.credit_interval_seconds = *credit_announce;
  plane_options.handler.seed_interval_seconds = *seed_announce;
  plane_options.http.max_connections = static_cast<int>(*http_max);
  plane_options.udp_max_wait = absl::Milliseconds(*udp_max_wait);
  plane_options.http.max_wait = absl::Milliseconds(*http_max_wait);
  plane_options.http.listen_backlog = static_cast<int>(*http_backlog);
  plane_options.close_expired_after = absl::Minutes(*close_expired);
  plane_options.udp_receive_buffer = static_cast<int>(*udp_buffer_kb * 1024);
  plane_options.admission.cold_per_source = static_cast<double>(*cold);
  plane_options.admission.cold_burst = 4.0 * static_cast<double>(*cold);
  auto udp_key = store.UdpConnectionKey();
  if (!udp_key.ok() || udp_key->size() != tracker::udp::ConnectionIds::kKeySize) {
    log::Error("cannot read the UDP connection-id key",
               {{"error", udp_key.ok() ? "wrong size" : std::string(udp_key.status().message())}});
    return 1;
  }
  plane_options.handler.udp_key.emplace();
  std::copy(udp_key->begin(), udp_key->end(), plane_options.handler.udp_key->begin());
  plane_options.delivery.node_id = rt.flags().Get("node-id");
  plane_options.credit.node_id = rt.flags().Get("node-id");
  plane_options.swarms.policy = *policy;
  plane_options.https = https->context.get();
  plane_options.https_listen = https->listen;
  tracker::AnnouncePlane plane(store, verifier, revocations, std::move(charging), rt.registry(),
                               std::move(plane_options));
  tracker::TrackerOptions service_options;
  service_options.replicas = *replicas;
  tracker::TrackerService service(store, verifier, revocations, plane, rt.registry(),
                                  std::move(service_options));
  tracker::ContentIndexService index(store);
  std::string announce_listen = rt.flags().Get("announce-listen");
  if (announce_listen.empty()) announce_listen = replicas->AnnounceHost(replica_index);
  if (absl::Status s = plane.Start(announce_listen); !s.ok()) {
    log::Error("cannot serve the BitTorrent tracker", {{"error", std::string(s.message())}});
    return 1;
  }
  log::Info("BitTorrent tracker listening",
            {{"address", announce_listen}, {"https", https->listen}});
  const int code = rt.Serve({&service, &index});
  plane.Stop();
  return code;
}
