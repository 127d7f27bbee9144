#include "services/charging/rating.h"

#include <algorithm>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace p2pims::charging {
namespace {

constexpr int64_t kGiB = 1024 * kMiB;

// a * b / c rounded down, without overflowing for a, b below 2^62.
int64_t MulDiv(int64_t a, int64_t b, int64_t c) {
  return static_cast<int64_t>(static_cast<__int128>(a) * b / c);
}

}  // namespace

int64_t PerMiB(int64_t price_minor, int64_t bytes) {
  if (bytes <= 0 || price_minor <= 0) return 0;
  // Pro rata, rounded up to the next minor unit: 3 MiB + 1 byte at 10 per MiB costs 31.
  return static_cast<int64_t>((static_cast<__int128>(bytes) * price_minor + kMiB - 1) / kMiB);
}

int64_t BytesFor(int64_t price_minor, int64_t money) {
  if (price_minor <= 0 || money <= 0) return 0;
  return MulDiv(money, kMiB, price_minor);
}

int64_t IncentiveFor(const TariffRates& t, const v1::ServiceUnits& used, int64_t credited) {
  const int64_t up = used.bytes_up();
  if (up <= 0 || credited <= 0) return 0;
  const int64_t cell = std::clamp<int64_t>(used.bytes_up_same_cell(), 0, up);
  const int64_t area = std::clamp<int64_t>(used.bytes_up_same_area(), 0, up - cell);
  const int64_t other = up - cell - area;
  // In millionths of a minor unit per byte-GiB, so that small uploads still add up exactly.
  const __int128 rated = static_cast<__int128>(cell) * t.incentive_same_cell_per_gib +
                         static_cast<__int128>(area) * t.incentive_same_area_per_gib +
                         static_cast<__int128>(other) * t.incentive_per_gib;
  return static_cast<int64_t>(rated * std::min(credited, up) / up / kGiB);
}

absl::Status CheckPlausible(int64_t total_bytes, int64_t elapsed_ms, int64_t max_bytes_per_second) {
  const int64_t seconds = std::max<int64_t>(0, elapsed_ms) / 1000 + 60;
  if (total_bytes <= MulDiv(seconds, max_bytes_per_second, 1)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "usage the session cannot explain: ", total_bytes, " bytes in ", seconds - 60,
      " s is more than ", max_bytes_per_second, " bytes/s"));
}

int64_t Available(const std::string& kind, int64_t balance, int64_t reserved,
                  int64_t credit_limit) {
  return kind == "postpaid" ? balance + credit_limit - reserved : balance - reserved;
}

bool IsFree(const v1::Rating& rating) {
  return rating.price_model() == "free" || rating.price().minor() == 0;
}

absl::StatusOr<int64_t> ReservationFor(const v1::Rating& rating, const v1::ServiceUnits& requested,
                                       int64_t default_grant_bytes) {
  const std::string& m = rating.price_model();
  if (m == "purchase" || m == "rental" || m == "subscription") return rating.price().minor();
  if (m == "per_byte") {
    const int64_t bytes =
        requested.bytes_down() > 0 ? requested.bytes_down() : default_grant_bytes;
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
    case v1::REQUEST_TYPE_EVENT:
      if (!state.empty()) return absl::FailedPreconditionError("an event reuses a session id");
      if (n != 0) return absl::FailedPreconditionError("EVENT must carry request number 0");
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
      return absl::InvalidArgumentError(
          "request_type must be INITIAL, UPDATE, TERMINATION or EVENT");
  }
}

}  // namespace p2pims::charging
