// charging_cdr_pull: pulls every CDR once through ChargingAdmin.PullCdrs as one billing consumer
// and prints one JSON line of CDRs per second.
//
//   charging_cdr_pull --target 127.0.0.1:50052 --consumer billing-bench --page-size 10000
//   {"pull_per_s":123456.7,"cdrs":100000,"pages":10,"page_size":10000,"paging":"after_sequence",...}
//
// Pages follow each other by `after_sequence` (the last sequence of the previous page) and the
// consumer acknowledges once at the end, as a consumer that stores several pages before
// acknowledging would. Like such a consumer it asks for the next page as soon as a page has
// arrived (its last_sequence is read off the raw response) and then parses and checks the page
// it has, so its own parsing is not added to the server's time per page; each page is parsed
// into an arena. A server that does not honour `after_sequence` yet (it answers the page
// after the acknowledged cursor again) is found by a probe before the measurement, with another
// consumer; then every page is acknowledged before the next is pulled (`paging` "ack").
// Sequences must come gapless and in order, else the run fails.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/io/coded_stream.h"
#include "grpcpp/generic/generic_stub.h"
#include "bench/lib/load_run.h"
#include "lib/config/flags.h"
#include "p2pims/charging/v1/charging.grpc.pb.h"

namespace {

namespace v1 = p2pims::charging::v1;
using Clock = std::chrono::steady_clock;

grpc::Status Pull(v1::ChargingAdmin::Stub* stub, const std::string& consumer, int page_size,
                  int64_t after, v1::PullCdrsResponse* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::PullCdrsRequest req;
  req.set_consumer(consumer);
  req.set_page_size(page_size);
  req.set_after_sequence(after);
  return stub->PullCdrs(&ctx, req, resp);
}

// PullCdrs with the response left as bytes, one call in flight at a time.
class RawPull {
 public:
  RawPull(std::shared_ptr<grpc::Channel> channel, std::string consumer, int page_size)
      : stub_(std::move(channel)), consumer_(std::move(consumer)), page_size_(page_size) {}

  void Start(int64_t after) {
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::PullCdrsRequest req;
    req.set_consumer(consumer_);
    req.set_page_size(page_size_);
    req.set_after_sequence(after);
    call_ = stub_.PrepareUnaryCall(ctx_.get(), "/p2pims.charging.v1.ChargingAdmin/PullCdrs", req,
                                   &cq_);
    call_->StartCall();
    call_->Finish(&bytes_, &status_, this);
    pending_ = true;
  }

  // Waits for the call Start began; on success `bytes` holds the response, in one slice.
  grpc::Status Wait(grpc::Slice* bytes) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq_.Next(&tag, &ok) || !ok) return grpc::Status(grpc::StatusCode::INTERNAL, "no reply");
    pending_ = false;
    if (!status_.ok()) return status_;
    return bytes_.DumpToSingleSlice(bytes);
  }

  ~RawPull() {
    if (pending_) ctx_->TryCancel();  // a run that failed with a page still coming
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }

 private:
  grpc::TemplatedGenericStub<v1::PullCdrsRequest, grpc::ByteBuffer> stub_;
  const std::string consumer_;
  const int page_size_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> call_;
  grpc::ByteBuffer bytes_;
  grpc::Status status_;
  bool pending_ = false;
};

// PullCdrsResponse.last_sequence (field 2) of an encoded response, skipping the CDRs unparsed;
// -1 when the bytes are not a PullCdrsResponse.
int64_t LastSequence(const grpc::Slice& bytes) {
  google::protobuf::io::CodedInputStream in(bytes.begin(), static_cast<int>(bytes.size()));
  int64_t last = 0;
  while (const uint32_t tag = in.ReadTag()) {
    uint64_t v = 0;
    uint32_t len = 0;
    switch (tag) {
      case (2 << 3) | 0:  // last_sequence, varint
        if (!in.ReadVarint64(&v)) return -1;
        last = static_cast<int64_t>(v);
        break;
      default:  // every other field of this message is a varint or length-delimited
        if ((tag & 7) == 0) {
          if (!in.ReadVarint64(&v)) return -1;
        } else if ((tag & 7) == 2) {
          if (!in.ReadVarint32(&len) || !in.Skip(static_cast<int>(len))) return -1;
        } else {
          return -1;
        }
    }
  }
  return in.ConsumedEntireMessage() ? last : -1;
}

grpc::Status Ack(v1::ChargingAdmin::Stub* stub, const std::string& consumer, int64_t up_to) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::AckCdrsRequest req;
  req.set_consumer(consumer);
  req.set_up_to_sequence(up_to);
  v1::AckCdrsResponse resp;
  return stub->AckCdrs(&ctx, req, &resp);
}

