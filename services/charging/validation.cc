#include "services/charging/validation.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/iso/iso_codes.h"

namespace p2pims::charging {
namespace {

absl::Status Bad(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status CheckId(const std::string& value, const char* field) {
  if (value.empty() || value.size() > 256) {
    return Bad(absl::StrCat(field, " is required (at most 256 bytes)"));
  }
  return absl::OkStatus();
}

absl::Status CheckCurrency(const std::string& currency, const char* field) {
  if (IsCurrencyCode(currency)) return absl::OkStatus();
  return Bad(absl::StrCat(field, " \"", currency, "\" is not an ISO 4217 currency code"));
}

absl::Status CheckMinor(int64_t minor, const char* field, bool may_be_negative) {
  if (minor > kMaxMinor || minor < (may_be_negative ? -kMaxMinor : 0)) {
    return Bad(absl::StrCat(field, " must be within ", may_be_negative ? -kMaxMinor : 0, "..",
                            kMaxMinor, " minor units"));
  }
  return absl::OkStatus();
}

absl::Status CheckUnits(const v1::ServiceUnits& u, const char* field) {
  for (int64_t v : {u.bytes_down(), u.bytes_up(), u.seconds(), u.bytes_up_same_cell(),
                    u.bytes_up_same_area()}) {
    if (v < 0 || v > kMaxBytes) {
      return Bad(absl::StrCat(field, " units must be within 0..", kMaxBytes));
    }
  }
  if (u.bytes_up_same_cell() + u.bytes_up_same_area() > u.bytes_up()) {
    return Bad(absl::StrCat(field, ": uploads in the cell and area exceed bytes_up"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckCreditControl(const v1::CreditControlRequest& req) {
  if (absl::Status s = CheckId(req.session_id(), "session_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(req.subject(), "subject"); !s.ok()) return s;
  if (req.request_number() < 0) return Bad("request_number must not be negative");
  if (req.request_type() == v1::REQUEST_TYPE_UNSPECIFIED ||
      !v1::RequestType_IsValid(req.request_type())) {
    return Bad("request_type must be INITIAL, UPDATE, TERMINATION or EVENT");
  }
  if (absl::Status s = CheckUnits(req.used(), "used"); !s.ok()) return s;
  if (absl::Status s = CheckUnits(req.requested(), "requested"); !s.ok()) return s;
  const bool rated = req.request_type() == v1::REQUEST_TYPE_INITIAL ||
                     req.request_type() == v1::REQUEST_TYPE_EVENT;
  if (rated) {
    const v1::Rating& r = req.rating();
    if (absl::Status s = CheckMinor(r.price().minor(), "rating.price.minor", false); !s.ok()) {
      return s;
    }
    if (r.price().minor() != 0) {
      if (absl::Status s = CheckCurrency(r.price().currency(), "rating.price.currency"); !s.ok()) {
        return s;
      }
    }
    if (r.owner_share_bp() < 0 || r.owner_share_bp() > 10000) {
      return Bad("rating.owner_share_bp must be within 0..10000");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAccounting(const v1::AccountingRequest& req) {
  if (absl::Status s = CheckId(req.session_id(), "session_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(req.subject(), "subject"); !s.ok()) return s;
  if (req.record_number() < 0) return Bad("record_number must not be negative");
  if (req.record_type() == v1::RECORD_TYPE_UNSPECIFIED ||
      !v1::RecordType_IsValid(req.record_type())) {
    return Bad("record_type must be START, INTERIM, STOP or EVENT");
  }
  return CheckUnits(req.used(), "used");
}

absl::Status CheckNewAccount(const v1::Account& a) {
  if (absl::Status s = CheckId(a.subject(), "account.subject"); !s.ok()) return s;
  if (a.kind() == v1::ACCOUNT_KIND_UNSPECIFIED || !v1::AccountKind_IsValid(a.kind())) {
    return Bad("account.kind must be PREPAID or POSTPAID");
  }
  if (absl::Status s = CheckCurrency(a.balance().currency(), "account.balance.currency"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckMinor(a.balance().minor(), "account.balance.minor", true); !s.ok()) {
    return s;
  }
  if (a.kind() == v1::ACCOUNT_KIND_PREPAID && a.credit_limit().minor() != 0) {
    return Bad("a prepaid account has no credit limit");
  }
  return CheckMinor(a.credit_limit().minor(), "account.credit_limit.minor", false);
}

absl::Status CheckAdjustment(const v1::AdjustBalanceRequest& req) {
  if (absl::Status s = CheckId(req.subject(), "subject"); !s.ok()) return s;
  if (req.reason().empty()) return Bad("reason is required");
  if (req.amount().minor() == 0) return Bad("amount must not be zero");
  if (absl::Status s = CheckMinor(req.amount().minor(), "amount.minor", true); !s.ok()) return s;
  return CheckCurrency(req.amount().currency(), "amount.currency");
}

absl::Status CheckTariff(const v1::Tariff& t) {
  const std::string& id = t.tariff_id();
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
               c == '-';
      })) {
    return Bad("tariff_id must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  if (t.effective_from() < 0) return Bad("effective_from must not be negative");
  if (absl::Status s = CheckCurrency(t.currency(), "currency"); !s.ok()) return s;
  for (int64_t rate : {t.incentive_per_gib_minor(), t.incentive_same_area_per_gib_minor(),
                       t.incentive_same_cell_per_gib_minor()}) {
    if (absl::Status s = CheckMinor(rate, "incentive rates", false); !s.ok()) return s;
  }
  if (t.validity_seconds() <= 0 || t.validity_seconds() > 7 * 86400) {
    return Bad("validity_seconds must be within 1..604800");
  }
  if (t.per_byte_grant_bytes() <= 0 || t.per_byte_grant_bytes() > kMaxBytes) {
    return Bad(absl::StrCat("per_byte_grant_bytes must be within 1..", kMaxBytes));
  }
  return absl::OkStatus();
}

}  // namespace p2pims::charging
