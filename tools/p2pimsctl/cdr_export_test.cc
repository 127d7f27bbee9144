#include "tools/p2pimsctl/cdr_export.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tools/p2pimsctl/synced_file.h"

namespace p2pims::ctl {
namespace {

namespace fs = std::filesystem;

// PullCdrs/AckCdrs as charging documents them: pages after max(after_sequence, cursor), a pulled
// mark, retransmission flags, FAILED_PRECONDITION for an ack past the pulled mark. With
// honours_after = false it behaves like a server that ignores after_sequence.
class FakeFeed : public CdrFeed {
 public:
  void Add(int n) {
    for (int i = 0; i < n; ++i) {
      cv1::Cdr c;
      c.set_sequence(static_cast<int64_t>(cdrs_.size()) + 1);
      c.set_record_type("session");
      c.set_served_identity("sip:alice@ims.example.net");
      c.set_owner("owner, \"quoted\"");
      c.mutable_charge()->set_minor(100);
      c.mutable_charge()->set_currency("EUR");
      cdrs_.push_back(c);
    }
  }

  absl::StatusOr<cv1::PullCdrsResponse> Pull(int32_t page_size, int64_t after) override {
    ++pulls;
    if (fail_pulls > 0) {
      --fail_pulls;
      return absl::UnavailableError("charging down");
    }
    const int64_t start = honours_after ? std::max(after, acked) : acked;
    cv1::PullCdrsResponse page;
    for (const cv1::Cdr& c : cdrs_) {
      if (c.sequence() <= start) continue;
      if (page.cdrs_size() == std::min(page_size, max_page)) break;
      cv1::Cdr* out = page.add_cdrs();
      *out = c;
      out->set_retransmission(c.sequence() <= pulled);
    }
    if (!page.cdrs().empty()) {
      page.set_last_sequence(page.cdrs().rbegin()->sequence());
      pulled = std::max(pulled, page.last_sequence());
    }
    page.set_acked_sequence(acked);
    return page;
  }

  absl::StatusOr<int64_t> Ack(int64_t up_to) override {
    ++acks;
    if (fail_acks > 0) {
      --fail_acks;
      return absl::UnavailableError("charging went away");
    }
    if (up_to > pulled) return absl::FailedPreconditionError("past what was pulled");
    acked = std::max(acked, up_to);
    return acked;
  }

  bool honours_after = true;
  int32_t max_page = 10'000;
  int fail_acks = 0;
  int fail_pulls = 0;
  int64_t acked = 0;
  int64_t pulled = 0;
  int pulls = 0;
  int acks = 0;

 private:
  std::vector<cv1::Cdr> cdrs_;
};

class CdrExportTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string dir = testing::TempDir() + "p2pimsctl-export-XXXXXX";
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override { fs::remove_all(dir_); }

  ExportOptions Options(ExportFormat format = ExportFormat::kCsv) {
    ExportOptions o;
    o.dir = dir_;
    o.consumer = "billing-1";
    o.format = format;
    o.max_per_file = 2;
    o.page_size = 2;
    o.now_ms = [this] { return 1767225600000 + 1000 * clock_++; };
    return o;
  }

  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> DataFiles(const std::string& ext) const {
    std::vector<std::string> out;
    for (const std::string& n : Names()) {
      if (n[0] != '.' && absl::EndsWith(n, ext)) out.push_back(n);
    }
    return out;
  }

  std::string Read(const std::string& name) const { return *ReadWholeFile(dir_ + "/" + name); }

  // Sequence numbers in every CSV data file, in file order.
  std::vector<int64_t> CsvSequences() const {
    std::vector<int64_t> out;
    for (const std::string& f : DataFiles(".csv")) {
      std::vector<std::string> lines = absl::StrSplit(Read(f), "\r\n", absl::SkipEmpty());
      for (size_t i = 1; i < lines.size(); ++i) {
        out.push_back(std::stoll(lines[i].substr(0, lines[i].find(','))));
      }
    }
    return out;
  }

