#include "lib/config/flags.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace p2pims {
namespace {

TEST(FlagsTest, FlagBeatsEnvironmentBeatsDefault) {
  setenv("P2PIMS_FROM_ENV", "env", 1);
  setenv("P2PIMS_BOTH", "env", 1);
  Flags flags("t", "test");
  flags.Add("from-env", "default", "");
  flags.Add("both", "default", "");
  flags.Add("neither", "default", "");
  const char* argv[] = {"t", "--both=flag"};
  ASSERT_TRUE(flags.Parse(2, argv).ok());
  EXPECT_EQ(flags.Get("from-env"), "env");
  EXPECT_EQ(flags.Get("both"), "flag");
  EXPECT_EQ(flags.Get("neither"), "default");
}

TEST(FlagsTest, SeparateValuesBooleansAndPositionals) {
  Flags flags("t", "test");
  flags.Add("port", "1", "");
  flags.Add("migrate", "false", "");
  const char* argv[] = {"t", "--port", "42", "--migrate", "extra"};
  ASSERT_TRUE(flags.Parse(5, argv).ok());
  EXPECT_EQ(*flags.GetInt("port"), 42);
  EXPECT_TRUE(*flags.GetBool("migrate"));
  ASSERT_EQ(flags.positional().size(), 1u);
  EXPECT_EQ(flags.positional()[0], "extra");
}

TEST(FlagsTest, RejectsUnknownFlagsMissingValuesAndBadNumbers) {
  Flags flags("t", "test");
  flags.Add("port", "x", "");
  const char* unknown[] = {"t", "--nope=1"};
  EXPECT_EQ(flags.Parse(2, unknown).code(), absl::StatusCode::kInvalidArgument);
  const char* missing[] = {"t", "--port"};
  EXPECT_EQ(flags.Parse(2, missing).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(flags.GetInt("port").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FlagsTest, ParseCommandLineGivesExitCodesForHelpAndErrors) {
  Flags flags("t", "test");
  flags.Add("port", "1", "");
  const char* help[] = {"t", "--help"};
  testing::internal::CaptureStdout();
  EXPECT_EQ(flags.ParseCommandLine(2, help), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("--port"), std::string::npos);
  Flags other("t", "test");
  const char* bad[] = {"t", "--nope"};
  testing::internal::CaptureStderr();
  EXPECT_EQ(other.ParseCommandLine(2, bad), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("unknown flag --nope"), std::string::npos);
  Flags fine("t", "test");
  const char* none[] = {"t"};
  EXPECT_EQ(fine.ParseCommandLine(1, none), std::nullopt);
}

TEST(FlagsTest, UsageNamesEnvironmentVariables) {
  Flags flags("t", "test");
  flags.Add("grpc-listen", "127.0.0.1:1", "where");
  EXPECT_NE(flags.Usage().find("P2PIMS_GRPC_LISTEN"), std::string::npos);
}

}  // namespace
}  // namespace p2pims
