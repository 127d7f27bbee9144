// A test fixture with a fresh temporary directory and files of patterned bytes in it, for the
// tests that hash real files.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace p2pims::ctl {

class TempDirTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string dir = testing::TempDir() + "p2pimsctl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `size` bytes (byte i is i * step mod prime) to `name` under the directory.
  std::filesystem::path WriteFile(const std::string& name, size_t size, int step = 7,
                                  int prime = 251) {
    const std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    for (size_t i = 0; i < size; ++i) f.put(static_cast<char>(i * step % prime));
    return p;
  }

  std::filesystem::path dir_;
};

}  // namespace p2pims::ctl