  std::string dir_;
  int64_t clock_ = 0;
};

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

TEST(CdrExportNamesTest, FileNamesAndConsumers) {
  EXPECT_EQ(ExportFileName("billing-1", 7, 1767225600123, ExportFormat::kCsv),
            "p2pims-cdr_billing-1_0000000007_20260101T000000Z.csv");
  EXPECT_EQ(ExportFileName("b", 12345678901, 0, ExportFormat::kJson),
            "p2pims-cdr_b_12345678901_19700101T000000Z.json");
  EXPECT_EQ(StateFileName("b"), ".p2pims-cdr_b.state");
  EXPECT_EQ(LockFileName("b"), ".p2pims-cdr_b.lock");
  EXPECT_TRUE(IsExportConsumerName("billing-1.eu"));
  for (const char* bad : {"", "a_b", ".hidden", "a/b", "a b", "ü"}) {
    EXPECT_FALSE(IsExportConsumerName(bad)) << bad;
  }
  EXPECT_FALSE(IsExportConsumerName(std::string(65, 'a')));
}

TEST(CdrExportStateTest, RoundTripAndRejections) {
  ExportState s;
  s.last_file_sequence = 3;
  s.last_cdr_sequence = 2500;
  s.pending = {{".p2pims-cdr_b_0000000003_x.csv.tmp", "p2pims-cdr_b_0000000003_x.csv"}};
  const std::string text = FormatExportState(s, "b");
  absl::StatusOr<ExportState> back = ParseExportState(text, "b");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->last_file_sequence, 3);
  EXPECT_EQ(back->last_cdr_sequence, 2500);
  EXPECT_EQ(back->pending, s.pending);

  EXPECT_FALSE(ParseExportState(text, "other").ok()) << "another consumer's state";
  EXPECT_FALSE(ParseExportState("consumer=b\nlast_file_sequence=1\n", "b").ok());
  EXPECT_FALSE(
      ParseExportState("consumer=b\nlast_file_sequence=x\nlast_cdr_sequence=1\n", "b").ok());
  EXPECT_FALSE(
      ParseExportState("consumer=b\nlast_file_sequence=1\nlast_cdr_sequence=-1\n", "b").ok());
  EXPECT_FALSE(
      ParseExportState("consumer=b\nlast_file_sequence=1\nlast_cdr_sequence=1\nsurprise=1\n", "b")
          .ok());
  // Pending renames may only name the consumer's own files, in DIR.
  EXPECT_FALSE(ParseExportState("consumer=b\nlast_file_sequence=1\nlast_cdr_sequence=1\n"
                                "pending=../etc/passwd p2pims-cdr_b_1.csv\n",
                                "b")
                   .ok());
}

TEST(CdrExportLogicTest, NewerThanSkipsRedeliveredCdrs) {
  cv1::PullCdrsResponse page;
  for (int64_t s : {3, 4, 5}) page.add_cdrs()->set_sequence(s);
  auto fresh = NewerThan(page, 4);
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->size(), 1u);
  EXPECT_EQ((*fresh)[0].sequence(), 5);
  page.add_cdrs()->set_sequence(5);
  EXPECT_FALSE(NewerThan(page, 0).ok()) << "out of order";
}

TEST(CdrExportLogicTest, LostCdrs) {
  auto cdrs = [](std::vector<int64_t> seqs) {
    std::vector<cv1::Cdr> out;
    for (int64_t s : seqs) out.emplace_back().set_sequence(s);
    return out;
  };
  EXPECT_FALSE(LostCdrs(0, cdrs({1, 2, 3})));
  EXPECT_FALSE(LostCdrs(10, cdrs({11})));
  EXPECT_TRUE(LostCdrs(10, cdrs({12, 13})));
  EXPECT_TRUE(LostCdrs(0, cdrs({1, 3})));
}

