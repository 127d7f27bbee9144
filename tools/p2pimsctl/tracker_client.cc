#include "tools/p2pimsctl/tracker_client.h"


#include "lib/grpc/client.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/torrent_file.h"

namespace p2pims::ctl {
namespace {

// GetIndexedContent returns the metainfo, which may be as large as a .torrent p2pimsctl accepts
// (kMaxTorrentFileBytes), more than gRPC's default 4 MiB.
constexpr int kMaxReceiveBytes = 16 << 20;

static_assert(kMaxReceiveBytes > kMaxTorrentFileBytes + (1 << 20));

}  // namespace

TrackerClient::TrackerClient(std::string address, absl::Duration deadline)
    : address_(std::move(address)), deadline_(deadline) {
  std::shared_ptr<grpc::Channel> channel = MakeChannel(address_, kMaxReceiveBytes);
  index_ = tv1::ContentIndex::NewStub(channel);
  tracker_ = tv1::Tracker::NewStub(channel);
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> TrackerClient::Invoke(
    Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& req) {
  Response resp;
  // One attempt, as RightsClient: a retry would turn "the tracker is down" into a slow
  // DEADLINE_EXCEEDED.
  absl::Status s = Call({.deadline = deadline_, .idempotent = false},
                        [&](grpc::ClientContext& ctx) { return (stub.*method)(&ctx, req, &resp); });
  if (!s.ok()) return RpcError(s, "tracker", address_);
  return resp;
}

absl::StatusOr<tv1::IndexedContent> TrackerClient::IndexContent(
    const tv1::IndexContentRequest& req) {
  return Invoke(*index_, &tv1::ContentIndex::Stub::IndexContent, req);
}
absl::StatusOr<tv1::IndexedContent> TrackerClient::GetIndexedContent(
    const tv1::GetIndexedContentRequest& req) {
  return Invoke(*index_, &tv1::ContentIndex::Stub::GetIndexedContent, req);
}
absl::StatusOr<tv1::ListIndexedContentResponse> TrackerClient::ListIndexedContent(
    const tv1::ListIndexedContentRequest& req) {
  return Invoke(*index_, &tv1::ContentIndex::Stub::ListIndexedContent, req);
}
absl::StatusOr<tv1::SwarmStatsResponse> TrackerClient::SwarmStats(
    const tv1::SwarmStatsRequest& req) {
  return Invoke(*tracker_, &tv1::Tracker::Stub::SwarmStats, req);
}

}  // namespace p2pims::ctl
