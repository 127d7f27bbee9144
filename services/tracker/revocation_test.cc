// Revocation enforcement end to end, with real parts only: a throwaway PostgreSQL, the
// p2pims-rights and p2pims-tracker binaries on free loopback ports, and the operator's p2pimsctl.
// The test talks to the services only through their protos (Rights.Authorize,
// Tracker.OpenSession, ContentIndex.IndexContent) and their /metrics; it links no service code.
//
// What it shows: a token revoked with `p2pimsctl revoke --token-id` is refused by the tracker with
// PERMISSION_DENIED "token revoked" within 1 s of the command returning, while the same
// subscriber's other tokens still work; withdrawing content (`p2pimsctl content withdraw`)
// revokes every token for it the same way; while rights is down the tracker keeps enforcing what
// it received, and after rights restarts the stream resumes and new revocations arrive again
// within 1 s; the metrics count verifications by result and the revocations held.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/encoding/encoding.h"
#include "lib/grpc/client.h"
#include "lib/pg/testing/temp_postgres.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"
#include "p2pims/tracker/v1/tracker.grpc.pb.h"

#ifndef P2PIMS_TEST_BINARY_DIR
#define P2PIMS_TEST_BINARY_DIR ""
#endif

namespace p2pims::tracker {
namespace {

namespace fs = std::filesystem;

// How long a revocation may take from the operator's command to the tracker's refusal.
constexpr absl::Duration kBound = absl::Seconds(1);

std::string BinaryDir() {
  const char* env = std::getenv("P2PIMS_BINARY_DIR");
  return env != nullptr && *env != '\0' ? env : P2PIMS_TEST_BINARY_DIR;
}

// A loopback TCP port nobody listens on right now (the kernel's pick).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// GET http://127.0.0.1:<port><path>; the status code (0 when unreachable) and the body.
std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  timeval timeout{.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, n);
    }
  }
  close(fd);
  int code = 0;
  if (response.size() > 12) (void)absl::SimpleAtoi(response.substr(9, 3), &code);
  const size_t body = response.find("\r\n\r\n");
  return {code, body == std::string::npos ? "" : response.substr(body + 4)};
}

