// Who may assert identity: requests from configured CSCF networks (CIDR list) are trusted and
// identify the subscriber by P-Asserted-Identity; everyone else's P-Asserted-Identity is ignored.
//
//   TrustedNetworks t;
//   t.Parse("127.0.0.1/32,10.0.0.0/8,fd00::/8");
//   bool trusted = t.Contains("10.1.2.3");
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace p2pims::sip_edge {

// Immutable after Parse; safe to read from any thread.
class TrustedNetworks {
 public:
  // Comma-separated CIDRs (IPv4 or IPv6); a bare address means a single host. InvalidArgument
  // naming the bad entry.
  absl::Status Parse(const std::string& list);
  bool Contains(const std::string& ip) const;
  size_t size() const { return networks_.size(); }

 private:
  struct Network {
    int family;                      // AF_INET or AF_INET6
    std::array<uint8_t, 16> prefix;  // network byte order
    int bits;
  };
  std::vector<Network> networks_;
};

// The first identity in a P-Asserted-Identity value: `"Alice" <sip:alice@x>, <tel:+1>` gives
// "sip:alice@x". nullopt when there is no sip:, sips: or tel: URI.
std::optional<std::string> FirstAssertedIdentity(const std::string& header_value);

}  // namespace p2pims::sip_edge
