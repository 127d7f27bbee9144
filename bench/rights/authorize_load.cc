// rights_authorize_load: drives Rights.Authorize with a fixed number of requests in flight and
// prints one JSON line of decisions per second, the allowed share and latency percentiles.
//
//   rights_authorize_load --target 127.0.0.1:50051 --duration 20 --inflight 64
//   {"authorize_per_s":1234.5,"allowed_share":0.61,...}
//
// Requests follow the data set that bench/rights/load.sql writes (keep the two in step):
//   content i (1..contents):   "c<i>", owner "owner<i % 100>"
//   entitlement n (0..subjects*10-1): subject "sip:user<n / 10>@ims.example.net", k = n % 10,
//     h = (n * 2654435761) mod 2^32; k 0-6 and 9 name content 1 + h % contents (k 6 expired,
//     k 9 revoked), k 7-8 are subscriptions to every content of owner "owner<h % 100>".
// Each request picks a subject uniformly; with --entitled-share it asks for something one of
// the subject's entitlements names, with --unknown-share for a content id that does not exist,
// otherwise for a content uniformly at random (allowed when free or per-byte).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/lib/load_run.h"
#include "lib/config/flags.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"

namespace {

namespace v1 = p2pims::rights::v1;
using Clock = p2pims::bench::Clock;

struct Workload {
  int64_t subjects = 100000;
  int64_t contents = 100000;
  double entitled_share = 0.6;
  double unknown_share = 0.03;
};

constexpr int64_t kEntitlementsPerSubject = 10;
constexpr int64_t kOwners = 100;

uint64_t EntitlementHash(int64_t n) {
  return (static_cast<uint64_t>(n) * 2654435761u) % (1ull << 32);
}

// Fills subject, content and locality for one request drawn from the workload.
void Draw(const Workload& w, std::mt19937_64& rng, v1::AuthorizeRequest* req) {
  const int64_t s = std::uniform_int_distribution<int64_t>(0, w.subjects - 1)(rng);
  req->set_subject(absl::StrCat("sip:user", s, "@ims.example.net"));
  req->set_locality(absl::StrCat("262-01/area-", s % 20, "/cell-", s % 500));
  req->set_locality_verified(true);
  const double r = std::uniform_real_distribution<double>(0, 1)(rng);
  int64_t content = 0;
  if (r < w.entitled_share) {
    const int64_t k = std::uniform_int_distribution<int64_t>(0, kEntitlementsPerSubject - 1)(rng);
    const uint64_t h = EntitlementHash(s * kEntitlementsPerSubject + k);
    if (k == 7 || k == 8) {  // subscription to an owner: any of that owner's content
      const int64_t m = std::uniform_int_distribution<int64_t>(0, w.contents / kOwners - 1)(rng);
      content = m * kOwners + static_cast<int64_t>(h % kOwners);
      if (content == 0) content = w.contents / kOwners * kOwners;  // owner0's last item
    } else {
      content = 1 + static_cast<int64_t>(h % static_cast<uint64_t>(w.contents));
    }
  } else if (r < w.entitled_share + w.unknown_share) {
    req->set_content_id(absl::StrCat("nosuch", std::uniform_int_distribution<int>()(rng)));
    return;
  } else {
    content = std::uniform_int_distribution<int64_t>(1, w.contents)(rng);
  }
  req->set_content_id(absl::StrCat("c", content));
}

struct Call {
  grpc::ClientContext ctx;
  v1::AuthorizeRequest req;
  v1::AuthorizeResponse resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::AuthorizeResponse>> reader;
  Clock::time_point started;
};

struct Tally : p2pims::bench::Outcomes {
  int64_t ok = 0;
  int64_t allowed = 0;
};

// One thread: its own completion queue with `inflight` calls outstanding until `stop`; counts
// the calls that complete within [measure_from, stop).
void Drive(v1::Rights::Stub* stub, const Workload& w, int inflight, int thread_no,
           Clock::time_point measure_from, Clock::time_point stop, Tally* tally) {
  grpc::CompletionQueue cq;
  std::mt19937_64 rng(0x5eed + thread_no);
  int64_t seq = 0;
  auto start_call = [&] {
    auto* call = new Call;
    Draw(w, rng, &call->req);
    call->req.set_session_id(absl::StrCat("bench-", thread_no, "-", seq++));
    call->req.set_role("leech");
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    call->started = Clock::now();
    call->reader = stub->PrepareAsyncAuthorize(&call->ctx, call->req, &cq);
    call->reader->StartCall();
    call->reader->Finish(&call->resp, &call->status, call);
  };
  for (int i = 0; i < inflight; ++i) start_call();
  int outstanding = inflight;
  void* tag;
  bool ok;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --outstanding;
    const Clock::time_point now = Clock::now();
    if (now >= measure_from && now < stop) {
      if (call->status.ok()) {
        ++tally->ok;
        if (call->resp.allowed()) ++tally->allowed;
      } else {
        tally->Error(absl::StrCat(call->status.error_code(), " ", call->status.error_message()));
      }
      tally->latency_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - call->started).count()));
    }
    if (now < stop) {
      start_call();
      ++outstanding;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  p2pims::Flags flags("rights_authorize_load",
                      "Drives Rights.Authorize and prints decisions/s as one JSON line.");
  flags.Add("target", "127.0.0.1:50051", "rights gRPC address host:port");
  flags.Add("duration", "20", "measured seconds");
  flags.Add("warmup", "2", "seconds run before measuring");
  flags.Add("inflight", "64", "requests in flight (all threads together)");
  flags.Add("threads", "2", "client threads, each with its own completion queue");
  flags.Add("subjects", "100000", "subjects in the data set (load.sql)");
  flags.Add("contents", "100000", "content items in the data set (load.sql)");
  flags.Add("entitled-share", "0.6", "share of requests for something the subject is entitled to");
  flags.Add("unknown-share", "0.03", "share of requests for unknown content");
  if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
  auto num = [&](const char* name) -> int64_t {
    auto v = flags.GetInt(name);
    if (!v.ok() || *v <= 0) {
      std::cerr << "error: --" << name << " must be a positive integer\n";
      std::exit(2);
    }
    return *v;
  };
  auto share = [&](const char* name) {
    const double v = std::strtod(flags.Get(name).c_str(), nullptr);
    if (!(v >= 0 && v <= 1)) {
      std::cerr << "error: --" << name << " must be within 0..1\n";
      std::exit(2);
    }
    return v;
  };
  Workload w{num("subjects"), num("contents"), share("entitled-share"), share("unknown-share")};
  const int64_t duration = num("duration");
  const int64_t warmup = flags.GetInt("warmup").value_or(0);
  const int threads = static_cast<int>(num("threads"));
  const int inflight = static_cast<int>(std::max<int64_t>(num("inflight"), threads));
  if (w.contents % kOwners != 0 || w.entitled_share + w.unknown_share > 1) {
    std::cerr << "error: --contents must be a multiple of 100 and the shares add up to at most 1\n";
    return 2;
  }

  auto channel = p2pims::bench::Connect(flags.Get("target"));
  if (channel == nullptr) return 1;
  auto stub = v1::Rights::NewStub(channel);

  const Clock::time_point t0 = Clock::now();
  const Clock::time_point measure_from = t0 + std::chrono::seconds(warmup);
  const Clock::time_point stop = measure_from + std::chrono::seconds(duration);
  std::vector<Tally> tallies =
      p2pims::bench::RunThreads<Tally>(threads, inflight, [&](int t, int share, Tally* out) {
        Drive(stub.get(), w, share, t, measure_from, stop, out);
      });

  Tally all;
  for (Tally& t : tallies) {
    all.ok += t.ok;
    all.allowed += t.allowed;
    all.Merge(t);
  }
  const double seconds = static_cast<double>(duration);
  std::printf(
      "{\"authorize_per_s\":%.1f,\"allowed_share\":%.3f,\"errors\":%lld,\"p50_ms\":%.2f,"
      "\"p99_ms\":%.2f,\"inflight\":%d,\"seconds\":%.0f}\n",
      all.ok / seconds, all.ok ? static_cast<double>(all.allowed) / all.ok : 0.0,
      static_cast<long long>(all.errors), p2pims::bench::PercentileMs(all.latency_us, 0.50),
      p2pims::bench::PercentileMs(all.latency_us, 0.99), inflight, seconds);
  if (!all.first_error.empty()) std::cerr << "first error: " << all.first_error << "\n";
  return all.ok > 0 ? 0 : 1;
}
