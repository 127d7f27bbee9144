#include "tools/p2pimsctl/cdr_export.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "lib/json/json.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cdr_format.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command_line.h"
#include "tools/p2pimsctl/synced_file.h"

namespace p2pims::ctl {
namespace {

constexpr int kFormatVersion = 1;
constexpr absl::string_view kStateHeader = "# p2pimsctl cdr export state; do not edit";

std::string Join(const std::string& dir, const std::string& name) {
  return dir.back() == '/' ? dir + name : absl::StrCat(dir, "/", name);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// "p2pims-cdr_<consumer>_": the prefix of the consumer's data files (and, after a '.', of their
// temporary names).
std::string FilePrefix(absl::string_view consumer) {
  return absl::StrCat("p2pims-cdr_", consumer, "_");
}

// A file name the state may name: one of the consumer's data, sidecar or temporary files.
bool IsOwnFileName(absl::string_view name, absl::string_view consumer) {
  if (name.find('/') != absl::string_view::npos) return false;
  if (absl::ConsumePrefix(&name, ".")) {
    if (!absl::ConsumeSuffix(&name, ".tmp")) return false;
  }
  return absl::StartsWith(name, FilePrefix(consumer));
}

// An exclusive flock on DIR/LockFileName(consumer), released when the object goes.
class DirLock {
 public:
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  absl::Status Acquire(const std::string& path, absl::string_view consumer) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat(
            "another cdr export for consumer '", consumer, "' is running (", path, " is locked)"));
      }
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot lock ", path));
    }
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
};

absl::StatusOr<ExportState> LoadState(const ExportOptions& o) {
  const std::string path = Join(o.dir, StateFileName(o.consumer));
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (absl::IsNotFound(text.status())) return ExportState{};
  if (!text.ok()) return text.status();
  absl::StatusOr<ExportState> state = ParseExportState(*text, o.consumer);
  if (!state.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", state.status().message()));
  }
  return state;
}

absl::Status SaveState(const ExportOptions& o, const ExportState& state) {
  return WriteFileAtomically(o.dir, StateFileName(o.consumer),
                             FormatExportState(state, o.consumer));
}

// Completes the renames an interrupted run recorded, then removes the consumer's temporary files
// that no state refers to (written by a run that stopped before recording them).
absl::StatusOr<int> Recover(const ExportOptions& o, ExportState& state) {
  int renamed = 0;
  if (!state.pending.empty()) {
    for (const auto& [temp, final_name] : state.pending) {
      if (Exists(Join(o.dir, temp))) {
        P2PIMS_RETURN_IF_ERROR(RenameSynced(o.dir, temp, final_name));
        ++renamed;
      } else if (!Exists(Join(o.dir, final_name))) {
        return absl::FailedPreconditionError(
            absl::StrCat(Join(o.dir, StateFileName(o.consumer)), " names ", final_name,
                         ", but neither it nor its temporary file exists in ", o.dir));
      }
    }
    state.pending.clear();
    P2PIMS_RETURN_IF_ERROR(SaveState(o, state));
  }
  DIR* d = ::opendir(o.dir.c_str());
  if (d == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat("cannot list ", o.dir));
  std::vector<std::string> stale;
  const std::string temp_prefix = absl::StrCat(".", FilePrefix(o.consumer));
  const std::string state_temp = TempName(StateFileName(o.consumer));
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if ((absl::StartsWith(name, temp_prefix) && absl::EndsWith(name, ".tmp")) ||
        name == state_temp) {
      stale.push_back(name);
    }
  }
  ::closedir(d);
  for (const std::string& name : stale) ::unlink(Join(o.dir, name).c_str());
  return renamed;
}

// Writes one file (and its sidecar) through the state: temporary files, state with the pending
// renames, renames, state without them.
absl::Status CommitFile(const ExportOptions& o, const ExportedFile& file,
                        const std::vector<cv1::Cdr>& cdrs, ExportState& state) {
  std::vector<std::pair<std::string, std::string>> writes;  // final name -> content
  if (o.format == ExportFormat::kCsv) {
    // The sidecar first: a reader that sees the data file finds its metadata already there.
    writes.emplace_back(file.sidecar, FileMetadataJson(file, o.consumer, o.format) + "\n");
    writes.emplace_back(file.name, CsvFileContent(cdrs));
  } else {
    writes.emplace_back(file.name, JsonFileContent(file, o.consumer, cdrs));
  }
  ExportState next = state;
  next.last_file_sequence = file.file_sequence_number;
  next.last_cdr_sequence = file.last_cdr_sequence;
  for (const auto& [name, content] : writes) {
    P2PIMS_RETURN_IF_ERROR(WriteSynced(Join(o.dir, TempName(name)), content));
    next.pending.emplace_back(TempName(name), name);
  }
  P2PIMS_RETURN_IF_ERROR(SaveState(o, next));  // the commit point
  state = next;
  for (const auto& [temp, final_name] : state.pending) {
    P2PIMS_RETURN_IF_ERROR(RenameSynced(o.dir, temp, final_name));
  }
  state.pending.clear();
  return SaveState(o, state);
}

