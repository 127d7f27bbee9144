// Usage metered from announces: the bytes each session's peers report moving, summed in memory
// and written to the session rows once a second in one statement, so an announce never waits
// for PostgreSQL. CloseSession reads the rows, so a session's final usage is what its peers
// reported up to the last flush before it closed.
//
// An announce adds to a cell its caller keeps per token (AdmittedEntry::usage): two atomic
// adds, no lock, no lookup by session id. The first add after a flush lists the cell with the
// meter (one lock, once a flush period); the flush collects the listed cells and sums them by
// session (a renewed session's tokens have a cell each).
//
//   auto t = std::make_shared<Entry>();                          // holds a UsageCell and the id
//   meter.Add(t, t->usage, t->session_id, /*uploaded=*/1000, /*downloaded=*/5000);  // per announce
//   absl::Status s = meter.Flush(write);                         // once a second
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace p2pims::tracker {

struct SessionUsage {
  std::string session_id;
  int64_t bytes_up = 0;
  int64_t bytes_down = 0;
};

// One token's usage not yet collected by a flush. Announces on any thread add to it.
struct UsageCell {
  mutable std::atomic<int64_t> up{0}, down{0};
  mutable std::atomic<bool> listed{false};  // the meter holds it for the next flush
};

// Thread-safe.
class UsageMeter {
 public:
  explicit UsageMeter(int shards = 16);

  // Adds an announce's bytes to `cell` of session `session_id`; `owner` keeps both alive (they
  // live in it) until the flush that collects them, even when its caller drops it meanwhile.
  template <typename Owner>
  void Add(const std::shared_ptr<Owner>& owner, const UsageCell& cell,
           std::string_view session_id, int64_t uploaded, int64_t downloaded) {
    // Sequentially consistent: a flush that clears `listed` and then takes the counts sees
    // every add made before an announce found the cell still listed.
    cell.up.fetch_add(uploaded);
    cell.down.fetch_add(downloaded);
    if (!cell.listed.load() && !cell.listed.exchange(true)) List(owner, cell, session_id);
  }

  // Hands everything added since the last successful flush to `write` in one batch, one entry
  // per session; when it fails the batch is kept and merged into the next. Flushes run one at a
  // time.
  absl::Status Flush(const std::function<absl::Status(const std::vector<SessionUsage>&)>& write);

  // Cells with usage not yet written, and sessions of a failed batch.
  size_t pending() const;

 private:
  struct Listed {
    std::shared_ptr<const void> owner;
    const UsageCell* cell;
    std::string_view session_id;  // in `owner`
  };
  struct Shard {
    mutable absl::Mutex mu;
    std::vector<Listed> cells ABSL_GUARDED_BY(mu);
  };
  void List(std::shared_ptr<const void> owner, const UsageCell& cell, std::string_view session_id);

  std::vector<std::unique_ptr<Shard>> shards_;
  absl::Mutex flush_mu_;  // one flush at a time
  std::vector<SessionUsage> unwritten_ ABSL_GUARDED_BY(flush_mu_);  // a failed batch
  std::atomic<size_t> unwritten_count_{0};
};

}  // namespace p2pims::tracker
