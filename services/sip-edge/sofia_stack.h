// The one adapter around Sofia-SIP's NUA: it owns the event loop, turns incoming requests into
// SipRequest values for the rest of sip-edge, and sends SipResponse values back. RFC 3261
// transactions, retransmissions, ACK and the 200 to BYE are Sofia's.
//
//   SofiaStack stack({.url = "sip:127.0.0.1:5060"}, [&](SipRequest r) { ...hand to a worker... });
//   stack.Start();         // on the thread that will run the loop
//   stack.Run();           // until Stop()
//   stack.Respond(id, resp);   // from any thread
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/sip_message.h"

namespace p2pims::sip_edge {

struct StackConfig {
  std::string url = "sip:127.0.0.1:5060";  // UDP and TCP on this address
  // TLS (e.g. "sips:*:5061"), with `tls_dir` holding agent.pem (certificate and key) and
  // cafile.pem; empty: no TLS.
  std::string sips_url;
  std::string tls_dir;
  std::string user_agent = "p2pims-sip-edge/0.1";
  // Event packages SUBSCRIBE may ask for (others get 489 Bad Event from the stack).
  std::string allow_events = "p2pims-progress";
  // RFC 4028 session timers: the interval offered (0: none), the smallest accepted (422 below);
  // the terminal is asked to refresh, and a session not refreshed in time is ended by the stack.
  unsigned session_expires = 1800;
  unsigned min_se = 90;
  // SO_RCVBUF of the UDP socket (bytes; the kernel caps it at net.core.rmem_max). A burst the
  // loop cannot take at once waits there instead of being dropped: a dropped ACK keeps its final
  // response retransmitting for up to 32 s, and under overload those pile up (docs/results.md).
  unsigned udp_receive_buffer = 4u << 20;
  // SO_SNDBUF of the UDP socket (bytes; capped at net.core.wmem_max). A 200 OK carries the
  // session descriptor with the metainfo (about 29 KB for 1,024 pieces); with the kernel's
  // 208 KiB a burst of them overflowed it, the send failed and the caller got Sofia's 500.
  unsigned udp_send_buffer = 4u << 20;
  // SIP's 64 x T1 (ms): how long a final response waits for its ACK (timer H) and a request sent
  // for its final response (B, F). Every response waiting over UDP is retransmitted and kept
  // until then; under overload most are 503s, so a shorter wait keeps less.
  unsigned transaction_timeout_ms = 32000;
};

// Start, Run and the request callback are on the loop thread; Respond and Stop are thread-safe.
// A dialog that ends arrives as a request with method TERMINATED (after a BYE request, or without
// one: CANCEL, an error, or the stack's own BYE when the session timer ran out or the ACK never
// came, which sets `stack_ended`).
class SofiaStack {
 public:
  using RequestHandler = std::function<void(SipRequest)>;
  // Requests and the stack's own final responses are counted in `registry` (stack_metrics.h).
  SofiaStack(StackConfig config, RequestHandler on_request, metrics::Registry& registry);
  ~SofiaStack();

  absl::Status Start();
  void Run();
  void Respond(uint64_t id, SipResponse response);
  // Ends dialog `id` with a BYE from sip-edge (a session past its end, or out of credit),
  // carrying `reason` as its Reason header (RFC 3326) when set; its end then arrives as a
  // TERMINATED request like any other. Nothing happens if the dialog is gone.
  void Bye(uint64_t id, std::string reason = "");
  // Sends a MESSAGE outside any dialog; its answer is only logged when it is a failure.
  void SendMessage(OutgoingMessage message);
  // Sends a NOTIFY in an accepted subscription (nothing when it is gone). A subscription that
  // ends (a final NOTIFY, unsubscribed, expired, a NOTIFY refused) arrives as a request with
  // method SUBSCRIPTION_ENDED and its id.
  void Notify(OutgoingNotify notify);
  void Stop();

  // Called from Sofia's C callbacks; not for other users.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace p2pims::sip_edge
