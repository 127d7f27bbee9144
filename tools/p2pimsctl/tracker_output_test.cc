#include "tools/p2pimsctl/tracker_output.h"

#include <gtest/gtest.h>

namespace p2pims::ctl {
namespace {

tv1::IndexedContent Item() {
  tv1::IndexedContent c;
  c.set_content_id("sintel");
  c.set_name("sintel\x1b[2J.mkv");
  c.set_size_bytes(3 << 20);
  c.set_info_hash(std::string(20, '\xab'));
  c.set_info_hash_v2_truncated(std::string(20, '\xcd'));
  c.set_metainfo("d4:infod...ee");
  return c;
}

TEST(TrackerOutputTest, IndexedContentJson) {
  EXPECT_EQ(IndexedContentJson(Item()),
            "{\"content_id\":\"sintel\",\"name\":\"sintel\\u001b[2J.mkv\",\"size_bytes\":3145728,"
            "\"info_hash\":\"abababababababababababababababababababab\","
            "\"info_hash_v2_truncated\":\"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\","
            "\"metainfo_bytes\":13}");
  EXPECT_NE(IndexedContentJson(Item(), "already_indexed").find(",\"result\":\"already_indexed\"}"),
            std::string::npos);
}

TEST(TrackerOutputTest, IndexedContentHumanOutput) {
  const std::string details = IndexedContentDetails(Item(), "indexed");
  EXPECT_NE(details.find("name:                   sintel?[2J.mkv\n"), std::string::npos) << details;
  EXPECT_NE(details.find("size:                   3145728 bytes (3.0 MiB)\n"), std::string::npos);
  EXPECT_NE(details.find("metainfo:               13 bytes\n"), std::string::npos);
  EXPECT_NE(details.find("result:                 indexed\n"), std::string::npos);
  tv1::IndexedContent v1_only = Item();
  v1_only.clear_info_hash_v2_truncated();
  v1_only.clear_metainfo();
  const std::string table = IndexedContentTable({Item(), v1_only});
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "ID      NAME            SIZE     INFO_HASH                                 "
            "V2_TRUNCATED");
  EXPECT_NE(table.find("abababababababababababababababababababab  -\n"), std::string::npos)
      << table;
}

TEST(TrackerOutputTest, SwarmStats) {
  tv1::SwarmStatsResponse s;
  s.set_info_hash(std::string(20, '\x01'));
  s.set_seeders(2);
  s.set_leechers(5);
  s.set_completed(7);
  s.set_open_sessions(4);
  s.set_bytes_down(2048);
  s.set_bytes_up(10);
  EXPECT_EQ(SwarmStatsJson("sintel", s),
            "{\"content_id\":\"sintel\",\"info_hash\":\"0101010101010101010101010101010101010101\","
            "\"seeders\":2,\"leechers\":5,\"completed\":7,\"open_sessions\":4,\"bytes_down\":2048,"
            "\"bytes_up\":10}");
  EXPECT_EQ(SwarmStatsDetails("", s),
            "info_hash:     0101010101010101010101010101010101010101\n"
            "seeders:       2\n"
            "leechers:      5\n"
            "completed:     7\n"
            "open_sessions: 4\n"
            "bytes_down:    2048 bytes (2.0 KiB)\n"
            "bytes_up:      10 bytes\n");
  EXPECT_EQ(SwarmStatsDetails("sintel", s).substr(0, 23), "content_id:    sintel\ni");
}

}  // namespace
}  // namespace p2pims::ctl
