#include "services/tracker/https_flags.h"

#include "lib/log/log.h"

namespace p2pims::tracker {

void AddHttpsFlags(Flags& flags) {
  flags.Add("https-listen", "",
            "host:port of the HTTPS BitTorrent tracker (announces and scrapes over TLS), beside "
            "the plain one; empty: none");
  flags.Add("https-cert-file", "",
            "PEM certificate (chain allowed) of the HTTPS tracker; read again when it changes");
  flags.Add("https-key-file", "", "PEM private key of --https-cert-file");
  flags.Add("https-announce-host", "",
            "host:port written into https:// announce URLs, first in a session's list ({i}: a "
            "replica's index); empty: none");
  flags.Add("plain-announce-urls", "true",
            "also hand out the http:// and udp:// announce URLs; false: https:// alone");
}

absl::StatusOr<HttpsSettings> HttpsFromFlags(const Flags& flags, metrics::Registry& registry) {
  HttpsSettings s;
  s.listen = flags.Get("https-listen");
  s.announce_host = flags.Get("https-announce-host");
  auto plain = flags.GetBool("plain-announce-urls");
  if (!plain.ok()) return absl::InvalidArgumentError("--plain-announce-urls must be true or false");
  s.plain_announce_urls = *plain;
  const std::string& cert = flags.Get("https-cert-file");
  const std::string& key = flags.Get("https-key-file");
  if (s.listen.empty()) {
    if (!cert.empty() || !key.empty()) {
      return absl::InvalidArgumentError(
          "--https-cert-file and --https-key-file need --https-listen (where to serve HTTPS)");
    }
    return s;
  }
  if (cert.empty() || key.empty()) {
    return absl::InvalidArgumentError(
        "--https-listen needs --https-cert-file and --https-key-file");
  }
  auto context = HttpsContext::Load({.cert_file = cert, .key_file = key}, registry);
  if (!context.ok()) return context.status();
  s.context = std::move(*context);
  if (s.announce_host.empty()) {
    log::Warn("HTTPS served but no https:// announce URL handed out: set --https-announce-host");
  }
  return s;
}

}  // namespace p2pims::tracker
