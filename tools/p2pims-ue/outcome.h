// What the terminal tells its user and its shell: an exit code per kind of failure, and the
// message that goes with it (the network's own Warning text when it gave one).
//
//   0 done   2 usage   3 refused (not entitled, territory, forbidden)   4 out of credit
//   5 not found   6 network or service unavailable   7 authentication failed
//   8 download failed   130 interrupted
#pragma once

#include <string>

#include "tools/p2pims-ue/sip_ua.h"

namespace p2pims::ue {

enum ExitCode : int {
  kDone = 0,
  kUsage = 2,
  kRefused = 3,
  kOutOfCredit = 4,
  kNotFound = 5,
  kUnavailable = 6,
  kAuthentication = 7,
  kDownloadFailed = 8,
  kInterrupted = 130,
};

struct Outcome {
  int code = kDone;
  std::string message;
};

// A final answer that is not 2xx (or none at all), as the exit code and a one-line message:
// "out of credit: 0.50 EUR available, 2.99 EUR needed (402)".
Outcome FromSip(const SipAnswer& a, const std::string& what);

// The network's answer says the INVITE must come over TCP: sip-edge's 500 for a session
// descriptor too large for a UDP datagram (docs/sip.md "Descriptor size").
bool WantsTcp(const SipAnswer& a);

// The network ended a session mid-fetch with a BYE: `message` as the UA read it (with its
// Reason's text), `cause` the Reason's SIP cause (0: none). 402 is out of credit; anything else
// is the network's doing. What was fetched is kept either way.
Outcome FromNetworkBye(const std::string& message, int cause);

}  // namespace p2pims::ue