absl::Status WithContext(const absl::Status& s, const ExportResult& r) {
  if (r.files.empty()) return s;
  return WithSuffix(s, absl::StrCat(" (after ", r.files.size(), " file(s) written, the last ",
                                    r.files.back().name, ")"));
}

absl::StatusOr<ExportResult> Run(CdrFeed& feed, const ExportOptions& o, ExportResult& result) {
  P2PIMS_ASSIGN_OR_RETURN(ExportState state, LoadState(o));
  P2PIMS_ASSIGN_OR_RETURN(result.recovered_renames, Recover(o, state));
  auto stop = [&] { return o.stop_requested && o.stop_requested(); };
  bool caught_up = false;
  while ((o.max_files == 0 || static_cast<int64_t>(result.files.size()) < o.max_files) && !stop()) {
    ExportedFile file;
    file.opening_time_ms = o.now_ms();
    std::vector<cv1::Cdr> batch;
    int64_t after = state.last_cdr_sequence;
    file.closure_reason = "no-more-cdrs";
    while (static_cast<int64_t>(batch.size()) < o.max_per_file) {
      if (stop()) {
        file.closure_reason = "interrupted";
        break;
      }
      const int64_t want =
          std::min<int64_t>(o.page_size, o.max_per_file - static_cast<int64_t>(batch.size()));
      P2PIMS_ASSIGN_OR_RETURN(cv1::PullCdrsResponse page,
                              feed.Pull(static_cast<int32_t>(want), after));
      result.acked_sequence = page.acked_sequence();
      P2PIMS_ASSIGN_OR_RETURN(std::vector<cv1::Cdr> fresh, NewerThan(page, after));
      if (fresh.empty()) break;
      if (static_cast<int64_t>(fresh.size()) > want) fresh.resize(static_cast<size_t>(want));
      after = fresh.back().sequence();
      for (cv1::Cdr& c : fresh) batch.push_back(std::move(c));
    }
    if (static_cast<int64_t>(batch.size()) == o.max_per_file) file.closure_reason = "max-cdrs";
    if (batch.empty()) {
      // Nothing new. CDRs exported by a run that stopped before acknowledging them are still
      // unacknowledged: acknowledge them once, then look again.
      if (!caught_up && result.acked_sequence >= 0 &&
          result.acked_sequence < state.last_cdr_sequence) {
        caught_up = true;
        P2PIMS_ASSIGN_OR_RETURN(result.acked_sequence, feed.Ack(state.last_cdr_sequence));
        continue;
      }
      break;
    }
    file.closure_time_ms = o.now_ms();
    file.file_sequence_number = state.last_file_sequence + 1;
    file.name =
        ExportFileName(o.consumer, file.file_sequence_number, file.opening_time_ms, o.format);
    if (o.format == ExportFormat::kCsv) file.sidecar = file.name + ".meta";
    file.cdr_count = static_cast<int64_t>(batch.size());
    file.first_cdr_sequence = batch.front().sequence();
    file.last_cdr_sequence = batch.back().sequence();
    file.lost_cdr_indicator = LostCdrs(state.last_cdr_sequence, batch);
    P2PIMS_RETURN_IF_ERROR(CommitFile(o, file, batch, state));
    result.files.push_back(file);
    P2PIMS_ASSIGN_OR_RETURN(result.acked_sequence, feed.Ack(file.last_cdr_sequence));
    caught_up = true;  // this acknowledgement covered everything exported before
  }
  return result;
}

}  // namespace

bool IsExportConsumerName(absl::string_view consumer) {
  if (consumer.empty() || consumer.size() > 64 || consumer.front() == '.') return false;
  return std::all_of(consumer.begin(), consumer.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

std::string ExportFileName(absl::string_view consumer, int64_t file_sequence_number,
                           int64_t opening_time_ms, ExportFormat format) {
  return absl::StrCat(FilePrefix(consumer), absl::StrFormat("%010d", file_sequence_number), "_",
                      absl::FormatTime("%Y%m%dT%H%M%SZ", absl::FromUnixMillis(opening_time_ms),
                                       absl::UTCTimeZone()),
                      format == ExportFormat::kCsv ? ".csv" : ".json");
}

std::string StateFileName(absl::string_view consumer) {
  return absl::StrCat(".p2pims-cdr_", consumer, ".state");
}

std::string LockFileName(absl::string_view consumer) {
  return absl::StrCat(".p2pims-cdr_", consumer, ".lock");
}

std::string FormatExportState(const ExportState& state, absl::string_view consumer) {
  std::string out = absl::StrCat(kStateHeader, "\nconsumer=", consumer,
                                 "\nlast_file_sequence=", state.last_file_sequence,
                                 "\nlast_cdr_sequence=", state.last_cdr_sequence, "\n");
  for (const auto& [temp, final_name] : state.pending) {
    absl::StrAppend(&out, "pending=", temp, " ", final_name, "\n");
  }
  return out;
}

absl::StatusOr<ExportState> ParseExportState(absl::string_view text, absl::string_view consumer) {
  ExportState state;
  bool has_consumer = false, has_file = false, has_cdr = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    auto bad = [&](absl::string_view why) {
      return absl::FailedPreconditionError(absl::StrCat("line ", line_number, ": ", why));
    };
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return bad("expected key=value");
    const absl::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "consumer") {
      if (value != consumer) {
        return bad(absl::StrCat("the state is for consumer '", value, "', not '", consumer, "'"));
      }
      has_consumer = true;
    } else if (key == "last_file_sequence" || key == "last_cdr_sequence") {
      int64_t n = 0;
      if (!ParseInteger(value, 0, std::numeric_limits<int64_t>::max(), &n).ok()) {
        return bad(absl::StrCat(key, " is not a whole number >= 0"));
      }
      (key == "last_file_sequence" ? state.last_file_sequence : state.last_cdr_sequence) = n;
      (key == "last_file_sequence" ? has_file : has_cdr) = true;
    } else if (key == "pending") {
      std::vector<std::string> names = absl::StrSplit(value, ' ');
      if (names.size() != 2 || !IsOwnFileName(names[0], consumer) ||
          !IsOwnFileName(names[1], consumer)) {
        return bad("pending needs two of the consumer's file names");
      }
      state.pending.emplace_back(names[0], names[1]);
    } else {
      return bad(absl::StrCat("unknown key '", key, "'"));
    }
  }
  if (!has_consumer || !has_file || !has_cdr) {
    return absl::FailedPreconditionError(
        "incomplete: consumer, last_file_sequence and last_cdr_sequence are required");
  }
  return state;
}

