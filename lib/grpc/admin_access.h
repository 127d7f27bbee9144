// Who may call the operators' RPCs (rights' RightsAdmin, charging's ChargingAdmin, the
// tracker's ContentIndex): a caller proves a role with its client certificate (mutual TLS: the
// certificate's common name, or a DNS name of it, is listed with the role) or with a bearer
// token (`authorization: Bearer <token>`, whose SHA-256 is listed). Roles nest:
//   reader    reads the catalogue, entitlements, the audit and the content index
//   billing   reader + CDRs (pull, ack, tail), settlements, accounts and tariffs read
//   operator  everything: content, licences, entitlements, revocations, accounts, tariffs
// The services' own calls (Authorize, CreditControl, OpenSession ...) are not admin RPCs: mutual
// TLS alone guards them.
//
// The rules come from --admin-access-file, one grant per line:
//   operator cert:p2pims-operator
//   billing  token-sha256:<64 hex digits>       # printf %s "$TOKEN" | sha256sum
//   reader   cert:*.p2pims-origin.p2pims.svc    # a DNS name of the certificate, as written
// Without the flag every caller passes (local development; logged at start-up).
//
//   AddAdminAccessFlags(flags);  ConfigureAdminAccess(flags);          // in main
//   if (grpc::Status s = CheckAdmin(ctx, AdminRole::kOperator); !s.ok()) return s;  // a handler
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/config/flags.h"

namespace p2pims {

enum class AdminRole { kReader = 1, kBilling = 2, kOperator = 3 };
std::string_view AdminRoleName(AdminRole role);

struct AdminGrants {
  std::map<std::string, AdminRole> by_certificate_name;
  std::map<std::string, AdminRole> by_token_sha256;  // lower-case hex
};

// Parses the file's text; InvalidArgument naming the line that does not fit.
absl::StatusOr<AdminGrants> ParseAdminGrants(std::string_view text);
// The highest role the caller holds: its certificate names (common name first) and the bearer
// token it sent (empty: none). nullopt when it holds none.
std::optional<AdminRole> RoleOf(const AdminGrants& grants,
                                const std::vector<std::string>& certificate_names,
                                std::string_view bearer_token);

void AddAdminAccessFlags(Flags& flags);
// Reads --admin-access-file; call from main before serving. Not thread-safe against CheckAdmin.
absl::Status ConfigureAdminAccess(const Flags& flags);
// OK when the caller of `ctx` holds `needed` (or no rules are configured); else
// UNAUTHENTICATED (no certificate or token with any role) or PERMISSION_DENIED (a role too
// low), with a message naming what is needed.
grpc::Status CheckAdmin(const grpc::ServerContext* ctx, AdminRole needed);

}  // namespace p2pims
