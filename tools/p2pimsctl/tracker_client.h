// The tracker calls p2pimsctl makes (ContentIndex for the index, Tracker.SwarmStats), like
// RightsClient: one attempt each with a deadline, no retries, errors marked as RPC errors naming
// the tracker's address when it cannot be reached (see cli_error.h).
//
//   TrackerClient tracker("127.0.0.1:50053", absl::Seconds(10));
//   tv1::GetIndexedContentRequest req;
//   req.set_content_id("sintel");
//   absl::StatusOr<tv1::IndexedContent> c = tracker.GetIndexedContent(req);
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2pims/tracker/v1/tracker.grpc.pb.h"

namespace p2pims::ctl {

namespace tv1 = ::p2pims::tracker::v1;

class TrackerClient {
 public:
  // Connects lazily: nothing happens on the network until the first call.
  TrackerClient(std::string address, absl::Duration deadline);

  const std::string& address() const { return address_; }

  absl::StatusOr<tv1::IndexedContent> IndexContent(const tv1::IndexContentRequest& req);
  absl::StatusOr<tv1::IndexedContent> GetIndexedContent(const tv1::GetIndexedContentRequest& req);
  absl::StatusOr<tv1::ListIndexedContentResponse> ListIndexedContent(
      const tv1::ListIndexedContentRequest& req);
  absl::StatusOr<tv1::SwarmStatsResponse> SwarmStats(const tv1::SwarmStatsRequest& req);

 private:
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Invoke(Stub& stub,
                                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                               Response*),
                                  const Request& req);

  std::string address_;
  absl::Duration deadline_;
  std::unique_ptr<tv1::ContentIndex::Stub> index_;
  std::unique_ptr<tv1::Tracker::Stub> tracker_;
};

}  // namespace p2pims::ctl
