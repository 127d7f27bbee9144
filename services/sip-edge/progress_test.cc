// Progress subscriptions against a scripted tracker (pure logic: the real SUBSCRIBE/NOTIFY
// dialogs run in tests/e2e/sip_progress_test.sh).
#include "services/sip-edge/progress.h"

#include <gtest/gtest.h>

#include <map>

#include "services/sip-edge/unscripted_backends.h"

namespace p2pims::sip_edge {
namespace {

const std::string kSession(32, 'a');
const std::string kOther(32, 'b');

class ScriptedTracker : public UnscriptedBackends {
 public:
  absl::StatusOr<tv1::SessionProgressResponse> SessionProgress(
      const tv1::SessionProgressRequest& req) override {
    ++calls;
    if (!status.ok()) return status;
    tv1::SessionProgressResponse out;
    for (const std::string& id : req.session_ids()) {
      tv1::SessionProgress& p = *out.add_sessions();
      if (auto it = sessions.find(id); it != sessions.end()) {
        p = it->second;
      } else {
        p.set_session_id(id);
      }
    }
    return out;
  }
  // Adds or changes a session the tracker knows.
  tv1::SessionProgress& Session(const std::string& id) {
    tv1::SessionProgress& p = sessions[id];
    p.set_session_id(id);
    p.set_found(true);
    p.set_subject("sip:alice@ims.example.net");
    p.set_content_id("sintel");
    p.set_size_bytes(1000);
    return p;
  }
  std::map<std::string, tv1::SessionProgress> sessions;
  absl::Status status;
  int calls = 0;
};

class ProgressTest : public ::testing::Test {
 protected:
  ProgressTest() : reply_(registry_, {}), identify_(trusted_, nullptr, reply_) {
    EXPECT_TRUE(trusted_.Parse("10.0.0.0/8").ok());
    tracker_.Session(kSession);
  }
  SipRequest Subscribe(uint64_t id, const std::string& session = kSession) {
    SipRequest r;
    r.id = id;
    r.method = "SUBSCRIBE";
    r.request_user = session;
    r.request_host = "p2p.example.net";
    r.source_ip = "10.1.2.3";
    r.p_asserted_identity = "<sip:alice@ims.example.net>";
    return r;
  }
  metrics::Registry registry_;
  Responder reply_;
  TrustedNetworks trusted_;
  Identifier identify_;
  ScriptedTracker tracker_;
  ProgressNotifier progress_{tracker_, identify_, reply_,
                             {.domains = {"p2p.example.net"}, .max_subscriptions = 3,
                              .max_per_session = 2},
                             registry_};
};

TEST_F(ProgressTest, AcceptsTheSessionsSubscriberAndNotifiesAtOnce) {
  tracker_.Session(kSession).set_bytes_down(250);
  SubscribeReply r = progress_.Subscribe(Subscribe(7));
  EXPECT_EQ(r.response.status, 200);
  ASSERT_TRUE(r.first.has_value());
  EXPECT_EQ(r.first->subscription, 7u);
  EXPECT_EQ(r.first->event, "p2pims-progress");
  EXPECT_EQ(r.first->content_type, "application/vnd.p2pims.progress+json");
  EXPECT_FALSE(r.first->final);
  EXPECT_EQ(r.first->body,
            "{\"version\":1,\"session_id\":\"" + kSession +
                "\",\"content_id\":\"sintel\",\"state\":\"active\",\"size\":1000,"
                "\"bytes_down\":250,\"bytes_up\":0}");
  EXPECT_EQ(progress_.subscriptions(), 1u);
}

TEST_F(ProgressTest, RefusesWhatItCannotServe) {
  SipRequest elsewhere = Subscribe(1);
  elsewhere.request_host = "other.net";
  EXPECT_EQ(progress_.Subscribe(elsewhere).response.status, 404);
  EXPECT_EQ(progress_.Subscribe(Subscribe(2, "sintel")).response.status, 404);  // not a session id
  EXPECT_EQ(progress_.Subscribe(Subscribe(3, kOther)).response.status, 404);    // unknown
  tracker_.Session(kOther).set_subject("sip:bob@ims.example.net");
  EXPECT_EQ(progress_.Subscribe(Subscribe(4, kOther)).response.status, 404);  // someone else's
  SipRequest untrusted = Subscribe(5);
  untrusted.source_ip = "192.0.2.9";  // a direct client, and no digest configured here
  EXPECT_EQ(progress_.Subscribe(untrusted).response.status, 403);
  tracker_.status = absl::UnavailableError("down");
  SubscribeReply down = progress_.Subscribe(Subscribe(6));
  EXPECT_EQ(down.response.status, 503);
  EXPECT_FALSE(down.first.has_value());
  EXPECT_EQ(progress_.subscriptions(), 0u);
}

TEST_F(ProgressTest, BoundsSubscriptionsPerSessionAndInAll) {
  tracker_.Session(kOther);
  const std::string third(32, 'c');
  tracker_.Session(third);
  EXPECT_EQ(progress_.Subscribe(Subscribe(1)).response.status, 200);
  EXPECT_EQ(progress_.Subscribe(Subscribe(2)).response.status, 200);
  EXPECT_EQ(progress_.Subscribe(Subscribe(3)).response.status, 403);  // two per session
  EXPECT_EQ(progress_.Subscribe(Subscribe(4, kOther)).response.status, 200);
  EXPECT_EQ(progress_.Subscribe(Subscribe(5, third)).response.status, 503);  // three in all
  progress_.Forget(4);
  EXPECT_EQ(progress_.Subscribe(Subscribe(5, third)).response.status, 200);
}

TEST_F(ProgressTest, PollNotifiesChangesOnlyAndEndsWithTheSession) {
  progress_.Subscribe(Subscribe(1));
  progress_.Subscribe(Subscribe(2));
  EXPECT_TRUE(progress_.Poll().empty());  // nothing changed
  tv1::SessionProgress& p = tracker_.Session(kSession);
  p.set_bytes_down(600);
  p.set_swarm_known(true);
  p.set_peers(1);
  p.set_swarm_seeders(3);
  std::vector<OutgoingNotify> changed = progress_.Poll();
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_EQ(changed[0].subscription, 1u);
  EXPECT_EQ(changed[1].subscription, 2u);
  EXPECT_FALSE(changed[0].final);
  EXPECT_NE(changed[0].body.find("\"bytes_down\":600,\"bytes_up\":0,\"peers\":1,\"done\":false,"
                                 "\"swarm\":{\"seeders\":3,\"leechers\":0}"),
            std::string::npos)
      << changed[0].body;
  tracker_.status = absl::UnavailableError("down");
  EXPECT_TRUE(progress_.Poll().empty());  // held, not dropped
  EXPECT_EQ(progress_.subscriptions(), 2u);
  tracker_.status = absl::OkStatus();
  p.set_seeding(true);
  p.set_closed(true);
  p.set_close_cause("normal");
  std::vector<OutgoingNotify> ended = progress_.Poll(kSession);
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_TRUE(ended[0].final && ended[1].final);
  EXPECT_NE(ended[0].body.find("\"state\":\"ended\""), std::string::npos);
  EXPECT_NE(ended[0].body.find("\"done\":true"), std::string::npos);
  EXPECT_NE(ended[0].body.find("\"cause\":\"normal\""), std::string::npos);
  EXPECT_EQ(progress_.subscriptions(), 0u);
  const int calls = tracker_.calls;
  EXPECT_TRUE(progress_.Poll().empty());
  EXPECT_EQ(tracker_.calls, calls);  // nothing subscribed: the tracker is not asked
}

TEST_F(ProgressTest, AnEndedSessionGetsOneFinalNotifyAndNoSubscription) {
  tracker_.Session(kSession).set_closed(true);
  SubscribeReply r = progress_.Subscribe(Subscribe(9));
  EXPECT_EQ(r.response.status, 200);
  ASSERT_TRUE(r.first.has_value());
  EXPECT_TRUE(r.first->final);
  EXPECT_EQ(progress_.subscriptions(), 0u);
}

TEST_F(ProgressTest, ASessionTheTrackerForgotEndsItsSubscriptions) {
  progress_.Subscribe(Subscribe(1));
  tracker_.sessions.clear();
  std::vector<OutgoingNotify> ended = progress_.Poll();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].final);
  EXPECT_EQ(progress_.subscriptions(), 0u);
}

}  // namespace
}  // namespace p2pims::sip_edge
