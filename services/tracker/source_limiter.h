// A flood of tokens the tracker has not seen (forged ones, random announce keys) costs a
// signature check, and for keys a PostgreSQL read, each; a cached token costs neither. So each
// source address may make only so many such "cold" admissions a second: beyond that, the
// announce is refused at once. The limit is a generic cell rate algorithm (a token bucket in one
// number: the theoretical arrival time) per slot of a fixed table indexed by a keyed hash of the
// address (IPv4 /32, IPv6 /64): fixed memory, no lock, nothing kept per client. Addresses that
// share a slot share a limit, which only ever makes it stricter for them.
//
//   SourceLimiter cold(/*per_second=*/50, /*burst=*/200);
//   if (!cold.Allow(SourceOf(peer_address), now)) ...refuse...
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "services/tracker/announce_request.h"

namespace p2pims::tracker {

// The limiter's key for an address: never 0 (0 means "no source", which is not limited).
uint64_t SourceOf(const PeerAddress& address);

// Thread-safe.
class SourceLimiter {
 public:
  // per_second <= 0: no limit.
  SourceLimiter(double per_second, double burst, size_t slots = 1 << 16);

  // Whether one more cold admission from `source` is allowed at `now` (and counts it if so).
  // Source 0 is always allowed.
  bool Allow(uint64_t source, absl::Time now);

 private:
  const int64_t interval_ns_;  // between admissions at the steady rate
  const int64_t burst_ns_;     // how far ahead of now the arrival time may run
  const size_t mask_;
  std::unique_ptr<std::atomic<int64_t>[]> arrival_ns_;  // per slot: the theoretical arrival time
};

}  // namespace p2pims::tracker
