#include "services/tracker/policy_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2pims::tracker {
namespace {

absl::StatusOr<PolicyConfig> Parse(std::vector<std::string> args) {
  Flags flags("p2pims-tracker", "test");
  AddPolicyFlags(flags);
  args.insert(args.begin(), "p2pims-tracker");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  if (auto s = flags.Parse(static_cast<int>(argv.size()), argv.data()); !s.ok()) return s;
  return PolicyFromFlags(flags);
}

TEST(PolicyFlagsTest, DefaultsAreThePolicyDefaults) {
  auto c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_origin, PolicyConfig{}.max_origin);
  EXPECT_EQ(c->short_supply_below, PolicyConfig{}.short_supply_below);
  EXPECT_EQ(c->tier_share, PolicyConfig{}.tier_share);
  EXPECT_TRUE(c->seeders_first);
  EXPECT_TRUE(c->locality);
}

TEST(PolicyFlagsTest, ValuesAreTaken) {
  auto c =
      Parse({"--policy-max-origin=4", "--policy-short-supply=10", "--policy-tier-share=0.5,0.5,1,1",
             "--policy-seeders-first=false", "--policy-locality=false"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_origin, 4);
  EXPECT_EQ(c->short_supply_below, 10);
  EXPECT_EQ(c->tier_share[0], 0.5);
  EXPECT_EQ(c->tier_share[3], 1.0);
  EXPECT_FALSE(c->seeders_first);
  EXPECT_FALSE(c->locality);
}

TEST(PolicyFlagsTest, BadValuesNameTheFlag) {
  EXPECT_NE(Parse({"--policy-tier-share=1,1,1"}).status().message().find("four values"),
            absl::string_view::npos);
  EXPECT_NE(Parse({"--policy-tier-share=1,x,1,1"}).status().message().find("\"x\""),
            absl::string_view::npos);
  EXPECT_NE(Parse({"--policy-tier-share=1,0,1,1"}).status().message().find("tier_share"),
            absl::string_view::npos);
  EXPECT_NE(Parse({"--policy-max-origin=-1"}).status().message().find("max_origin"),
            absl::string_view::npos);
  EXPECT_FALSE(Parse({"--policy-seeders-first=maybe"}).ok());
  EXPECT_NE(Parse({"--policy-locality=off"}).status().message().find("--policy-locality"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace p2pims::tracker
