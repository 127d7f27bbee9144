// gRPC client helpers: every call has a deadline; only idempotent calls are retried.
//
//   auto channel = MakeChannel("127.0.0.1:50051");
//   auto stub = Rights::NewStub(channel);
//   AuthorizeResponse resp;
//   absl::Status s = Call({.deadline = absl::Milliseconds(500), .idempotent = true},
//       [&](grpc::ClientContext& ctx) { return stub->Authorize(&ctx, req, &resp); });
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace p2pims {

// A channel with the process's transport security (lib/grpc/tls.h: plaintext unless configured).
// `max_receive_bytes` > 0 raises gRPC's 4 MiB cap on answers (large pages, metainfo).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int max_receive_bytes = 0);

struct CallOptions {
  // Per attempt; every call has one.
  absl::Duration deadline = absl::Seconds(1);
  // Retry on UNAVAILABLE only when the call can safely run twice.
  bool idempotent = false;
  // Attempts in all, for idempotent calls.
  int max_attempts = 3;
  // Pause before the second attempt, doubled after each.
  absl::Duration backoff = absl::Milliseconds(50);
};

// A bearer token every call of the process carries (`authorization: Bearer <token>`), for the
// admin RPCs (lib/grpc/admin_access.h); empty: none. Set once in main, before any call.
void SetCallerToken(std::string token);
// Adds that token to a context made by hand (Call adds it itself).
void AttachCallerToken(grpc::ClientContext& ctx);

// Runs `attempt` with a fresh ClientContext carrying the deadline, retrying as options allow.
absl::Status Call(const CallOptions& options,
                  const std::function<grpc::Status(grpc::ClientContext&)>& attempt);

}  // namespace p2pims
