// The admin-access rules as pure logic: parsing the grants file and the role a caller holds.
// (The check on real calls, with certificates and tokens, runs in tests/e2e/grpc_tls_test.sh.)
#include "lib/grpc/admin_access.h"

#include <gtest/gtest.h>

namespace p2pims {
namespace {

// printf %s secret-token | sha256sum
constexpr char kSecretSha256[] = "930bbdc51b6aed5c2a5678fd6e28dee7a05e8a4b643cfc0b4427c3efb86c0d94";

TEST(AdminAccessTest, ParsesRolesCertificatesAndTokenHashes) {
  auto grants = ParseAdminGrants(
      "# who may administer\n"
      "operator cert:p2pims-operator\n"
      "\n"
      "billing   token-sha256:" + std::string(kSecretSha256) + "   # the billing system\n"
      "reader\tcert:p2pims\n"
      "reader cert:p2pims-operator\n");  // a lower grant does not demote
  ASSERT_TRUE(grants.ok()) << grants.status();
  EXPECT_EQ(grants->by_certificate_name.size(), 2u);
  EXPECT_EQ(grants->by_certificate_name.at("p2pims-operator"), AdminRole::kOperator);
  EXPECT_EQ(grants->by_certificate_name.at("p2pims"), AdminRole::kReader);
  EXPECT_EQ(grants->by_token_sha256.at(kSecretSha256), AdminRole::kBilling);
}

TEST(AdminAccessTest, RefusesLinesThatDoNotFitNamingTheLine) {
  for (const char* bad : {"root cert:x", "operator", "operator cert:", "operator user:x",
                          "billing token-sha256:abc", "operator cert:a extra"}) {
    auto grants = ParseAdminGrants(std::string("reader cert:ok\n") + bad + "\n");
    EXPECT_EQ(grants.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(grants.status().message().find("line 2"), std::string::npos) << grants.status();
  }
}

TEST(AdminAccessTest, ACallerHoldsTheHighestRoleOfItsNamesAndToken) {
  auto grants = ParseAdminGrants("operator cert:ops\nreader cert:svc\nbilling token-sha256:" +
                                 std::string(kSecretSha256) + "\n");
  ASSERT_TRUE(grants.ok());
  EXPECT_EQ(RoleOf(*grants, {"ops"}, ""), AdminRole::kOperator);
  EXPECT_EQ(RoleOf(*grants, {"svc"}, ""), AdminRole::kReader);
  EXPECT_EQ(RoleOf(*grants, {"svc"}, "secret-token"), AdminRole::kBilling);
  EXPECT_EQ(RoleOf(*grants, {}, "secret-token"), AdminRole::kBilling);
  EXPECT_EQ(RoleOf(*grants, {"nobody", "svc.example"}, ""), std::nullopt);
  EXPECT_EQ(RoleOf(*grants, {}, "wrong-token"), std::nullopt);
  EXPECT_EQ(RoleOf(*grants, {}, ""), std::nullopt);
}

TEST(AdminAccessTest, RolesNest) {
  EXPECT_LT(AdminRole::kReader, AdminRole::kBilling);
  EXPECT_LT(AdminRole::kBilling, AdminRole::kOperator);
  EXPECT_EQ(AdminRoleName(AdminRole::kBilling), "billing");
}

}  // namespace
}  // namespace p2pims
