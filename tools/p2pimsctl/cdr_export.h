// "cdr export": CDRs pulled for one billing consumer and written to files for mediation, in the
// spirit of 3GPP TS 32.297 (file sequence numbers, opening and closure times, closure reason,
// lost-CDR indicator), exactly once as far as the files are concerned:
//
//   - each file is written under a temporary name, fsynced and renamed, so readers never see
//     part of one;
//   - the export state (a small file in DIR, per consumer) is the commit point: it records the
//     file sequence number and the last CDR sequence exported together with the renames still to
//     do, before they are done, so a crash at any point is completed by the next run;
//   - a page is acknowledged to charging only after its file is in place, so a crash between
//     writing and acknowledging makes charging deliver the page again; CDRs at or below the last
//     exported sequence are then skipped (and acknowledged), never written twice.
//
// The layout (names, fields, metadata) is documented in docs/p2pimsctl.md.
//
//   ChargingFeed feed(charging, "billing-1");
//   ExportOptions o{.dir = "/var/spool/p2pims", .consumer = "billing-1",
//                   .format = ExportFormat::kCsv};
//   absl::StatusOr<ExportResult> r = ExportCdrs(feed, o);
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims::ctl {

namespace cv1 = ::p2pims::charging::v1;

// Where CDRs come from: PullCdrs and AckCdrs of one consumer (ChargingFeed in cdr_commands.cc;
// fakes in tests).
class CdrFeed {
 public:
  virtual ~CdrFeed() = default;
  // CDRs after `after_sequence` (or after the consumer's acknowledged cursor, when that is
  // higher), at most `page_size`, in sequence order.
  virtual absl::StatusOr<cv1::PullCdrsResponse> Pull(int32_t page_size, int64_t after_sequence) = 0;
  // Acknowledges up to `up_to_sequence`; returns the consumer's cursor.
  virtual absl::StatusOr<int64_t> Ack(int64_t up_to_sequence) = 0;
};

enum class ExportFormat { kCsv, kJson };

struct ExportOptions {
  std::string dir;       // must exist
  std::string consumer;  // IsExportConsumerName
  ExportFormat format = ExportFormat::kCsv;
  int64_t max_per_file = 10'000;  // >= 1
  int64_t max_files = 0;          // 0 = until charging has no more CDRs
  int32_t page_size = 1'000;      // CDRs asked for per pull
  // Unix milliseconds, for the files' opening and closure times.
  std::function<int64_t()> now_ms;
  // Polled between pulls: true stops the export after closing the file in progress.
  std::function<bool()> stop_requested;
};

// The per-consumer export state kept in DIR (StateFileName).
struct ExportState {
  int64_t last_file_sequence = 0;
  int64_t last_cdr_sequence = 0;
  // Renames (temporary name -> final name, in DIR) recorded but perhaps not yet done.
  std::vector<std::pair<std::string, std::string>> pending;
};

// One file written (the data file; CSV files also have a metadata sidecar).
struct ExportedFile {
  std::string name;     // data file, in DIR
  std::string sidecar;  // CSV: the metadata file ("<name>.meta"); JSON: empty
  int64_t file_sequence_number = 0;
  int64_t opening_time_ms = 0;
  int64_t closure_time_ms = 0;
  std::string closure_reason;  // "max-cdrs", "no-more-cdrs", "interrupted"
  int64_t cdr_count = 0;
  int64_t first_cdr_sequence = 0;
  int64_t last_cdr_sequence = 0;
  bool lost_cdr_indicator = false;
};

struct ExportResult {
  std::vector<ExportedFile> files;
  // The consumer's acknowledged cursor at the end; -1 when charging was not asked.
  int64_t acked_sequence = -1;
  // Renames completed from an interrupted earlier run.
  int recovered_renames = 0;
};

// Pulls, writes and acknowledges file after file until charging has no more CDRs, max_files are
// written or stop_requested. Holds an exclusive lock on DIR/LockFileName(consumer) meanwhile.
// Errors: FailedPrecondition when another export of the consumer holds the lock or the state file
// is corrupt or names files that are gone; file errors with their errno's code; the feed's errors
// (RPC errors). Files written and acknowledged before an error stay, and the state says so.
absl::StatusOr<ExportResult> ExportCdrs(CdrFeed& feed, const ExportOptions& options);

// The pure parts, exposed for tests.

// 1..64 of A-Z a-z 0-9 . - (no '_': it separates the parts of file names), not starting with '.'.
bool IsExportConsumerName(absl::string_view consumer);
// "p2pims-cdr_<consumer>_<file sequence, 10 digits>_<opening time YYYYMMDDTHHMMSSZ>.<csv|json>".
std::string ExportFileName(absl::string_view consumer, int64_t file_sequence_number,
                           int64_t opening_time_ms, ExportFormat format);
// ".p2pims-cdr_<consumer>.state" and ".p2pims-cdr_<consumer>.lock".
std::string StateFileName(absl::string_view consumer);
std::string LockFileName(absl::string_view consumer);

// The state file's text and back. Parse errors are FailedPrecondition naming the line.
std::string FormatExportState(const ExportState& state, absl::string_view consumer);
absl::StatusOr<ExportState> ParseExportState(absl::string_view text, absl::string_view consumer);

// The CDRs of `page` with sequence > `last_exported`, in order; InternalError when the page is
// not in strictly increasing sequence order.
absl::StatusOr<std::vector<cv1::Cdr>> NewerThan(const cv1::PullCdrsResponse& page,
                                                int64_t last_exported);
// True when `cdrs` do not continue `previous_last` without a gap (first != previous_last + 1, or
// a gap between two of them).
bool LostCdrs(int64_t previous_last, const std::vector<cv1::Cdr>& cdrs);

// The metadata object of `file` (one line of JSON, no newline), and the files' contents.
std::string FileMetadataJson(const ExportedFile& file, absl::string_view consumer,
                             ExportFormat format);
std::string CsvFileContent(const std::vector<cv1::Cdr>& cdrs);
std::string JsonFileContent(const ExportedFile& file, absl::string_view consumer,
                            const std::vector<cv1::Cdr>& cdrs);

}  // namespace p2pims::ctl
