// How p2pimsctl's errors reach the operator: usage errors exit 2, everything else exits 1, and
// errors from rights carry their gRPC code.
//
//   return UsageError("--price must be a whole number");        // "p2pimsctl: --price ...", exit 2
//   return RpcError(grpc_status, "127.0.0.1:50051");             // "p2pimsctl: NOT_FOUND: ...",
//   exit 1 return absl::NotFoundError("cannot open x.torrent: ...");    // "p2pimsctl: cannot open
//   ...", exit 1
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace p2pims::ctl {

// The command line is wrong (unknown flag, missing or malformed value): nothing was sent.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// An error answered by (or on the way to) rights at `address`, with the same code. UNAVAILABLE
// and DEADLINE_EXCEEDED name the address, since they usually mean rights is down or unreachable.
absl::Status RpcError(const absl::Status& status, absl::string_view address);
bool IsRpcError(const absl::Status& status);

// The exit code for `status`: 0 when ok, 2 for usage errors, 1 otherwise.
int ExitCode(const absl::Status& status);

// The line printed on stderr: "p2pimsctl: <message>", with "<CODE>: " before the message of
// errors from rights.
std::string ErrorLine(const absl::Status& status);

}  // namespace p2pims::ctl
