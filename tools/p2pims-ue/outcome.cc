#include "tools/p2pims-ue/outcome.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace p2pims::ue {

Outcome FromSip(const SipAnswer& a, const std::string& what) {
  if (a.status == 0) return {kUnavailable, what + ": no answer from the network"};
  const std::string why = a.warning.empty() ? a.phrase : a.warning;
  const std::string text = absl::StrCat(what, ": ", why, " (", a.status, ")");
  switch (a.status) {
    case 401:
    case 407:
      return {kAuthentication, absl::StrCat(what, ": authentication failed (", a.status, ")")};
    case 402:
      return {kOutOfCredit, text};
    case 403:
      // Credentials the network does not accept (or too many wrong ones) come back as 403.
      if (a.warning.find("authenticat") != std::string::npos) return {kAuthentication, text};
      return {kRefused, text};
    case 404:
    case 410:
    case 484:
      return {kNotFound, text};
    case 408:
    case 480:
    case 500:
    case 502:
    case 503:
    case 504:
      return {kUnavailable, text};
    default:
      return {a.status >= 200 && a.status < 300 ? kDone : kRefused, text};
  }
}

bool WantsTcp(const SipAnswer& a) {
  return a.status == 500 && absl::StrContains(a.warning, "too large for UDP");
}

Outcome FromNetworkBye(const std::string& message, int cause) {
  const std::string kept = "; what was fetched is kept: fetch again to resume";
  if (cause == 402) return {kOutOfCredit, message + kept};
  return {kUnavailable, message + kept};
}

}  // namespace p2pims::ue
