#include "tools/p2pimsctl/command_line.h"

#include <gtest/gtest.h>

#include <limits>

#include "tools/p2pimsctl/cli_error.h"

namespace p2pims::ctl {
namespace {

CommandLine Sample() {
  CommandLine cl("content withdraw", "Withdraws content.");
  cl.Arg("ID", "content id")
      .Flag("reason", "TEXT", "why")
      .RepeatedFlag("territory", "T", "where")
      .Switch("json", "json")
      .Flag("limit", "N", "how many");
  return cl;
}

TEST(CommandLineTest, ReadsFlagsBothWaysAndArguments) {
  CommandLine cl = Sample();
  ASSERT_TRUE(cl.Parse({"--reason", "dup", "sintel", "--territory=262-01", "--territory", "262-02",
                        "--json"})
                  .ok());
  EXPECT_EQ(cl.Arg(0), "sintel");
  EXPECT_EQ(cl.Get("reason"), "dup");
  EXPECT_EQ(cl.GetAll("territory"), (std::vector<std::string>{"262-01", "262-02"}));
  EXPECT_TRUE(cl.GetSwitch("json"));
  EXPECT_FALSE(cl.Has("limit"));
  EXPECT_EQ(cl.Get("limit", "7"), "7");
}

TEST(CommandLineTest, EqualsFormTakesValuesThatLookLikeFlags) {
  CommandLine cl = Sample();
  ASSERT_TRUE(cl.Parse({"--reason=--json", "x"}).ok());
  EXPECT_EQ(cl.Get("reason"), "--json");
  EXPECT_FALSE(cl.GetSwitch("json"));
}

TEST(CommandLineTest, DoubleDashEndsFlags) {
  CommandLine cl = Sample();
  ASSERT_TRUE(cl.Parse({"--", "-odd-id"}).ok());
  EXPECT_EQ(cl.Arg(0), "-odd-id");
}

TEST(CommandLineTest, UsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {"x", "--nope"},                    // unknown flag
      {"x", "-n"},                        // unknown short flag
      {"x", "--reason"},                  // missing value
      {"x", "--reason", "--json"},        // a flag is not a value
      {"x", "--reason=a", "--reason=b"},  // single flag twice
      {"x", "--json=yes"},                // switch with a value
      {},                                 // missing argument
      {"x", "y"},                         // extra argument
      {"x", "--reason", "\xff"},          // not UTF-8
  };
  for (const auto& args : bad) {
    CommandLine cl = Sample();
    absl::Status s = cl.Parse(args);
    EXPECT_TRUE(IsUsageError(s)) << testing::PrintToString(args) << " -> " << s;
    EXPECT_EQ(ExitCode(s), 2);
  }
}

TEST(CommandLineTest, HelpSkipsArgumentChecks) {
  CommandLine cl = Sample();
  ASSERT_TRUE(cl.Parse({"--help"}).ok());
  EXPECT_TRUE(cl.help_requested());
  const std::string usage = cl.Usage();
  EXPECT_NE(usage.find("usage: p2pimsctl content withdraw [flags] ID"), std::string::npos);
  EXPECT_NE(usage.find("--territory T (repeatable)"), std::string::npos);
}

TEST(CommandLineTest, OptionalArgumentMayBeLeftOut) {
  auto make = [] {
    CommandLine cl("content indexed", "Lists the index.");
    cl.OptionalArg("ID", "content id").Switch("json", "json");
    return cl;
  };
  CommandLine none = make();
  ASSERT_TRUE(none.Parse({"--json"}).ok());
  EXPECT_EQ(none.ArgCount(), 0u);
  CommandLine one = make();
  ASSERT_TRUE(one.Parse({"sintel"}).ok());
  ASSERT_EQ(one.ArgCount(), 1u);
  EXPECT_EQ(one.Arg(0), "sintel");
  CommandLine two = make();
  const absl::Status s = two.Parse({"a", "b"});
  EXPECT_TRUE(IsUsageError(s));
  EXPECT_NE(s.message().find("takes [ID]"), absl::string_view::npos) << s;
  EXPECT_NE(make().Usage().find("usage: p2pimsctl content indexed [flags] [ID]"),
            std::string::npos);
}

TEST(CommandLineTest, ReadIntChecksSyntaxAndRange) {
  CommandLine cl = Sample();
  ASSERT_TRUE(cl.Parse({"x", "--limit", "12"}).ok());
  int64_t n = -1;
  EXPECT_TRUE(cl.ReadInt("limit", 1, 100, &n).ok());
  EXPECT_EQ(n, 12);
  EXPECT_TRUE(IsUsageError(cl.ReadInt("limit", 13, 100, &n)));
  int64_t untouched = 5;
  EXPECT_TRUE(cl.ReadInt("reason", 0, 10, &untouched).ok());  // absent: left alone
  EXPECT_EQ(untouched, 5);
}

TEST(CommandLineTest, RequireAndExactlyOne) {
  CommandLine cl = Sample();
  ASSERT_TRUE(cl.Parse({"x", "--reason="}).ok());
  EXPECT_TRUE(IsUsageError(cl.Require("reason")));  // empty counts as missing
  EXPECT_TRUE(IsUsageError(cl.RequireExactlyOne({"limit", "json"})));
  EXPECT_TRUE(cl.RequireExactlyOne({"limit", "reason"}).ok());
  EXPECT_TRUE(IsUsageError(cl.RequireExactlyOne({"reason", "reason"})));
}

TEST(ParseIntegerTest, WholeNumbersOnly) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t n = 0;
  EXPECT_TRUE(ParseInteger("0", kMin, kMax, &n).ok());
  EXPECT_TRUE(ParseInteger("-42", kMin, kMax, &n).ok());
  EXPECT_EQ(n, -42);
  EXPECT_TRUE(ParseInteger("9223372036854775807", kMin, kMax, &n).ok());
  EXPECT_EQ(n, kMax);
  EXPECT_TRUE(ParseInteger("-9223372036854775808", kMin, kMax, &n).ok());
  EXPECT_EQ(n, kMin);
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "1.5", "0x10", "1e3", "9223372036854775808",
                          "99999999999999999999"}) {
    EXPECT_FALSE(ParseInteger(bad, kMin, kMax, &n).ok()) << bad;
  }
}

}  // namespace
}  // namespace p2pims::ctl
