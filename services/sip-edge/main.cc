// p2pims-sip-edge: the IMS application server (ISC) for content sessions. Wiring only: flags,
// the SIP stack, the workers that call the backends, and the operator endpoints.
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "lib/config/flags.h"
#include "lib/runtime/process_start.h"
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
#include "services/sip-edge/edge_flags.h"
#include "services/sip-edge/presence.h"
#include "services/sip-edge/progress.h"
#include "services/sip-edge/access_watch.h"
#include "services/sip-edge/registrar.h"
#include "services/sip-edge/sessions.h"
#include "services/sip-edge/sofia_stack.h"
#include "lib/concurrency/worker_pool.h"

int main(int argc, char** argv) {
  using namespace p2pims;
  using namespace p2pims::sip_edge;
  Flags flags("p2pims-sip-edge", "IMS application server for managed P2P content sessions.");
  AddProcessFlags(flags);
  AddEdgeFlags(flags);
  if (auto code = StartProcess(flags, "sip-edge", argc, argv)) return *code;
  absl::StatusOr<EdgeSettings> settings = ReadEdgeFlags(flags);
  if (!settings.ok()) {
    std::cerr << "error: " << settings.status().message() << "\n";
    return 2;
  }
  SessionConfig& config = settings->sessions;

  metrics::Registry registry;
  metrics::AddProcessMetrics(registry);
  auto backends = MakeGrpcBackends(settings->backends, registry);
  Responder reply(registry, {.warn_agent = "p2pims", .retry_after_seconds = 5});

  // Digest for direct clients, when subscriber credentials are configured.
  std::unique_ptr<pg::Pool> db;
  std::unique_ptr<CredentialStore> credentials;
  std::unique_ptr<Authenticator> authenticator;
  if (!settings->db.empty()) {
    pg::PoolOptions db_options;
    db_options.conninfo = settings->db;
    db_options.size = 2;
    db_options.prepared = CredentialStore::Statements();
    db = std::make_unique<pg::Pool>(std::move(db_options));
    if (!PrepareSchema(*db, "sip", SipEdgeMigrations(), settings->db_wait).ok()) return 1;
    credentials = std::make_unique<CredentialStore>(*db, absl::Seconds(30));
    authenticator = std::make_unique<Authenticator>(
        [&](const std::string& user) { return credentials->Find(user); }, reply, registry,
        settings->auth);
    config.authenticator = authenticator.get();
  }
  const Identifier identify(config.trusted, authenticator.get(), reply);
  ProgressNotifier progress(*backends, identify, reply, settings->progress, registry);
  SofiaStack* stack_ptr = nullptr;
  // A session's progress subscribers hear of its end as soon as its teardown is done.
  config.on_ended = [&](const std::string& session_id) {
    for (OutgoingNotify& n : progress.Poll(session_id)) stack_ptr->Notify(std::move(n));
  };
  // Declared before everything that submits to it: destroyed last, it sends what the others
  // queued on their way out.
  AccountingQueue accounting(*backends, {}, registry);
  SessionManager sessions(*backends, accounting, config, registry);
  Registrar registrar(reply, config.trusted, registry, settings->registrar, authenticator.get());
  Catalogue catalogue(*backends, identify, reply, {.domains = config.domains});
  PresenceReporter presence(*backends, registry);

  // 503 for overload, counted apart from the backends' 503s: on arrival (the worker queue full,
  // or its oldest request waiting past --max-queue-wait-ms) or when a worker takes a request
  // that waited past it.
  metrics::Family<metrics::Counter>& overload =
      metrics::BuildCounter()
          .Name("p2pims_sip_overload_rejections_total")
          .Help("Requests answered 503 for overload, by method: on arrival (reason arrival: the "
                "worker queue full or behind) or after waiting too long for a worker (waited).")
          .Register(registry);
  auto Overloaded = [&](const char* method, const char* reason = "arrival") {
    overload.Add({{"method", method}, {"reason", reason}}).Increment();
    return reply.Unavailable(method, "sip-edge overloaded,");
  };
  // What a worker runs instead of a request that waited too long.
  auto Shed = [&](const char* method, uint64_t id) {
    return [&, method, id] { stack_ptr->Respond(id, Overloaded(method, "waited")); };
  };
  // The pool is declared after the stack so that it is destroyed first: work it still runs at
  // shutdown may answer through the stack.
  WorkerPool* pool_ptr = nullptr;
  SofiaStack stack(settings->stack, [&](SipRequest req) {
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
      if (!pool_ptr->Submit(
              [&, req = std::move(req)] {
                RegisterResult r = registrar.Register(req, absl::Now());
                stack_ptr->Respond(req.id, std::move(r.response));
                if (r.presence) presence.Report(*r.presence);
              },
              Shed("REGISTER", id))) {
        stack_ptr->Respond(id, Overloaded("REGISTER"));
      }
      return;
    }
    if (req.method == "MESSAGE") {
      if (!pool_ptr->Submit(
              [&, req = std::move(req)] {
                CatalogueReply r = catalogue.Handle(req);
                stack_ptr->Respond(req.id, std::move(r.response));
                if (r.message) stack_ptr->SendMessage(std::move(*r.message));
              },
              Shed("MESSAGE", id))) {
        stack_ptr->Respond(id, Overloaded("MESSAGE"));
      }
      return;
    }
    if (req.method == "SUBSCRIBE") {
      if (!pool_ptr->Submit(
              [&, req = std::move(req)] {
                SubscribeReply r = progress.Subscribe(req);
                stack_ptr->Respond(req.id, std::move(r.response));
                if (r.first) stack_ptr->Notify(std::move(*r.first));
              },
              Shed("SUBSCRIBE", id))) {
        stack_ptr->Respond(id, Overloaded("SUBSCRIBE"));
      }
      return;
    }
    if (req.method == "SUBSCRIPTION_ENDED") {
      progress.Forget(id);
      return;
    }
    if (req.method != "INVITE") {
      // Teardown is never dropped, even under overload: money and CDRs depend on it.
      pool_ptr->SubmitAlways([&sessions, req = std::move(req)] { sessions.HandleBye(req); });
      return;
    }
    // Marked before a worker takes it: a CANCEL handled first must still find the set-up.
    sessions.BeginSetUp(id);
    if (!pool_ptr->Submit(
            [&, req = std::move(req)] { stack_ptr->Respond(req.id, sessions.HandleInvite(req)); },
            [&, id] {
              sessions.AbandonSetUp(id);
              stack_ptr->Respond(id, Overloaded("INVITE", "waited"));
            })) {
      sessions.AbandonSetUp(id);
      stack_ptr->Respond(id, Overloaded("INVITE"));
    }
  }, registry);
  stack_ptr = &stack;
  WorkerPool pool(settings->workers, settings->max_queue, settings->max_queue_wait);
  pool_ptr = &pool;
  if (absl::Status s = stack.Start(); !s.ok()) {
    log::Error("cannot start SIP", {{"error", s.message()}});
    return 1;
  }

  http::Server admin;
  http::AddAdminHandlers(admin, registry, [] { return absl::OkStatus(); });
  if (absl::Status s = admin.Start(settings->admin_listen); !s.ok()) {
    log::Error("cannot serve operator endpoints", {{"error", s.message()}});
    return 1;
  }
  // Expired registrations leave the tracker's presence too; sessions past their end get a BYE;
  // progress subscribers get a NOTIFY when their session changed (one poll at a time).
  std::atomic<bool> polling{false};
  absl::Time next_poll = absl::Now() + settings->progress_interval;
  AccessWatch access(sessions, *backends, registry);
  std::atomic<bool> checking{false};
  absl::Time next_check = absl::Now() + settings->access_check_interval;
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
      for (uint64_t id : sessions.Overdue(now)) stack.Bye(id, kTimeLimitReason);
      if (now >= next_poll && progress.subscriptions() > 0 && !polling.exchange(true)) {
        next_poll = now + settings->progress_interval;
        if (!pool.Submit([&] {
              for (OutgoingNotify& n : progress.Poll()) stack.Notify(std::move(n));
              polling = false;
            })) {
          polling = false;  // overloaded: the next round tries again
        }
      }
      if (now >= next_check && sessions.active() > 0 && !checking.exchange(true)) {
        next_check = now + settings->access_check_interval;
        if (!pool.Submit([&] {
              for (auto& [dialog, reason] : access.Poll()) stack.Bye(dialog, std::move(reason));
              checking = false;
            })) {
          checking = false;
        }
      }
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
  log::Info("serving", {{"sip", settings->stack.url},
                        {"sips", settings->stack.sips_url},
                        {"admin", settings->admin_listen},
                        {"trusted_networks", int64_t(config.trusted.size())},
                        {"digest", authenticator != nullptr}});
  stack.Run();
  signals.join();
  housekeeping.join();
  admin.Stop();
  log::Info("stopped");
  return 0;
}