// The value of one sample in a Prometheus text scrape, e.g.
// Sample(text, "p2pims_tracker_token_verifications_total{result=\"ok\"}"); -1 when absent.
double Sample(const std::string& scrape, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ') {
      double v = -1;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

// Polls `done` every 20 ms until it holds or `limit` passes from `start`; true when it held.
bool Within(absl::Time start, absl::Duration limit, const std::function<bool()>& done) {
  while (true) {
    if (done()) return true;
    if (absl::Now() - start > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// One child process with its output in a log file; stopped (SIGTERM, then SIGKILL) when the
// object goes, and killed by the kernel if this test dies first.
class Child {
 public:
  // Starts argv[0] with `argv`, stdout to `out` (or the log), stderr to the log.
  Child(std::vector<std::string> argv, std::string log, std::string out = "")
      : argv_(std::move(argv)), log_(std::move(log)), out_(std::move(out)) {}
  ~Child() { Stop(); }

  bool Start() {
    std::vector<char*> args;
    for (std::string& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    const std::string& out = out_.empty() ? log_ : out_;
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      const int log_fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (log_fd < 0 || out_fd < 0) _exit(127);
      dup2(out_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execv(args[0], args.data());
      _exit(127);
    }
    return pid_ > 0;
  }

  // Waits for the exit; its code, or -1.
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    const pid_t done = waitpid(pid_, &status, 0);
    pid_ = 0;
    return done > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // SIGTERM and wait up to 15 s for a clean stop, then SIGKILL.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = 0;
  }

 private:
  std::vector<std::string> argv_;
  std::string log_, out_;
  pid_t pid_ = 0;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class RevocationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp", "/p2pims-revocation.XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      setup_error_ = new std::string("cannot create a directory like " + pattern);
      return;
    }
    dir_ = new std::string(pattern);

    auto pg = pg::TempPostgres::Start();
    if (!pg.ok()) {
      setup_error_ = new std::string(pg.status().ToString());
      return;
    }
    pg_ = pg->release();
    rights_grpc_ = FreePort();
    rights_admin_ = FreePort();
    tracker_grpc_ = FreePort();
    tracker_admin_ = FreePort();

    const std::string keys = *dir_ + "/signing.keys";
    Child generate({Binary("services/rights/p2pims-rights"), "--generate-key", "k1"},
                   *dir_ + "/keygen.log", keys);
    if (!generate.Start() || generate.Wait() != 0) {
      setup_error_ = new std::string("p2pims-rights --generate-key failed");
      return;
    }
    StartRights();
    tracker_ = new Child({Binary("services/tracker/p2pims-tracker"), "--grpc-listen",
                          absl::StrCat("127.0.0.1:", tracker_grpc_), "--admin-listen",
                          absl::StrCat("127.0.0.1:", tracker_admin_), "--db", pg_->conninfo(),
                          "--rights", absl::StrCat("127.0.0.1:", rights_grpc_), "--announce-host",
                          absl::StrCat("127.0.0.1:", FreePort())},
                         *dir_ + "/tracker.log");
    tracker_->Start();
    for (auto [name, port] : {std::pair{"rights", rights_admin_}, {"tracker", tracker_admin_}}) {
      if (!Within(absl::Now(), absl::Seconds(60),
                  [port = port] { return HttpGet(port, "/readyz").first == 200; })) {
        setup_error_ = new std::string(absl::StrCat(name, " did not become ready"));
        return;
      }
    }
    rights_stub_ =
        rights::v1::Rights::NewStub(MakeChannel(absl::StrCat("127.0.0.1:", rights_grpc_)))
            .release();
    auto tracker_channel = MakeChannel(absl::StrCat("127.0.0.1:", tracker_grpc_));
    tracker_stub_ = v1::Tracker::NewStub(tracker_channel).release();
    index_stub_ = v1::ContentIndex::NewStub(tracker_channel).release();
  }

  static void TearDownTestSuite() {
    delete tracker_;
    delete rights_;
    delete rights_stub_;
    delete tracker_stub_;
    delete index_stub_;
    if (dir_ == nullptr) return;
    const bool failed = ::testing::UnitTest::GetInstance()->failed_test_count() > 0;
    if (failed || setup_error_ != nullptr) {
      for (const char* log : {"rights.log", "tracker.log", "ctl.log"}) {
        const std::string text = ReadFile(*dir_ + "/" + log);
        std::cerr << "--- " << *dir_ << "/" << log << " (last 4000 bytes)\n"
                  << text.substr(text.size() > 4000 ? text.size() - 4000 : 0) << "\n";
      }
    } else if (std::getenv("KEEP_E2E_DIR") != nullptr) {  // as tests/lib/harness.sh
      std::cerr << "state kept in " << *dir_ << "\n";
    } else {
      std::error_code ignored;
      fs::remove_all(*dir_, ignored);
    }
    delete pg_;
  }

  void SetUp() override { ASSERT_EQ(setup_error_, nullptr) << *setup_error_; }

  static std::string Binary(const std::string& path) {
    return absl::StrCat(BinaryDir(), "/", path);
  }

  static void StartRights() {
    rights_ = new Child({Binary("services/rights/p2pims-rights"), "--grpc-listen",
                         absl::StrCat("127.0.0.1:", rights_grpc_), "--admin-listen",
                         absl::StrCat("127.0.0.1:", rights_admin_), "--db", pg_->conninfo(),
                         "--signing-key-file", *dir_ + "/signing.keys"},
                        *dir_ + "/rights.log");
    rights_->Start();
  }

  // Runs p2pimsctl against rights; true when it exits 0 (its output goes to ctl.log).
  static bool Ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {Binary("tools/p2pimsctl/p2pimsctl"), "--rights",
                                     absl::StrCat("127.0.0.1:", rights_grpc_), "--actor",
                                     "revocation-test"};
    argv.insert(argv.end(), args.begin(), args.end());
    Child ctl(argv, *dir_ + "/ctl.log");
    return ctl.Start() && ctl.Wait() == 0;
  }

  // Registers purchasable content in rights and indexes it in the tracker under the same id and
  // a random info-hash.
  static void AddContent(const std::string& content_id) {
    static std::mt19937_64 random(std::random_device{}());
    std::string info_hash(20, '\0');
    for (char& c : info_hash) c = static_cast<char>(random());
    ASSERT_TRUE(Ctl({"content", "register", "--id", content_id, "--owner", "studio", "--title",
                     content_id, "--info-hash-v1", Hex(info_hash), "--size", "1048576",
                     "--price-model", "purchase", "--price", "299", "--currency", "EUR"}))
        << "p2pimsctl content register " << content_id;
    v1::IndexContentRequest req;
    req.set_content_id(content_id);
    req.set_info_hash(info_hash);
    req.set_name(content_id + ".mkv");
    req.set_size_bytes(1048576);
    v1::IndexedContent resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const grpc::Status s = index_stub_->IndexContent(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  static void Grant(const std::string& subject, const std::string& content_id) {
    ASSERT_TRUE(Ctl({"entitlement", "grant", "--subject", subject, "--kind", "purchase",
                     "--content", content_id}))
        << "p2pimsctl entitlement grant " << subject << " " << content_id;
  }

  struct Token {
    std::string token, token_id, session_id;
  };

  // Rights.Authorize for a new session; the token and its id.
  static Token Authorize(const std::string& subject, const std::string& content_id) {
    static int sessions = 0;
    rights::v1::AuthorizeRequest req;
    req.set_subject(subject);
    req.set_content_id(content_id);
    req.set_session_id(absl::StrCat("revocation-test-", ++sessions));
    req.set_role("leech");
    rights::v1::AuthorizeResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const grpc::Status s = rights_stub_->Authorize(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(resp.allowed()) << subject << " " << content_id << ": " << resp.message();
    last_issue_ = std::max(last_issue_, absl::ToUnixSeconds(absl::Now()));
    return {resp.token(), resp.token_id(), req.session_id()};
  }

  // Tracker.OpenSession with the token, for its own session.
  static grpc::Status Open(const Token& t) {
    v1::OpenSessionRequest req;
    req.set_token(t.token);
    req.set_session_id(t.session_id);
    v1::OpenSessionResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    return tracker_stub_->OpenSession(&ctx, req, &resp);
  }

  static bool Refused(const Token& t) {
    const grpc::Status s = Open(t);
    return s.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
           s.error_message() == "token revoked";
  }

  // Rights records a revocation's issued_before in whole seconds, and a token issued in that
  // very second counts as issued at it, not before: so that "before" is unambiguous, revoke only
  // once the second in which the last token was issued is over.
  static void PastTheIssuingSecond() {
    ASSERT_TRUE(Within(absl::Now(), absl::Seconds(2),
                       [] { return absl::ToUnixSeconds(absl::Now()) > last_issue_; }));
  }

  // Runs the p2pimsctl command, then polls until every token in `refused` is refused; the time
  // from the command's return to the last refusal.
  static absl::Duration RevokeAndMeasure(const std::vector<std::string>& command,
                                         const std::vector<Token>& refused) {
    EXPECT_TRUE(Ctl(command)) << "p2pimsctl " << absl::StrJoin(command, " ");
    const absl::Time done = absl::Now();
    const bool all = Within(done, absl::Seconds(10), [&] {
      for (const Token& t : refused) {
        if (!Refused(t)) return false;
      }
      return true;
    });
    EXPECT_TRUE(all) << "the tracker still accepts a revoked token 10 s later";
    return absl::Now() - done;
  }

  static std::string Scrape() { return HttpGet(tracker_admin_, "/metrics").second; }
  static double Metric(const std::string& series) { return Sample(Scrape(), series); }

  static inline std::string* dir_ = nullptr;
  static inline std::string* setup_error_ = nullptr;
  static inline pg::TempPostgres* pg_ = nullptr;
  static inline Child* rights_ = nullptr;
  static inline Child* tracker_ = nullptr;
  static inline rights::v1::Rights::Stub* rights_stub_ = nullptr;
  static inline v1::Tracker::Stub* tracker_stub_ = nullptr;
  static inline v1::ContentIndex::Stub* index_stub_ = nullptr;
  static inline int rights_grpc_ = 0, rights_admin_ = 0, tracker_grpc_ = 0, tracker_admin_ = 0;
  static inline int64_t last_issue_ = 0;
  static inline int revocations_made_ = 0;  // by this suite, all still in force
};

constexpr char kAlice[] = "sip:alice@ims.localhost";
constexpr char kBob[] = "sip:bob@ims.localhost";
constexpr char kCarol[] = "sip:carol@ims.localhost";

TEST_F(RevocationTest, ARevokedTokenIsRefusedWithinASecondAndOnlyThatToken) {
  AddContent("film-a");
  AddContent("film-b");
  Grant(kAlice, "film-a");
  Grant(kAlice, "film-b");
  const Token a = Authorize(kAlice, "film-a");
  const Token b = Authorize(kAlice, "film-b");
  ASSERT_TRUE(Open(a).ok()) << Open(a).error_message();
  ASSERT_TRUE(Open(b).ok()) << Open(b).error_message();
  PastTheIssuingSecond();

  const absl::Duration took =
      RevokeAndMeasure({"revoke", "--token-id", a.token_id, "--reason", "test"}, {a});
  ++revocations_made_;
  EXPECT_LE(took, kBound) << "token id revocation took " << took;
  std::cerr << "token id revocation enforced after " << took << "\n";

  EXPECT_TRUE(Open(b).ok()) << "alice's token for other content still works";
  const Token again = Authorize(kAlice, "film-a");
  EXPECT_TRUE(Open(again).ok()) << "a new token for the same content is not affected";
  EXPECT_TRUE(Refused(a)) << "and the revoked one stays refused";
}

TEST_F(RevocationTest, WithdrawingContentRevokesEveryTokenForItWithinASecond) {
  AddContent("film-c");
  AddContent("film-d");
  Grant(kAlice, "film-c");
  Grant(kBob, "film-c");
  Grant(kBob, "film-d");
  const Token alice_c = Authorize(kAlice, "film-c");
  const Token bob_c = Authorize(kBob, "film-c");
  const Token bob_d = Authorize(kBob, "film-d");
  for (const Token* t : {&alice_c, &bob_c, &bob_d}) ASSERT_TRUE(Open(*t).ok());
  PastTheIssuingSecond();

  const absl::Duration took = RevokeAndMeasure(
      {"content", "withdraw", "film-c", "--reason", "rights expired"}, {alice_c, bob_c});
  ++revocations_made_;
  EXPECT_LE(took, kBound) << "withdrawal took " << took;
  std::cerr << "withdrawal enforced after " << took << "\n";
  EXPECT_TRUE(Open(bob_d).ok()) << "bob's token for other content still works";
}

TEST_F(RevocationTest, EnforcementSurvivesARightsRestartAndTheStreamResumes) {
  AddContent("film-e");
  AddContent("film-f");
  Grant(kCarol, "film-e");
  Grant(kCarol, "film-f");
  const Token e = Authorize(kCarol, "film-e");
  const Token f = Authorize(kCarol, "film-f");
  ASSERT_TRUE(Open(e).ok());
  ASSERT_TRUE(Open(f).ok());
  PastTheIssuingSecond();
  EXPECT_LE(RevokeAndMeasure({"revoke", "--token-id", e.token_id, "--reason", "test"}, {e}),
            kBound);
  ++revocations_made_;
  const std::string up = "p2pims_tracker_revocation_stream_up";
  EXPECT_EQ(Metric(up), 1);

  rights_->Stop();
  delete rights_;
  rights_ = nullptr;
  EXPECT_TRUE(Within(absl::Now(), absl::Seconds(10), [&] { return Metric(up) == 0; }))
      << "the tracker notices the stream is gone";
  EXPECT_TRUE(Refused(e)) << "rights down: what was received is still enforced";
  EXPECT_TRUE(Open(f).ok()) << "rights down: other tokens still work";

  StartRights();
  ASSERT_TRUE(Within(absl::Now(), absl::Seconds(60), [] {
    return HttpGet(rights_admin_, "/readyz").first == 200;
  })) << "rights restarted";
  // The channel's reconnect backoff is capped at 1 s (lib/grpc/client.cc).
  EXPECT_TRUE(Within(absl::Now(), absl::Seconds(3), [&] { return Metric(up) == 1; }))
      << "the stream reconnects";
  const absl::Duration took =
      RevokeAndMeasure({"revoke", "--subject", kCarol, "--reason", "after restart"}, {f});
  ++revocations_made_;
  EXPECT_LE(took, kBound) << "revocation after the restart took " << took;
  EXPECT_TRUE(Refused(e));
  EXPECT_EQ(Metric("p2pims_tracker_revocations"), revocations_made_)
      << "resumed after the last sequence: nothing lost, nothing twice";
}

TEST_F(RevocationTest, MetricsCountVerificationsByResult) {
  AddContent("film-g");
  Grant(kAlice, "film-g");
  const Token g = Authorize(kAlice, "film-g");
  auto verifications = [](const std::string& scrape, const char* result) {
    return Sample(
        scrape, absl::StrCat("p2pims_tracker_token_verifications_total{result=\"", result, "\"}"));
  };
  const std::string before = Scrape();
  ASSERT_TRUE(Open(g).ok());
  Token forged = g;
  char& c = forged.token[forged.token.size() - 5];  // inside the signature
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(Open(forged).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  PastTheIssuingSecond();
  RevokeAndMeasure({"revoke", "--token-id", g.token_id, "--reason", "test"}, {g});
  ++revocations_made_;

  const std::string after = Scrape();
  EXPECT_EQ(verifications(after, "ok"), verifications(before, "ok") + 1);
  EXPECT_EQ(verifications(after, "bad_signature"), verifications(before, "bad_signature") + 1);
  EXPECT_GE(verifications(after, "revoked"), verifications(before, "revoked") + 1);
  EXPECT_EQ(verifications(after, "expired"), 0);
  EXPECT_EQ(Sample(after, "p2pims_tracker_revocations"), revocations_made_);
  EXPECT_EQ(Sample(after, "p2pims_tracker_revocation_stream_up"), 1);
  EXPECT_NE(after.find("# TYPE p2pims_tracker_token_verifications_total counter"),
            std::string::npos);
  EXPECT_NE(after.find("# TYPE p2pims_tracker_revocations gauge"), std::string::npos);
}

}  // namespace
}  // namespace p2pims::tracker
