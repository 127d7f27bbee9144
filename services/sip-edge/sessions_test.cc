// The session logic against scripted backends (pure logic: the real services are exercised by
// tests/walking_skeleton_test.sh).
#include "services/sip-edge/sessions.h"

#include <gtest/gtest.h>

#include <deque>

#include "absl/synchronization/mutex.h"

#include "services/sip-edge/unscripted_backends.h"

namespace p2pims::sip_edge {
namespace {

class ScriptedBackends : public UnscriptedBackends {
 public:
  absl::StatusOr<rv1::AuthorizeResponse> Authorize(const rv1::AuthorizeRequest& req) override {
    Log("authorize " + req.subject());
    if (!authorize_status.ok()) return authorize_status;
    return decision;
  }
  absl::StatusOr<cv1::CreditControlAnswer> CreditControl(
      const cv1::CreditControlRequest& req) override {
    if (req.request_type() == cv1::REQUEST_TYPE_TERMINATION) Cause(req.termination_cause());
    Log("cc " + cv1::RequestType_Name(req.request_type()) + " " +
                    (req.request_type() == cv1::REQUEST_TYPE_INITIAL
                         ? req.rating().price_model()
                         : "#" + std::to_string(req.request_number()) + " used " +
                               std::to_string(req.used().bytes_down())));
    if (!cc_failures.empty()) {
      absl::Status s = cc_failures.front();
      cc_failures.pop_front();
      return s;
    }
    cv1::CreditControlAnswer a;
    a.set_result_code(req.request_type() == cv1::REQUEST_TYPE_INITIAL ? initial_result
                                                                      : cv1::RESULT_CODE_SUCCESS);
    a.set_message("scripted");
    a.mutable_granted()->set_bytes_down(1000);
    a.set_validity_seconds(60);
    a.set_final_unit_action(cv1::FINAL_UNIT_ACTION_TERMINATE);
    return a;
  }
  absl::StatusOr<cv1::AccountingAnswer> Accounting(const cv1::AccountingRequest& req) override {
    if (req.record_type() == cv1::RECORD_TYPE_STOP) Cause(req.cause());
    Log("acct " + cv1::RecordType_Name(req.record_type()) + " " +
                    std::to_string(req.used().bytes_down()));
    return cv1::AccountingAnswer();
  }
  // The queue's thread calls this; the tests read `calls` only after Settle().
  absl::StatusOr<cv1::AccountingBatchResponse> AccountingBatch(
      const cv1::AccountingBatchRequest& req) override {
    cv1::AccountingBatchResponse out;
    for (const cv1::AccountingRequest& r : req.records()) *out.add_outcomes()->mutable_answer() = *Accounting(r);
    return out;
  }
  absl::StatusOr<tv1::OpenSessionResponse> OpenSession(
      const tv1::OpenSessionRequest& req) override {
    Log("open " + req.token() +
                    (req.has_credit() ? " credit #" + std::to_string(req.credit().request_number()) +
                                            " " + std::to_string(req.credit().granted_bytes_down()) +
                                            " bytes " +
                                            std::to_string(req.credit().validity_seconds()) + " s" +
                                            (req.credit().final_units() ? " final" : "")
                                      : ""));
    if (!open_status.ok()) return open_status;
    tv1::OpenSessionResponse r;
    r.set_info_hash(std::string(20, '\xab'));
    r.set_metainfo(metainfo);
    r.add_announce_urls("http://127.0.0.1:6969/a/" + req.token() + "/announce");
    return r;
  }
  absl::StatusOr<tv1::CloseSessionResponse> CloseSession(
      const tv1::CloseSessionRequest& req) override {
    Log("close");
    Cause(req.cause());
    tv1::CloseSessionResponse r;
    r.set_bytes_down(4096);
    r.set_unreported_bytes_down(1024);  // the rest went to charging as INTERIM records
    r.set_credit_request_number(2);         // the tracker sent UPDATEs 1 and 2
    r.set_credit_unreported_bytes_down(512);
    return r;
  }

