// The HTTPS tracker front on real loopback sockets, with an in-process OpenSSL client and a CA
// and certificates made at test time: announces over TLS with keep-alive and pipelining, plain
// HTTP and garbage on the TLS port, handshakes that stall, the connection cap, and certificate
// rotation under open connections. The handler echoes the request line.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "lib/metrics/registry.h"
#include "services/tracker/http_listener.h"
#include "services/tracker/https_context.h"
#include "services/tracker/loopback_testing.h"

namespace p2pims::tracker {
namespace {

namespace fs = std::filesystem;

// A key and its certificate, signed by `issuer` (self-signed, a CA, when null).
struct Identity {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

Identity MakeIdentity(const std::string& cn, const Identity* issuer) {
  static long serial = 1;
  Identity id{std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free),
              std::shared_ptr<X509>(X509_new(), X509_free)};
  X509* x = id.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, id.key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(signer));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, signer, x, nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair{NID_basic_constraints, issuer ? "CA:FALSE" : "critical,CA:TRUE"},
        std::pair{NID_subject_alt_name, issuer ? "DNS:localhost,IP:127.0.0.1" : "DNS:test-ca"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, issuer ? issuer->key.get() : id.key.get(), EVP_sha256());
  return id;
}

// Writes `chain` (the first certificate's key to `key_path`) the way a Secret rotation does:
// into new files renamed over the old ones.
void WritePair(const fs::path& cert_path, const fs::path& key_path,
               std::initializer_list<const Identity*> chain, const Identity& key_of) {
  const fs::path cert_tmp = cert_path.string() + ".new", key_tmp = key_path.string() + ".new";
  FILE* f = fopen(cert_tmp.c_str(), "w");
  for (const Identity* id : chain) PEM_write_X509(f, id->cert.get());
  fclose(f);
  f = fopen(key_tmp.c_str(), "w");
  PEM_write_PrivateKey(f, key_of.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  fclose(f);
  fs::rename(cert_tmp, cert_path);
  fs::rename(key_tmp, key_path);
}

int ConnectTcp(int port) {
  const int fd = ConnectLoopback(port);
  EXPECT_GE(fd, 0);
  return fd;
}

// A blocking TLS client that trusts the test CA and checks the name "localhost".
class TlsClient {
 public:
  TlsClient(SSL_CTX* ctx, int port) : fd_(ConnectTcp(port)), ssl_(SSL_new(ctx)) {
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "localhost");
    SSL_set_tlsext_host_name(ssl_, "localhost");
  }
  ~TlsClient() {
    SSL_free(ssl_);
    close(fd_);
  }
  bool Handshake() { return SSL_connect(ssl_) == 1; }
  void Send(const std::string& data) {
    ASSERT_EQ(SSL_write(ssl_, data.data(), static_cast<int>(data.size())),
              static_cast<int>(data.size()));
  }
  // Reads until `responses` complete responses have arrived, or the stream ends.
  std::string Receive(int responses) {
    std::string in;
    char buf[4096];
    while (CompleteHttpResponses(in) < responses) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }
  // True when the server ended the stream (close_notify or EOF) before the read timeout.
  bool ClosedByServer() {
    char c;
    const int n = SSL_read(ssl_, &c, 1);
    const int e = SSL_get_error(ssl_, n);
    return n <= 0 && (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno != EAGAIN));
  }
  std::string PeerName() const {
    X509* peer = SSL_get1_peer_certificate(ssl_);
    if (peer == nullptr) return "";
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
    X509_free(peer);
    return cn;
  }
  int fd() const { return fd_; }

 private:
  const int fd_;
  SSL* const ssl_;
};

