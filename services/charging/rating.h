// Rating and the credit-control session rules as plain logic, no I/O: how much to reserve,
// what to charge, and which request may follow which.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims::charging {

inline constexpr int64_t kMiB = 1024 * 1024;
// Bytes reserved for a per-byte session when the client asks for none.
inline constexpr int64_t kDefaultPerByteGrant = 100 * kMiB;

// What an account may still spend: prepaid balance minus reservations; postpaid up to its
// credit limit.
int64_t Available(const std::string& kind, int64_t balance, int64_t reserved, int64_t credit_limit);

// True when the price model charges nothing (credit control not applicable, 4011).
bool IsFree(const v1::Rating& rating);

// Money to reserve at INITIAL: the price for one-off models, or the requested bytes (else
// `default_grant_bytes`) at the per-MiB price, rounded up. InvalidArgument for an unknown price
// model.
absl::StatusOr<int64_t> ReservationFor(const v1::Rating& rating, const v1::ServiceUnits& requested,
                                       int64_t default_grant_bytes = kDefaultPerByteGrant);

// The termination cause meaning the service was never delivered (set-up failed after INITIAL).
inline constexpr char kCauseSetupFailed[] = "setup_failed";

// Money to charge at TERMINATION for `bytes_down` in all: the price for one-off models, the
// per-MiB price rounded up for per-byte content; nothing when `cause` is kCauseSetupFailed.
int64_t ChargeFor(const std::string& price_model, int64_t price_minor, int64_t bytes_down,
                  const std::string& cause);

// Cost of `bytes` at `price_minor` per MiB, pro rata, rounded up to the next minor unit.
int64_t PerMiB(int64_t price_minor, int64_t bytes);
// The most bytes `money` pays for at `price_minor` per MiB (rounded down).
int64_t BytesFor(int64_t price_minor, int64_t money);

// A tariff version as rating uses it.
struct TariffRates {
  std::string tariff_id = "default";
  std::string currency = "EUR";
  int64_t incentive_per_gib = 0;            // minor units per GiB, peers elsewhere
  int64_t incentive_same_area_per_gib = 0;  // peers in the uploader's area, another cell
  int64_t incentive_same_cell_per_gib = 0;  // peers in the uploader's cell
  int64_t validity_seconds = 3600;
  int64_t per_byte_grant_bytes = kDefaultPerByteGrant;
};

// Incentive credit for the uploads in `used`, of which only `credited` bytes are credited (the
// rest were over-claimed): each locality tier is rated at its own rate, the sum is scaled by
// credited / bytes_up and rounded down.
int64_t IncentiveFor(const TariffRates& t, const v1::ServiceUnits& used, int64_t credited);

// OK when `total_bytes` (down or up, since the session opened) could have moved in `elapsed_ms`
// at `max_bytes_per_second` (one minute of slack for clock differences); InvalidArgument
// otherwise: usage the session's own time cannot explain.
absl::Status CheckPlausible(int64_t total_bytes, int64_t elapsed_ms, int64_t max_bytes_per_second);

// The session state machine. `state` is "" when no session exists. OK when a request of `type`
// with `request_number` may follow `last_request_number`; FailedPrecondition otherwise.
absl::Status CheckSequence(const std::string& state, int64_t last_request_number,
                           v1::RequestType type, int64_t request_number);

}  // namespace p2pims::charging