  // The session calls come from the test's thread, the accounting records from the queue's.
  void Log(std::string call) {
    absl::MutexLock lock(&mu);
    calls.push_back(std::move(call));
  }
  void Cause(std::string cause) {
    absl::MutexLock lock(&mu);
    causes.push_back(std::move(cause));
  }

  absl::Mutex mu;
  rv1::AuthorizeResponse decision;
  absl::Status authorize_status;
  cv1::ResultCode initial_result = cv1::RESULT_CODE_SUCCESS;
  std::deque<absl::Status> cc_failures;
  absl::Status open_status;
  std::string metainfo = "d4:infod6:lengthi1eee";  // OpenSession's, into the descriptor
  std::vector<std::string> calls;
  std::vector<std::string> causes;  // of CloseSession, TERMINATION and STOP, in order
};

class SessionsTest : public ::testing::Test {
 protected:
  SessionsTest() {
    backends_.decision.set_allowed(true);
    backends_.decision.set_token("TOKEN");
    backends_.decision.set_price_model(rv1::PRICE_MODEL_PURCHASE);
    backends_.decision.mutable_price()->set_minor(299);
    backends_.decision.mutable_price()->set_currency("EUR");
    config_.domains = {"p2p.example.net"};
    EXPECT_TRUE(config_.trusted.Parse("10.0.0.0/8").ok());
    config_.teardown_backoff = absl::ZeroDuration();
    config_.teardown_attempts = 3;
  }
  SipRequest Invite(const std::string& user = "movie-1") {
    SipRequest r;
    r.id = 7;
    r.method = "INVITE";
    r.request_user = user;
    r.request_host = "p2p.example.net";
    r.source_ip = "10.1.1.1";
    r.p_asserted_identity = "<sip:alice@ims.example.net>";
    r.p_charging_vector = "icid-value=ICID-1";
    return r;
  }
  static std::string Header(const SipResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  // A purchase set up as far as the tracker, then undone: the tracker session closed and the
  // reservation released without a charge, both for "setup_failed"; no accounting record.
  void ExpectSetUpUndone() {
    std::vector<std::string> want = {"authorize sip:alice@ims.example.net",
                                     "cc REQUEST_TYPE_INITIAL purchase",
                                     "open TOKEN credit #0 1000 bytes 60 s final",
                                     "close",
                                     "cc REQUEST_TYPE_TERMINATION #1 used 0"};
    EXPECT_EQ(backends_.calls, want);
    EXPECT_EQ(backends_.causes, (std::vector<std::string>{"setup_failed", "setup_failed"}));
  }

  // Every Rf record queued so far was sent (the calls are then in order, and read on this
  // thread only).
  void Settle() { ASSERT_TRUE(accounting_.WaitIdle(absl::Seconds(30))); }
  SipResponse Invited(SessionManager& m, const SipRequest& req) {
    SipResponse r = m.HandleInvite(req);
    Settle();
    return r;
  }
  bool Ended(SessionManager& m, const SipRequest& req) {
    const bool ok = m.HandleBye(req);
    Settle();
    return ok;
  }

  ScriptedBackends backends_;
  SessionConfig config_;
  metrics::Registry registry_;
  AccountingQueue accounting_{backends_, {}, registry_};
};

TEST_F(SessionsTest, InviteThenByeRunsTheWholeFlow) {
  SessionManager m(backends_, accounting_, config_, registry_);
  SipResponse r = Invited(m, Invite());
  ASSERT_EQ(r.status, 200) << r.phrase;
  EXPECT_EQ(r.content_type, "application/vnd.p2pims.session+json");
  EXPECT_NE(r.body.find("\"token\":\"TOKEN\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"icid\":\"ICID-1\""), std::string::npos) << r.body;
  EXPECT_EQ(m.active(), 1u);
  SipRequest bye;
  bye.id = 7;
  bye.method = "BYE";
  EXPECT_TRUE(Ended(m, bye));
  EXPECT_EQ(m.active(), 0u);
  std::vector<std::string> want = {"authorize sip:alice@ims.example.net",
                                   "cc REQUEST_TYPE_INITIAL purchase",
                                   "open TOKEN credit #0 1000 bytes 60 s final",
                                   "acct RECORD_TYPE_START 0",
                                   "close",
                                   "cc REQUEST_TYPE_TERMINATION #3 used 512",
                                   "acct RECORD_TYPE_STOP 1024"};
  EXPECT_EQ(backends_.calls, want);
  EXPECT_TRUE(Ended(m, bye));  // a second BYE (or the dialog's end) does nothing more
  EXPECT_EQ(backends_.calls.size(), want.size());
}

TEST_F(SessionsTest, FreeContentHasNoCreditControlAtTheTracker) {
  backends_.initial_result = cv1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE;
  SessionManager m(backends_, accounting_, config_, registry_);
  ASSERT_EQ(Invited(m, Invite()).status, 200);
  SipRequest bye;
  bye.id = 7;
  bye.method = "BYE";
  EXPECT_TRUE(Ended(m, bye));
  std::vector<std::string> want = {"authorize sip:alice@ims.example.net",
                                   "cc REQUEST_TYPE_INITIAL purchase",
                                   "open TOKEN",
                                   "acct RECORD_TYPE_START 0",
                                   "close",
                                   "acct RECORD_TYPE_STOP 1024"};
  EXPECT_EQ(backends_.calls, want);
}

TEST_F(SessionsTest, MalformedAndUntrustedRequests) {
  SessionManager m(backends_, accounting_, config_, registry_);
  EXPECT_EQ(Invited(m, Invite("")).status, 400);
  EXPECT_EQ(Invited(m, Invite("bad id!")).status, 400);
  SipRequest other_domain = Invite();
  other_domain.request_host = "elsewhere.example";
  EXPECT_EQ(Invited(m, other_domain).status, 404);
  SipRequest untrusted = Invite();
  untrusted.source_ip = "192.0.2.1";
  SipResponse r = Invited(m, untrusted);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(Header(r, "Warning").find("untrusted"), std::string::npos);
  SipRequest no_pai = Invite();
  no_pai.p_asserted_identity.clear();
  EXPECT_EQ(Invited(m, no_pai).status, 400);
  EXPECT_TRUE(backends_.calls.empty());  // nothing reached a backend
}

TEST_F(SessionsTest, DenialsMapToSipCodes) {
  SessionManager m(backends_, accounting_, config_, registry_);
  backends_.decision.set_allowed(false);
  backends_.decision.set_reason(rv1::DENY_REASON_UNKNOWN_CONTENT);
  backends_.decision.set_message("unknown content");
  EXPECT_EQ(Invited(m, Invite()).status, 404);
  backends_.decision.set_reason(rv1::DENY_REASON_NOT_ENTITLED);
  backends_.decision.set_message("no entitlement for this content");
  SipResponse r = Invited(m, Invite());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Header(r, "Warning"), "399 p2pims \"no entitlement for this content\"");
}

TEST_F(SessionsTest, OutOfCreditIs402AndBackendDownIs503) {
  SessionManager m(backends_, accounting_, config_, registry_);
  backends_.initial_result = cv1::RESULT_CODE_CREDIT_LIMIT_REACHED;
  EXPECT_EQ(Invited(m, Invite()).status, 402);
  backends_.authorize_status = absl::UnavailableError("down");
  SipResponse r = Invited(m, Invite());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Header(r, "Retry-After"), "5");
}

TEST_F(SessionsTest, TrackerFailureReleasesTheReservation) {
  SessionManager m(backends_, accounting_, config_, registry_);
  backends_.open_status = absl::UnavailableError("tracker down");
  EXPECT_EQ(Invited(m, Invite()).status, 503);
  ASSERT_FALSE(backends_.calls.empty());
  EXPECT_EQ(backends_.calls.back(), "cc REQUEST_TYPE_TERMINATION #1 used 0");
  EXPECT_EQ(m.active(), 0u);
}

TEST_F(SessionsTest, TeardownRetriesTransientFailures) {
  SessionManager m(backends_, accounting_, config_, registry_);
  ASSERT_EQ(Invited(m, Invite()).status, 200);
  backends_.cc_failures = {absl::UnavailableError("blip"), absl::DeadlineExceededError("slow")};
  SipRequest bye;
  bye.id = 7;
  bye.method = "BYE";
  EXPECT_TRUE(Ended(m, bye));
  int terminations = 0;
  for (const auto& c : backends_.calls)
    terminations += c.rfind("cc REQUEST_TYPE_TERMINATION", 0) == 0;
  EXPECT_EQ(terminations, 3);
  EXPECT_EQ(backends_.calls.back(), "acct RECORD_TYPE_STOP 1024");
}

TEST_F(SessionsTest, ASessionPastItsEndIsEndedOnceWithCauseTimeout) {
  config_.max_session = absl::Hours(1);
  SessionManager m(backends_, accounting_, config_, registry_);
  ASSERT_EQ(Invited(m, Invite()).status, 200);
  const absl::Time now = absl::Now();
  EXPECT_TRUE(m.Overdue(now + absl::Minutes(59)).empty());
  EXPECT_EQ(m.Overdue(now + absl::Minutes(61)), std::vector<uint64_t>{7});
  EXPECT_TRUE(m.Overdue(now + absl::Minutes(62)).empty());  // its BYE is sent once
  // sip-edge's BYE ends the dialog, which tears the session down.
  SipRequest gone;
  gone.id = 7;
  gone.method = "TERMINATED";
  EXPECT_TRUE(Ended(m, gone));
  EXPECT_EQ(backends_.causes, (std::vector<std::string>{"timeout", "timeout", "timeout"}));
  EXPECT_EQ(m.active(), 0u);
}

TEST_F(SessionsTest, TheStacksOwnByeEndsASessionWithCauseTimeoutAndTellsWhoWaits) {
  std::vector<std::string> ended;
  config_.on_ended = [&](const std::string& session_id) { ended.push_back(session_id); };
  SessionManager m(backends_, accounting_, config_, registry_);
  SipResponse ok = Invited(m, Invite());
  ASSERT_EQ(ok.status, 200);
  SipRequest gone;
  gone.id = 7;
  gone.method = "TERMINATED";
  gone.stack_ended = true;  // the session timer ran out
  EXPECT_TRUE(Ended(m, gone));
  EXPECT_EQ(backends_.causes, (std::vector<std::string>{"timeout", "timeout", "timeout"}));
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_NE(ok.body.find("\"session_id\":\"" + ended[0] + "\""), std::string::npos);
  EXPECT_NE(ok.body.find("\"progress\":\"sip:" + ended[0] + "@p2p.example.net\""), std::string::npos)
      << ok.body;
}

TEST_F(SessionsTest, ASessionEndsWhenItsTokenExpiresIfSooner) {
  config_.max_session = absl::Hours(4);
  backends_.decision.set_expires_at(absl::ToUnixSeconds(absl::Now() + absl::Minutes(10)));
  SessionManager m(backends_, accounting_, config_, registry_);
  ASSERT_EQ(Invited(m, Invite()).status, 200);
  EXPECT_TRUE(m.Overdue(absl::Now() + absl::Minutes(9)).empty());
  EXPECT_EQ(m.Overdue(absl::Now() + absl::Minutes(11)).size(), 1u);
}

TEST_F(SessionsTest, AnSdpOfferIsAnsweredBesideTheDescriptor) {
  SessionManager m(backends_, accounting_, config_, registry_);
  SipRequest req = Invite();
  req.content_type = "application/sdp";
  req.body = "v=0\r\no=ue 1 1 IN IP4 192.0.2.7\r\ns=-\r\nt=0 0\r\nm=message 7654 TCP/MSRP *\r\n";
  SipResponse r = Invited(m, req);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("multipart/mixed;boundary=", 0), 0u);
  EXPECT_NE(r.body.find("Content-Type: application/sdp\r\n\r\nv=0"), std::string::npos);
  EXPECT_NE(r.body.find("m=message 0 TCP/MSRP *"), std::string::npos);
  EXPECT_NE(r.body.find("Content-Type: application/vnd.p2pims.session+json\r\n\r\n{"),
            std::string::npos);
}

