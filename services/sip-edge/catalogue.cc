#include "services/sip-edge/catalogue.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace p2pims::sip_edge {
namespace {

constexpr char kMethod[] = "MESSAGE";

std::string Price(const rv1::CatalogueEntry& e) {
  const int64_t minor = e.price().minor();
  switch (e.price_model()) {
    case rv1::PRICE_MODEL_FREE:
      return "free";
    case rv1::PRICE_MODEL_PER_BYTE:
      return absl::StrFormat("%d.%02d %s per MiB", minor / 100, minor % 100, e.price().currency());
    case rv1::PRICE_MODEL_SUBSCRIPTION:
      return "by subscription";
    case rv1::PRICE_MODEL_RENTAL:
      return absl::StrFormat("rent %d.%02d %s", minor / 100, minor % 100, e.price().currency());
    default:
      return absl::StrFormat("buy %d.%02d %s", minor / 100, minor % 100, e.price().currency());
  }
}

}  // namespace

std::string RenderResults(const std::string& query,
                          const google::protobuf::RepeatedPtrField<rv1::CatalogueEntry>& entries,
                          const std::string& domain) {
  if (entries.empty()) return absl::StrCat("Nothing matches \"", query, "\".\r\n");
  std::string out = absl::StrCat(entries.size(), entries.size() == 1 ? " match" : " matches",
                                 " for \"", query, "\":\r\n");
  for (const rv1::CatalogueEntry& e : entries) {
    absl::StrAppend(&out, "sip:", e.content_id(), "@", domain, "  ", e.title(), "  ", Price(e),
                    "  ", (e.size_bytes() + (1 << 20) - 1) >> 20, " MiB\r\n");
  }
  return out;
}

CatalogueReply Catalogue::Handle(const SipRequest& req) {
  if (absl::AsciiStrToLower(req.request_user) != config_.user) {
    return {reply_(kMethod, 404, "Not Found", "no one to message here but " + config_.user)};
  }
  if (!config_.domains.empty() && std::find(config_.domains.begin(), config_.domains.end(),
                                            req.request_host) == config_.domains.end()) {
    return {reply_(kMethod, 404, "Not Found", "unknown content domain " + req.request_host)};
  }
  auto who = identify_(req, absl::Now());
  if (auto* refused = std::get_if<SipResponse>(&who)) return {std::move(*refused)};
  if (!req.content_type.empty() && !absl::EqualsIgnoreCase(req.content_type, "text/plain")) {
    SipResponse r = reply_(kMethod, 415, "Unsupported Media Type", "send the search as text/plain");
    r.headers.emplace_back("Accept", "text/plain");
    return {std::move(r)};
  }
  const std::string query(absl::StripAsciiWhitespace(req.body));
  if (query.empty() || query.size() > 100) {
    return {reply_(kMethod, 400, "Bad Request", "send 1-100 characters to search for")};
  }
  rv1::SearchCatalogueRequest search;
  search.set_query(query);
  search.set_limit(config_.max_results);
  auto found = backends_.SearchCatalogue(search);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kInvalidArgument) {
      return {reply_(kMethod, 400, "Bad Request", std::string(found.status().message()))};
    }
    return {reply_.Unavailable(kMethod, "rights")};
  }
  CatalogueReply out{reply_(kMethod, 200, "OK")};
  OutgoingMessage m;
  m.request_uri = std::get<std::string>(who);
  m.to = "<" + m.request_uri + ">";
  m.from = absl::StrCat("<sip:", config_.user, "@", req.request_host, ">");
  if (!req.source_ip.empty() && req.source_port > 0) {
    const bool v6 = req.source_ip.find(':') != std::string::npos;
    m.route = absl::StrCat("<sip:", v6 ? "[" : "", req.source_ip, v6 ? "]" : "", ":",
                           req.source_port, req.transport.empty() ? "" : ";transport=",
                           req.transport, ";lr>");
  }
  m.content_type = "text/plain;charset=utf-8";
  m.body = RenderResults(query, found->entries(), req.request_host);
  out.message = std::move(m);
  return out;
}

}  // namespace p2pims::sip_edge
