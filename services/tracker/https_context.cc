#include "services/tracker/https_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/log/log.h"

namespace p2pims::tracker {
namespace {

// OpenSSL's reasons for the last failure on this thread, oldest first; the queue is emptied.
std::string OpenSslErrors() {
  std::string out;
  char buffer[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

metrics::Counter& Failures(metrics::Registry& registry, const char* reason) {
  return metrics::BuildCounter()
      .Name("p2pims_tracker_https_handshake_failures_total")
      .Help(
          "HTTPS connections closed before their TLS handshake completed, by reason: "
          "plain_http (a plain HTTP request on the HTTPS port), timeout, closed (the client "
          "left), protocol (anything else), late (its first bytes waited beyond "
          "--http-max-wait-ms: closed unread under overload).")
      .Register(registry)
      .Add({{"reason", reason}});
}

metrics::Counter& Reloads(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_tracker_https_certificate_reloads_total")
      .Help(
          "Changed HTTPS certificate files read again, by result: ok (new connections use "
          "them), failed (the old certificate stays).")
      .Register(registry)
      .Add({{"result", result}});
}

}  // namespace

HttpsContext::HttpsContext(HttpsOptions options, metrics::Registry& registry)
    : options_(std::move(options)),
      handshakes_(metrics::BuildCounter()
                      .Name("p2pims_tracker_https_handshakes_total")
                      .Help("TLS handshakes completed on the HTTPS tracker listener.")
                      .Register(registry)
                      .Add({})),
      plain_http_(Failures(registry, "plain_http")),
      timeouts_(Failures(registry, "timeout")),
      closed_(Failures(registry, "closed")),
      protocol_(Failures(registry, "protocol")),
      late_(Failures(registry, "late")),
      reloaded_(Reloads(registry, "ok")),
      reload_failed_(Reloads(registry, "failed")),
      expiry_(metrics::BuildGauge()
                  .Name("p2pims_tracker_https_certificate_expiry_timestamp_seconds")
                  .Help("notAfter of the HTTPS certificate in use (Unix seconds).")
                  .Register(registry)
                  .Add({})),
      handshakes_in_progress_(
          metrics::BuildGauge()
              .Name("p2pims_tracker_https_handshakes_in_progress")
              .Help("TLS handshakes in progress that hold a place under the workers' handshake "
                    "cap (one second at most each); at the cap, new connections wait in the "
                    "listen queue.")
              .Register(registry)
              .Add({})),
      accept_pauses_(metrics::BuildCounter()
                         .Name("p2pims_tracker_https_accept_pauses_total")
                         .Help("Times an HTTPS worker stopped accepting because its handshake "
                               "places were all taken (the front at its capacity).")
                         .Register(registry)
                         .Add({})) {}

HttpsContext::~HttpsContext() {
  absl::MutexLock lock(&mu_);
  SSL_CTX_free(ctx_);
}

absl::StatusOr<std::unique_ptr<HttpsContext>> HttpsContext::Load(HttpsOptions options,
                                                                 metrics::Registry& registry) {
  auto stamps = StampsOf(options);
  if (!stamps.ok()) return stamps.status();
  absl::Time not_after;
  auto ctx = Build(options, &not_after);
  if (!ctx.ok()) return ctx.status();
  std::unique_ptr<HttpsContext> https(new HttpsContext(std::move(options), registry));
  https->Install(*ctx, not_after);
  absl::MutexLock lock(&https->reload_mu_);
  https->loaded_ = *stamps;
  return https;
}

absl::StatusOr<HttpsContext::Stamps> HttpsContext::StampsOf(const HttpsOptions& options) {
  Stamps stamps;
  for (auto [path, stamp, flag] : {std::tuple{&options.cert_file, &stamps.cert, "cert"},
                                   std::tuple{&options.key_file, &stamps.key, "key"}}) {
    struct stat st {};
    if (path->empty() || stat(path->c_str(), &st) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read --https-", flag, "-file '", *path,
                       "': ", path->empty() ? "not set" : std::strerror(errno)));
    }
    *stamp = {st.st_dev, st.st_ino, st.st_size,
              int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  return stamps;
}

absl::StatusOr<SSL_CTX*> HttpsContext::Build(const HttpsOptions& options, absl::Time* not_after) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError(OpenSslErrors());
  auto fail = [ctx](std::string what) {
    what += ": " + OpenSslErrors();
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(what);
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No renegotiation (a client-driven CPU cost); a client closing without close_notify is an
  // ordinary end of a keep-alive connection, not an error.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes from a std::string that may move between attempts; buffers released while a
  // keep-alive connection idles (tens of thousands of them).
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // One TLS 1.3 session ticket, not two: less to write per handshake.
  SSL_CTX_set_num_tickets(ctx, 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    return fail(
        absl::StrCat("--https-cert-file '", options.cert_file, "' holds no PEM certificate chain"));
  }
  // OpenSSL checks the key against the certificate as it takes it.
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    return fail(
        absl::StrCat("--https-key-file '", options.key_file, "' ",
                     mismatch ? "is not the key of the certificate in '" + options.cert_file + "'"
                              : "holds no usable PEM private key"));
  }
  std::tm tm{};
  const X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return fail(absl::StrCat("--https-cert-file '", options.cert_file, "': no notAfter"));
  }
  *not_after = absl::FromTimeT(timegm(&tm));
  return ctx;
}

void HttpsContext::Install(SSL_CTX* ctx, absl::Time not_after) {
  {
    absl::MutexLock lock(&mu_);
    SSL_CTX_free(ctx_);  // connections made from it hold their own references
    ctx_ = ctx;
    not_after_ = not_after;
  }
  expiry_.Set(static_cast<double>(absl::ToUnixSeconds(not_after)));
  if (not_after < absl::Now()) {
    log::Warn("the tracker's HTTPS certificate has expired",
              {{"file", options_.cert_file}, {"not_after", absl::FormatTime(not_after)}});
  }
}

SSL* HttpsContext::NewConnection() const {
  absl::MutexLock lock(&mu_);
  return SSL_new(ctx_);
}

absl::Time HttpsContext::not_after() const {
  absl::MutexLock lock(&mu_);
  return not_after_;
}

void HttpsContext::MaybeReload(absl::Time now) {
  const int64_t now_ns = absl::ToUnixNanos(now);
  int64_t due = next_check_ns_.load(std::memory_order_relaxed);
  if (now_ns < due) return;
  const int64_t next = now_ns + absl::ToInt64Nanoseconds(options_.check_period);
  if (!next_check_ns_.compare_exchange_strong(due, next, std::memory_order_relaxed)) return;
  ReloadIfChanged();
}

bool HttpsContext::ReloadIfChanged() {
  absl::MutexLock lock(&reload_mu_);
  auto stamps = StampsOf(options_);
  if (!stamps.ok()) {
    // Mid-rotation a file may be missing for a moment; the old certificate stays meanwhile.
    if (!unreadable_) {
      unreadable_ = true;
      reload_failed_.Increment();
      log::Warn("HTTPS certificate files unreadable; serving the previous certificate",
                {{"error", std::string(stamps.status().message())}});
    }
    return false;
  }
  unreadable_ = false;
  if (*stamps == loaded_ || *stamps == refused_) return false;
  absl::Time not_after;
  auto ctx = Build(options_, &not_after);
  if (!ctx.ok()) {
    refused_ = *stamps;
    reload_failed_.Increment();
    log::Warn("changed HTTPS certificate files do not load; serving the previous certificate",
              {{"error", std::string(ctx.status().message())}});
    return false;
  }
  Install(*ctx, not_after);
  loaded_ = *stamps;
  refused_ = {};
  reloaded_.Increment();
  log::Info("HTTPS certificate reloaded; new connections use it, open ones keep theirs",
            {{"cert_file", options_.cert_file}, {"not_after", absl::FormatTime(not_after)}});
  return true;
}

void HttpsContext::CountHandshakeFailure(HandshakeFailure reason) {
  switch (reason) {
    case HandshakeFailure::kPlainHttp:
      plain_http_.Increment();
      break;
    case HandshakeFailure::kTimeout:
      timeouts_.Increment();
      break;
    case HandshakeFailure::kClosed:
      closed_.Increment();
      break;
    case HandshakeFailure::kProtocol:
      protocol_.Increment();
      break;
    case HandshakeFailure::kLate:
      late_.Increment();
      break;
  }
}

}  // namespace p2pims::tracker