TEST_F(CdrExportTest, WritesFilesWithSequenceNumbersAndAcknowledges) {
  FakeFeed feed;
  feed.Add(5);
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->files.size(), 3u);
  EXPECT_EQ(r->acked_sequence, 5);
  EXPECT_EQ(feed.acked, 5);
  const std::vector<std::string> reasons = {"max-cdrs", "max-cdrs", "no-more-cdrs"};
  for (size_t i = 0; i < 3; ++i) {
    const ExportedFile& f = r->files[i];
    EXPECT_EQ(f.file_sequence_number, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(f.closure_reason, reasons[i]);
    EXPECT_FALSE(f.lost_cdr_indicator);
    EXPECT_LE(f.opening_time_ms, f.closure_time_ms);
    EXPECT_EQ(f.sidecar, f.name + ".meta");
  }
  EXPECT_EQ(r->files[2].cdr_count, 1);
  EXPECT_EQ(r->files[2].first_cdr_sequence, 5);
  EXPECT_EQ(DataFiles(".csv"),
            (std::vector<std::string>{"p2pims-cdr_billing-1_0000000001_20260101T000000Z.csv",
                                      "p2pims-cdr_billing-1_0000000002_20260101T000002Z.csv",
                                      "p2pims-cdr_billing-1_0000000003_20260101T000004Z.csv"}));
  EXPECT_EQ(CsvSequences(), Range(1, 5));
  for (const std::string& n : Names()) EXPECT_FALSE(absl::EndsWith(n, ".tmp")) << n;

  // The CSV: the header and RFC 4180 quoting; the sidecar: the metadata.
  const std::string csv = Read(r->files[0].name);
  EXPECT_TRUE(absl::StartsWith(csv, "sequence,record_type,")) << csv;
  EXPECT_NE(csv.find(",\"owner, \"\"quoted\"\"\","), std::string::npos) << csv;
  EXPECT_EQ(csv.find("retransmission"), std::string::npos);
  const std::string meta = Read(r->files[0].sidecar);
  EXPECT_NE(meta.find("\"format\":\"csv\""), std::string::npos) << meta;
  EXPECT_NE(meta.find("\"file_sequence_number\":1,"), std::string::npos) << meta;
  EXPECT_NE(meta.find("\"file_name\":\"" + r->files[0].name + "\""), std::string::npos);
  EXPECT_NE(meta.find("\"cdr_count\":2,\"first_cdr_sequence\":1,\"last_cdr_sequence\":2,"
                      "\"lost_cdr_indicator\":false}"),
            std::string::npos)
      << meta;
  EXPECT_NE(meta.find("\"file_closure_reason\":\"max-cdrs\""), std::string::npos);

  const std::string state = Read(StateFileName("billing-1"));
  EXPECT_NE(state.find("last_file_sequence=3\nlast_cdr_sequence=5\n"), std::string::npos) << state;
  EXPECT_EQ(state.find("pending"), std::string::npos);
}

TEST_F(CdrExportTest, SequenceNumbersContinueAcrossRuns) {
  FakeFeed feed;
  feed.Add(3);
  ASSERT_TRUE(ExportCdrs(feed, Options()).ok());
  absl::StatusOr<ExportResult> again = ExportCdrs(feed, Options());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->files.empty()) << "nothing new: no empty file";
  feed.Add(2);
  again = ExportCdrs(feed, Options());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->files.size(), 1u);
  EXPECT_EQ(again->files[0].file_sequence_number, 3);
  EXPECT_EQ(again->files[0].first_cdr_sequence, 4);
  EXPECT_FALSE(again->files[0].lost_cdr_indicator);
  EXPECT_EQ(CsvSequences(), Range(1, 5));
}

TEST_F(CdrExportTest, FilesSpanSeveralPages) {
  FakeFeed feed;
  feed.max_page = 3;  // charging caps pages below what was asked
  feed.Add(10);
  ExportOptions o = Options();
  o.max_per_file = 8;
  o.page_size = 8;
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->files.size(), 2u);
  EXPECT_EQ(r->files[0].cdr_count, 8);
  EXPECT_EQ(r->files[0].closure_reason, "max-cdrs");
  EXPECT_EQ(r->files[1].cdr_count, 2);
  EXPECT_EQ(CsvSequences(), Range(1, 10));
}