TEST_F(SessionsTest, AnUnusableOfferIs488BeforeAnyBackend) {
  SessionManager m(backends_, accounting_, config_, registry_);
  SipRequest req = Invite();
  req.content_type = "application/sdp";
  req.body = "v=0\r\no=ue 1 1 IN IP4 192.0.2.7\r\ns=-\r\n";
  SipResponse r = Invited(m, req);
  EXPECT_EQ(r.status, 488);
  EXPECT_TRUE(backends_.calls.empty());
}

TEST_F(SessionsTest, ADialogEndingBeforeItsWorkerStartsIsTornDownAfterSetUp) {
  SessionManager m(backends_, accounting_, config_, registry_);
  m.BeginSetUp(7);  // the SIP loop queued the INVITE
  SipRequest gone;  // a CANCEL ended the dialog; its end reached a worker first
  gone.id = 7;
  gone.method = "TERMINATED";
  EXPECT_TRUE(Ended(m, gone));
  EXPECT_TRUE(backends_.calls.empty());
  EXPECT_EQ(Invited(m, Invite()).status, 487);
  EXPECT_EQ(m.active(), 0u);
  // Set up, then torn down; the START (queued at set-up) and the STOP go in their own order.
  std::vector<std::string> session, accounting;
  for (const std::string& c : backends_.calls) (c.rfind("acct", 0) == 0 ? accounting : session).push_back(c);
  ASSERT_GE(session.size(), 2u);
  EXPECT_EQ(session[session.size() - 2], "close");
  EXPECT_EQ(session.back(), "cc REQUEST_TYPE_TERMINATION #3 used 512");
  EXPECT_EQ(accounting, (std::vector<std::string>{"acct RECORD_TYPE_START 0", "acct RECORD_TYPE_STOP 1024"}));
}

