// The tracker's data plane, assembled: swarms in memory, admission with its verification cache,
// the announce handler, the HTTP and UDP listeners, usage metering to the session rows, and the
// housekeeping thread (peer expiry, cache sweep, usage flush, gauges).
//
//   AnnouncePlane plane(store, verifier, revocations, registry, {});
//   absl::Status s = plane.Start("[::]:6969");   // HTTP (TCP) and UDP on the same port
//   ...
//   plane.Stop();
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "lib/token/revocation_list.h"
#include "lib/token/signer.h"
#include "services/tracker/admission.h"
#include "services/tracker/announce_handler.h"
#include "services/tracker/credit_control.h"
#include "services/tracker/http_listener.h"
#include "services/tracker/store.h"
#include "services/tracker/swarms.h"
#include "services/tracker/udp_listener.h"
#include "services/tracker/usage_delivery.h"
#include "services/tracker/usage_meter.h"

namespace p2pims::tracker {

struct AnnouncePlaneOptions {
  int threads = 2;  // workers per protocol
  SwarmsOptions swarms;
  AnnounceHandlerOptions handler;
  AdmissionOptions admission;
  HttpListenerOptions http;
  // UDP datagrams that waited in the socket longer than this get "tracker busy" (zero: none do).
  absl::Duration udp_max_wait = absl::ZeroDuration();
  int udp_receive_buffer = 0;  // bytes per UDP socket; 0: the system's default
  // An HTTPS listener beside the plain one, on this address with this certificate (not owned);
  // none while null. The two share --http-max-connections and the connection metrics.
  HttpsContext* https = nullptr;
  std::string https_listen;
  absl::Duration housekeeping_period = absl::Seconds(1);
  // Metered usage is written (one statement for all sessions), delivered and checked against
  // credit this often; CloseSession writes it at once whatever the period.
  absl::Duration usage_flush_period = absl::Seconds(1);
  UsageDeliveryOptions delivery;
  CreditControlOptions credit;
  // Open sessions whose token expired this long ago are closed by housekeeping (cause
  // "expired"), once a minute; zero: never.
  absl::Duration close_expired_after = absl::Hours(1);
};

class AnnouncePlane {
 public:
  // `charging` receives the metered usage and the credit control UPDATEs (none: the usage stays
  // for sip-edge's STOP and TERMINATION).
  AnnouncePlane(TrackerStore& store, const token::Verifier& verifier,
                const token::RevocationList& revocations,
                std::shared_ptr<charging::v1::Charging::StubInterface> charging,
                metrics::Registry& registry, AnnouncePlaneOptions options);
  ~AnnouncePlane();

  // Listens on `address` with TCP (HTTP tracker) and UDP (UDP tracker), and on
  // options.https_listen with HTTPS when set, and starts housekeeping.
  absl::Status Start(const std::string& address);
  // Stops the listeners and writes the usage still in memory. Idempotent.
  void Stop();

  int http_port() const { return http_->port(); }
  int udp_port() const { return udp_.port(); }
  int https_port() const { return https_ ? https_->port() : 0; }
  Admission& admission() { return admission_; }
  Swarms& swarms() { return swarms_; }
  // Writes the usage metered so far to the session rows and the outbox now (also done once a
  // second).
  void FlushUsage();
  // Closes, as CloseSession does, up to 100 open sessions whose token expired more than
  // options.close_expired_after ago: their terminals can no longer announce, and no BYE came
  // (a sip-edge killed mid-session). Returns how many it closed; a session whose usage cannot
  // reach charging now is left for the next round. Housekeeping calls it once a minute.
  int CloseExpiredSessions();
  UsageDelivery& usage_delivery() { return delivery_; }
  CreditControl& credit() { return credit_; }

 private:
  void Housekeeping();
  // The listener of HTTP or HTTPS (the options of both, on the shared connection count).
  std::unique_ptr<HttpListener> MakeHttpListener(HttpsContext* https);

  TrackerStore& store_;
  const AnnouncePlaneOptions options_;
  Swarms swarms_;
  Admission admission_;
  UsageMeter usage_;
  UsageDelivery delivery_;
  CreditControl credit_;
  RequestCounters counters_;
  AnnounceHandler handler_;
  metrics::Gauge& http_connections_;
  metrics::Counter& http_busy_;
  metrics::Gauge& http_queued_;
  metrics::Counter& listen_overflows_;
  metrics::Counter& expired_closed_;
  std::optional<uint64_t> listen_overflows_seen_;  // the namespace's count at the last look
  metrics::Counter &udp_buffer_full_, &udp_too_late_;
  metrics::Gauge& swarms_gauge_;
  metrics::Gauge &seeders_gauge_, &leechers_gauge_, &origins_gauge_;
  metrics::Gauge& cached_tokens_;
  metrics::Gauge& usage_pending_;
  std::atomic<int> http_open_{0};  // open HTTP and HTTPS connections, for the shared cap
  std::unique_ptr<HttpListener> http_, https_;
  UdpListener udp_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread housekeeping_;
};

}  // namespace p2pims::tracker
