// The billing side of charging's store: CDRs read by billing consumers (pull, acknowledge, tail),
// revenue-share settlement from them, and the daily partitions of charging.cdr. CDRs are written
// by ChargingStore, in the transaction that closes their session. The contract is docs/cdr.md.
//
//   CdrStore cdrs(pool);
//   auto page = cdrs.PullCdrs("billing-1", /*after_sequence=*/0, 1000);  // after the cursor
//   ... store page->cdrs() durably ...
//   cdrs.AckCdrs("billing-1", page->last_sequence());
#pragma once

#include <cstdint>
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
  // Largest page PullCdrs and ReadCdrs return.
  static constexpr int kMaxPage = 10'000;

  explicit CdrStore(pg::Pool& pool) : pool_(pool) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // Up to `limit` (1..kMaxPage) CDRs with sequence > max(after_sequence, the consumer's
  // acknowledged cursor), in sequence order, in one statement that also raises the consumer's
  // pulled mark to the page's last sequence (creating its cursor on its first pull). CDRs at or
  // below the mark as it was before this pull carry retransmission = true. The response carries
  // the consumer's acknowledged cursor. Pulls of one consumer run one at a time.
  // Errors: InvalidArgument for an empty consumer, a negative after_sequence or a limit out of
  // range; Pool errors (Unavailable, ...).
  absl::StatusOr<v1::PullCdrsResponse> PullCdrs(const std::string& consumer, int64_t after_sequence,
                                                int limit);

  // Moves the consumer's acknowledged cursor forward to `up_to` (an `up_to` at or below it
  // changes nothing); returns the cursor.
  // Errors: InvalidArgument for an empty consumer or a negative up_to; NotFound for a consumer
  // that never pulled; FailedPrecondition, changing nothing, when up_to is past what the
  // consumer has pulled; Pool errors.
  absl::StatusOr<int64_t> AckCdrs(const std::string& consumer, int64_t up_to);

  // Up to `limit` (1..kMaxPage) CDRs with sequence > after_sequence, in order, with no cursor and
  // no side effect (for TailCdrs). A plain read; when no CDR is newer it costs one row lookup.
  absl::StatusOr<std::vector<v1::Cdr>> ReadCdrs(int64_t after_sequence, int limit);

  // Statements per content owner (all owners when `owner` is empty) and currency over the CDRs
  // whose record_closure_time is in [from_time, to_time) (Unix seconds), ordered by owner and
  // currency. InvalidArgument when to_time <= from_time or from_time < 0.
  absl::StatusOr<v1::GetSettlementResponse> Settlement(const std::string& owner, int64_t from_time,
                                                       int64_t to_time);

  // Creates the daily partitions of charging.cdr for today (UTC) and the `days_ahead` days after
  // it that do not exist yet, moving rows of those days out of the default partition. Returns how
  // many it created. Call at start-up and then at least daily; replicas may call it at once.
  // InvalidArgument unless 0 <= days_ahead <= 366.
  absl::StatusOr<int> EnsurePartitions(int days_ahead);

 private:
  pg::Pool& pool_;
};

}  // namespace p2pims::charging
