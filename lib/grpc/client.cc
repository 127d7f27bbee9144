#include "lib/grpc/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <thread>

#include "lib/grpc/status.h"
#include "lib/grpc/tls.h"

namespace p2pims {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int max_receive_bytes) {
  grpc::ChannelArguments args;
  // Fail fast while a backend is down instead of queueing until the deadline.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (max_receive_bytes > 0) args.SetMaxReceiveMessageSize(max_receive_bytes);
  return grpc::CreateCustomChannel(target, GrpcChannelCredentials(), args);
}

namespace {
std::string& CallerToken() {
  static std::string token;
  return token;
}
}  // namespace

void SetCallerToken(std::string token) { CallerToken() = std::move(token); }

void AttachCallerToken(grpc::ClientContext& ctx) {
  if (!CallerToken().empty()) ctx.AddMetadata("authorization", "Bearer " + CallerToken());
}

absl::Status Call(const CallOptions& options,
                  const std::function<grpc::Status(grpc::ClientContext&)>& attempt) {
  const int attempts = options.idempotent ? std::max(1, options.max_attempts) : 1;
  absl::Duration pause = options.backoff;
  grpc::Status last;
  for (int i = 0; i < attempts; ++i) {
    if (i > 0) {
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(pause));  // retry backoff, not sync
      pause *= 2;
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(options.deadline));
    // The first attempt fails fast while the backend is down; a retry waits (within its
    // deadline) for a channel that is reconnecting, e.g. just after the backend restarted.
    if (i > 0) ctx.set_wait_for_ready(true);
    AttachCallerToken(ctx);
    last = attempt(ctx);
    if (last.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  return FromGrpcStatus(last);
}

}  // namespace p2pims
