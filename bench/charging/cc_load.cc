// charging_cc_load: drives Charging.CreditControl with per-byte sessions and prints one JSON line
// of requests per second, CDRs (TERMINATIONs) per second and latency percentiles.
//
//   charging_cc_load --target 127.0.0.1:50052 --accounts 10000 --create-accounts
//   {"accounts":10000,"create_account_per_s":4321.0,"errors":0}
//   charging_cc_load --target 127.0.0.1:50052 --accounts 10000 --duration 15 --inflight 64
//   {"cc_per_s":1234.5,"cdrs_per_s":411.5,...}
//
// Subscribers are "sip:sub<N>@ims.example.net", N in 0..accounts-1 (prepaid, EUR). Every slot
// of the `inflight` runs one session after another, each on a fresh session id and a random
// subscriber: INITIAL (per_byte, 5 EUR cents per MiB, 10 MiB requested), UPDATE (10 MiB used,
// 10 MiB requested), TERMINATION (5 MiB used, cause "normal"), each request sent when the
// previous one is answered. A session whose request fails (RPC error or a result code other than
// 2001) is given up and the slot starts a new one.
#include <grpcpp/grpcpp.h>

#include <algorithm>
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
#include "p2pims/charging/v1/charging.grpc.pb.h"

namespace {

namespace v1 = p2pims::charging::v1;
using Clock = p2pims::bench::Clock;

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kContents = 100000;

std::string Subject(int64_t n) { return absl::StrCat("sip:sub", n, "@ims.example.net"); }

std::string FirstError(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}

struct Tally : p2pims::bench::Outcomes {
  int64_t ok = 0;       // answered with 2001
  int64_t cdrs = 0;     // TERMINATIONs answered 2001 with a CDR sequence
  int64_t refused = 0;  // answered with another result code
};

// One session in progress: which request comes next.
struct Slot {
  std::string session_id;
  std::string subject;
  int64_t content = 0;
  v1::RequestType next = v1::REQUEST_TYPE_INITIAL;
};

struct Call {
  Slot* slot = nullptr;
  grpc::ClientContext ctx;
  v1::CreditControlRequest req;
  v1::CreditControlAnswer resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::CreditControlAnswer>> reader;
  Clock::time_point started;
};

struct Options {
  int64_t accounts = 10000;
  std::string run_id;  // keeps session ids of separate runs apart
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Fills the request the slot sends next.
void Fill(const Slot& slot, v1::CreditControlRequest* req) {
  req->set_session_id(slot.session_id);
  req->set_subject(slot.subject);
  req->set_request_type(slot.next);
  req->set_event_time_ms(NowMs());
  req->set_node_id("bench-edge-0");
  switch (slot.next) {
    case v1::REQUEST_TYPE_INITIAL: {
      req->set_request_number(0);
      req->set_icid(absl::StrCat("icid-", slot.session_id));
      req->set_locality(
          absl::StrCat("262-01/area-", slot.content % 20, "/cell-", slot.content % 500));
      req->set_access_network_info("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=262011234ABCD");
      req->set_called_party(absl::StrCat("sip:c", slot.content, "@p2p.example.net"));
      v1::Rating* r = req->mutable_rating();
      r->set_content_id(absl::StrCat("c", slot.content));
      r->set_owner(absl::StrCat("owner", slot.content % 100));
      r->set_price_model("per_byte");
      r->mutable_price()->set_minor(5);
      r->mutable_price()->set_currency("EUR");
      r->set_owner_share_bp(7000);
      req->mutable_requested()->set_bytes_down(10 * kMiB);
      break;
    }
    case v1::REQUEST_TYPE_UPDATE:
      req->set_request_number(1);
      req->mutable_used()->set_bytes_down(10 * kMiB);
      req->mutable_requested()->set_bytes_down(10 * kMiB);
      break;
    default:
      req->set_request_number(2);
      req->mutable_used()->set_bytes_down(5 * kMiB);
      req->set_termination_cause("normal");
      break;
  }
}

// One thread: its own completion queue with `inflight` sessions in progress until `stop`; counts
// the requests that complete within [measure_from, stop).
void Drive(v1::Charging::Stub* stub, const Options& o, int inflight, int thread_no,
           Clock::time_point measure_from, Clock::time_point stop, Tally* tally) {
  grpc::CompletionQueue cq;
  std::mt19937_64 rng(0xc0ffee + thread_no);
  std::vector<Slot> slots(inflight);
  int64_t seq = 0;
  auto new_session = [&](Slot* s) {
    s->session_id = absl::StrCat("bench-", o.run_id, "-", thread_no, "-", seq++);
    s->subject = Subject(std::uniform_int_distribution<int64_t>(0, o.accounts - 1)(rng));
    s->content = std::uniform_int_distribution<int64_t>(1, kContents)(rng);
    s->next = v1::REQUEST_TYPE_INITIAL;
  };
  auto send = [&](Slot* s) {
    auto* call = new Call;
    call->slot = s;
    Fill(*s, &call->req);
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    call->started = Clock::now();
    call->reader = stub->PrepareAsyncCreditControl(&call->ctx, call->req, &cq);
    call->reader->StartCall();
    call->reader->Finish(&call->resp, &call->status, call);
  };
  for (Slot& s : slots) {
    new_session(&s);
    send(&s);
  }
  int outstanding = inflight;
  void* tag;
  bool ok;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --outstanding;
    const Clock::time_point now = Clock::now();
    const bool success = call->status.ok() && call->resp.result_code() == v1::RESULT_CODE_SUCCESS;
    if (now >= measure_from && now < stop) {
      if (success) {
        ++tally->ok;
        if (call->req.request_type() == v1::REQUEST_TYPE_TERMINATION &&
            call->resp.cdr_sequence() > 0) {
          ++tally->cdrs;
        }
      } else if (call->status.ok()) {
        ++tally->refused;
        if (tally->first_error.empty()) {
          tally->first_error =
              absl::StrCat("result code ", call->resp.result_code(), " ", call->resp.message());
        }
      } else {
        tally->Error(FirstError(call->status));
      }
      tally->latency_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - call->started).count()));
    }
    if (now >= stop) continue;  // sessions still open stay open; their reservations are large
    Slot* s = call->slot;
    if (!success || s->next == v1::REQUEST_TYPE_TERMINATION) {
      new_session(s);
    } else {
      s->next = s->next == v1::REQUEST_TYPE_INITIAL ? v1::REQUEST_TYPE_UPDATE
                                                    : v1::REQUEST_TYPE_TERMINATION;
    }
    send(s);
    ++outstanding;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

