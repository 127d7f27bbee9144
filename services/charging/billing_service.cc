// ChargingAdmin's billing side: CDR pull, acknowledgement, live tail and settlement. The contract
// is docs/cdr.md; the SQL is in cdr_store.cc.
#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/grpc/admin_access.h"
#include "lib/grpc/status.h"
#include "services/charging/service.h"

namespace p2pims::charging {
namespace {

// PullCdrs' page when the request asks for none.
constexpr int kDefaultPage = 1000;
// TailCdrs reads at most this many CDRs at a time, and waits this long when it has caught up: a
// CDR reaches a tailing client within about one interval plus one query after its commit.
constexpr int kTailPage = 1000;
constexpr absl::Duration kTailPoll = absl::Milliseconds(100);

// Copies a value or its error into a gRPC reply.
template <typename T, typename R>
grpc::Status Reply(absl::StatusOr<T> result, R* resp) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ChargingAdminService::PullCdrs(grpc::ServerContext* ctx, const v1::PullCdrsRequest* req,
                                            v1::PullCdrsResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kBilling); !denied.ok()) return denied;
  if (req->page_size() < 0) return InvalidArgument("page_size must not be negative");
  const int limit =
      req->page_size() == 0 ? kDefaultPage : std::min(req->page_size(), CdrStore::kMaxPage);
  return Reply(cdrs_.PullCdrs(req->consumer(), req->after_sequence(), limit), resp);
}

grpc::Status ChargingAdminService::AckCdrs(grpc::ServerContext* ctx, const v1::AckCdrsRequest* req,
                                           v1::AckCdrsResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kBilling); !denied.ok()) return denied;
  auto cursor = cdrs_.AckCdrs(req->consumer(), req->up_to_sequence());
  if (!cursor.ok()) return ToGrpcStatus(cursor.status());
  resp->set_acked_sequence(*cursor);
  return grpc::Status::OK;
}

// Polls: one cheap read per interval while caught up (no LISTEN connection per stream). A
// database error ends the stream with that error; the client resumes after the last sequence it
// received.
grpc::Status ChargingAdminService::TailCdrs(grpc::ServerContext* ctx,
                                            const v1::TailCdrsRequest* req,
                                            grpc::ServerWriter<v1::Cdr>* writer) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kBilling); !denied.ok()) return denied;
  if (req->after_sequence() < 0) return InvalidArgument("after_sequence must not be negative");
  int64_t after = req->after_sequence();
  while (!ctx->IsCancelled()) {
    auto page = cdrs_.ReadCdrs(after, kTailPage);
    if (!page.ok()) return ToGrpcStatus(page.status());
    for (const v1::Cdr& cdr : *page) {
      if (!writer->Write(cdr)) return grpc::Status::OK;  // the client went away
      after = cdr.sequence();
    }
    if (page->size() < kTailPage) absl::SleepFor(kTailPoll);
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "CDR tail cancelled");
}

grpc::Status ChargingAdminService::GetSettlement(grpc::ServerContext* ctx,
                                                 const v1::GetSettlementRequest* req,
                                                 v1::GetSettlementResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kBilling); !denied.ok()) return denied;
  return Reply(cdrs_.Settlement(req->owner(), req->from_time(), req->to_time()), resp);
}

}  // namespace p2pims::charging
