// The tracker's HTTPS from flags (--https-*): where the HTTPS listener serves, its certificate,
// and the https:// announce URL handed to terminals. Checked at start-up so that a bad setting
// stops the tracker with a message instead of serving without TLS.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/config/flags.h"
#include "lib/metrics/registry.h"
#include "services/tracker/https_context.h"

namespace p2pims::tracker {

struct HttpsSettings {
  std::string listen;                     // empty: no HTTPS listener
  std::unique_ptr<HttpsContext> context;  // set with `listen`
  std::string announce_host;              // empty: no https:// announce URL
  bool plain_announce_urls = true;
};

// Declares --https-listen, --https-cert-file, --https-key-file, --https-announce-host and
// --plain-announce-urls.
void AddHttpsFlags(Flags& flags);
// Reads them and loads the certificate; InvalidArgument with the message for the operator (a
// file missing or not PEM, a key that is not the certificate's, a listener without a
// certificate or a certificate without a listener).
absl::StatusOr<HttpsSettings> HttpsFromFlags(const Flags& flags, metrics::Registry& registry);

}  // namespace p2pims::tracker