// A client that sends its ClientHello and goes no further until told: a handshake the server
// holds in progress. Its TLS runs over memory BIOs, so nothing the server sends is read
// before Finish.
class HelloOnly {
 public:
  HelloOnly(SSL_CTX* ctx, int port)
      : fd_(ConnectTcp(port)),
        ssl_(SSL_new(ctx)),
        in_(BIO_new(BIO_s_mem())),
        out_(BIO_new(BIO_s_mem())) {
    SSL_set_bio(ssl_, in_, out_);  // owned by ssl_ from here
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set_connect_state(ssl_);
    const int n = SSL_do_handshake(ssl_);
    EXPECT_EQ(SSL_get_error(ssl_, n), SSL_ERROR_WANT_READ);
    Flush();  // the ClientHello
  }
  ~HelloOnly() {
    SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  // Whether the server's first flight (it took the connection and answered the hello) arrives
  // within `wait`.
  bool Answered(absl::Duration wait) {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    return poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) == 1;
  }
  // Completes the handshake and sends one request; the answer ("" when it fails).
  std::string Finish(const std::string& request) {
    while (SSL_do_handshake(ssl_) != 1) {
      Flush();
      if (!Pump()) return "";
    }
    SSL_write(ssl_, request.data(), static_cast<int>(request.size()));
    Flush();
    std::string in;
    char buf[4096];
    while (CompleteHttpResponses(in) < 1) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
      } else if (!Pump()) {
        break;
      }
    }
    return in;
  }
  void Abandon() {
    close(fd_);
    fd_ = -1;
  }

 private:
  // What TLS wrote goes to the socket.
  void Flush() {
    char buf[4096];
    for (int n; (n = BIO_read(out_, buf, sizeof buf)) > 0;) {
      EXPECT_EQ(write(fd_, buf, static_cast<size_t>(n)), n);
    }
  }
  // What the socket has goes to TLS; false at its end (or the read timeout).
  bool Pump() {
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    BIO_write(in_, buf, static_cast<int>(n));
    return true;
  }

  int fd_;
  SSL* const ssl_;
  BIO* const in_;
  BIO* const out_;
};

class HttpsListenerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { signal(SIGPIPE, SIG_IGN); }  // as ServiceRuntime does

  void SetUp() override {
    char dir_template[] = "/tmp/https-listener-test.XXXXXX";
    dir_ = mkdtemp(dir_template);
    cert_ = dir_ / "tls.crt";
    key_ = dir_ / "tls.key";
    ca_ = MakeIdentity("test-ca", nullptr);
    a_ = MakeIdentity("tracker-a", &ca_);
    b_ = MakeIdentity("tracker-b", &ca_);
    WritePair(cert_, key_, {&a_, &ca_}, a_);  // the chain: leaf, then the CA
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_PEER, nullptr);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx_), ca_.cert.get());
  }

  void TearDown() override {
    listener_.reset();
    https_.reset();
    SSL_CTX_free(client_ctx_);
    fs::remove_all(dir_);
  }

  static void Echo(std::string_view line, const PeerAddress&, absl::Time, Rng&, std::string* body) {
    *body = std::string(line);
  }

  void StartListener(HttpListenerOptions options, HttpListener::Handler handler = Echo,
                     HttpListener::Handler busy_handler = nullptr) {
    listener_.reset();  // before the context it uses
    auto https = HttpsContext::Load({.cert_file = cert_, .key_file = key_}, registry_);
    ASSERT_TRUE(https.ok()) << https.status();
    https_ = std::move(*https);
    options.https = https_.get();
    listener_ = std::make_unique<HttpListener>(std::move(handler), std::move(busy_handler), options,
                                               &connections_, &busy_);
    ASSERT_TRUE(listener_->Start("127.0.0.1:0").ok());
  }

  // The one worker is held inside the handler of a first request while a second client's
  // ClientHello arrives and waits `held`; whether that client's handshake then succeeds. Checks
  // that a fresh client is served afterwards.
  bool LateHandshakeSucceeds(absl::Duration max_wait, absl::Duration held) {
    absl::Notification entered, release;
    StartListener(
        {.threads = 1, .max_wait = max_wait},
        [&](std::string_view line, const PeerAddress&, absl::Time, Rng&, std::string* body) {
          if (line.starts_with("GET /hold")) {
            entered.Notify();
            release.WaitForNotification();
          }
          *body = std::string(line);
        },
        [](std::string_view, const PeerAddress&, absl::Time, Rng&, std::string* body) {
          *body = "busy";
        });
    // Else the late hello may be stamped when peeked, and look fresh.
    if (max_wait > absl::ZeroDuration()) {
      EXPECT_TRUE(KernelTimestampsActive());
    }
    auto holder = Client();
    EXPECT_TRUE(holder->Handshake());
    holder->Send("GET /hold HTTP/1.1\r\n\r\n");
    entered.WaitForNotification();
    bool late_ok = false;
    std::thread late([&] {
      TlsClient client(client_ctx_, listener_->port());
      late_ok = client.Handshake();
      ERR_clear_error();
    });
    absl::SleepFor(held);  // the ClientHello waits in the kernel: the wait is what is tested
    release.Notify();
    late.join();
    EXPECT_NE(holder->Receive(1).find("GET /hold"), std::string::npos);
    auto fresh = Client();
    EXPECT_TRUE(fresh->Handshake());
    fresh->Send("GET /fresh HTTP/1.1\r\n\r\n");
    EXPECT_NE(fresh->Receive(1).find("GET /fresh"), std::string::npos);
    return late_ok;
  }

  std::unique_ptr<TlsClient> Client() {
    return std::make_unique<TlsClient>(client_ctx_, listener_->port());
  }
  // True when a client made from `ctx` gets no TLS session; the client is closed after.
  bool HandshakeFails(SSL_CTX* ctx) {
    TlsClient client(ctx, listener_->port());
    const bool failed = !client.Handshake();
    ERR_clear_error();
    return failed;
  }

  double HandshakesInProgress() {
    return metrics::BuildGauge()
        .Name("p2pims_tracker_https_handshakes_in_progress")
        .Register(registry_)
        .Add({})
        .Value();
  }
  double Counter(const std::string& name, const metrics::Labels& labels = {}) {
    return metrics::BuildCounter().Name(name).Register(registry_).Add(labels).Value();
  }
  double Failures(const char* reason) {
    return Counter("p2pims_tracker_https_handshake_failures_total", {{"reason", reason}});
  }

  // A plain socket that sends `bytes` and reads until the server closes; what it read.
  std::string PlainExchange(const std::string& bytes) {
    const int fd = ConnectTcp(listener_->port());
    EXPECT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    std::string in;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) in.append(buf, static_cast<size_t>(n));
    close(fd);
    return in;
  }

  fs::path dir_, cert_, key_;
  Identity ca_, a_, b_;
  SSL_CTX* client_ctx_ = nullptr;
  metrics::Registry registry_;
  metrics::Gauge connections_;
  metrics::Counter busy_;
  std::unique_ptr<HttpsContext> https_;
  std::unique_ptr<HttpListener> listener_;
};

