// p2pims-origin: the operator's origin seeder. Seeds every indexed content its content directory
// holds, as one of the operator's seeds (token role origin), so new content is always available
// and leechers find a seed when no subscriber has the content yet.
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "absl/time/clock.h"
#include "lib/config/flags.h"
#include "lib/grpc/client.h"
#include "lib/runtime/process_start.h"
#include "lib/http/admin.h"
#include "lib/http/server.h"
#include "lib/log/log.h"
#include "lib/metrics/process_metrics.h"
#include "lib/runtime/signals.h"
#include "services/origin/catalogue.h"
#include "services/origin/seed_access.h"
#include "services/origin/seeder.h"

namespace {

void AddOriginFlags(p2pims::Flags& flags) {
  flags.Add("content-dir", "", "directory holding the content files, named as indexed (required)");
  flags.Add("subject", "",
            "the origin's operator seed identity, one of rights' --operator-seeds (required)");
  flags.Add("rights", "127.0.0.1:50051", "rights gRPC address");
  flags.Add("tracker", "127.0.0.1:50053", "tracker gRPC address (sessions and the content index)");
  flags.Add("bind", "127.0.0.1", "address peers reach the origin on (listen and connect)");
  flags.Add("port", "6881", "BitTorrent listening port (0: any free one)");
  flags.Add("locality", "", "the origin's locality path, e.g. 262-01 (for its tokens)");
  flags.Add("node-id", "", "names this seeder in its session ids (default: the host name)");
  flags.Add("rescan-seconds", "30", "seconds between looks at the index and the directory");
  flags.Add("max-connections", "200", "peer connections at most");
  flags.Add("upload-slots", "64", "peers uploaded to at once");
  flags.Add("upload-rate-limit-kib", "0", "KiB/s the origin uploads at most (0: no limit)");
  flags.Add("super-seeding", "false",
            "BEP 16 initial seeding: reveal pieces one at a time (less origin upload in a large "
            "swarm; stalls a lone leecher); not with --one-copy-first");
  flags.Add("one-copy-first", "true",
            "send every piece once before any piece twice: a request for a piece already sent "
            "elsewhere is refused while some piece has not left the origin");
  flags.Add("cell-round", "false",
            "with --one-copy-first, after the first copy: each cell gets each piece it lacks "
            "once (terminals tell their cell), not every peer that asks; less origin upload, "
            "more traffic between cells");
  flags.Add("admin-listen", "127.0.0.1:9105", "operator endpoints (/metrics, /healthz, /readyz)");
}

std::string HostName() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? name : "origin";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace p2pims;
  using namespace p2pims::origin;
  Flags flags("p2pims-origin", "The operator's origin seeder: seeds the indexed content it holds.");
  AddProcessFlags(flags);
  AddOriginFlags(flags);
  if (auto code = StartProcess(flags, "origin", argc, argv)) return *code;
  const auto port = flags.GetInt("port");
  const auto rescan = flags.GetInt("rescan-seconds");
  const auto connections = flags.GetInt("max-connections");
  const auto slots = flags.GetInt("upload-slots");
  const auto rate = flags.GetInt("upload-rate-limit-kib");
  const auto super_seeding = flags.GetBool("super-seeding");
  const auto one_copy_first = flags.GetBool("one-copy-first");
  const auto cell_round = flags.GetBool("cell-round");
  for (const absl::Status& s :
       {port.status(), rescan.status(), connections.status(), slots.status(), rate.status(),
        super_seeding.status(), one_copy_first.status(), cell_round.status()}) {
    if (!s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 2;
    }
  }
  if (flags.Get("content-dir").empty() || flags.Get("subject").empty()) {
    std::cerr << "error: --content-dir and --subject are required\n";
    return 2;
  }
  if (*super_seeding && *one_copy_first) {
    std::cerr << "error: --super-seeding and --one-copy-first exclude each other "
                 "(--one-copy-first=false to super-seed)\n";
    return 2;
  }
  if (*port < 0 || *port > 65535 || *rescan < 1 || *connections < 1 || *slots < 1 || *rate < 0) {
    std::cerr << "error: --port within 0..65535, --rescan-seconds, --max-connections and "
                 "--upload-slots at least 1, --upload-rate-limit-kib not negative\n";
    return 2;
  }

  metrics::Registry registry;
  metrics::AddProcessMetrics(registry);
  const std::string node = flags.Get("node-id").empty() ? HostName() : flags.Get("node-id");
  auto tracker_channel = MakeChannel(flags.Get("tracker"), 64 << 20);  // metainfo can be large
  Catalogue catalogue(tracker::v1::ContentIndex::NewStub(tracker_channel), flags.Get("content-dir"));
  SeedAccess access(rights::v1::Rights::NewStub(MakeChannel(flags.Get("rights"))),
                    tracker::v1::Tracker::NewStub(tracker_channel),
                    {.subject = flags.Get("subject"), .locality = flags.Get("locality"),
                     .node_id = node});
  Seeder seeder(catalogue, access, registry,
                {.endpoint = {.bind = flags.Get("bind"), .port = static_cast<int>(*port)},
                 .max_connections = static_cast<int>(*connections),
                 .upload_slots = static_cast<int>(*slots),
                 .upload_rate_limit_kib = static_cast<int>(*rate),
                 .super_seeding = *super_seeding,
                 .one_copy_first = *one_copy_first,
                 .cell_round = *cell_round});

  http::Server admin;
  http::AddAdminHandlers(admin, registry, [&seeder] {
    return seeder.ready() ? absl::OkStatus()
                          : absl::UnavailableError("the content index has not been read yet");
  });
  if (absl::Status s = admin.Start(flags.Get("admin-listen")); !s.ok()) {
    log::Error("cannot serve operator endpoints", {{"error", s.message()}});
    return 1;
  }
  log::Info("origin started", {{"content_dir", flags.Get("content-dir")},
                               {"subject", flags.Get("subject")},
                               {"peer_port", int64_t{seeder.port()}}});

  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    const int sig = WaitForTerminationSignal();
    log::Info("stopping", {{"signal", int64_t{sig}}});
    stopping = true;
  });
  absl::Time next_scan = absl::InfinitePast();
  while (!stopping) {
    if (absl::Now() >= next_scan) {
      seeder.Reconcile(absl::Now());
      next_scan = absl::Now() + absl::Seconds(*rescan);
    }
    seeder.PumpAlerts(absl::Milliseconds(500));
  }
  signals.join();
  seeder.Stop();
  admin.Stop();
  log::Info("stopped");
  return 0;
}
