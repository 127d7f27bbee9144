// charging_cdr_ingest: drives Charging.AccountingBatch with EVENT records, each closing a session
// of its own into one CDR, and prints one JSON line of CDRs per second.
//
//   charging_cdr_ingest --target 127.0.0.1:50052 --batch 1000 --inflight 4 --duration 10
//   {"cdr_ingest_per_s":51234.5,"cdrs":512345,"batch":1000,"inflight":4,"errors":0,...}
//
// `inflight` threads each send one batch after another (the next when the previous is
// answered); a CDR counts when its outcome is OK with a CDR sequence and the batch's answer came
// inside the measured window.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/lib/load_run.h"
#include "lib/config/flags.h"
#include "p2pims/charging/v1/charging.grpc.pb.h"

namespace {

namespace v1 = p2pims::charging::v1;
using Clock = p2pims::bench::Clock;

struct Tally : p2pims::bench::Outcomes {  // latencies are per batch
  int64_t cdrs = 0;
  int64_t refused = 0;  // records with an error outcome
};

}  // namespace

int main(int argc, char** argv) {
  p2pims::Flags flags("charging_cdr_ingest",
                      "Drives Charging.AccountingBatch with EVENT records and prints CDRs/s as "
                      "one JSON line.");
  flags.Add("target", "127.0.0.1:50052", "charging gRPC address host:port");
  flags.Add("batch", "1000", "records per AccountingBatch call");
  flags.Add("inflight", "4", "calls in flight (one thread each)");
  flags.Add("duration", "10", "measured seconds");
  flags.Add("warmup", "2", "seconds run before measuring");
  flags.Add("run-id", "", "part of every session id (default: the start time)");
  if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
  const int batch = static_cast<int>(flags.GetInt("batch").value_or(0));
  const int inflight = static_cast<int>(flags.GetInt("inflight").value_or(0));
  const int64_t duration = flags.GetInt("duration").value_or(0);
  const int64_t warmup = flags.GetInt("warmup").value_or(-1);
  if (batch <= 0 || inflight <= 0 || duration <= 0 || warmup < 0) {
    std::cerr << "error: --batch, --inflight and --duration must be positive, --warmup >= 0\n";
    return 2;
  }
  std::string run_id = flags.Get("run-id");
  if (run_id.empty()) {
    run_id = absl::StrCat(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  }
  auto channel = p2pims::bench::Connect(flags.Get("target"));
  if (channel == nullptr) return 1;
  auto stub = v1::Charging::NewStub(channel);
  const Clock::time_point measure_from = Clock::now() + std::chrono::seconds(warmup);
  const Clock::time_point stop = measure_from + std::chrono::seconds(duration);

  auto tallies = p2pims::bench::RunThreads<Tally>(inflight, inflight, [&](int t, int, Tally* out) {
    v1::AccountingBatchRequest req;
    int64_t seq = 0;
    for (int i = 0; i < batch; ++i) {
      v1::AccountingRequest* r = req.add_records();
      r->set_record_type(v1::RECORD_TYPE_EVENT);
      r->set_subject(absl::StrCat("sip:sub", i, "@ims.example.net"));
      r->set_content_id(absl::StrCat("c", i % 1000));
      r->set_locality(absl::StrCat("262-01/area-", i % 20, "/cell-", i % 500));
      r->set_node_id("bench-edge-0");
      r->set_sip_method("MESSAGE");
      r->mutable_used()->set_bytes_down(1 << 20);
    }
    while (Clock::now() < stop) {
      for (v1::AccountingRequest& r : *req.mutable_records()) {
        r.set_session_id(absl::StrCat("ingest-", run_id, "-", t, "-", seq++));
        r.set_icid(r.session_id());
      }
      v1::AccountingBatchResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      const Clock::time_point sent = Clock::now();
      grpc::Status s = stub->AccountingBatch(&ctx, req, &resp);
      const Clock::time_point now = Clock::now();
      if (now < measure_from || now >= stop) continue;
      out->latency_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - sent).count()));
      if (!s.ok()) {
        out->Error(s.error_message());
        continue;
      }
      for (const v1::AccountingOutcome& o : resp.outcomes()) {
        if (o.code() == 0 && o.answer().cdr_sequence() > 0) {
          ++out->cdrs;
        } else {
          ++out->refused;
          if (out->first_error.empty()) out->first_error = o.error();
        }
      }
    }
  });
  Tally all;
  for (Tally& t : tallies) {
    all.cdrs += t.cdrs;
    all.refused += t.refused;
    all.Merge(t);
  }
  std::printf("{\"cdr_ingest_per_s\":%.1f,\"cdrs\":%lld,\"batch\":%d,\"inflight\":%d,"
              "\"batch_p50_ms\":%.2f,\"batch_p99_ms\":%.2f,\"refused\":%lld,\"errors\":%lld}\n",
              static_cast<double>(all.cdrs) / static_cast<double>(duration),
              static_cast<long long>(all.cdrs), batch, inflight,
              p2pims::bench::PercentileMs(all.latency_us, 0.5),
              p2pims::bench::PercentileMs(all.latency_us, 0.99),
              static_cast<long long>(all.refused), static_cast<long long>(all.errors));
  if (!all.first_error.empty()) std::cerr << "first error: " << all.first_error << "\n";
  return all.errors == 0 && all.refused == 0 ? 0 : 1;
}