TEST_F(HttpsListenerTest, AnnouncesOverTlsOnAKeptAliveConnection) {
  StartListener({.threads = 2});
  auto client = Client();
  ASSERT_TRUE(client->Handshake()) << "the client verifies the chain and the name localhost";
  EXPECT_EQ(client->PeerName(), "tracker-a");
  for (int i = 0; i < 3; ++i) {
    client->Send(absl::StrCat("GET /a/t/announce?n=", i, " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const std::string r = client->Receive(1);
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find(absl::StrCat("GET /a/t/announce?n=", i, " HTTP/1.1")), std::string::npos);
    EXPECT_EQ(r.find("Connection: close"), std::string::npos);
  }
  EXPECT_EQ(connections_.Value(), 1);
  EXPECT_EQ(Counter("p2pims_tracker_https_handshakes_total"), 1);
}

TEST_F(HttpsListenerTest, PipelinedRequestsAreAnsweredInOrderThenClosed) {
  StartListener({.threads = 1});
  auto client = Client();
  ASSERT_TRUE(client->Handshake());
  client->Send(
      "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string r = client->Receive(3);
  const size_t one = r.find("GET /1"), two = r.find("GET /2"), three = r.find("GET /3");
  ASSERT_NE(three, std::string::npos) << r;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
  EXPECT_TRUE(client->ClosedByServer());
}

TEST_F(HttpsListenerTest, LargePipelinedBurstsAreAllAnswered) {
  // More output than one TLS record and the socket buffers hold at once: partial writes.
  StartListener({.threads = 1});
  auto client = Client();
  ASSERT_TRUE(client->Handshake());
  std::string burst;
  const std::string padding(3000, 'p');
  for (int i = 0; i < 200; ++i)
    absl::StrAppend(&burst, "GET /", i, "?", padding, " HTTP/1.1\r\n\r\n");
  client->Send(burst);
  const std::string r = client->Receive(200);
  EXPECT_EQ(CompleteHttpResponses(r), 200);
  EXPECT_NE(r.find("GET /199?"), std::string::npos);
}

TEST_F(HttpsListenerTest, PlainHttpOnTheTlsPortIsAnsweredPlainlyClosedAndCounted) {
  StartListener({.threads = 1});
  const std::string r = PlainExchange("GET /a/t/announce?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("this port speaks HTTPS"), std::string::npos) << r;
  EXPECT_EQ(Failures("plain_http"), 1);
  EXPECT_EQ(connections_.Value(), 0);
  // No harm done: TLS is served as before.
  auto client = Client();
  ASSERT_TRUE(client->Handshake());
  client->Send("GET /after HTTP/1.1\r\n\r\n");
  EXPECT_NE(client->Receive(1).find("GET /after"), std::string::npos);
}

TEST_F(HttpsListenerTest, GarbageAndAbandonedHandshakesAreClosedAndCounted) {
  StartListener({.threads = 1});
  // A TLS record header announcing a handshake, then nonsense.
  std::string garbage("\x16\x03\x01\x00\x40", 5);
  garbage += std::string(64, '\xee');
  EXPECT_EQ(PlainExchange(garbage).substr(0, 4).find("HTTP"), std::string::npos);
  EXPECT_EQ(Failures("protocol"), 1);
  // A client that does not trust the certificate gives up mid-handshake with an alert.
  SSL_CTX* distrusting = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(distrusting, SSL_VERIFY_PEER, nullptr);
  EXPECT_TRUE(HandshakeFails(distrusting));
  SSL_CTX_free(distrusting);
  // And TLS 1.1, below the minimum.
  SSL_CTX* old = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(old, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION);
  SSL_CTX_set_cipher_list(old, "DEFAULT:@SECLEVEL=0");
  EXPECT_TRUE(HandshakeFails(old));
  SSL_CTX_free(old);
  // The failures are counted before the server closes; one more connection after them proves
  // the server got to the last one.
  auto client = Client();
  ASSERT_TRUE(client->Handshake());
  client->Send("GET /still HTTP/1.1\r\n\r\n");
  EXPECT_NE(client->Receive(1).find("GET /still"), std::string::npos);
  EXPECT_EQ(Failures("protocol") + Failures("closed"), 3)
      << Failures("protocol") << " " << Failures("closed");
  EXPECT_EQ(Counter("p2pims_tracker_https_handshakes_total"), 1);
}

TEST_F(HttpsListenerTest, AStalledHandshakeEndsAtTheIdleTimeout) {
  StartListener({.threads = 1, .idle_timeout = absl::Milliseconds(100)});
  const int fd = ConnectTcp(listener_->port());
  ASSERT_EQ(write(fd, "\x16\x03\x01", 3), 3);  // the start of a record, never finished
  char c;
  EXPECT_EQ(read(fd, &c, 1), 0) << "closed by the sweep, well before the 5 s read timeout";
  close(fd);
  EXPECT_EQ(Failures("timeout"), 1);
}

TEST_F(HttpsListenerTest, OverTheCapAConnectionIsClosedWithoutAHandshake) {
  StartListener({.threads = 1, .max_connections = 1});
  auto first = Client();
  ASSERT_TRUE(first->Handshake());
  first->Send("GET /a HTTP/1.1\r\n\r\n");
  EXPECT_NE(first->Receive(1).find("GET /a"), std::string::npos);
  EXPECT_TRUE(HandshakeFails(client_ctx_));
  EXPECT_EQ(busy_.Value(), 1);
  first->Send("GET /b HTTP/1.1\r\n\r\n");
  EXPECT_NE(first->Receive(1).find("GET /b"), std::string::npos);
}

TEST_F(HttpsListenerTest, AHelloThatWaitedBeyondTheBoundIsClosedBeforeTheHandshake) {
  EXPECT_FALSE(LateHandshakeSucceeds(absl::Milliseconds(200), absl::Milliseconds(700)));
  EXPECT_EQ(Failures("late"), 1);
  EXPECT_EQ(Counter("p2pims_tracker_https_handshakes_total"), 2) << "the holder and the fresh one";
}

TEST_F(HttpsListenerTest, WithoutABoundALateHelloIsServed) {
  EXPECT_TRUE(LateHandshakeSucceeds(absl::ZeroDuration(), absl::Milliseconds(700)));
  EXPECT_EQ(Failures("late"), 0);
}

// With a bound on the wait, a worker keeps at most max_handshakes in progress: the next
// connection waits in the listen queue until one ends (here: its client gives up), or has held
// its place for a second (a stalled client cannot stop the accepts).
TEST_F(HttpsListenerTest, BeyondTheHandshakeCapANewConnectionWaitsForAPlace) {
  StartListener({.threads = 1, .max_wait = absl::Seconds(10), .max_handshakes = 1}, Echo, Echo);
  HelloOnly first(client_ctx_, listener_->port());
  ASSERT_TRUE(first.Answered(absl::Seconds(5))) << "the first handshake is taken at once";
  HelloOnly second(client_ctx_, listener_->port());
  EXPECT_FALSE(second.Answered(absl::Milliseconds(300))) << "no place while the first holds it";
  EXPECT_EQ(HandshakesInProgress(), 1);
  EXPECT_EQ(Counter("p2pims_tracker_https_accept_pauses_total"), 1);
  first.Abandon();
  ASSERT_TRUE(second.Answered(absl::Seconds(5))) << "taken once the first's place is free";
  EXPECT_NE(second.Finish("GET /second HTTP/1.1\r\n\r\n").find("GET /second"), std::string::npos);

  HelloOnly stalled(client_ctx_, listener_->port());
  ASSERT_TRUE(stalled.Answered(absl::Seconds(5)));
  HelloOnly third(client_ctx_, listener_->port());
  EXPECT_TRUE(third.Answered(absl::Seconds(5))) << "the stalled one's place is free after 1 s";
  EXPECT_NE(third.Finish("GET /third HTTP/1.1\r\n\r\n").find("GET /third"), std::string::npos);
  EXPECT_EQ(HandshakesInProgress(), 0) << "every place was left: done, abandoned or held 1 s";
}

TEST_F(HttpsListenerTest, WithoutTheCapEveryHandshakeIsTakenAtOnce) {
  StartListener({.threads = 1, .max_wait = absl::Seconds(10), .max_handshakes = 100}, Echo, Echo);
  HelloOnly first(client_ctx_, listener_->port());
  ASSERT_TRUE(first.Answered(absl::Seconds(5)));
  HelloOnly second(client_ctx_, listener_->port());
  EXPECT_TRUE(second.Answered(absl::Seconds(5)));
}

TEST_F(HttpsListenerTest, ARotatedCertificateServesNewConnectionsAndOpenOnesGoOn) {
  StartListener({.threads = 1});
  auto old_client = Client();
  ASSERT_TRUE(old_client->Handshake());
  EXPECT_EQ(old_client->PeerName(), "tracker-a");
  const double expiry_a = metrics::BuildGauge()
                              .Name("p2pims_tracker_https_certificate_expiry_timestamp_seconds")
                              .Register(registry_)
                              .Add({})
                              .Value();
  EXPECT_GT(expiry_a, 0);

  // Half a rotation: b's certificate with a's key. Refused; a stays in use.
  WritePair(cert_, key_, {&b_, &ca_}, a_);
  EXPECT_FALSE(https_->ReloadIfChanged());
  EXPECT_FALSE(https_->ReloadIfChanged()) << "the same refused files are not read again";
  EXPECT_EQ(Counter("p2pims_tracker_https_certificate_reloads_total", {{"result", "failed"}}), 1);
  {
    auto client = Client();
    ASSERT_TRUE(client->Handshake());
    EXPECT_EQ(client->PeerName(), "tracker-a");
  }
  // The whole rotation.
  WritePair(cert_, key_, {&b_, &ca_}, b_);
  EXPECT_TRUE(https_->ReloadIfChanged());
  EXPECT_FALSE(https_->ReloadIfChanged()) << "nothing changed since";
  EXPECT_EQ(Counter("p2pims_tracker_https_certificate_reloads_total", {{"result", "ok"}}), 1);
  auto new_client = Client();
  ASSERT_TRUE(new_client->Handshake());
  EXPECT_EQ(new_client->PeerName(), "tracker-b");
  // The connection opened before the rotation is still served.
  old_client->Send("GET /old HTTP/1.1\r\n\r\n");
  EXPECT_NE(old_client->Receive(1).find("GET /old"), std::string::npos);
  new_client->Send("GET /new HTTP/1.1\r\n\r\n");
  EXPECT_NE(new_client->Receive(1).find("GET /new"), std::string::npos);
  EXPECT_EQ(connections_.Value(), 2);
}

TEST_F(HttpsListenerTest, TheWorkersSweepReloadsChangedFiles) {
  auto https = HttpsContext::Load(
      {.cert_file = cert_, .key_file = key_, .check_period = absl::ZeroDuration()}, registry_);
  ASSERT_TRUE(https.ok());
  https_ = std::move(*https);
  listener_ = std::make_unique<HttpListener>(
      [](std::string_view, const PeerAddress&, absl::Time, Rng&, std::string*) {}, nullptr,
      HttpListenerOptions{.threads = 1, .https = https_.get()}, &connections_);
  ASSERT_TRUE(listener_->Start("127.0.0.1:0").ok());
  WritePair(cert_, key_, {&b_, &ca_}, b_);
  // The worker looks at its once-a-second sweep: new connections see b within a few seconds.
  std::string name;
  for (int attempt = 0; attempt < 500 && name != "tracker-b"; ++attempt) {
    auto client = Client();
    ASSERT_TRUE(client->Handshake());
    name = client->PeerName();
    if (name != "tracker-b") usleep(10'000);  // polling the condition, bounded by the attempts
  }
  EXPECT_EQ(name, "tracker-b");
}

TEST(HttpsContextTest, BadFilesAreRefusedWithTheirNames) {
  metrics::Registry registry;
  char dir_template[] = "/tmp/https-context-test.XXXXXX";
  const fs::path dir = mkdtemp(dir_template);
  const Identity ca = MakeIdentity("ca", nullptr), leaf = MakeIdentity("leaf", &ca),
                 other = MakeIdentity("other", &ca);
  const fs::path cert = dir / "tls.crt", key = dir / "tls.key";
  auto load = [&](const fs::path& c, const fs::path& k) {
    return HttpsContext::Load({.cert_file = c, .key_file = k}, registry).status();
  };
  absl::Status s = load(dir / "missing.crt", key);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("missing.crt"), std::string::npos) << s;
  WritePair(cert, key, {&leaf}, other);
  s = load(cert, key);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("is not the key of the certificate"), std::string::npos) << s;
  FILE* f = fopen((dir / "garbage.crt").c_str(), "w");
  fputs("not a certificate\n", f);
  fclose(f);
  s = load(dir / "garbage.crt", key);
  EXPECT_NE(s.message().find("holds no PEM certificate"), std::string::npos) << s;
  WritePair(cert, key, {&leaf}, leaf);
  EXPECT_TRUE(load(cert, key).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace p2pims::tracker
