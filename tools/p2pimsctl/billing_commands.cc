// "cdr pull|ack|tail|export" (CDRs for billing systems) and "settlement" (revenue share per
// content owner), in charging.
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/json/json.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cdr_export.h"
#include "tools/p2pimsctl/cdr_format.h"
#include "tools/p2pimsctl/charging_output.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"
#include "tools/p2pimsctl/interrupts.h"
#include "tools/p2pimsctl/output.h"
#include "tools/p2pimsctl/synced_file.h"
#include "tools/p2pimsctl/table.h"
#include "tools/p2pimsctl/time_arg.h"

namespace p2pims::ctl {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
// PullCdrs' page cap.
constexpr int64_t kMaxPage = 10'000;

// PullCdrs and AckCdrs of one consumer, for ExportCdrs.
class ChargingFeed : public CdrFeed {
 public:
  ChargingFeed(ChargingClient& charging, std::string consumer)
      : charging_(charging), consumer_(std::move(consumer)) {}

  absl::StatusOr<cv1::PullCdrsResponse> Pull(int32_t page_size, int64_t after_sequence) override {
    cv1::PullCdrsRequest req;
    req.set_consumer(consumer_);
    req.set_page_size(page_size);
    req.set_after_sequence(after_sequence);
    return charging_.PullCdrs(req);
  }

  absl::StatusOr<int64_t> Ack(int64_t up_to_sequence) override {
    cv1::AckCdrsRequest req;
    req.set_consumer(consumer_);
    req.set_up_to_sequence(up_to_sequence);
    P2PIMS_ASSIGN_OR_RETURN(cv1::AckCdrsResponse resp, charging_.AckCdrs(req));
    return resp.acked_sequence();
  }

 private:
  ChargingClient& charging_;
  std::string consumer_;
};

void DeclarePull(CommandLine& cl) {
  cl.Flag("consumer", "NAME", "billing consumer whose cursor is read (required)")
      .Flag("after", "SEQ",
            "CDRs after this sequence number (default, and anything below the acknowledged "
            "cursor: the cursor)")
      .Flag("max", "N", "at most N CDRs, 1..10000 (default: charging's page size)")
      .Note(
          "Prints one page and acknowledges nothing: the same CDRs come again until\n"
          "'p2pimsctl cdr ack --consumer NAME --upto SEQ'.");
}

absl::Status RunPull(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("consumer"));
  int64_t after = 0, max = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("after", 0, kMaxInt64, &after));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("max", 1, kMaxPage, &max));
  cv1::PullCdrsRequest req;
  req.set_consumer(cl.Get("consumer"));
  req.set_after_sequence(after);
  req.set_page_size(static_cast<int32_t>(max));
  P2PIMS_ASSIGN_OR_RETURN(cv1::PullCdrsResponse page, in.charging.PullCdrs(req));
  if (in.json) {
    std::string cdrs = "[";
    for (int i = 0; i < page.cdrs_size(); ++i) {
      absl::StrAppend(&cdrs, i == 0 ? "\n" : ",\n", CdrJson(page.cdrs(i), CdrFields::kDelivery));
    }
    cdrs += page.cdrs().empty() ? "]" : "\n]";
    JsonObject o;
    o.Add("consumer", req.consumer())
        .Add("last_sequence", int64_t{page.last_sequence()})
        .Add("acked_sequence", int64_t{page.acked_sequence()})
        .Add("cdrs", JsonObject::Raw{cdrs});
    in.out += o.Close() + "\n";
    return absl::OkStatus();
  }
  in.out += CdrTable({page.cdrs().begin(), page.cdrs().end()});
  in.out += absl::StrCat("\n", Details({{"cdrs", absl::StrCat(page.cdrs_size())},
                                        {"last_sequence", absl::StrCat(page.last_sequence())},
                                        {"acked_sequence", absl::StrCat(page.acked_sequence())}}));
  return absl::OkStatus();
}

void DeclareAck(CommandLine& cl) {
  cl.Flag("consumer", "NAME", "billing consumer (required)")
      .Flag("upto", "SEQ", "every CDR up to and including SEQ is stored (required)")
      .Note(
          "charging refuses (FAILED_PRECONDITION) to acknowledge past what the consumer "
          "pulled.");
}

