// RevocationList: which tokens a revocation refuses (token id, subject, content, subject and
// content, the issued_before boundary), pruning, resumption bookkeeping, and the read path's
// promises (no allocation when nothing matches; reads while writers publish).
#include "lib/token/revocation_list.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

#include "lib/encoding/encoding.h"
#include "lib/status/status_testing.h"

// Counts this thread's heap allocations, to check that a read allocates nothing.
namespace {
thread_local size_t allocations = 0;
}  // namespace

// Every form that allocates with malloc is replaced, so that each delete below frees what one of
// them allocated (the standard library also uses the nothrow forms, e.g. for sort buffers).
// Optimised, GCC inlines these and then takes the free() of a new'd pointer for a mismatch.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return operator new(size, std::nothrow);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace p2pims::token {
namespace {

constexpr char kAlice[] = "sip:alice@ims.example.net";
constexpr char kBob[] = "sip:bob@ims.example.net";
constexpr char kSintel[] = "sintel";
constexpr char kNews[] = "local-news";

Claims Token(const std::string& subject, uint8_t id, uint32_t issued_at = 1000) {
  Claims c;
  c.subject = subject;
  c.token_id.fill(id);
  c.issued_at = issued_at;
  c.expires_at = issued_at + 14400;
  return c;
}

std::string IdHex(const Claims& c) {
  return Hex({reinterpret_cast<const char*>(c.token_id.data()), c.token_id.size()});
}

Revocation Rule(int64_t sequence, int64_t issued_before = 2000) {
  return {.sequence = sequence, .issued_before = issued_before, .expires_at = 20000};
}

TEST(RevocationListTest, EmptyRevokesNothing) {
  RevocationList list;
  EXPECT_FALSE(list.Revoked(Token(kAlice, 1), kSintel));
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.last_sequence(), 0);
}

TEST(RevocationListTest, ByTokenIdRefusesThatTokenOnly) {
  RevocationList list;
  const Claims revoked = Token(kAlice, 0xa1);
  Revocation r = Rule(1);
  r.token_id = IdHex(revoked);
  ASSERT_OK(list.Add(r));
  EXPECT_TRUE(list.Revoked(revoked, kSintel));
  EXPECT_TRUE(list.Revoked(revoked, ""));  // the content does not matter
  EXPECT_TRUE(list.Revoked(revoked, kNews));
  EXPECT_FALSE(list.Revoked(Token(kAlice, 0xa2), kSintel));  // alice's other token
}

TEST(RevocationListTest, BySubjectRefusesEveryTokenOfThatSubscriber) {
  RevocationList list;
  Revocation r = Rule(1);
  r.subject = kAlice;
  ASSERT_OK(list.Add(r));
  EXPECT_TRUE(list.Revoked(Token(kAlice, 1), kSintel));
  EXPECT_TRUE(list.Revoked(Token(kAlice, 2), kNews));
  EXPECT_TRUE(list.Revoked(Token(kAlice, 3), ""));
  EXPECT_FALSE(list.Revoked(Token(kBob, 4), kSintel));
}

TEST(RevocationListTest, ByContentRefusesEveryTokenForThatContent) {
  RevocationList list;
  Revocation r = Rule(1);
  r.content = kSintel;
  ASSERT_OK(list.Add(r));
  EXPECT_TRUE(list.Revoked(Token(kAlice, 1), kSintel));
  EXPECT_TRUE(list.Revoked(Token(kBob, 2), kSintel));
  EXPECT_FALSE(list.Revoked(Token(kAlice, 3), kNews));
  EXPECT_FALSE(list.Revoked(Token(kAlice, 4), ""));  // content unknown to the caller
}

TEST(RevocationListTest, BySubjectAndContentNeedsBoth) {
  RevocationList list;
  Revocation r = Rule(1);
  r.subject = kAlice;
  r.content = kSintel;
  ASSERT_OK(list.Add(r));
  EXPECT_TRUE(list.Revoked(Token(kAlice, 1), kSintel));
  EXPECT_FALSE(list.Revoked(Token(kAlice, 2), kNews));
  EXPECT_FALSE(list.Revoked(Token(kAlice, 3), ""));
  EXPECT_FALSE(list.Revoked(Token(kBob, 4), kSintel));
}

TEST(RevocationListTest, TokenIdWithSubjectNeedsBoth) {
  RevocationList list;
  const Claims alice = Token(kAlice, 0x55);
  Claims bob = Token(kBob, 0x55);  // same id, other subject: cannot happen, but must not match
  Revocation r = Rule(1);
  r.token_id = IdHex(alice);
  r.subject = kAlice;
  ASSERT_OK(list.Add(r));
  EXPECT_TRUE(list.Revoked(alice, kSintel));
  EXPECT_FALSE(list.Revoked(bob, kSintel));
}

TEST(RevocationListTest, OnlyTokensIssuedStrictlyBeforeIssuedBefore) {
  RevocationList list;
  Revocation r = Rule(1, /*issued_before=*/2000);
  r.subject = kAlice;
  ASSERT_OK(list.Add(r));
  EXPECT_TRUE(list.Revoked(Token(kAlice, 1, 1999), kSintel));
  EXPECT_FALSE(list.Revoked(Token(kAlice, 2, 2000), kSintel));  // issued in that second
  EXPECT_FALSE(list.Revoked(Token(kAlice, 3, 2001), kSintel));

  Revocation by_id = Rule(2, /*issued_before=*/1500);
  const Claims later = Token(kBob, 9, 1500);
  by_id.token_id = IdHex(later);
  ASSERT_OK(list.Add(by_id));
  EXPECT_FALSE(list.Revoked(later, kSintel));  // the rule holds for token ids too
}

