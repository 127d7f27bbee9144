#include "lib/http/admin.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace p2pims::http {

void AddAdminHandlers(Server& server, const metrics::Registry& registry,
                      std::function<absl::Status()> ready) {
  server.Handle("/metrics", [&registry](const Request&) {
    Response response;
    response.content_type = std::string(metrics::kContentType);
    response.body = registry.Serialize();
    return response;
  });
  server.Handle("/healthz", [](const Request&) { return Response{.body = "ok\n"}; });
  server.Handle("/readyz", [ready = std::move(ready)](const Request&) {
    const absl::Status status = ready ? ready() : absl::OkStatus();
    if (status.ok()) return Response{.body = "ready\n"};
    const std::string reason = status.message().empty() ? absl::StatusCodeToString(status.code())
                                                        : std::string(status.message());
    return Response{.status = 503, .body = absl::StrCat(reason, "\n")};
  });
}

}  // namespace p2pims::http