absl::Status RunAck(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("consumer"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("upto"));
  int64_t upto = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("upto", 0, kMaxInt64, &upto));
  cv1::AckCdrsRequest req;
  req.set_consumer(cl.Get("consumer"));
  req.set_up_to_sequence(upto);
  P2PIMS_ASSIGN_OR_RETURN(cv1::AckCdrsResponse resp, in.charging.AckCdrs(req));
  if (in.json) {
    JsonObject o;
    o.Add("consumer", req.consumer()).Add("acked_sequence", int64_t{resp.acked_sequence()});
    in.out += o.Close() + "\n";
  } else {
    in.out += Details(
        {{"consumer", req.consumer()}, {"acked_sequence", absl::StrCat(resp.acked_sequence())}});
  }
  return absl::OkStatus();
}

void DeclareTail(CommandLine& cl) {
  cl.Flag("after", "SEQ", "start after this sequence number (default 0: every CDR)")
      .Flag("count", "N", "stop after N CDRs (default: run until Ctrl-C or SIGTERM)")
      .Note(
          "Prints CDRs as charging writes them, one per line (JSON Lines with --json); moves\n"
          "no consumer's cursor. Ctrl-C or SIGTERM ends it with exit code 0.");
}

absl::Status RunTail(const Invocation& in) {
  int64_t after = 0, count = 0;
  P2PIMS_RETURN_IF_ERROR(in.cl.ReadInt("after", 0, kMaxInt64, &after));
  P2PIMS_RETURN_IF_ERROR(in.cl.ReadInt("count", 1, kMaxInt64, &count));
  cv1::TailCdrsRequest req;
  req.set_after_sequence(after);
  Interrupts interrupts;
  int64_t seen = 0;
  return in.charging.TailCdrs(
      req,
      [&](const cv1::Cdr& cdr) -> absl::StatusOr<bool> {
        const std::string line = in.json ? CdrJson(cdr, CdrFields::kFile) + "\n" : CdrLine(cdr);
        P2PIMS_RETURN_IF_ERROR(in.print_now(line));
        return count == 0 || ++seen < count;
      },
      interrupts);
}

void DeclareExport(CommandLine& cl) {
  cl.Flag("consumer", "NAME",
          "billing consumer: 1-64 of A-Z a-z 0-9 . - (no '_'), names the files (required)")
      .Flag("format", "csv|json", "file format (required)")
      .Flag("dir", "DIR", "existing directory for the files and the export state (required)")
      .Flag("max-per-file", "N", "close a file at N CDRs, 1..1000000 (default 10000)")
      .Flag("max-files", "N", "write at most N files (default 0: until no CDRs are left)")
      .Note(
          "Pulls CDRs for the consumer, writes each file under a temporary name, fsyncs and\n"
          "renames it, then acknowledges its CDRs. File sequence numbers continue across runs\n"
          "(state in DIR/.p2pims-cdr_NAME.state). Ctrl-C or SIGTERM finishes the file in\n"
          "progress and stops. Layout: docs/p2pimsctl.md.\n"
          "example:\n"
          "  p2pimsctl cdr export --consumer billing-1 --format csv --dir /var/spool/p2pims-cdr");
}

