// Subscriber credentials against a real PostgreSQL: lookup, disabled subscribers, the schema's
// checks, and the cache (a change is seen after the cache's lifetime, not before).
#include "services/sip-edge/credential_store.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "lib/pg/testing/schema_test.h"
#include "lib/status/status_testing.h"

namespace p2pims::sip_edge {
namespace {

class CredentialStoreTest : public pg::SchemaTest {
 protected:
  void SetUp() override {
    ResetSchema("sip", SipEdgeMigrations(), CredentialStore::Statements());
    if (HasFatalFailure()) return;
    Rows("INSERT INTO sip.subscriber_credential (username, realm, identity, ha1_md5, ha1_sha256)"
         " VALUES ('alice-impi', 'p2p.localhost', 'sip:alice@ims.localhost',"
         " md5('alice-impi:p2p.localhost:s3cret'),"
         " encode(sha256('alice-impi:p2p.localhost:s3cret'), 'hex'))");
  }
};

TEST_F(CredentialStoreTest, FindsEnabledSubscribersByUsername) {
  CredentialStore store(pool(), absl::ZeroDuration());
  auto alice = store.Find("alice-impi");
  ASSERT_OK(alice.status());
  ASSERT_TRUE(alice->has_value());
  EXPECT_EQ((*alice)->identity, "sip:alice@ims.localhost");
  EXPECT_EQ((*alice)->realm, "p2p.localhost");
  // HA1 as PostgreSQL computes it equals sip-edge's own.
  EXPECT_EQ((*alice)->ha1_md5, DigestHa1(DigestAlgorithm::kMd5, "alice-impi", "p2p.localhost", "s3cret"));
  EXPECT_EQ((*alice)->ha1_sha256,
            DigestHa1(DigestAlgorithm::kSha256, "alice-impi", "p2p.localhost", "s3cret"));
  EXPECT_FALSE(store.Find("mallory")->has_value());
  Rows("UPDATE sip.subscriber_credential SET enabled = false");
  EXPECT_FALSE(store.Find("alice-impi")->has_value());
}

TEST_F(CredentialStoreTest, CachedAnswersLastTheirLifetime) {
  CredentialStore store(pool(), absl::Hours(1));
  ASSERT_TRUE(store.Find("alice-impi")->has_value());
  ASSERT_FALSE(store.Find("bob-impi")->has_value());
  Rows("UPDATE sip.subscriber_credential SET enabled = false");
  Rows("INSERT INTO sip.subscriber_credential (username, realm, identity, ha1_md5, ha1_sha256)"
       " VALUES ('bob-impi', 'p2p.localhost', 'sip:bob@ims.localhost', md5('x'),"
       " encode(sha256('x'), 'hex'))");
  EXPECT_TRUE(store.Find("alice-impi")->has_value());  // from the cache
  EXPECT_FALSE(store.Find("bob-impi")->has_value());
}

TEST_F(CredentialStoreTest, TheSchemaRefusesPasswordsAndBadIdentities) {
  // Only well-formed hex digests are stored, never a password.
  auto insert = [&](const std::string& identity, const std::string& md5) {
    absl::Status s = pool().WithTransaction([&](pqxx::work& tx) {
      tx.exec_params("INSERT INTO sip.subscriber_credential (username, realm, identity, ha1_md5,"
                     " ha1_sha256) VALUES ('u', 'r', $1, $2, encode(sha256('x'), 'hex'))",
                     identity, md5);
      return absl::OkStatus();
    });
    return s;
  };
  EXPECT_FALSE(insert("sip:u@x", "plain-password").ok());
  EXPECT_FALSE(insert("mailto:u@x", std::string(32, 'a')).ok());
  EXPECT_TRUE(insert("tel:+4930123", std::string(32, 'a')).ok());
}

}  // namespace
}  // namespace p2pims::sip_edge
