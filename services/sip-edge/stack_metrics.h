// What reaches sip-edge's SIP stack, counted on the stack's loop thread: every request by method
// (p2pims_sip_requests_total), and the final responses the stack sends by itself (a BYE's 200,
// OPTIONS, a refused event package's 489, a re-INVITE's answer), which the Responder of the
// request handlers does not see; both go into p2pims_sip_responses_total.
#pragma once

#include <array>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/family.h"
#include "lib/metrics/registry.h"

namespace p2pims::sip_edge {

// Not thread-safe: one user, the SIP loop thread. Counters are made up front for the methods
// sip-edge knows (others count as "other"), and once per (method, code) pair after that, so
// counting takes no lock.
class StackMetrics {
 public:
  explicit StackMetrics(metrics::Registry& registry);
  void Request(std::string_view method);
  void Response(std::string_view method, int code);

 private:
  static constexpr int kKnown = 14;  // methods with their own label; index kKnown is "other"
  static int Index(std::string_view method);

  metrics::Family<metrics::Counter>& responses_;
  std::array<metrics::Counter*, kKnown + 1> requests_{};
  absl::flat_hash_map<std::pair<int, int>, metrics::Counter*> by_code_;  // (method, code)
};

}  // namespace p2pims::sip_edge
