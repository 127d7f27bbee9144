// The revocations a token verifier enforces on top of signature and expiry: a revoked token is
// refused although it verifies. Rights records revocations and streams them (Rights.
// WatchRevocations); a tracker feeds them into a RevocationList and asks it about every token.
//
//   RevocationList revoked;
//   revoked.Add({.sequence = 7, .subject = "sip:mallory@ims.example.net",
//                .issued_before = now, .expires_at = now + 14400});
//   if (revoked.Revoked(claims, content_id)) { /* refuse: PERMISSION_DENIED "token revoked" */ }
//   revoked.Prune(now);  // now and then: forget revocations no live token can match
//
// A revocation names a token id, a subject, a content, or several of them; a token matches when
// every field the revocation names equals the token's, and the token was issued (issued_at)
// strictly before the revocation's issued_before.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "lib/token/claims.h"

namespace p2pims::token {

// One revocation, as plain data (no proto: lib/token knows no service contract).
struct Revocation {
  // The issuer's sequence number: positive, unique per revocation.
  int64_t sequence = 0;
  // One token: 32 lower-case hex digits of Claims::token_id; empty = any token id.
  std::string token_id;
  // Claims::subject; empty = any subscriber.
  std::string subject;
  // The caller's content key (whatever it passes to Revoked, e.g. a content id); empty = any.
  std::string content;
  // Refuses tokens with Claims::issued_at < issued_before (Unix seconds).
  int64_t issued_before = 0;
  // From this Unix second on no token it matches is unexpired, so it may be forgotten (Prune);
  // 0 = never.
  int64_t expires_at = 0;
};

class RevocationList {
 public:
  RevocationList();
  ~RevocationList();
  RevocationList(const RevocationList&) = delete;
  RevocationList& operator=(const RevocationList&) = delete;

  // Adds revocations; readers see them as soon as this returns. A sequence number already held
  // is skipped (a resumed stream may resend), so adding is idempotent. InvalidArgument, and
  // nothing of the batch added, when a revocation has a sequence below 1, names neither a token
  // id nor a subject nor a content, or has a token id that is not 32 lower-case hex digits.
  // Costs O(size()): each call publishes a new snapshot (revocations are rare, reads are not).
  absl::Status Add(const Revocation& revocation);
  absl::Status Add(const std::vector<Revocation>& batch);

  // Forgets revocations with 0 < expires_at <= now (Unix seconds); returns how many.
  size_t Prune(int64_t now);

  // True when some revocation held matches the token: every field it names equals the token's
  // (token id, subject, and `content_key` for its content) and claims.issued_at <
  // issued_before. An empty `content_key` (content unknown) matches no content revocation.
  // Takes no lock and allocates nothing unless the token is revoked.
  bool Revoked(const Claims& claims, std::string_view content_key) const;

  // The highest sequence number ever added (pruning keeps it), 0 before any; where a stream
  // resumes.
  int64_t last_sequence() const;
  // Revocations held.
  size_t size() const;

 private:
  struct Snapshot;
  // Publishes `all` (sorted by sequence, unique) as the new snapshot.
  void Publish(std::vector<Revocation> all, int64_t last_sequence)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  absl::Mutex write_mu_;  // one writer at a time, so no update is lost
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  // Bumped after every publish, so readers know when their cached snapshot is stale.
  std::atomic<uint64_t> generation_;
};
// Thread-safe: Revoked, last_sequence and size read an immutable snapshot swapped atomically by
// Add and Prune, which may run while other threads read.

}  // namespace p2pims::token