// A crash (here: an acknowledgement that fails) after a file is in place: the next run gets the
// same CDRs again and must neither write them twice nor call them lost.
void ExportAfterFailedAck(CdrExportTest& t, FakeFeed& feed, const ExportOptions& o,
                          const std::function<std::vector<int64_t>()>& sequences) {
  feed.Add(3);
  feed.fail_acks = 1;
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, o);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_EQ(feed.acked, 0);
  EXPECT_EQ(sequences(), Range(1, 2)) << "the first file is in place";

  feed.Add(2);
  r = ExportCdrs(feed, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(sequences(), Range(1, 5)) << "no CDR twice, none missing";
  ASSERT_FALSE(r->files.empty());
  EXPECT_EQ(r->files[0].file_sequence_number, 2);
  EXPECT_EQ(r->files[0].first_cdr_sequence, 3);
  for (const ExportedFile& f : r->files) EXPECT_FALSE(f.lost_cdr_indicator) << f.name;
  EXPECT_EQ(feed.acked, 5);
  (void)t;
}

TEST_F(CdrExportTest, RedeliveredCdrsAreSkipped) {
  FakeFeed feed;
  ExportAfterFailedAck(*this, feed, Options(), [this] { return CsvSequences(); });
}

TEST_F(CdrExportTest, RedeliveredCdrsAreSkippedWhenAfterSequenceIsIgnored) {
  FakeFeed feed;
  feed.honours_after = false;
  ExportAfterFailedAck(*this, feed, Options(), [this] { return CsvSequences(); });
}

TEST_F(CdrExportTest, ExportedButUnacknowledgedCdrsAreAcknowledgedWhenNothingIsNew) {
  for (bool honours_after : {true, false}) {
    SCOPED_TRACE(honours_after);
    fs::remove_all(dir_);
    fs::create_directory(dir_);
    FakeFeed feed;
    feed.honours_after = honours_after;
    feed.Add(2);
    feed.fail_acks = 1;
    ASSERT_FALSE(ExportCdrs(feed, Options()).ok());
    absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->files.empty());
    EXPECT_EQ(feed.acked, 2);
    EXPECT_EQ(r->acked_sequence, 2);
    EXPECT_EQ(CsvSequences(), Range(1, 2));
  }
}

TEST_F(CdrExportTest, CdrsAcknowledgedElsewhereAreReportedLost) {
  FakeFeed feed;
  feed.Add(5);
  ASSERT_TRUE(feed.Pull(3, 0).ok());
  ASSERT_TRUE(feed.Ack(3).ok());  // e.g. "cdr ack" by hand with the export's consumer name
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_EQ(r->files[0].first_cdr_sequence, 4);
  EXPECT_TRUE(r->files[0].lost_cdr_indicator);
  EXPECT_NE(Read(r->files[0].sidecar).find("\"lost_cdr_indicator\":true"), std::string::npos);
}

TEST_F(CdrExportTest, JsonFilesHoldMetadataAndCdrs) {
  FakeFeed feed;
  feed.Add(2);
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options(ExportFormat::kJson));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_TRUE(r->files[0].sidecar.empty());
  EXPECT_EQ(DataFiles(".meta"), std::vector<std::string>{});
  const std::string json = Read(r->files[0].name);
  EXPECT_TRUE(absl::StartsWith(json, "{\"format\":\"json\",\"format_version\":1,")) << json;
  EXPECT_NE(json.find("\"lost_cdr_indicator\":false,\"cdrs\":[\n{\"sequence\":1,"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("},\n{\"sequence\":2,"), std::string::npos) << json;
  EXPECT_TRUE(absl::EndsWith(json, "}\n]}\n")) << json;
}

TEST_F(CdrExportTest, MaxFilesAndStopLimitTheRun) {
  FakeFeed feed;
  feed.Add(7);
  ExportOptions o = Options();
  o.max_files = 2;
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->files.size(), 2u);
  EXPECT_EQ(feed.acked, 4);

  int polls = 0;
  o.max_files = 0;
  o.max_per_file = 10;
  o.stop_requested = [&polls] { return ++polls > 2; };  // stops after the first page
  r = ExportCdrs(feed, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_EQ(r->files[0].closure_reason, "interrupted");
  EXPECT_EQ(r->files[0].cdr_count, 2);
  EXPECT_EQ(r->files[0].file_sequence_number, 3);
}

