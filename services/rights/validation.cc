#include "services/rights/validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/iso/iso_codes.h"

namespace p2pims::rights {
namespace {

constexpr int64_t kMaxPriceMinor = 1'000'000'000'000;  // beyond any real price; no overflow
constexpr int32_t kMaxDeviceLimit = 1000;

bool IdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' ||
         c == '-';
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

// "mcc-mnc" then "/segment"s: "262-01", "262-01/area-7", "262-01/area-7/cell-3".
bool IsLocalityPath(std::string_view t) {
  if (t.size() < 6 || !AllDigits(t.substr(0, 3)) || t[3] != '-') return false;
  const size_t slash = std::min(t.find('/'), t.size());
  const std::string_view mnc = t.substr(4, slash - 4);
  if ((mnc.size() != 2 && mnc.size() != 3) || !AllDigits(mnc)) return false;
  std::string_view rest = t.substr(slash);
  while (!rest.empty()) {
    const size_t next = std::min(rest.find('/', 1), rest.size());
    const std::string_view segment = rest.substr(1, next - 1);
    if (segment.empty() || !std::all_of(segment.begin(), segment.end(), IdChar)) return false;
    rest = rest.substr(next);
  }
  return true;
}

}  // namespace

absl::Status CheckContentId(std::string_view id) {
  if (id.empty() || id.size() > 128 || !std::all_of(id.begin(), id.end(), IdChar)) {
    return absl::InvalidArgumentError("content_id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -");
  }
  return absl::OkStatus();
}

absl::Status CheckSubject(std::string_view s) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        "subject must be an IMS public identity: sip:user@host, sips:user@host or tel:+digits "
        "(at most 256 characters)");
  };
  if (s.empty() || s.size() > 256) return bad();
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 127; })) return bad();
  if (s.rfind("tel:+", 0) == 0) return AllDigits(s.substr(5)) ? absl::OkStatus() : bad();
  std::string_view rest;
  if (s.rfind("sip:", 0) == 0) rest = s.substr(4);
  else if (s.rfind("sips:", 0) == 0) rest = s.substr(5);
  else return bad();
  const size_t at = rest.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == rest.size()) return bad();
  if (rest.find_first_of("@;?<>\"", at + 1) != std::string_view::npos) return bad();
  return absl::OkStatus();
}

absl::Status CheckLicence(const v1::Licence& l) {
  const v1::PriceModel model = l.price_model();
  if (model == v1::PRICE_MODEL_UNSPECIFIED || !v1::PriceModel_IsValid(model)) {
    return absl::InvalidArgumentError(
        "licence.price_model must be free, purchase, rental, subscription or per_byte");
  }
  const int64_t price = l.price().minor();
  if (price < 0 || price > kMaxPriceMinor) {
    return absl::InvalidArgumentError(
        absl::StrCat("licence.price.minor must be within 0..", kMaxPriceMinor, " minor units"));
  }
  if (model == v1::PRICE_MODEL_FREE && price != 0) {
    return absl::InvalidArgumentError("free content has no price (licence.price.minor must be 0)");
  }
  if (!l.price().currency().empty() && !IsCurrencyCode(l.price().currency())) {
    return absl::InvalidArgumentError(absl::StrCat("licence.price.currency \"",
                                                   l.price().currency(),
                                                   "\" is not an ISO 4217 currency code"));
  }
  if (model == v1::PRICE_MODEL_RENTAL && l.rental_seconds() <= 0) {
    return absl::InvalidArgumentError("a rental needs licence.rental_seconds > 0");
  }
  if (model != v1::PRICE_MODEL_RENTAL && l.rental_seconds() != 0) {
    return absl::InvalidArgumentError("licence.rental_seconds is only for rentals");
  }
  if (l.owner_share_bp() < 0 || l.owner_share_bp() > 10000) {
    return absl::InvalidArgumentError("licence.owner_share_bp must be within 0..10000");
  }
  for (const std::string& t : l.territories()) {
    const bool country = t.size() == 2 && IsCountryCode(t);
    if (!country && !IsLocalityPath(t)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "licence.territories: \"", t,
          "\" is neither an ISO 3166-1 alpha-2 country nor a locality path mcc-mnc[/area[/cell]]"));
    }
  }
  if (l.window_start() < 0 || l.window_end() < 0) {
    return absl::InvalidArgumentError("licence window times are Unix seconds, not negative");
  }
  if (l.window_start() != 0 && l.window_end() != 0 && l.window_end() <= l.window_start()) {
    return absl::InvalidArgumentError("licence.window_end must be after licence.window_start");
  }
  if (l.device_limit() < 0 || l.device_limit() > kMaxDeviceLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("licence.device_limit must be within 0..", kMaxDeviceLimit));
  }
  return absl::OkStatus();
}

}  // namespace p2pims::rights
