#include "services/tracker/bencode.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "lib/status/status_testing.h"

namespace p2pims::tracker::bencode {
namespace {

// The error message of an input the reader must refuse.
std::string RefusalOf(std::string_view input) {
  absl::Status s = Validate(input);
  EXPECT_FALSE(s.ok()) << "accepted: " << input;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // Parse must agree with Validate.
  EXPECT_FALSE(Parse(input).ok()) << "Parse accepted: " << input;
  return std::string(s.message());
}

TEST(BencodeWriter, WritesIntegersIncludingExtremes) {
  std::string out;
  Writer w(&out);
  w.BeginList();
  w.Int(0);
  w.Int(-1);
  w.Int(42);
  w.Int(std::numeric_limits<int64_t>::max());
  w.Int(std::numeric_limits<int64_t>::min());
  w.End();
  ASSERT_OK(w.Finish());
  EXPECT_EQ(out, "li0ei-1ei42ei9223372036854775807ei-9223372036854775808ee");
}

TEST(BencodeWriter, WritesByteStringsWithBinaryContent) {
  std::string out;
  Writer w(&out);
  w.BeginList();
  w.String("");
  w.String("spam");
  w.String(std::string_view("a\0b", 3));
  w.End();
  ASSERT_OK(w.Finish());
  EXPECT_EQ(out, std::string("l0:4:spam3:a\0be", 15));
}

TEST(BencodeWriter, WritesNestedDictionaries) {
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("a");
  w.BeginDict();
  w.Key("x");
  w.Int(1);
  w.End();
  w.Key("b");
  w.BeginList();
  w.End();
  w.End();
  ASSERT_OK(w.Finish());
  EXPECT_EQ(out, "d1:ad1:xi1ee1:blee");
}

TEST(BencodeWriter, AppendsAfterExistingBytes) {
  std::string out = "HTTP body follows:";
  Writer w(&out);
  w.Int(7);
  ASSERT_OK(w.Finish());
  EXPECT_EQ(out, "HTTP body follows:i7e");
}

TEST(BencodeWriter, StringOfSizeIsFilledInPlace) {
  std::string out;
  Writer w(&out);
  std::span<char> space = w.StringOfSize(3);
  ASSERT_EQ(space.size(), 3u);
  space[0] = 'x';
  space[1] = 'y';
  space[2] = 'z';
  ASSERT_OK(w.Finish());
  EXPECT_EQ(out, "3:xyz");
}

TEST(BencodeWriter, KeysCompareAsUnsignedBytes) {
  // 0x80 sorts after 'z' as an unsigned byte; a signed comparison would refuse this order.
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("z");
  w.Int(1);
  w.Key("\x80");
  w.Int(2);
  w.End();
  ASSERT_OK(w.Finish());
  ASSERT_OK(Validate(out));
}

TEST(BencodeWriter, RefusesUnsortedKeys) {
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("b");
  w.Int(1);
  w.Key("a");
  w.Int(2);
  w.End();
  EXPECT_EQ(w.Finish().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(BencodeWriter, RefusesDuplicateKeys) {
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("a");
  w.Int(1);
  w.Key("a");
  w.Int(2);
  w.End();
  EXPECT_EQ(w.Finish().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(BencodeWriter, RefusesPrefixKeyAfterLongerKey) {
  // "peers6" > "peers": emitting them the other way round is unsorted.
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("peers6");
  w.Int(1);
  w.Key("peers");
  w.Int(2);
  w.End();
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, KeyOrderIsPerDictionary) {
  // A nested dictionary's keys do not constrain the outer one's.
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("m");
  w.BeginDict();
  w.Key("z");
  w.Int(1);
  w.End();
  w.Key("n");
  w.Int(2);
  w.End();
  ASSERT_OK(w.Finish());
  EXPECT_EQ(out, "d1:md1:zi1ee1:ni2ee");
}

TEST(BencodeWriter, RefusesValueWithoutKeyInDictionary) {
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Int(1);
  w.End();
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, RefusesKeyWithoutValue) {
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("a");
  w.End();
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, RefusesKeyOutsideDictionary) {
  std::string out;
  Writer w(&out);
  w.BeginList();
  w.Key("a");
  w.Int(1);
  w.End();
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, RefusesUnclosedContainer) {
  std::string out;
  Writer w(&out);
  w.BeginList();
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, RefusesEndWithoutBegin) {
  std::string out;
  Writer w(&out);
  w.Int(1);
  w.End();
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, RefusesTwoTopLevelValues) {
  std::string out;
  Writer w(&out);
  w.Int(1);
  w.Int(2);
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, RefusesEmptyOutput) {
  std::string out;
  Writer w(&out);
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, RefusesNestingBeyondTheBound) {
  std::string out;
  Writer w(&out);
  for (int i = 0; i <= kMaxDepth; ++i) w.BeginList();
  for (int i = 0; i <= kMaxDepth; ++i) w.End();
  EXPECT_FALSE(w.Finish().ok());
}

TEST(BencodeWriter, NestingUpToTheBoundRoundTrips) {
  std::string out;
  Writer w(&out);
  for (int i = 0; i < kMaxDepth; ++i) w.BeginList();
  for (int i = 0; i < kMaxDepth; ++i) w.End();
  ASSERT_OK(w.Finish());
  EXPECT_OK(Validate(out));
}

TEST(BencodeReader, RoundTripsWhatTheWriterWrites) {
  std::string out;
  Writer w(&out);
  w.BeginDict();
  w.Key("bin");
  w.String(std::string_view("\x00\xff\x10", 3));
  w.Key("int");
  w.Int(-123456789012345);
  w.Key("list");
  w.BeginList();
  w.String("x");
  w.Int(0);
  w.BeginDict();
  w.End();
  w.End();
  w.End();
  ASSERT_OK(w.Finish());

  absl::StatusOr<Value> v = Parse(out);
  ASSERT_OK(v.status());
  ASSERT_EQ(v->type, Value::Type::kDict);
  ASSERT_EQ(v->keys.size(), 3u);
  ASSERT_NE(v->Find("bin"), nullptr);
  EXPECT_EQ(v->Find("bin")->type, Value::Type::kString);
  EXPECT_EQ(v->Find("bin")->string, std::string_view("\x00\xff\x10", 3));
  ASSERT_NE(v->Find("int"), nullptr);
  EXPECT_EQ(v->Find("int")->integer, -123456789012345);
  const Value* list = v->Find("list");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->type, Value::Type::kList);
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->items[0].string, "x");
  EXPECT_EQ(list->items[1].type, Value::Type::kInt);
  EXPECT_EQ(list->items[2].type, Value::Type::kDict);
  EXPECT_EQ(v->Find("absent"), nullptr);
}

TEST(BencodeReader, ReadsInt64Extremes) {
  absl::StatusOr<Value> max = Parse("i9223372036854775807e");
  ASSERT_OK(max.status());
  EXPECT_EQ(max->integer, std::numeric_limits<int64_t>::max());
  absl::StatusOr<Value> min = Parse("i-9223372036854775808e");
  ASSERT_OK(min.status());
  EXPECT_EQ(min->integer, std::numeric_limits<int64_t>::min());
}

TEST(BencodeReader, AcceptsZeroAndEmptyString) {
  EXPECT_OK(Validate("i0e"));
  EXPECT_OK(Validate("0:"));
  EXPECT_OK(Validate("le"));
  EXPECT_OK(Validate("de"));
}

TEST(BencodeReader, RefusesLeadingZeroInInteger) {
  EXPECT_NE(RefusalOf("i03e").find("leading zero"), std::string::npos);
  EXPECT_NE(RefusalOf("i-03e").find("leading zero"), std::string::npos);
  EXPECT_NE(RefusalOf("i00e").find("leading zero"), std::string::npos);
}

TEST(BencodeReader, RefusesNegativeZero) {
  EXPECT_NE(RefusalOf("i-0e").find("negative zero"), std::string::npos);
}

TEST(BencodeReader, RefusesMalformedIntegers) {
  RefusalOf("ie");
  RefusalOf("i-e");
  RefusalOf("i+1e");
  RefusalOf("i1x");
  RefusalOf("i 1e");
  RefusalOf("i1");
}

TEST(BencodeReader, RefusesIntegersOutsideInt64) {
  EXPECT_NE(RefusalOf("i9223372036854775808e").find("range"), std::string::npos);
  EXPECT_NE(RefusalOf("i-9223372036854775809e").find("range"), std::string::npos);
  RefusalOf("i99999999999999999999999999e");
}

TEST(BencodeReader, RefusesLeadingZeroInStringLength) {
  EXPECT_NE(RefusalOf("03:abc").find("leading zero"), std::string::npos);
  RefusalOf("00:");
}

TEST(BencodeReader, RefusesStringLongerThanInput) {
  EXPECT_NE(RefusalOf("5:abc").find("beyond"), std::string::npos);
  RefusalOf("99999999999999999999999999:x");
}

TEST(BencodeReader, RefusesTruncatedInput) {
  RefusalOf("");
  RefusalOf("l");
  RefusalOf("d");
  RefusalOf("d1:a");
  RefusalOf("li1e");
  RefusalOf("3");
  RefusalOf("3:");
  // Every proper prefix of a valid reply is invalid.
  const std::string full = "d8:completei1e5:peers6:abcdefe";
  ASSERT_OK(Validate(full));
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(Validate(full.substr(0, n)).ok()) << n;
  }
}

TEST(BencodeReader, RefusesTrailingGarbage) {
  EXPECT_NE(RefusalOf("i1ex").find("trailing"), std::string::npos);
  RefusalOf("dee");
  RefusalOf("0:0:");
}

TEST(BencodeReader, RefusesUnsortedKeys) {
  EXPECT_NE(RefusalOf("d1:bi1e1:ai2ee").find("not sorted"), std::string::npos);
}

TEST(BencodeReader, RefusesDuplicateKeys) {
  EXPECT_NE(RefusalOf("d1:ai1e1:ai2ee").find("duplicate"), std::string::npos);
}

TEST(BencodeReader, RefusesNonStringKeys) {
  RefusalOf("di1ei2ee");
  RefusalOf("dlei1ee");
}

TEST(BencodeReader, RefusesUnknownTypeBytes) {
  RefusalOf("x");
  RefusalOf("-1:a");
  RefusalOf("l-e");
}

TEST(BencodeReader, RefusesNestingBeyondTheBound) {
  std::string deep(kMaxDepth, 'l');
  deep += std::string(kMaxDepth, 'e');
  EXPECT_OK(Validate(deep));
  std::string deeper(kMaxDepth + 1, 'l');
  deeper += std::string(kMaxDepth + 1, 'e');
  EXPECT_NE(RefusalOf(deeper).find("too deep"), std::string::npos);
}

TEST(BencodeReader, SurvivesHugeNestingWithoutRecursingIntoIt) {
  // A million opening brackets must be refused at the bound, not overflow the stack.
  const std::string hostile(1'000'000, 'l');
  EXPECT_FALSE(Validate(hostile).ok());
  EXPECT_FALSE(Parse(hostile).ok());
}

TEST(BencodeReader, ErrorNamesTheOffset) {
  EXPECT_NE(RefusalOf("li1ei03ee").find("offset 4"), std::string::npos);
}

TEST(BencodeReader, HonoursACallerDepth) {
  EXPECT_OK(Validate("ll1:xee", 2));
  EXPECT_FALSE(Validate("ll1:xee", 1).ok());
}

}  // namespace
}  // namespace p2pims::tracker::bencode
