// Usage metered from announces: the bytes each session's peers report moving, summed in memory
// and written to the session rows once a second in one statement, so an announce never waits
// for PostgreSQL. CloseSession reads the rows, so a session's final usage is what its peers
// reported up to the last flush before it closed.
//
//   UsageMeter meter;
//   meter.Add("session-1", /*uploaded=*/1000, /*downloaded=*/5000);   // per announce
//   absl::Status s = meter.Flush(write);                              // once a second
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace p2pims::tracker {

struct SessionUsage {
  std::string session_id;
  int64_t bytes_up = 0;
  int64_t bytes_down = 0;
};

// Thread-safe: Add takes one shard's lock.
class UsageMeter {
 public:
  explicit UsageMeter(int shards = 16);

  void Add(std::string_view session_id, int64_t uploaded, int64_t downloaded);

  // Hands everything added since the last successful flush to `write` in one batch; when it
  // fails the batch is kept and merged into the next. Flushes run one at a time.
  absl::Status Flush(const std::function<absl::Status(const std::vector<SessionUsage>&)>& write);

  // Sessions with usage not yet written.
  size_t pending() const;

 private:
  struct Totals {
    int64_t up = 0, down = 0;
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Totals> sessions ABSL_GUARDED_BY(mu);
  };
  std::vector<std::unique_ptr<Shard>> shards_;
  absl::Mutex flush_mu_;  // one flush at a time
  std::vector<SessionUsage> unwritten_ ABSL_GUARDED_BY(flush_mu_);  // a failed batch
  std::atomic<size_t> unwritten_count_{0};
};

}  // namespace p2pims::tracker