struct CreateCall {
  grpc::ClientContext ctx;
  v1::CreateAccountRequest req;
  v1::Account resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Account>> reader;
};

// Creates the prepaid accounts sub0..sub<accounts-1> through ChargingAdmin.CreateAccount with
// `inflight` calls outstanding; an account that already exists counts as created.
int CreateAccounts(const std::shared_ptr<grpc::Channel>& channel, int64_t accounts,
                   int64_t balance_minor, int inflight) {
  auto stub = v1::ChargingAdmin::NewStub(channel);
  grpc::CompletionQueue cq;
  int64_t next = 0;
  int64_t errors = 0;
  std::string first_error;
  auto start = [&] {
    auto* call = new CreateCall;
    v1::Account* a = call->req.mutable_account();
    a->set_subject(Subject(next++));
    a->set_kind(v1::ACCOUNT_KIND_PREPAID);
    a->mutable_balance()->set_minor(balance_minor);
    a->mutable_balance()->set_currency("EUR");
    call->req.set_actor("bench");
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    call->reader = stub->PrepareAsyncCreateAccount(&call->ctx, call->req, &cq);
    call->reader->StartCall();
    call->reader->Finish(&call->resp, &call->status, call);
  };
  const Clock::time_point t0 = Clock::now();
  int outstanding = 0;
  while (outstanding < inflight && next < accounts) {
    start();
    ++outstanding;
  }
  void* tag;
  bool ok;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    std::unique_ptr<CreateCall> call(static_cast<CreateCall*>(tag));
    --outstanding;
    if (!call->status.ok() && call->status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      ++errors;
      if (first_error.empty()) first_error = FirstError(call->status);
    }
    if (next < accounts) {
      start();
      ++outstanding;
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("{\"accounts\":%lld,\"create_account_per_s\":%.1f,\"errors\":%lld}\n",
              static_cast<long long>(accounts), accounts / secs, static_cast<long long>(errors));
  if (!first_error.empty()) std::cerr << "first error: " << first_error << "\n";
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  p2pims::Flags flags("charging_cc_load",
                      "Drives Charging.CreditControl sessions and prints requests/s as one JSON "
                      "line; with --create-accounts creates the accounts instead.");
  flags.Add("target", "127.0.0.1:50052", "charging gRPC address host:port");
  flags.Add("accounts", "10000", "prepaid subscribers sip:sub<N>@ims.example.net, N < accounts");
  flags.Add("create-accounts", "false", "create the accounts (ChargingAdmin.CreateAccount), exit");
  flags.Add("balance", "1000000000", "opening balance of each created account, EUR cents");
  flags.Add("duration", "15", "measured seconds");
  flags.Add("warmup", "2", "seconds run before measuring");
  flags.Add("inflight", "64", "requests in flight (all threads together)");
  flags.Add("threads", "2", "client threads, each with its own completion queue");
  flags.Add("run-id", "", "part of every session id (default: the start time)");
  if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
  auto num = [&](const char* name) -> int64_t {
    auto v = flags.GetInt(name);
    if (!v.ok() || *v <= 0) {
      std::cerr << "error: --" << name << " must be a positive integer\n";
      std::exit(2);
    }
    return *v;
  };
  Options o{num("accounts"), flags.Get("run-id")};
  if (o.run_id.empty()) o.run_id = absl::StrCat(NowMs());
  const int64_t duration = num("duration");
  const int64_t warmup = flags.GetInt("warmup").value_or(0);
  const int threads = static_cast<int>(num("threads"));
  const int inflight = static_cast<int>(std::max<int64_t>(num("inflight"), threads));

  auto channel = p2pims::bench::Connect(flags.Get("target"));
  if (channel == nullptr) return 1;
  if (flags.GetBool("create-accounts").value_or(false)) {
    return CreateAccounts(channel, o.accounts, num("balance"), inflight);
  }
  auto stub = v1::Charging::NewStub(channel);

  const Clock::time_point t0 = Clock::now();
  const Clock::time_point measure_from = t0 + std::chrono::seconds(warmup);
  const Clock::time_point stop = measure_from + std::chrono::seconds(duration);
  std::vector<Tally> tallies =
      p2pims::bench::RunThreads<Tally>(threads, inflight, [&](int t, int share, Tally* out) {
        Drive(stub.get(), o, share, t, measure_from, stop, out);
      });

  Tally all;
  for (Tally& t : tallies) {
    all.ok += t.ok;
    all.cdrs += t.cdrs;
    all.refused += t.refused;
    all.Merge(t);
  }
  const double seconds = static_cast<double>(duration);
  std::printf(
      "{\"cc_per_s\":%.1f,\"cdrs_per_s\":%.1f,\"refused\":%lld,\"errors\":%lld,"
      "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"inflight\":%d,\"seconds\":%.0f}\n",
      all.ok / seconds, all.cdrs / seconds, static_cast<long long>(all.refused),
      static_cast<long long>(all.errors), p2pims::bench::PercentileMs(all.latency_us, 0.50),
      p2pims::bench::PercentileMs(all.latency_us, 0.99), inflight, seconds);
  if (!all.first_error.empty()) std::cerr << "first error: " << all.first_error << "\n";
  return all.ok > 0 ? 0 : 1;
}
