// absl::Status <-> grpc::Status. The codes are the same set, so the mapping is one to one.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace p2pims {

grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT with `message`: what handlers answer for a request they refuse to process.
grpc::Status InvalidArgument(const std::string& message);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace p2pims
