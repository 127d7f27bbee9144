#include "services/sip-edge/authenticator.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/log/log.h"

namespace p2pims::sip_edge {
namespace {

metrics::Counter& Results(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_sip_digest_authentications_total")
      .Help("Digest authentications of requests from untrusted sources, by result (ok, "
            "challenged: no credentials yet, stale: nonce expired, failed: wrong or unknown, "
            "blocked: the source failed too often).")
      .Register(registry)
      .Add({{"result", result}});
}

bool SameText(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Authenticator::Authenticator(CredentialLookup lookup, Responder& reply,
                             metrics::Registry& registry, AuthConfig config)
    : lookup_(std::move(lookup)),
      reply_(reply),
      config_(std::move(config)),
      nonces_(config_.nonce_lifetime),
      ok_(Results(registry, "ok")),
      challenged_(Results(registry, "challenged")),
      stale_(Results(registry, "stale")),
      failed_(Results(registry, "failed")),
      blocked_(Results(registry, "blocked")) {}

SipResponse Authenticator::Challenge(const SipRequest& req, absl::Time now, bool stale) {
  (stale ? stale_ : challenged_).Increment();
  SipResponse r = reply_(req.method, 401, "Unauthorized");
  const std::string nonce = nonces_.Make(now, req.source_ip);
  // RFC 8760 §2.4: the preferred algorithm first.
  for (DigestAlgorithm a : config_.algorithms) {
    r.headers.emplace_back(
        "WWW-Authenticate",
        absl::StrCat("Digest realm=\"", config_.realm, "\", nonce=\"", nonce, "\", algorithm=",
                     DigestAlgorithmName(a), ", qop=\"auth\"", stale ? ", stale=true" : ""));
  }
  return r;
}

bool Authenticator::Blocked(const std::string& source, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(source);
  return it != failures_.end() && it->second.blocked_until > now;
}

SipResponse Authenticator::Fail(const SipRequest& req, absl::Time now, const std::string& why) {
  failed_.Increment();
  {
    absl::MutexLock lock(&mu_);
    if (failures_.size() >= config_.max_sources) {
      // Bounded memory: forget sources whose window and block are over.
      absl::erase_if(failures_, [&](const auto& f) {
        return f.second.blocked_until <= now &&
               now - f.second.window_start > config_.failure_window;
      });
    }
    Failures& f = failures_[req.source_ip];
    if (now - f.window_start > config_.failure_window) f = {.window_start = now};
    if (++f.count >= config_.max_failures) {
      f.blocked_until = now + config_.block;
      log::Warn("digest failures: source blocked",
                {{"source", req.source_ip}, {"failures", f.count}});
    }
  }
  return reply_(req.method, 403, "Forbidden", why);
}

std::variant<std::string, SipResponse> Authenticator::Authenticate(const SipRequest& req,
                                                                   absl::Time now) {
  if (Blocked(req.source_ip, now)) {
    blocked_.Increment();
    return reply_(req.method, 403, "Forbidden", "too many failed authentications; try later");
  }
  if (req.authorization.empty()) return Challenge(req, now, false);
  auto a = ParseDigestAuthorization(req.authorization);
  if (!a) return reply_(req.method, 400, "Bad Request", "malformed Authorization");
  const auto algorithm = ParseDigestAlgorithm(a->algorithm);
  const bool offered = algorithm && std::find(config_.algorithms.begin(), config_.algorithms.end(),
                                              *algorithm) != config_.algorithms.end();
  if (!offered || a->qop != "auth" || a->nc.empty() || a->cnonce.empty()) {
    return reply_(req.method, 400, "Bad Request",
                  "Authorization must use an offered algorithm with qop=auth, nc and cnonce");
  }
  if (a->realm != config_.realm) return Challenge(req, now, false);
  if (!absl::EqualsIgnoreCase(a->uri, req.request_uri)) {
    return reply_(req.method, 400, "Bad Request", "Authorization uri is not the Request-URI");
  }
  switch (nonces_.Verify(a->nonce, now, req.source_ip)) {
    case NonceSource::Check::kStale:
      return Challenge(req, now, true);
    case NonceSource::Check::kForged:
      return Fail(req, now, "authentication failed");
    case NonceSource::Check::kValid:
      break;
  }
  auto creds = lookup_(a->username);
  if (!creds.ok()) return reply_.Unavailable(req.method, "subscriber credentials");
  if (!*creds || (*creds)->realm != config_.realm) return Fail(req, now, "authentication failed");
  const std::string& ha1 =
      *algorithm == DigestAlgorithm::kSha256 ? (*creds)->ha1_sha256 : (*creds)->ha1_md5;
  const std::string want = DigestResponse(*algorithm, absl::AsciiStrToLower(ha1), a->nonce, a->nc,
                                          a->cnonce, a->qop, req.method, a->uri);
  if (ha1.empty() || !SameText(want, a->response)) return Fail(req, now, "authentication failed");
  ok_.Increment();
  return (*creds)->identity;
}

}  // namespace p2pims::sip_edge
