// One HTTP tracker request, end to end but without I/O: parse the request line, admit the token,
// record the peer in its swarm, choose its peers by policy and bencode the reply. Every refusal
// is a bencoded `failure reason`; nothing a client sends changes state unless it is admitted.
// The HTTP server in front only reads request lines and writes what Handle returns.
//
//   AnnounceHandler handler(swarms, admit, on_usage, {});
//   std::string body = handler.Handle("GET /a/<token>/announce?... HTTP/1.1", remote, now, rng);
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/token/claims.h"
#include "services/tracker/announce_request.h"
#include "services/tracker/swarms.h"

namespace p2pims::tracker {

struct AnnounceHandlerOptions {
  RequestLimits limits;
  int64_t interval_seconds = 1800;
  int64_t min_interval_seconds = 900;
};

class AnnounceHandler {
 public:
  // Verifies a token at `now` (signature, key, expiry, revocation): its claims, or an error whose
  // message is fit for a `failure reason`.
  using Admit = std::function<absl::StatusOr<token::Claims>(std::string_view token, absl::Time now)>;
  // Bytes a peer moved since its previous announce, to meter against its session.
  using OnUsage =
      std::function<void(const token::Claims& claims, int64_t uploaded, int64_t downloaded)>;

  AnnounceHandler(Swarms& swarms, Admit admit, OnUsage on_usage, AnnounceHandlerOptions options)
      : swarms_(swarms),
        admit_(std::move(admit)),
        on_usage_(std::move(on_usage)),
        options_(options) {}

  // The bencoded body answering `request_line` (the first line of an HTTP request, without its
  // CRLF) from `remote`. Thread-safe when `admit` and `on_usage` are.
  std::string Handle(std::string_view request_line, const PeerAddress& remote, absl::Time now,
                     std::mt19937_64& rng);

 private:
  std::string Announce(const TrackerTarget& target, const PeerAddress& remote, absl::Time now,
                       std::mt19937_64& rng);
  std::string Scrape(const TrackerTarget& target, absl::Time now);

  Swarms& swarms_;
  const Admit admit_;
  const OnUsage on_usage_;
  const AnnounceHandlerOptions options_;
};

// A peer's traits from its token: locality, origin role, metered (constrained), upload cap.
PeerTraits TraitsOf(const token::Claims& claims);

}  // namespace p2pims::tracker