absl::Status RunExport(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("consumer"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("format"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("dir"));
  if (!IsExportConsumerName(cl.Get("consumer"))) {
    return UsageError("--consumer: use 1-64 of A-Z a-z 0-9 . - (not starting with '.')");
  }
  ExportOptions o;
  o.consumer = cl.Get("consumer");
  o.dir = cl.Get("dir");
  if (cl.Get("format") == "csv") {
    o.format = ExportFormat::kCsv;
  } else if (cl.Get("format") == "json") {
    o.format = ExportFormat::kJson;
  } else {
    return UsageError(absl::StrCat("--format: '", cl.Get("format"), "' is not csv or json"));
  }
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("max-per-file", 1, 1'000'000, &o.max_per_file));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("max-files", 0, kMaxInt64, &o.max_files));
  o.page_size = static_cast<int32_t>(std::min<int64_t>(o.max_per_file, 1'000));
  o.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  Interrupts interrupts;
  o.stop_requested = [&interrupts] { return interrupts.requested(); };

  ChargingFeed feed(in.charging, o.consumer);
  P2PIMS_ASSIGN_OR_RETURN(ExportResult result, ExportCdrs(feed, o));
  if (in.json) {
    std::vector<std::string> files;
    for (const ExportedFile& f : result.files) {
      files.push_back(FileMetadataJson(f, o.consumer, o.format));
    }
    std::string list = JsonArray(files);
    list.pop_back();  // JsonArray ends with a newline
    JsonObject out;
    out.Add("consumer", o.consumer)
        .Add("dir", o.dir)
        .Add("files", JsonObject::Raw{list})
        .Add("acked_sequence", result.acked_sequence)
        .Add("interrupted", interrupts.requested());
    in.out += out.Close() + "\n";
    return absl::OkStatus();
  }
  Table t({"FILE", "SEQ", "CDRS", "FIRST", "LAST", "LOST", "CLOSURE"});
  for (const ExportedFile& f : result.files) {
    t.AddRow({f.name, absl::StrCat(f.file_sequence_number), absl::StrCat(f.cdr_count),
              absl::StrCat(f.first_cdr_sequence), absl::StrCat(f.last_cdr_sequence),
              f.lost_cdr_indicator ? "yes" : "no", f.closure_reason});
  }
  if (!result.files.empty()) in.out += t.Render() + "\n";
  const bool all_files =
      o.max_files != 0 && static_cast<int64_t>(result.files.size()) == o.max_files;
  in.out += Details({{"files", absl::StrCat(result.files.size())},
                     {"acked_sequence", absl::StrCat(result.acked_sequence)},
                     {"stopped", interrupts.requested() ? "interrupted"
                                 : all_files            ? "max-files reached"
                                                        : "no more CDRs"}});
  return absl::OkStatus();
}

void DeclareSettlement(CommandLine& cl) {
  cl.Flag("from", "TIME", "period start, inclusive (Unix seconds or RFC 3339) (required)")
      .Flag("to", "TIME", "period end, exclusive (required)")
      .Flag("owner", "OWNER", "only this content owner (default: all)")
      .Flag("csv", "FILE", "also write the statement to FILE as CSV (replaced atomically)")
      .Note(
          "One line per owner and currency over the CDRs closed in the period. Amounts are\n"
          "minor units.\n"
          "example:\n"
          "  p2pimsctl settlement --from 2026-01-01T00:00:00Z --to 2026-02-01T00:00:00Z "
          "--csv jan.csv");
}

absl::Status RunSettlement(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("from"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("to"));
  int64_t from = 0, to = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("from", &from));
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("to", &to));
  if (from >= to) return UsageError("--from must be before --to");
  if (cl.Has("csv")) P2PIMS_RETURN_IF_ERROR(cl.Require("csv"));
  const auto [csv_dir, csv_name] = SplitPath(cl.Get("csv"));
  if (cl.Has("csv") && csv_name.empty()) {
    return UsageError("--csv: give a file name, not a directory");
  }
  cv1::GetSettlementRequest req;
  req.set_owner(cl.Get("owner"));
  req.set_from_time(from);
  req.set_to_time(to);
  P2PIMS_ASSIGN_OR_RETURN(cv1::GetSettlementResponse resp, in.charging.GetSettlement(req));
  std::vector<cv1::Settlement> items(resp.settlements().begin(), resp.settlements().end());
  if (cl.Has("csv")) {
    P2PIMS_RETURN_IF_ERROR(WriteFileAtomically(csv_dir, csv_name, SettlementCsv(items)));
  }
  if (in.json) {
    std::vector<std::string> json;
    for (const auto& s : items) json.push_back(SettlementJson(s));
    in.out += JsonArray(json);
  } else {
    in.out += SettlementTable(items);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> BillingCommands() {
  return {
      {"cdr pull", "Prints a page of CDRs for a billing consumer (no acknowledgement).",
       DeclarePull, RunPull},
      {"cdr ack", "Acknowledges a consumer's CDRs up to a sequence number.", DeclareAck, RunAck},
      {"cdr tail", "Prints CDRs as charging writes them.", DeclareTail, RunTail},
      {"cdr export", "Writes a consumer's CDRs to CSV or JSON files for mediation.", DeclareExport,
       RunExport},
      {"settlement", "Prints the revenue-share statement per content owner for a period.",
       DeclareSettlement, RunSettlement},
  };
}

}  // namespace p2pims::ctl
