// The tracker's HTTPS side: the server certificate and key (PEM files; the certificate file may
// hold the chain) as the OpenSSL context of new connections, TLS 1.2 at least. When the files
// change (a Kubernetes Secret rotated, a certificate renewed) it reads them again and gives the
// new context to new connections only: open ones keep the context they started with, so
// rotation drops nothing. A pair that does not load (half written, key and certificate not
// matching) is logged and the old one stays in use until the files change again.
//
//   auto https = HttpsContext::Load({.cert_file = "/tls/tls.crt", .key_file = "/tls/tls.key"},
//                                   registry);
//   if (!https.ok()) { ...exit 2: the message names the file and what is wrong... }
//   SSL* ssl = (*https)->NewConnection();   // per accepted socket; SSL_free when done
//   (*https)->MaybeReload(absl::Now());     // from a periodic loop (the listeners' sweep)
#pragma once

#include <openssl/ssl.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"

namespace p2pims::tracker {

struct HttpsOptions {
  std::string cert_file;  // PEM: the server certificate, then any intermediates
  std::string key_file;   // PEM: its private key (unencrypted)
  // How often MaybeReload looks at the files (two stat calls); at most this late a rotated
  // certificate is served.
  absl::Duration check_period = absl::Seconds(5);
};

// Why a TLS handshake did not complete; the `reason` label of
// p2pims_tracker_https_handshake_failures_total.
enum class HandshakeFailure {
  kPlainHttp,  // a plain HTTP request on the HTTPS port (answered in plain text, then closed)
  kTimeout,    // not finished within the idle timeout
  kClosed,     // the client went away mid-handshake (also port probes, and clients that
               // distrust the certificate and just close)
  kProtocol,   // anything else: no common version or cipher, an alert, garbage
  kLate,       // its first bytes waited beyond the listener's max_wait (overload): closed unread
};

class HttpsContext {
 public:
  // Reads and checks the pair. InvalidArgument naming the file when one cannot be read or is
  // not PEM, or when the key is not the certificate's. Registers the HTTPS metrics.
  static absl::StatusOr<std::unique_ptr<HttpsContext>> Load(HttpsOptions options,
                                                            metrics::Registry& registry);
  ~HttpsContext();
  HttpsContext(const HttpsContext&) = delete;
  HttpsContext& operator=(const HttpsContext&) = delete;

  // A server-side TLS connection on the current certificate (it holds its own reference to the
  // context, so a reload does not touch it); nullptr when OpenSSL is out of memory.
  SSL* NewConnection() const;

  // Reloads when check_period has passed since the last look and the files changed (their
  // inode, size or modification time: a Secret's atomic symlink swap changes all three).
  // Called by every worker; one of them does the work, the others return at once.
  void MaybeReload(absl::Time now);
  // Looks now. True when a new certificate was taken.
  bool ReloadIfChanged();

  // The current certificate's notAfter.
  absl::Time not_after() const;

  void CountHandshake() { handshakes_.Increment(); }
  void CountHandshakeFailure(HandshakeFailure reason);
  // The listeners' handshake cap (HttpListenerOptions::max_handshakes): places taken and left,
  // and each time a worker stopped accepting because its places were all taken.
  void HandshakePlaceTaken() { handshakes_in_progress_.Increment(); }
  void HandshakePlaceLeft() { handshakes_in_progress_.Decrement(); }
  void CountAcceptPause() { accept_pauses_.Increment(); }

 private:
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct Stamps {
    Stamp cert, key;
    bool operator==(const Stamps&) const = default;
  };

  HttpsContext(HttpsOptions options, metrics::Registry& registry);
  static absl::StatusOr<Stamps> StampsOf(const HttpsOptions& options);
  // The context built from the files, with its notAfter.
  static absl::StatusOr<SSL_CTX*> Build(const HttpsOptions& options, absl::Time* not_after);
  void Install(SSL_CTX* ctx, absl::Time not_after);

  const HttpsOptions options_;
  mutable absl::Mutex mu_;
  SSL_CTX* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time not_after_ ABSL_GUARDED_BY(mu_);
  absl::Mutex reload_mu_;                                // one reload at a time
  Stamps loaded_ ABSL_GUARDED_BY(reload_mu_);            // the files as last loaded
  Stamps refused_ ABSL_GUARDED_BY(reload_mu_);           // the files as last refused: not retried
  bool unreadable_ ABSL_GUARDED_BY(reload_mu_) = false;  // logged once per spell
  std::atomic<int64_t> next_check_ns_{0};                // absl::ToUnixNanos of the next look

  metrics::Counter& handshakes_;
  metrics::Counter &plain_http_, &timeouts_, &closed_, &protocol_, &late_;
  metrics::Counter &reloaded_, &reload_failed_;
  metrics::Gauge& expiry_;
  metrics::Gauge& handshakes_in_progress_;
  metrics::Counter& accept_pauses_;
};
// Thread-safe: NewConnection, MaybeReload and the counters are called from every worker.

}  // namespace p2pims::tracker