int Fail(const std::string& what) {
  std::cerr << "error: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  p2pims::Flags flags("charging_cdr_pull",
                      "Pulls all CDRs once as one billing consumer and prints CDRs/s as one JSON "
                      "line.");
  flags.Add("target", "127.0.0.1:50052", "charging gRPC address host:port");
  flags.Add("consumer", "billing-bench", "billing consumer name (must not have pulled before)");
  flags.Add("page-size", "10000", "CDRs asked for per page (the server may cap it)");
  if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
  auto page = flags.GetInt("page-size");
  if (!page.ok() || *page <= 0 || *page > 1000000) return Fail("--page-size must be 1..1000000");
  const int page_size = static_cast<int>(*page);
  const std::string consumer = flags.Get("consumer");

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  auto channel = p2pims::bench::Connect(flags.Get("target"), args);
  if (channel == nullptr) return 1;
  auto stub = v1::ChargingAdmin::NewStub(channel);

  // Probe: does the server honour after_sequence? Ask for the CDR after the first one without
  // acknowledging anything; a server that ignores after_sequence answers the first one again.
  v1::PullCdrsResponse probe;
  grpc::Status s = Pull(stub.get(), consumer + "-probe", 1, 0, &probe);
  if (!s.ok()) return Fail(absl::StrCat("PullCdrs: ", s.error_message()));
  if (probe.cdrs_size() == 0) return Fail("no CDRs to pull");
  const int64_t first = probe.cdrs(0).sequence();
  s = Pull(stub.get(), consumer + "-probe", 1, first, &probe);
  if (!s.ok()) return Fail(absl::StrCat("PullCdrs: ", s.error_message()));
  const bool honoured = probe.cdrs_size() == 0 || probe.cdrs(0).sequence() > first;

  int64_t after = 0;  // last sequence received
  int64_t cdrs = 0;
  int64_t pages = 0;
  int64_t bytes = 0;
  int max_page = 0;
  // Each page is parsed into one arena, reset for the next: a page is a few hundred thousand
  // small objects, which the heap would allocate and free one by one. The first block is kept
  // across resets and holds a page of 10,000.
  constexpr size_t kArenaBlock = 64 << 20;
  auto arena_block = std::make_unique<char[]>(kArenaBlock);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block.get();
  arena_options.initial_block_size = kArenaBlock;
  google::protobuf::Arena arena(arena_options);
  RawPull pull(channel, consumer, page_size);
  const Clock::time_point t0 = Clock::now();
  pull.Start(0);
  for (;;) {
    grpc::Slice page;
    s = pull.Wait(&page);
    if (!s.ok()) return Fail(absl::StrCat("PullCdrs: ", s.error_message()));
    const int64_t last = LastSequence(page);
    if (last < 0) return Fail("PullCdrs: a reply that is not a PullCdrsResponse");
    if (last != 0 && honoured) pull.Start(last);  // the next page, while this one is parsed
    arena.Reset();
    auto& resp = *google::protobuf::Arena::CreateMessage<v1::PullCdrsResponse>(&arena);
    if (!resp.ParseFromArray(page.begin(), static_cast<int>(page.size()))) {
      return Fail("PullCdrs: a reply that does not parse");
    }
    if (resp.cdrs_size() == 0) break;
    ++pages;
    bytes += static_cast<int64_t>(page.size());
    max_page = std::max(max_page, resp.cdrs_size());
    for (const v1::Cdr& c : resp.cdrs()) {
      if (after != 0 && c.sequence() != after + 1) {
        return Fail(absl::StrCat("CDR ", c.sequence(), " after ", after, ": not gapless"));
      }
      after = c.sequence();
      ++cdrs;
    }
    if (after != last) return Fail(absl::StrCat("last_sequence ", last, " but last CDR ", after));
    if (!honoured) {
      s = Ack(stub.get(), consumer, after);
      if (!s.ok()) return Fail(absl::StrCat("AckCdrs: ", s.error_message()));
      pull.Start(0);
    }
  }
  if (honoured && after > 0) {
    s = Ack(stub.get(), consumer, after);
    if (!s.ok()) return Fail(absl::StrCat("AckCdrs: ", s.error_message()));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"pull_per_s\":%.1f,\"cdrs\":%lld,\"pages\":%lld,\"page_size\":%d,\"paging\":\"%s\","
      "\"bytes_per_cdr\":%.0f,\"pull_s\":%.3f}\n",
      cdrs / secs, static_cast<long long>(cdrs), static_cast<long long>(pages), max_page,
      honoured ? "after_sequence" : "ack", cdrs ? static_cast<double>(bytes) / cdrs : 0.0, secs);
  return 0;
}
