// Final responses of sip-edge's own making, counted by method and code
// (p2pims_sip_responses_total), with the Warning (RFC 3261 §20.43) that names a refusal's reason
// and the Retry-After of a 503. Shared by the session and registration handlers.
//
//   Responder reply(registry, {});
//   SipResponse r = reply("REGISTER", 423, "Interval Too Brief", "expires below 60 s");
#pragma once

#include <map>
#include <string>

#include "lib/metrics/counter.h"
#include "lib/metrics/family.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/sip_message.h"

namespace p2pims::sip_edge {

struct ResponderConfig {
  std::string warn_agent = "p2pims";  // warn-agent of Warning headers
  int retry_after_seconds = 5;
};

// Thread-safe.
class Responder {
 public:
  Responder(metrics::Registry& registry, ResponderConfig config);

  // A response with a Warning carrying `warning` when it is not empty.
  SipResponse operator()(const std::string& method, int status, std::string phrase,
                         const std::string& warning = "");
  // 503 with Retry-After: `what` (a backend) cannot be reached.
  SipResponse Unavailable(const std::string& method, const std::string& what);

 private:
  const ResponderConfig config_;
  metrics::Family<metrics::Counter>& responses_;
  // The common (method, code) pairs, created up front so that counting them takes no lock.
  std::map<std::pair<std::string, int>, metrics::Counter*> common_;
};

// A Warning value: code 399 (miscellaneous), agent, the text quoted (quotes and line breaks in
// it become spaces).
std::string WarningValue(const std::string& agent, std::string text);

}  // namespace p2pims::sip_edge
