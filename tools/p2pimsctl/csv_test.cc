#include "tools/p2pimsctl/csv.h"

#include <gtest/gtest.h>

namespace p2pims::ctl {
namespace {

TEST(CsvTest, PlainFieldsAreWrittenAsIs) {
  EXPECT_EQ(CsvField("sip:alice@ims.example.net"), "sip:alice@ims.example.net");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField(" spaced; semi "), " spaced; semi ");
  EXPECT_EQ(CsvField("Zürich"), "Zürich");
}

TEST(CsvTest, CommaQuoteCrAndLfAreQuoted) {
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("\""), "\"\"\"\"");
  EXPECT_EQ(CsvField("line1\nline2"), "\"line1\nline2\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
}

TEST(CsvTest, RecordsEndWithCrlf) {
  EXPECT_EQ(CsvRecord({"seq", "note"}), "seq,note\r\n");
  EXPECT_EQ(CsvRecord({"1", "a,\"b\"", ""}), "1,\"a,\"\"b\"\"\",\r\n");
  EXPECT_EQ(CsvRecord({}), "\r\n");
}

}  // namespace
}  // namespace p2pims::ctl