absl::StatusOr<std::vector<cv1::Cdr>> NewerThan(const cv1::PullCdrsResponse& page,
                                                int64_t last_exported) {
  std::vector<cv1::Cdr> out;
  int64_t previous = -1;
  for (const cv1::Cdr& c : page.cdrs()) {
    if (c.sequence() <= previous) {
      return absl::InternalError(absl::StrCat("charging sent CDR ", c.sequence(), " after ",
                                              previous, ": not in sequence order"));
    }
    previous = c.sequence();
    if (c.sequence() > last_exported) out.push_back(c);
  }
  return out;
}

bool LostCdrs(int64_t previous_last, const std::vector<cv1::Cdr>& cdrs) {
  int64_t expected = previous_last + 1;
  for (const cv1::Cdr& c : cdrs) {
    if (c.sequence() != expected) return true;
    expected = c.sequence() + 1;
  }
  return false;
}

std::string FileMetadataJson(const ExportedFile& f, absl::string_view consumer,
                             ExportFormat format) {
  JsonObject o;
  o.Add("format", format == ExportFormat::kCsv ? "csv" : "json")
      .Add("format_version", kFormatVersion)
      .Add("producer", "p2pimsctl")
      .Add("consumer", std::string(consumer))
      .Add("file_name", f.name)
      .Add("file_sequence_number", f.file_sequence_number)
      .Add("file_opening_time_ms", f.opening_time_ms)
      .Add("file_closure_time_ms", f.closure_time_ms)
      .Add("file_closure_reason", f.closure_reason)
      .Add("cdr_count", f.cdr_count)
      .Add("first_cdr_sequence", f.first_cdr_sequence)
      .Add("last_cdr_sequence", f.last_cdr_sequence)
      .Add("lost_cdr_indicator", f.lost_cdr_indicator);
  return o.Close();
}

std::string CsvFileContent(const std::vector<cv1::Cdr>& cdrs) {
  std::string out = CdrCsvHeader();
  for (const cv1::Cdr& c : cdrs) out += CdrCsvRecord(c);
  return out;
}

std::string JsonFileContent(const ExportedFile& file, absl::string_view consumer,
                            const std::vector<cv1::Cdr>& cdrs) {
  std::string out = FileMetadataJson(file, consumer, ExportFormat::kJson);
  out.pop_back();  // the metadata's closing brace: the CDRs go inside the same object
  out += ",\"cdrs\":[";
  for (size_t i = 0; i < cdrs.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out += CdrJson(cdrs[i], CdrFields::kFile);
  }
  out += "\n]}\n";
  return out;
}

absl::StatusOr<ExportResult> ExportCdrs(CdrFeed& feed, const ExportOptions& options) {
  if (!IsExportConsumerName(options.consumer)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", options.consumer, "' cannot name export files"));
  }
  if (options.dir.empty() || options.max_per_file < 1 || options.max_files < 0 ||
      options.page_size < 1 || !options.now_ms) {
    return absl::InvalidArgumentError("bad export options");
  }
  struct stat st;
  if (::stat(options.dir.c_str(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot use directory ", options.dir));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(options.dir, " is not a directory"));
  }
  DirLock lock;
  P2PIMS_RETURN_IF_ERROR(
      lock.Acquire(Join(options.dir, LockFileName(options.consumer)), options.consumer));
  ExportResult result;
  absl::StatusOr<ExportResult> r = Run(feed, options, result);
  if (!r.ok()) return WithContext(r.status(), result);
  return r;
}

}  // namespace p2pims::ctl
