// p2pims-rights: content licences, entitlements and signed access tokens.
#include <iostream>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "lib/concurrency/worker_pool.h"
#include "lib/log/log.h"
#include "lib/runtime/service_runtime.h"
#include "lib/token/signer.h"
#include "services/rights/access_control.h"
#include "services/rights/audit_writer.h"
#include "services/rights/change_listener.h"
#include "services/rights/keyring.h"
#include "services/rights/revocation_set.h"
#include "services/rights/rights_metrics.h"
#include "services/rights/service.h"

namespace {

// `--generate-key KID` needs neither the database nor the network; nullopt when not asked.
std::optional<int> GenerateKeyAndExit(int argc, char** argv) {
  using namespace p2pims;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--generate-key", 0) != 0) continue;
    std::string kid;
    if (arg.rfind("--generate-key=", 0) == 0) kid = arg.substr(15);
    if (arg == "--generate-key" && i + 1 < argc) kid = argv[i + 1];
    if (!token::ValidKid(kid)) {
      std::cerr << "error: --generate-key needs a kid of 1-64 characters of A-Z a-z 0-9 . _ -\n";
      return 2;
    }
    std::cout << token::FormatKeyLine(token::GenerateKey(kid)) << "\n";
    return 0;
  }
  return std::nullopt;
}

// Positive integer flag, or an error message naming it.
std::optional<int64_t> PositiveFlag(p2pims::ServiceRuntime& rt, const char* name) {
  auto value = rt.flags().GetInt(name);
  if (!value.ok() || *value <= 0) {
    p2pims::log::Error(std::string("--") + name + " must be a positive integer");
    return std::nullopt;
  }
  return *value;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace p2pims;
  using namespace p2pims::rights;
  ServiceRuntime rt({.name = "rights",
                     .summary = "Content licences, entitlements and signed access tokens.",
                     .grpc_listen = "127.0.0.1:50051",
                     .admin_listen = "127.0.0.1:9102",
                     .schema = "rights",
                     .migrations = &RightsMigrations(),
                     .prepared = RightsStore::Statements()});
  rt.flags().Add("signing-key-file", "",
                 "file of Ed25519 signing keys, one \"<kid> <base64url seed> [created=<unix>] "
                 "[retire=<unix>]\" per line; the first signs, all verify until they retire "
                 "(generate one with --generate-key KID)");
  rt.flags().Add("generate-key", "", "print a new signing key line for this kid and exit");
  rt.flags().Add("token-ttl", "14400", "access token lifetime in seconds");
  rt.flags().Add("key-reload", "10", "seconds between checks of the key file for changes");
  rt.flags().Add("audit-retention-days", "90", "days audit records are kept");
  rt.flags().Add("cache-subjects", "500000", "subscribers whose entitlements are kept in memory");
  rt.flags().Add("cache-content", "200000", "catalogue entries kept in memory");
  rt.flags().Add("operator-seeds", "",
                 "comma-separated identities of the operator's seeds (p2pims-origin's --subject): "
                 "only they get the seed and origin roles, without entitlement");

  if (auto code = GenerateKeyAndExit(argc, argv)) return *code;
  if (auto code = rt.Init(argc, argv)) return *code;

  const auto ttl = PositiveFlag(rt, "token-ttl");
  const auto reload = PositiveFlag(rt, "key-reload");
  const auto retention = PositiveFlag(rt, "audit-retention-days");
  const auto cache_subjects = PositiveFlag(rt, "cache-subjects");
  const auto cache_content = PositiveFlag(rt, "cache-content");
  if (!ttl || !reload || !retention || !cache_subjects || !cache_content) return 2;
  if (rt.flags().Get("signing-key-file").empty()) {
    log::Error("--signing-key-file is required (generate a key with --generate-key KID)");
    return 2;
  }
  auto keyring = Keyring::FromFile(rt.flags().Get("signing-key-file"),
                                   absl::ToUnixSeconds(absl::Now()));
  if (!keyring.ok()) {
    log::Error("cannot load signing keys", {{"error", keyring.status().message()}});
    return 2;
  }
  log::Info("signing keys loaded", {{"count", int64_t((*keyring)->current()->keys.size())},
                                    {"current_kid", (*keyring)->current()->signer->kid()}});

  RightsMetrics metrics(rt.registry());
  RightsStore store(rt.pool(), absl::Seconds(*ttl));
  RevocationSet revocations(store);
  AuditWriter audit(store, {.retention = absl::Hours(24 * *retention)});
  AccessControl access(store, **keyring, revocations, audit, metrics,
                       {.token_ttl = absl::Seconds(*ttl),
                        .content_cache_entries = size_t(*cache_content),
                        .subject_cache_entries = size_t(*cache_subjects),
                        .operator_seeds = absl::StrSplit(rt.flags().Get("operator-seeds"), ',',
                                                         absl::SkipWhitespace())});
  ChangeListener listener(rt.flags().Get("db"), access.Handlers());
  access.UseListener(&listener);
  audit.Start();
  listener.Start();

  rt.registry().AddCollectHook([&] {
    const auto keys = (*keyring)->current();
    const int64_t created = keys->keys.front().created_at;
    metrics.signing_key_age.Set(created == 0 ? 0 : absl::ToUnixSeconds(absl::Now()) - created);
    metrics.verify_keys.Set(double(keys->keys.size()));
    metrics.listener_live.Set(listener.live() ? 1 : 0);
    metrics.audit_backlog.Set(double(audit.backlog()));
    metrics.audit_written.Set(double(audit.written()));
    metrics.revocations_in_force.Set(double(revocations.size()));
  });

  // Key rotation without restart: the file is re-read when it changes.
  absl::Notification stop_reloading;
  std::thread reloader([&] {
    while (!stop_reloading.WaitForNotificationWithTimeout(absl::Seconds(*reload))) {
      auto changed = (*keyring)->Reload(absl::ToUnixSeconds(absl::Now()));
      if (!changed.ok()) {
        metrics.key_reload_failures.Increment();
        log::Error("signing keys not reloaded; the previous keys stay in use",
                   {{"error", changed.status().message()}});
      } else if (*changed) {
        log::Info("signing keys reloaded",
                  {{"count", int64_t((*keyring)->current()->keys.size())},
                   {"current_kid", (*keyring)->current()->signer->kid()}});
      }
    }
  });

  // Decisions that need PostgreSQL wait on these threads, never on gRPC's.
  auto pool_size = rt.flags().GetInt("db-pool-size");
  WorkerPool slow_path(static_cast<int>(2 * (pool_size.ok() ? *pool_size : 4)), 10000);
  RightsService service(store, access, **keyring, revocations, &listener, &slow_path);
  RightsAdminService admin(store, access, revocations);
  const int code = rt.Serve({&service, &admin});
  stop_reloading.Notify();
  reloader.join();
  return code;
}
