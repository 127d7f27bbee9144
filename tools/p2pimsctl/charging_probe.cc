// p2pims-charging-probe: a test helper (not installed, not for operators) that plays sip-edge
// towards charging so that end-to-end tests get real CDRs without SIP: one content session as
// CreditControl INITIAL (+ TERMINATION when credit control applies) and Accounting START + STOP.
//
//   p2pims-charging-probe --charging 127.0.0.1:50052 --session-id s1
//       --subject sip:alice@ims.localhost --content sintel --owner blender
//       --price-model purchase --price 299 --currency EUR --owner-share-bp 7000
//       --bytes-down 1048576 --bytes-up 4096
//   -> "cdr_sequence=7 result_code=2001 charged_minor=299"; exit 0 when a CDR was written.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/grpc/client.h"
#include "lib/status/status_macros.h"
#include "p2pims/charging/v1/charging.grpc.pb.h"
#include "tools/p2pimsctl/command_line.h"

namespace p2pims::ctl {
namespace {

namespace cv1 = ::p2pims::charging::v1;

absl::Status Run(const CommandLine& cl) {
  for (const char* required : {"charging", "session-id", "subject", "content"}) {
    P2PIMS_RETURN_IF_ERROR(cl.Require(required));
  }
  int64_t price = 0, share = 0, down = 0, up = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("price", 0, int64_t{1} << 40, &price));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("owner-share-bp", 0, 10000, &share));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("bytes-down", 0, int64_t{1} << 50, &down));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("bytes-up", 0, int64_t{1} << 50, &up));
  auto stub = cv1::Charging::NewStub(MakeChannel(cl.Get("charging")));
  const CallOptions call{.deadline = absl::Seconds(10)};
  const std::string session = cl.Get("session-id");
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());

  cv1::CreditControlRequest initial;
  initial.set_session_id(session);
  initial.set_request_number(0);
  initial.set_request_type(cv1::REQUEST_TYPE_INITIAL);
  initial.set_subject(cl.Get("subject"));
  initial.set_icid(cl.Get("icid", session + "-icid"));
  initial.set_locality(cl.Get("locality", "262-01/area-1/cell-1"));
  initial.set_node_id("charging-probe");
  initial.set_called_party(absl::StrCat("sip:", cl.Get("content"), "@p2p.localhost"));
  initial.set_event_time_ms(now_ms);
  cv1::Rating& rating = *initial.mutable_rating();
  rating.set_content_id(cl.Get("content"));
  rating.set_owner(cl.Get("owner"));
  rating.set_price_model(cl.Get("price-model", "free"));
  rating.mutable_price()->set_minor(price);
  rating.mutable_price()->set_currency(cl.Get("currency", "EUR"));
  rating.set_owner_share_bp(static_cast<int32_t>(share));
  cv1::CreditControlAnswer initial_answer;
  P2PIMS_RETURN_IF_ERROR(Call(call, [&](grpc::ClientContext& ctx) {
    return stub->CreditControl(&ctx, initial, &initial_answer);
  }));

  cv1::ServiceUnits used;
  used.set_bytes_down(down);
  used.set_bytes_up(up);
  cv1::CreditControlAnswer termination_answer;
  if (initial_answer.result_code() == cv1::RESULT_CODE_SUCCESS) {
    cv1::CreditControlRequest termination = initial;
    termination.clear_rating();
    termination.set_request_number(1);
    termination.set_request_type(cv1::REQUEST_TYPE_TERMINATION);
    *termination.mutable_used() = used;
    termination.set_termination_cause("normal");
    termination.set_event_time_ms(absl::ToUnixMillis(absl::Now()));
    P2PIMS_RETURN_IF_ERROR(Call(call, [&](grpc::ClientContext& ctx) {
      return stub->CreditControl(&ctx, termination, &termination_answer);
    }));
  } else if (initial_answer.result_code() != cv1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE) {
    return absl::FailedPreconditionError(absl::StrCat(
        "INITIAL answered ", initial_answer.result_code(), ": ", initial_answer.message()));
  }

  cv1::AccountingAnswer stop_answer;
  for (int number : {0, 1}) {
    cv1::AccountingRequest record;
    record.set_session_id(session);
    record.set_record_number(number);
    record.set_record_type(number == 0 ? cv1::RECORD_TYPE_START : cv1::RECORD_TYPE_STOP);
    record.set_subject(initial.subject());
    record.set_icid(initial.icid());
    record.set_content_id(cl.Get("content"));
    record.set_locality(initial.locality());
    record.set_node_id(initial.node_id());
    record.set_node_address("127.0.0.1");
    record.set_called_party(initial.called_party());
    record.set_access_network_info("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=262011234567");
    record.set_sip_method(number == 0 ? "INVITE" : "BYE");
    record.set_event_time_ms(absl::ToUnixMillis(absl::Now()));
    if (number == 1) {
      // Credit-controlled sessions reported their usage at TERMINATION; free ones report it here.
      if (initial_answer.result_code() != cv1::RESULT_CODE_SUCCESS) *record.mutable_used() = used;
      record.set_cause("normal");
    }
    P2PIMS_RETURN_IF_ERROR(Call(call, [&](grpc::ClientContext& ctx) {
      return stub->Accounting(&ctx, record, &stop_answer);
    }));
  }
  std::printf("cdr_sequence=%lld result_code=%d charged_minor=%lld\n",
              static_cast<long long>(stop_answer.cdr_sequence()),
              static_cast<int>(initial_answer.result_code()),
              static_cast<long long>(termination_answer.charged().minor()));
  if (stop_answer.cdr_sequence() == 0) return absl::InternalError("STOP wrote no CDR");
  return absl::OkStatus();
}

}  // namespace
}  // namespace p2pims::ctl

int main(int argc, char** argv) {
  using p2pims::ctl::CommandLine;
  CommandLine cl("(p2pims-charging-probe)", "Test helper: one charged content session.");
  cl.Flag("charging", "HOST:PORT", "charging gRPC address")
      .Flag("session-id", "ID", "session id (also the ICID's stem)")
      .Flag("subject", "SIP-URI", "subscriber")
      .Flag("content", "ID", "content id")
      .Flag("owner", "OWNER", "content owner")
      .Flag("price-model", "MODEL", "free, purchase, rental, subscription, per_byte")
      .Flag("price", "MINOR", "price")
      .Flag("currency", "CODE", "price currency (default EUR)")
      .Flag("owner-share-bp", "N", "owner's share")
      .Flag("bytes-down", "N", "bytes downloaded")
      .Flag("bytes-up", "N", "bytes uploaded")
      .Flag("icid", "ICID", "charging id (default SESSION-icid)")
      .Flag("locality", "PATH", "locality (default 262-01/area-1/cell-1)");
  absl::Status s = cl.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (s.ok() && cl.help_requested()) {
    std::fputs(cl.Usage().c_str(), stdout);
    return 0;
  }
  if (s.ok()) s = p2pims::ctl::Run(cl);
  if (!s.ok()) {
    std::fprintf(stderr, "p2pims-charging-probe: %s: %s\n",
                 absl::StatusCodeToString(s.code()).c_str(), std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
