#include "tools/p2pimsctl/synced_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace p2pims::ctl {
namespace {

namespace fs = std::filesystem;

class SyncedFileTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string dir = testing::TempDir() + "p2pimsctl-synced-XXXXXX";
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string dir_;
};

TEST_F(SyncedFileTest, TempNameIsHidden) { EXPECT_EQ(TempName("a.csv"), ".a.csv.tmp"); }

TEST_F(SyncedFileTest, WritesAtomicallyAndReplaces) {
  ASSERT_TRUE(WriteFileAtomically(dir_, "a.csv", "one\r\n").ok());
  EXPECT_EQ(*ReadWholeFile(dir_ + "/a.csv"), "one\r\n");
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/", "a.csv", "two").ok());
  EXPECT_EQ(*ReadWholeFile(dir_ + "/a.csv"), "two");
  EXPECT_EQ(Names(), std::vector<std::string>{"a.csv"}) << "no temporary file is left";
}

TEST_F(SyncedFileTest, ErrorsNameThePathAndLeaveNothing) {
  absl::Status s = WriteFileAtomically(dir_ + "/missing", "a.csv", "x");
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_NE(s.message().find(dir_ + "/missing/.a.csv.tmp"), std::string::npos) << s;
  EXPECT_TRUE(absl::IsNotFound(ReadWholeFile(dir_ + "/nope").status()));
  EXPECT_TRUE(Names().empty());
}

TEST_F(SyncedFileTest, StepsWriteThenRename) {
  ASSERT_TRUE(WriteSynced(dir_ + "/.b.tmp", "data").ok());
  EXPECT_EQ(Names(), std::vector<std::string>{".b.tmp"});
  ASSERT_TRUE(RenameSynced(dir_, ".b.tmp", "b").ok());
  EXPECT_EQ(Names(), std::vector<std::string>{"b"});
  EXPECT_FALSE(RenameSynced(dir_, ".b.tmp", "b").ok());
}

TEST_F(SyncedFileTest, SplitPath) {
  EXPECT_EQ(SplitPath("x.csv"), std::make_pair(std::string("."), std::string("x.csv")));
  EXPECT_EQ(SplitPath("/tmp/x.csv"), std::make_pair(std::string("/tmp"), std::string("x.csv")));
  EXPECT_EQ(SplitPath("/x.csv"), std::make_pair(std::string("/"), std::string("x.csv")));
  EXPECT_EQ(SplitPath("dir/"), std::make_pair(std::string("dir"), std::string()));
}

}  // namespace
}  // namespace p2pims::ctl
