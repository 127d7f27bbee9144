// How p2pimsctl's errors reach the operator: usage errors exit 2, a command that changed one
// service but not the other ("content add") exits 3, everything else exits 1, and errors from
// rights, charging or the tracker carry their gRPC code.
//
//   UsageError("--price must be a whole number");     // "p2pimsctl: --price ...", exit 2
//   RpcError(grpc_status, "127.0.0.1:50051");          // "p2pimsctl: NOT_FOUND: ...", exit 1
//   RpcError(grpc_status, "charging", "127.0.0.1:50052");
//   absl::NotFoundError("cannot open x.torrent: ...");  // "p2pimsctl: cannot open ...", exit 1
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace p2pims::ctl {

// The command line is wrong (unknown flag, missing or malformed value): nothing was sent.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// An error answered by (or on the way to) `service` ("rights", "charging") at `address`, with the
// same code. UNAVAILABLE and DEADLINE_EXCEEDED name the service and address, since they usually
// mean it is down or unreachable. The two-argument form is for rights.
absl::Status RpcError(const absl::Status& status, absl::string_view service,
                      absl::string_view address);
absl::Status RpcError(const absl::Status& status, absl::string_view address);
bool IsRpcError(const absl::Status& status);

// `status` (an error) marked as "partly done": something was changed before it happened and the
// message says what and how to finish. Keeps its code, kind and message; exits 3.
absl::Status PartlyDone(const absl::Status& status);
bool IsPartlyDone(const absl::Status& status);

// `status` with `suffix` appended to its message, keeping its code and kind (usage, RPC).
absl::Status WithSuffix(const absl::Status& status, absl::string_view suffix);

// The exit code for `status`: 0 when ok, 2 for usage errors, 3 when partly done, 1 otherwise.
int ExitCode(const absl::Status& status);

// The line printed on stderr: "p2pimsctl: <message>", with "<CODE>: " before the message of
// errors from rights or charging.
std::string ErrorLine(const absl::Status& status);

}  // namespace p2pims::ctl
