// p2pims-sip-edge: the IMS application server (ISC) for content sessions. Wiring only: flags,
// the SIP stack, the workers that call the backends, and the operator endpoints.
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/config/flags.h"
#include "lib/http/admin.h"
#include "lib/http/server.h"
#include "lib/log/log.h"
#include "lib/metrics/process_metrics.h"
#include "lib/metrics/registry.h"
#include "lib/runtime/service_runtime.h"
#include "lib/runtime/signals.h"
#include "services/sip-edge/authenticator.h"
#include "services/sip-edge/backends.h"
#include "services/sip-edge/catalogue.h"
#include "services/sip-edge/identity.h"
#include "services/sip-edge/credential_store.h"
#include "services/sip-edge/presence.h"
#include "services/sip-edge/registrar.h"
#include "services/sip-edge/sessions.h"
#include "services/sip-edge/sofia_stack.h"
#include "lib/concurrency/worker_pool.h"

int main(int argc, char** argv) {
  using namespace p2pims;
  using namespace p2pims::sip_edge;
  BlockTerminationSignals();
  Flags flags("p2pims-sip-edge", "IMS application server for managed P2P content sessions.");
  flags.Add("sip-url", "sip:127.0.0.1:5060", "SIP listen URL (UDP and TCP)");
  flags.Add("sips-url", "", "SIP over TLS listen URL, e.g. sips:*:5061 (empty: no TLS)");
  flags.Add("tls-dir", "", "directory with agent.pem (certificate and key) and cafile.pem, for TLS");
  flags.Add("domains", "p2p.localhost", "comma-separated content domains (Request-URI hosts)");
  flags.Add("trusted-cscf", "127.0.0.1/32",
            "comma-separated CIDRs of CSCFs whose P-Asserted-Identity is trusted");
  flags.Add("rights", "127.0.0.1:50051", "rights gRPC address");
  flags.Add("charging", "127.0.0.1:50052", "charging gRPC address");
  flags.Add("tracker", "127.0.0.1:50053", "tracker gRPC address");
  flags.Add("backend-deadline-ms", "800", "deadline of each backend call");
  flags.Add("workers", "8", "threads calling the backends");
  flags.Add("max-queue", "1024", "requests waiting for a worker before 503");
  flags.Add("admin-listen", "127.0.0.1:9101",
            "HTTP listen address for /metrics, /healthz, /readyz");
  flags.Add("node-id", "sip-edge-0", "this replica's name in logs, ICIDs and CDRs");
  flags.Add("db", "",
            "PostgreSQL connection string for subscriber digest credentials (schema sip); empty: "
            "direct clients are refused, only trusted CSCFs are served");
  flags.Add("db-wait", "30", "seconds to wait for PostgreSQL at start-up");
  flags.Add("realm", "", "digest realm (default: the first of --domains)");
  flags.Add("max-session-seconds", "14400",
            "a session whose BYE never comes ends after this long (or at its token's expiry)");
  flags.Add("min-expires", "60", "shortest registration accepted, seconds (shorter: 423)");
  flags.Add("max-expires", "7200", "longest registration granted, seconds");
  flags.Add("max-registrations", "1000000", "public identities registered at most (then 503)");
  flags.Add("log-level", "info", "debug, info, warn or error");
  if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
  log::Init("sip-edge", log::ParseLevel(flags.Get("log-level")));

  SessionConfig config;
  config.node_id = flags.Get("node-id");
  for (absl::string_view d : absl::StrSplit(flags.Get("domains"), ',', absl::SkipWhitespace())) {
    config.domains.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(d)));
  }
  auto deadline = flags.GetInt("backend-deadline-ms");
  auto workers = flags.GetInt("workers");
  auto max_queue = flags.GetInt("max-queue");
  auto max_session = flags.GetInt("max-session-seconds");
  auto db_wait = flags.GetInt("db-wait");
  auto min_expires = flags.GetInt("min-expires");
  auto max_expires = flags.GetInt("max-expires");
  auto max_registrations = flags.GetInt("max-registrations");
  absl::Status trusted = config.trusted.Parse(flags.Get("trusted-cscf"));
  for (const absl::Status& s : {deadline.status(), workers.status(), max_queue.status(), trusted,
                                min_expires.status(), max_expires.status(),
                                max_registrations.status(), max_session.status(),
                                db_wait.status()}) {
    if (!s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 2;
    }
  }
  if (*deadline <= 0 || *workers <= 0 || *max_queue <= 0 || *min_expires <= 0 ||
      *max_registrations <= 0 || *max_session <= 0) {
    std::cerr << "error: --backend-deadline-ms, --workers, --max-queue, --min-expires, "
                 "--max-registrations and --max-session-seconds must be positive\n";
    return 2;
  }
  if (*max_expires < *min_expires) {
    std::cerr << "error: --max-expires must not be below --min-expires\n";
    return 2;
  }
  config.max_session = absl::Seconds(*max_session);
  RegistrarConfig registrar_config;
  registrar_config.min_expires = absl::Seconds(*min_expires);
  registrar_config.max_expires = absl::Seconds(*max_expires);
  registrar_config.default_expires = std::min(absl::Hours(1), registrar_config.max_expires);
  registrar_config.max_registrations = static_cast<size_t>(*max_registrations);

  metrics::Registry registry;
  metrics::AddProcessMetrics(registry);
  auto backends = MakeGrpcBackends({.rights = flags.Get("rights"),
                                    .charging = flags.Get("charging"),
                                    .tracker = flags.Get("tracker"),
                                    .deadline = absl::Milliseconds(*deadline)},
                                   registry);
  Responder reply(registry, {.warn_agent = "p2pims", .retry_after_seconds = 5});

  // Digest for direct clients, when subscriber credentials are configured.
  std::unique_ptr<pg::Pool> db;
  std::unique_ptr<CredentialStore> credentials;
  std::unique_ptr<Authenticator> authenticator;
  if (!flags.Get("db").empty()) {
    pg::PoolOptions db_options;
    db_options.conninfo = flags.Get("db");
    db_options.size = 2;
    db_options.prepared = CredentialStore::Statements();
    db = std::make_unique<pg::Pool>(std::move(db_options));
    if (!PrepareSchema(*db, "sip", SipEdgeMigrations(), absl::Seconds(*db_wait)).ok()) return 1;
    credentials = std::make_unique<CredentialStore>(*db, absl::Seconds(30));
    AuthConfig auth_config;
    auth_config.realm = !flags.Get("realm").empty()        ? flags.Get("realm")
                        : !config.domains.empty()          ? config.domains.front()
                                                           : std::string("p2p.localhost");
    authenticator = std::make_unique<Authenticator>(
        [&](const std::string& user) { return credentials->Find(user); }, reply, registry,
        auth_config);
    config.authenticator = authenticator.get();
  }
  SessionManager sessions(*backends, config, registry);
  Registrar registrar(reply, config.trusted, registry, registrar_config, authenticator.get());
  const Identifier identify(config.trusted, authenticator.get(), reply);
  Catalogue catalogue(*backends, identify, reply, {.domains = config.domains});
  PresenceReporter presence(*backends, registry);

  // A full worker queue: 503 at once, counted apart from the backends' 503s.
  metrics::Family<metrics::Counter>& overload =
      metrics::BuildCounter()
          .Name("p2pims_sip_overload_rejections_total")
          .Help("Requests answered 503 because the worker queue was full, by method.")
          .Register(registry);
  auto Overloaded = [&](const char* method) {
    overload.Add({{"method", method}}).Increment();
    return reply.Unavailable(method, "sip-edge overloaded,");
  };
  // The pool is declared after the stack so that it is destroyed first: work it still runs at
  // shutdown may answer through the stack.
  WorkerPool* pool_ptr = nullptr;
  SofiaStack* stack_ptr = nullptr;
  if (!flags.Get("sips-url").empty() && flags.Get("tls-dir").empty()) {
    std::cerr << "error: --sips-url needs --tls-dir\n";
    return 2;
  }
  StackConfig stack_config;
  stack_config.url = flags.Get("sip-url");
  stack_config.sips_url = flags.Get("sips-url");
  stack_config.tls_dir = flags.Get("tls-dir");
  SofiaStack stack(stack_config, [&](SipRequest req) {
    const uint64_t id = req.id;
    if (req.method == "REGISTER") {
      if (identify.Trusted(req)) {
        // A CSCF's REGISTER needs no I/O to answer: answered on the SIP loop itself; the tracker
        // hears of the locality from a worker afterwards.
        RegisterResult r = registrar.Register(req, absl::Now());
        stack_ptr->Respond(id, std::move(r.response));
        // Bounded: under overload a report is dropped; the next refresh reports again.
        if (r.presence && !pool_ptr->Submit([&presence, change = std::move(*r.presence)] {
              presence.Report(change);
            })) {
          presence.Dropped();
        }
        return;
      }
      // A direct client's digest may read PostgreSQL: on a worker.
      if (!pool_ptr->Submit([&, req = std::move(req)] {
            RegisterResult r = registrar.Register(req, absl::Now());
            stack_ptr->Respond(req.id, std::move(r.response));
            if (r.presence) presence.Report(*r.presence);
          })) {
        stack_ptr->Respond(id, Overloaded("REGISTER"));
      }
      return;
    }
    if (req.method == "MESSAGE") {
      if (!pool_ptr->Submit([&, req = std::move(req)] {
            CatalogueReply r = catalogue.Handle(req);
            stack_ptr->Respond(req.id, std::move(r.response));
            if (r.message) stack_ptr->SendMessage(std::move(*r.message));
          })) {
        stack_ptr->Respond(id, Overloaded("MESSAGE"));
      }
      return;
    }
    if (req.method != "INVITE") {
      // Teardown is never dropped, even under overload: money and CDRs depend on it.
      pool_ptr->SubmitAlways([&sessions, req = std::move(req)] { sessions.HandleBye(req); });
      return;
    }
    if (!pool_ptr->Submit([&, req = std::move(req)] {
          stack_ptr->Respond(req.id, sessions.HandleInvite(req));
        })) {
      stack_ptr->Respond(id, Overloaded("INVITE"));
    }
  });
  stack_ptr = &stack;
  WorkerPool pool(static_cast<int>(*workers), static_cast<size_t>(*max_queue));
  pool_ptr = &pool;
  if (absl::Status s = stack.Start(); !s.ok()) {
    log::Error("cannot start SIP", {{"error", s.message()}});
    return 1;
  }

  http::Server admin;
  http::AddAdminHandlers(admin, registry, [] { return absl::OkStatus(); });
  if (absl::Status s = admin.Start(flags.Get("admin-listen")); !s.ok()) {
    log::Error("cannot serve operator endpoints", {{"error", s.message()}});
    return 1;
  }
  // Expired registrations leave the tracker's presence too; sessions past their end get a BYE.
  std::mutex housekeeping_mu;
  std::condition_variable housekeeping_wake;
  bool stopping = false;
  std::thread housekeeping([&] {
    std::unique_lock<std::mutex> lock(housekeeping_mu);
    while (!housekeeping_wake.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; })) {
      lock.unlock();
      const absl::Time now = absl::Now();
      for (PresenceChange& gone : registrar.Expire(now)) {
        pool.SubmitAlways([&presence, gone = std::move(gone)] { presence.Report(gone); });
      }
      for (uint64_t id : sessions.Overdue(now)) stack.Bye(id);
      lock.lock();
    }
  });
  std::thread signals([&] {
    const int sig = WaitForTerminationSignal();
    log::Info("stopping", {{"signal", int64_t{sig}}});
    {
      std::lock_guard<std::mutex> lock(housekeeping_mu);
      stopping = true;
    }
    housekeeping_wake.notify_all();
    stack.Stop();
  });
  log::Info("serving", {{"sip", flags.Get("sip-url")},
                        {"admin", flags.Get("admin-listen")},
                        {"trusted_networks", int64_t(config.trusted.size())},
                        {"digest", authenticator != nullptr}});
  stack.Run();
  signals.join();
  housekeeping.join();
  admin.Stop();
  log::Info("stopped");
  return 0;
}
