#include "tools/p2pimsctl/licence_flags.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/enum_names.h"

namespace p2pims::ctl {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();

constexpr const char* kLicenceFlags[] = {
    "price-model", "price",        "currency",   "rental-seconds", "owner-share-bp",
    "territory",   "window-start", "window-end", "device-limit",   "clear-territories"};

bool IsCurrencyCode(const std::string& s) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace

void AddLicenceFlags(CommandLine& cl, LicenceFlagsFor use) {
  cl.Flag("price-model", PriceModelChoices(),
          use == LicenceFlagsFor::kRegister ? "how the content is paid for (required)"
                                            : "how the content is paid for");
  cl.Flag("price", "MINOR",
          "price in minor units (cents) per purchase or rental, or per MiB for per_byte; "
          "default 0");
  cl.Flag("currency", "CODE", "ISO 4217 code, e.g. EUR (rights defaults to EUR)");
  cl.Flag("rental-seconds", "N", "rental duration in seconds (rental only)");
  cl.Flag("owner-share-bp", "N", "owner's revenue share in basis points, 0..10000");
  cl.RepeatedFlag("territory", "T",
                  "where access is allowed: a locality path prefix such as 262-01 or "
                  "262-01/area-7; none means everywhere");
  if (use == LicenceFlagsFor::kUpdate) {
    cl.Switch("clear-territories", "remove every territory restriction (everywhere)");
  }
  cl.Flag("window-start", "TIME", "available from (Unix seconds or RFC 3339; 0 = no limit)");
  cl.Flag("window-end", "TIME", "available until, exclusive (Unix seconds or RFC 3339; 0 = none)");
  cl.Flag("device-limit", "N", "concurrent devices per subscriber (0 = unlimited)");
}

bool HasLicenceFlags(const CommandLine& cl) {
  for (const char* name : kLicenceFlags) {
    if (cl.Has(name)) return true;
  }
  return false;
}

absl::Status ApplyLicenceFlags(const CommandLine& cl, ::p2pims::rights::v1::Licence& licence) {
  ::p2pims::rights::v1::Licence next = licence;
  if (cl.Has("price-model")) {
    auto model = PriceModelFromName(cl.Get("price-model"));
    if (!model) {
      return UsageError(absl::StrCat("--price-model: '", cl.Get("price-model"), "' is not one of ",
                                     PriceModelChoices()));
    }
    next.set_price_model(*model);
  }
  int64_t n = 0;
  if (cl.Has("price")) {
    P2PIMS_RETURN_IF_ERROR(cl.ReadInt("price", 0, kMaxInt64, &n));
    next.mutable_price()->set_minor(n);
  }
  if (cl.Has("currency")) {
    if (!IsCurrencyCode(cl.Get("currency"))) {
      return UsageError(absl::StrCat("--currency: '", cl.Get("currency"),
                                     "' is not an ISO 4217 code (three upper-case letters)"));
    }
    next.mutable_price()->set_currency(cl.Get("currency"));
  }
  n = next.rental_seconds();
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("rental-seconds", 0, kMaxInt64, &n));
  next.set_rental_seconds(n);
  n = next.owner_share_bp();
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("owner-share-bp", 0, 10000, &n));
  next.set_owner_share_bp(static_cast<int32_t>(n));
  n = next.device_limit();
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("device-limit", 0, kMaxInt32, &n));
  next.set_device_limit(static_cast<int32_t>(n));

  if (cl.Has("territory") && cl.Has("clear-territories")) {
    return UsageError("--territory and --clear-territories exclude each other");
  }
  if (cl.Has("clear-territories")) next.clear_territories();
  if (cl.Has("territory")) {
    next.clear_territories();
    for (const std::string& t : cl.GetAll("territory")) {
      if (t.empty()) return UsageError("--territory: a territory cannot be empty");
      next.add_territories(t);
    }
  }

  n = next.window_start();
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("window-start", &n));
  next.set_window_start(n);
  n = next.window_end();
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("window-end", &n));
  next.set_window_end(n);
  if (next.window_start() != 0 && next.window_end() != 0 &&
      next.window_start() >= next.window_end()) {
    return UsageError(absl::StrCat("the availability window would be empty: start ",
                                   next.window_start(), " is not before end ", next.window_end()));
  }
  licence = std::move(next);
  return absl::OkStatus();
}

}  // namespace p2pims::ctl
