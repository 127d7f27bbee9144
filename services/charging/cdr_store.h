// The billing side of charging's store: CDRs read by billing consumers (pull, acknowledge,
// tail) and revenue-share settlement from them. CDRs are written by ChargingStore, in the
// transaction that closes their session.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pg/pool.h"
#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims::charging {

// Thread-safe: each call takes its own pooled connection.
class CdrStore {
 public:
  explicit CdrStore(pg::Pool& pool) : pool_(pool) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // CDRs after the consumer's acknowledged cursor, at most `limit`.
  absl::StatusOr<v1::PullCdrsResponse> PullCdrs(const std::string& consumer, int limit);
  // Moves the consumer's cursor forward (never back); returns the cursor.
  absl::StatusOr<int64_t> AckCdrs(const std::string& consumer, int64_t up_to);

 private:
  pg::Pool& pool_;
};

}  // namespace p2pims::charging
