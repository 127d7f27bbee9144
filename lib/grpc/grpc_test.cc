#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>
#include <gtest/gtest.h>

#include "lib/grpc/client.h"
#include "lib/grpc/server.h"
#include "lib/grpc/status.h"
#include "lib/metrics/registry.h"

namespace p2pims {
namespace {

TEST(GrpcStatusTest, CodesAndMessagesMapOneToOne) {
  absl::Status s = absl::NotFoundError("no such content");
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "no such content");
  EXPECT_EQ(FromGrpcStatus(g), s);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(GrpcCallTest, RetriesOnlyIdempotentCallsAndOnlyOnUnavailable) {
  int attempts = 0;
  auto unavailable = [&](grpc::ClientContext& ctx) {
    ++attempts;
    EXPECT_LT(ctx.deadline(), std::chrono::system_clock::now() + std::chrono::seconds(2));
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  };
  CallOptions once{
      .deadline = absl::Seconds(1), .idempotent = false, .backoff = absl::ZeroDuration()};
  EXPECT_EQ(Call(once, unavailable).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(attempts, 1);

  attempts = 0;
  CallOptions retried{.deadline = absl::Seconds(1),
                      .idempotent = true,
                      .max_attempts = 3,
                      .backoff = absl::ZeroDuration()};
  EXPECT_EQ(Call(retried, unavailable).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(attempts, 3);

  attempts = 0;
  auto invalid = [&](grpc::ClientContext&) {
    ++attempts;
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad");
  };
  EXPECT_EQ(Call(retried, invalid).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(attempts, 1);
}

// Serving real services on port 0 is covered by every service's end-to-end test.
TEST(GrpcServerTest, RefusesToStartWithoutServices) {
  metrics::Registry registry;
  GrpcServer server;
  EXPECT_EQ(server.Start("127.0.0.1:0", {}, &registry).code(), absl::StatusCode::kInvalidArgument);
}

TEST(GrpcServerTest, ReportsAnAddressItCannotBind) {
  grpc::Service unused;
  GrpcServer server;
  EXPECT_EQ(server.Start("256.0.0.1:1", {&unused}, nullptr).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace p2pims
