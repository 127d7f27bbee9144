#include "services/tracker/source_limiter.h"

#include <algorithm>
#include <bit>

#include "absl/hash/hash.h"

namespace p2pims::tracker {

uint64_t SourceOf(const PeerAddress& address) {
  // An IPv6 subscriber usually holds a whole /64; IPv4 addresses are one each.
  const size_t n = address.v6 ? 8 : 4;
  const uint64_t h = absl::HashOf(address.v6, std::string_view(
                                                  reinterpret_cast<const char*>(address.bytes.data()), n));
  return h | 1;
}

SourceLimiter::SourceLimiter(double per_second, double burst, size_t slots)
    : interval_ns_(per_second > 0 ? static_cast<int64_t>(1e9 / per_second) : 0),
      burst_ns_(static_cast<int64_t>(std::max(burst - 1, 0.0) * (per_second > 0 ? 1e9 / per_second : 0))),
      mask_(std::bit_ceil(std::max<size_t>(slots, 1)) - 1),
      arrival_ns_(new std::atomic<int64_t>[mask_ + 1]) {
  for (size_t i = 0; i <= mask_; ++i) arrival_ns_[i].store(0, std::memory_order_relaxed);
}

bool SourceLimiter::Allow(uint64_t source, absl::Time now) {
  if (interval_ns_ == 0 || source == 0) return true;
  std::atomic<int64_t>& slot = arrival_ns_[(source >> 17 ^ source) & mask_];
  const int64_t t = absl::ToUnixNanos(now);
  int64_t tat = slot.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t from = std::max(tat, t);
    if (from - t > burst_ns_) return false;  // the bucket is empty
    if (slot.compare_exchange_weak(tat, from + interval_ns_, std::memory_order_relaxed)) return true;
  }
}

}  // namespace p2pims::tracker
