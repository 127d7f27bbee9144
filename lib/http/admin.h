// The operator endpoints every p2pims service serves on its metrics port:
//   GET /metrics  200, the registry in the Prometheus text format (metrics::kContentType)
//   GET /healthz  200 "ok\n" while the process runs
//   GET /readyz   200 "ready\n" when ready() is OK, else 503 with its message
//
//   http::Server admin;
//   http::AddAdminHandlers(admin, registry, [&] { return db.Ping(); });
//   P2PIMS_RETURN_IF_ERROR(admin.Start("127.0.0.1:9102"));
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "lib/http/server.h"
#include "lib/metrics/registry.h"

namespace p2pims::http {

// Registers the three handlers on `server` (before it starts). `registry` must outlive the
// server; `ready` is called on every /readyz from connection threads, so it must be
// thread-safe and quick; an empty function means always ready.
void AddAdminHandlers(Server& server, const metrics::Registry& registry,
                      std::function<absl::Status()> ready);

}  // namespace p2pims::http