TEST_F(SessionsTest, AFullAccountingQueueRefusesTheSessionAndUndoesItsSetUp) {
  metrics::Registry other;
  AccountingQueue full(backends_, {.capacity = 0}, other);
  SessionManager m(backends_, full, config_, registry_);
  SipResponse r = m.HandleInvite(Invite());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Header(r, "Retry-After"), "5");
  EXPECT_EQ(m.active(), 0u);
  ExpectSetUpUndone();
}

TEST_F(SessionsTest, ADescriptorTooLargeForUdpIsRefusedAndTheSetUpUndone) {
  SessionManager m(backends_, accounting_, config_, registry_);
  // About 2,000 pieces of a hybrid torrent: 67 KB once in base64, more than a datagram holds.
  backends_.metainfo = std::string(50000, 'x');
  SipRequest udp = Invite();
  udp.transport = "udp";
  SipResponse r = Invited(m, udp);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(Header(r, "Warning").find("is too large for UDP: send the INVITE over TCP"),
            std::string::npos)
      << Header(r, "Warning");
  EXPECT_EQ(m.active(), 0u);
  ExpectSetUpUndone();  // as any set-up that fails after the tracker

  // Over TCP the same content is served.
  SipRequest tcp = Invite();
  tcp.id = 8;
  tcp.transport = "tcp";
  r = Invited(m, tcp);
  EXPECT_EQ(r.status, 200) << r.phrase;
  EXPECT_GT(r.body.size(), 60u * 1024);
}

}  // namespace
}  // namespace p2pims::sip_edge
