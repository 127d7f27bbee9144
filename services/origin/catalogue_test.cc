#include "services/origin/catalogue.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace p2pims::origin {
namespace {
namespace fs = std::filesystem;

class HoldsOnDiskTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "origin-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const fs::path& rel, size_t bytes) {
    fs::create_directories((fs::path(dir_) / rel).parent_path());
    std::ofstream(fs::path(dir_) / rel) << std::string(bytes, 'x');
  }
  std::string dir_;
};

TEST_F(HoldsOnDiskTest, AFileOfTheIndexedSize) {
  Write("clip.bin", 1000);
  EXPECT_TRUE(HoldsOnDisk(dir_, "clip.bin", 1000));
  EXPECT_FALSE(HoldsOnDisk(dir_, "clip.bin", 1001)) << "a partial or other file";
  EXPECT_FALSE(HoldsOnDisk(dir_, "other.bin", 1000)) << "missing";
}

TEST_F(HoldsOnDiskTest, ADirectoryWhoseFilesAddUpToTheIndexedSize) {
  Write("album/one.flac", 300);
  Write("album/disc2/two.flac", 700);
  EXPECT_TRUE(HoldsOnDisk(dir_, "album", 1000));
  EXPECT_FALSE(HoldsOnDisk(dir_, "album", 999));
}

TEST_F(HoldsOnDiskTest, NamesNeverLeadOutOfTheDirectory) {
  Write("inner/secret", 10);
  const std::string inner = (fs::path(dir_) / "inner").string();
  EXPECT_FALSE(HoldsOnDisk(inner, "../inner/secret", 10));
  EXPECT_FALSE(HoldsOnDisk(dir_, "inner/secret", 10));
  EXPECT_FALSE(HoldsOnDisk(dir_, "..", 10));
  EXPECT_FALSE(HoldsOnDisk(dir_, "", 0));
}

}  // namespace
}  // namespace p2pims::origin