TEST_F(CdrExportTest, RecoversRenamesAnInterruptedRunRecorded) {
  // As if a run stopped after the state recorded file 1 but before renaming it; and another left
  // a temporary file it had not recorded.
  const std::string data = "p2pims-cdr_billing-1_0000000001_20260101T000000Z.csv";
  ASSERT_TRUE(WriteSynced(dir_ + "/." + data + ".meta.tmp", "{}\n").ok());
  ASSERT_TRUE(WriteSynced(dir_ + "/." + data + ".tmp", "sequence\r\n1\r\n").ok());
  ASSERT_TRUE(WriteSynced(dir_ + "/.p2pims-cdr_billing-1_0000000002_x.csv.tmp", "junk").ok());
  ASSERT_TRUE(WriteSynced(dir_ + "/.p2pims-cdr_billing-2_0000000002_x.csv.tmp", "other").ok());
  ExportState s;
  s.last_file_sequence = 1;
  s.last_cdr_sequence = 1;
  s.pending = {{"." + data + ".meta.tmp", data + ".meta"}, {"." + data + ".tmp", data}};
  ASSERT_TRUE(
      WriteSynced(dir_ + "/" + StateFileName("billing-1"), FormatExportState(s, "billing-1")).ok());
  FakeFeed feed;
  feed.Add(1);
  ASSERT_TRUE(feed.Pull(1, 0).ok());  // the interrupted run had pulled it
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->recovered_renames, 2);
  EXPECT_TRUE(r->files.empty());
  EXPECT_EQ(feed.acked, 1) << "the recovered file's CDRs are acknowledged";
  EXPECT_EQ(Names(), (std::vector<std::string>{
                         ".p2pims-cdr_billing-1.lock", ".p2pims-cdr_billing-1.state",
                         ".p2pims-cdr_billing-2_0000000002_x.csv.tmp", data, data + ".meta"}))
      << "renamed, own stale temporary file removed, another consumer's left alone";
}

TEST_F(CdrExportTest, StateNamingVanishedFilesIsAnError) {
  ExportState s;
  s.last_file_sequence = 1;
  s.last_cdr_sequence = 1;
  s.pending = {{".p2pims-cdr_billing-1_1.csv.tmp", "p2pims-cdr_billing-1_1.csv"}};
  ASSERT_TRUE(
      WriteSynced(dir_ + "/" + StateFileName("billing-1"), FormatExportState(s, "billing-1")).ok());
  FakeFeed feed;
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_EQ(feed.pulls, 0);
}

TEST_F(CdrExportTest, CorruptStateIsAnError) {
  ASSERT_TRUE(WriteSynced(dir_ + "/" + StateFileName("billing-1"), "garbage\n").ok());
  FakeFeed feed;
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_NE(r.status().message().find(".p2pims-cdr_billing-1.state: line 1"), std::string::npos)
      << r.status();
}

TEST_F(CdrExportTest, OneExportPerConsumerAndDirectory) {
  const std::string lock = dir_ + "/" + LockFileName("billing-1");
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  FakeFeed feed;
  feed.Add(1);
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_EQ(feed.pulls, 0);
  ::close(fd);
  EXPECT_TRUE(ExportCdrs(feed, Options()).ok());
}

TEST_F(CdrExportTest, ErrorsBeforeAnythingHappens) {
  FakeFeed feed;
  ExportOptions o = Options();
  o.dir = dir_ + "/missing";
  EXPECT_TRUE(absl::IsNotFound(ExportCdrs(feed, o).status()));
  o = Options();
  o.consumer = "a_b";
  EXPECT_TRUE(absl::IsInvalidArgument(ExportCdrs(feed, o).status()));
  feed.fail_pulls = 1;
  feed.Add(1);
  absl::StatusOr<ExportResult> r = ExportCdrs(feed, Options());
  EXPECT_TRUE(absl::IsUnavailable(r.status()));
  EXPECT_TRUE(DataFiles(".csv").empty());
}

}  // namespace
}  // namespace p2pims::ctl
