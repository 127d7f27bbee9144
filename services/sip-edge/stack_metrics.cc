#include "services/sip-edge/stack_metrics.h"

#include <string>

namespace p2pims::sip_edge {
namespace {

constexpr std::string_view kMethods[] = {"INVITE", "ACK",      "BYE",     "CANCEL",    "OPTIONS",
                                         "UPDATE", "REGISTER", "MESSAGE", "SUBSCRIBE", "NOTIFY",
                                         "REFER",  "PRACK",    "PUBLISH", "INFO",      "other"};

}  // namespace

StackMetrics::StackMetrics(metrics::Registry& registry)
    : responses_(metrics::BuildCounter()
                     .Name("p2pims_sip_responses_total")
                     .Help("Final SIP responses sent by sip-edge, by method and status code.")
                     .Register(registry)) {
  static_assert(std::size(kMethods) == kKnown + 1);
  metrics::Family<metrics::Counter>& requests =
      metrics::BuildCounter()
          .Name("p2pims_sip_requests_total")
          .Help("SIP requests received (retransmissions absorbed by the stack not included), by "
                "method; methods sip-edge does not know count as other.")
          .Register(registry);
  for (int i = 0; i <= kKnown; ++i) {
    requests_[i] = &requests.Add({{"method", std::string(kMethods[i])}});
  }
}

int StackMetrics::Index(std::string_view method) {
  for (int i = 0; i < kKnown; ++i) {
    if (kMethods[i] == method) return i;
  }
  return kKnown;
}

void StackMetrics::Request(std::string_view method) { requests_[Index(method)]->Increment(); }

void StackMetrics::Response(std::string_view method, int code) {
  const std::pair<int, int> key(Index(method), code);
  auto it = by_code_.find(key);
  if (it == by_code_.end()) {
    metrics::Counter& c = responses_.Add(
        {{"method", std::string(kMethods[key.first])}, {"code", std::to_string(code)}});
    it = by_code_.emplace(key, &c).first;
  }
  it->second->Increment();
}

}  // namespace p2pims::sip_edge