TEST(RevocationListTest, SeveralRevocationsOfOneKeyAreAllConsulted) {
  RevocationList list;
  Revocation old = Rule(1, /*issued_before=*/1000);
  old.subject = kAlice;
  Revocation pair = Rule(2, /*issued_before=*/3000);
  pair.subject = kAlice;
  pair.content = kNews;
  ASSERT_OK(list.Add({old, pair}));
  EXPECT_FALSE(list.Revoked(Token(kAlice, 1, 2000), kSintel));  // too late for the first
  EXPECT_TRUE(list.Revoked(Token(kAlice, 2, 2000), kNews));     // the second catches it
}

TEST(RevocationListTest, PruneForgetsExpiredRevocationsAndKeepsTheSequence) {
  RevocationList list;
  Revocation a = Rule(4), b = Rule(5), forever = Rule(6);
  a.subject = kAlice;
  a.expires_at = 100;
  b.content = kSintel;
  b.expires_at = 200;
  forever.subject = kBob;
  forever.expires_at = 0;
  ASSERT_OK(list.Add({a, b, forever}));
  EXPECT_EQ(list.Prune(99), 0u);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.Prune(100), 1u);  // expires_at itself is already past
  EXPECT_FALSE(list.Revoked(Token(kAlice, 1), kNews));
  EXPECT_TRUE(list.Revoked(Token(kBob, 2), kSintel));
  EXPECT_EQ(list.Prune(1'000'000), 1u);
  EXPECT_EQ(list.size(), 1u);  // 0 = never expires
  EXPECT_TRUE(list.Revoked(Token(kBob, 3), kNews));
  EXPECT_EQ(list.last_sequence(), 6);
}

TEST(RevocationListTest, ResentSequencesAreSkippedAndOrderDoesNotMatter) {
  RevocationList list;
  Revocation r7 = Rule(7), r3 = Rule(3);
  r7.subject = kAlice;
  r3.content = kSintel;
  ASSERT_OK(list.Add(r7));
  ASSERT_OK(list.Add(r3));  // late arrival below the highest: still enforced
  EXPECT_EQ(list.last_sequence(), 7);
  Revocation resent = r7;
  resent.subject = kBob;  // a resend carries the same content; the one held wins
  ASSERT_OK(list.Add(resent));
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(list.Revoked(Token(kAlice, 1), kNews));
  EXPECT_FALSE(list.Revoked(Token(kBob, 2), kNews));
  EXPECT_TRUE(list.Revoked(Token(kBob, 3), kSintel));
}

TEST(RevocationListTest, InvalidRevocationsAreRefusedWhole) {
  RevocationList list;
  Revocation good = Rule(1);
  good.subject = kAlice;
  Revocation nothing = Rule(2);
  Revocation upper = Rule(3);
  upper.token_id = std::string(32, 'A');
  Revocation short_id = Rule(4);
  short_id.token_id = "abcd";
  Revocation no_sequence = Rule(0);
  no_sequence.subject = kBob;
  for (const Revocation& bad : {nothing, upper, short_id, no_sequence}) {
    EXPECT_EQ(list.Add({good, bad}).code(), absl::StatusCode::kInvalidArgument) << bad.sequence;
  }
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.last_sequence(), 0);
}

TEST(RevocationListTest, ANonMatchingCheckAllocatesNothing) {
  RevocationList list;
  std::vector<Revocation> many;
  for (int i = 1; i <= 50; ++i) {
    Revocation r = Rule(i);
    if (i % 3 == 0) r.token_id = IdHex(Token(kBob, static_cast<uint8_t>(i)));
    if (i % 3 == 1) r.subject = "sip:user" + std::to_string(i) + "@ims.example.net";
    if (i % 3 == 2) r.content = "content-" + std::to_string(i);
    many.push_back(r);
  }
  Revocation pair = Rule(51);
  pair.subject = kAlice;  // a bucket for alice exists, but for other content
  pair.content = kNews;
  many.push_back(pair);
  ASSERT_OK(list.Add(many));
  const Claims claims = Token(kAlice, 0xee);  // long subject: beyond any small-string buffer
  const size_t before = allocations;
  const bool revoked =
      list.Revoked(claims, "content-with-a-long-identifier-0001") || list.Revoked(claims, kSintel);
  const size_t during = allocations - before;
  EXPECT_FALSE(revoked);
  EXPECT_EQ(during, 0u);

  const size_t control = allocations;  // the counter does see allocations
  const std::string copy = claims.subject;
  EXPECT_GT(allocations, control) << copy;
}

TEST(RevocationListTest, ReadersSeeEachPublishedSnapshotWhileWritersAdd) {
  RevocationList list;
  std::atomic<bool> done{false};
  std::atomic<int> seen_revoked{0};
  std::thread reader([&] {
    const Claims alice = Token(kAlice, 1);
    bool was_revoked = false;
    while (!done.load()) {
      const bool now_revoked = list.Revoked(alice, kSintel);
      EXPECT_FALSE(was_revoked && !now_revoked);  // never goes back
      was_revoked = now_revoked;
      if (now_revoked) seen_revoked.fetch_add(1);
    }
  });
  for (int i = 1; i <= 200; ++i) {
    Revocation r = Rule(i);
    r.subject = i == 100 ? kAlice : "sip:u" + std::to_string(i) + "@ims.example.net";
    EXPECT_OK(list.Add(r));  // not ASSERT: the reader must be joined
  }
  while (seen_revoked.load() == 0) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(list.size(), 200u);
  EXPECT_EQ(list.last_sequence(), 200);
}

}  // namespace
}  // namespace p2pims::token
