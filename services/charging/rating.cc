#include "services/charging/rating.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace p2pims::charging {
namespace {

int64_t PerMiB(int64_t price_minor, int64_t bytes) {
  if (bytes <= 0 || price_minor <= 0) return 0;
  // Pro rata, rounded up to the next minor unit: 3 MiB + 1 byte at 10 per MiB costs 31.
  return (bytes * price_minor + kMiB - 1) / kMiB;
}

}  // namespace

int64_t Available(const std::string& kind, int64_t balance, int64_t reserved,
                  int64_t credit_limit) {
  return kind == "postpaid" ? balance + credit_limit - reserved : balance - reserved;
}

bool IsFree(const v1::Rating& rating) {
  return rating.price_model() == "free" || rating.price().minor() == 0;
}

absl::StatusOr<int64_t> ReservationFor(const v1::Rating& rating,
                                       const v1::ServiceUnits& requested) {
  const std::string& m = rating.price_model();
  if (m == "purchase" || m == "rental" || m == "subscription") return rating.price().minor();
  if (m == "per_byte") {
    const int64_t bytes =
        requested.bytes_down() > 0 ? requested.bytes_down() : kDefaultPerByteGrant;
    return PerMiB(rating.price().minor(), bytes);
  }
  if (m == "free") return 0;
  return absl::InvalidArgumentError(absl::StrCat("unknown price model \"", m, "\""));
}

int64_t ChargeFor(const std::string& price_model, int64_t price_minor, int64_t bytes_down,
                  const std::string& cause) {
  if (cause == kCauseSetupFailed) return 0;
  if (price_model == "per_byte") return PerMiB(price_minor, bytes_down);
  if (price_model == "free") return 0;
  return price_minor;
}

absl::Status CheckSequence(const std::string& state, int64_t last, v1::RequestType type,
                           int64_t n) {
  switch (type) {
    case v1::REQUEST_TYPE_INITIAL:
      if (!state.empty()) return absl::FailedPreconditionError("session already exists");
      if (n != 0) return absl::FailedPreconditionError("INITIAL must carry request number 0");
      return absl::OkStatus();
    case v1::REQUEST_TYPE_UPDATE:
    case v1::REQUEST_TYPE_TERMINATION:
      if (state.empty()) return absl::FailedPreconditionError("no INITIAL for this session");
      if (state == "terminated") return absl::FailedPreconditionError("session already terminated");
      if (state == "not_applicable") {
        return absl::FailedPreconditionError("credit control not applicable to this session");
      }
      if (n != last + 1) {
        return absl::FailedPreconditionError(
            absl::StrCat("request number ", n, " out of order (expected ", last + 1, ")"));
      }
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("request_type must be INITIAL, UPDATE or TERMINATION");
  }
}

}  // namespace p2pims::charging
