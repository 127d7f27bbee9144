#include "tools/p2pims-ue/descriptor.h"

#include <gtest/gtest.h>

#include "lib/encoding/encoding.h"

namespace p2pims::ue {
namespace {

constexpr char kType[] = "application/vnd.p2pims.session+json";

TEST(DescriptorTest, ReadsWhatSipEdgeWrites) {
  const std::string body =
      R"({"version":1,"session_id":"9f2c","icid":"i","content_id":"sintel",)"
      R"("info_hash":"1662EE6D884B4415700348DEEDC8BBBF52FC9846","name":"Sintel","size":129241752,)"
      R"("token":"AQ.sig","expires_at":1,"announce":["http://t/a/AQ.sig/announce","udp://t/s/k"],)"
      R"("progress":"sip:9f2c@p2p.localhost","metainfo":")" +
      Base64UrlEncode("d4:infod4:name6:Sintelee") + R"("})";
  auto d = ParseDescriptor(kType, body);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->session_id, "9f2c");
  EXPECT_EQ(Hex(d->info_hash), "1662ee6d884b4415700348deedc8bbbf52fc9846");
  EXPECT_EQ(d->size, 129241752);
  EXPECT_EQ(d->announce.size(), 2u);
  EXPECT_EQ(d->progress, "sip:9f2c@p2p.localhost");
  EXPECT_EQ(d->metainfo, "d4:infod4:name6:Sintelee");
}

TEST(DescriptorTest, SaysWhatIsWrong) {
  auto message = [](const std::string& type, const std::string& body) {
    auto d = ParseDescriptor(type, body);
    return d.ok() ? std::string("ok") : std::string(d.status().message());
  };
  EXPECT_NE(message("text/plain", "{}").find("text/plain"), std::string::npos);
  EXPECT_NE(message(kType, "{").find("bad JSON"), std::string::npos);
  EXPECT_NE(message(kType, R"({"session_id":"s","info_hash":"00"})").find("token"),
            std::string::npos);
  EXPECT_NE(message(kType, R"({"session_id":"s","token":"t","info_hash":"00"})").find("40 hex"),
            std::string::npos);
  EXPECT_NE(message(kType, R"({"session_id":"s","token":"t","info_hash":")" +
                               std::string(40, 'a') + R"("})")
                .find("announce"),
            std::string::npos);
}

}  // namespace
}  // namespace p2pims::ue
