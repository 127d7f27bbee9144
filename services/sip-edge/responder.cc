#include "services/sip-edge/responder.h"

#include "absl/strings/str_cat.h"

namespace p2pims::sip_edge {

std::string WarningValue(const std::string& agent, std::string text) {
  for (char& c : text) {
    if (c == '"' || c == '\\' || c == '\r' || c == '\n') c = ' ';
  }
  return absl::StrCat("399 ", agent, " \"", text, "\"");
}

Responder::Responder(metrics::Registry& registry, ResponderConfig config)
    : config_(std::move(config)),
      responses_(metrics::BuildCounter()
                     .Name("p2pims_sip_responses_total")
                     .Help("Final SIP responses sent by sip-edge, by method and status code.")
                     .Register(registry)) {
  for (int code : {200, 400, 402, 403, 404, 487, 488, 500, 503}) {
    common_[{"INVITE", code}] =
        &responses_.Add({{"method", "INVITE"}, {"code", std::to_string(code)}});
  }
  for (int code : {200, 400, 403, 423, 503}) {
    common_[{"REGISTER", code}] =
        &responses_.Add({{"method", "REGISTER"}, {"code", std::to_string(code)}});
  }
}

SipResponse Responder::operator()(const std::string& method, int status, std::string phrase,
                                  const std::string& warning) {
  SipResponse r;
  r.status = status;
  r.phrase = std::move(phrase);
  if (!warning.empty()) r.headers.emplace_back("Warning", WarningValue(config_.warn_agent, warning));
  if (auto known = common_.find({method, status}); known != common_.end()) {
    known->second->Increment();
  } else {
    responses_.Add({{"method", method}, {"code", std::to_string(status)}}).Increment();
  }
  return r;
}

SipResponse Responder::Unavailable(const std::string& method, const std::string& what) {
  SipResponse r = (*this)(method, 503, "Service Unavailable", what + " unavailable");
  r.headers.emplace_back("Retry-After", std::to_string(config_.retry_after_seconds));
  return r;
}

}  // namespace p2pims::sip_edge
