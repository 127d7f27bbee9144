// sip-edge's flags: defaults, values carried to each part, and refusals naming the flag.
#include "services/sip-edge/edge_flags.h"

#include <gtest/gtest.h>

#include <vector>

namespace p2pims::sip_edge {
namespace {

absl::StatusOr<EdgeSettings> Read(std::vector<const char*> args) {
  Flags flags("p2pims-sip-edge", "test");
  AddEdgeFlags(flags);
  args.insert(args.begin(), "p2pims-sip-edge");
  if (absl::Status s = flags.Parse(static_cast<int>(args.size()), args.data()); !s.ok()) return s;
  return ReadEdgeFlags(flags);
}

TEST(EdgeFlagsTest, DefaultsMakeAWorkingEdgeWithoutDigest) {
  auto s = Read({});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->stack.url, "sip:127.0.0.1:5060");
  EXPECT_TRUE(s->stack.sips_url.empty());
  EXPECT_EQ(s->sessions.domains, std::vector<std::string>{"p2p.localhost"});
  EXPECT_TRUE(s->sessions.trusted.Contains("127.0.0.1"));
  EXPECT_EQ(s->sessions.max_session, absl::Hours(4));
  EXPECT_EQ(s->progress_interval, absl::Seconds(5));
  EXPECT_EQ(s->workers, 32);
  EXPECT_EQ(s->max_queue_wait, absl::Milliseconds(200));  // under SIP's T1
  EXPECT_EQ(s->stack.udp_receive_buffer, 4u << 20);
  EXPECT_EQ(s->stack.udp_send_buffer, 4u << 20);
  EXPECT_EQ(s->stack.transaction_timeout_ms, 32000u);  // RFC 3261's 64 x T1
  EXPECT_EQ(s->stack.session_expires, 1800u);
  EXPECT_EQ(s->stack.min_se, 90u);
  EXPECT_EQ(s->progress.domains, s->sessions.domains);
  EXPECT_EQ(s->registrar.min_expires, absl::Seconds(60));
  EXPECT_EQ(s->registrar.default_expires, absl::Hours(1));
  EXPECT_EQ(s->auth.realm, "p2p.localhost");  // the first domain
  EXPECT_TRUE(s->db.empty());
}

TEST(EdgeFlagsTest, ValuesReachTheirParts) {
  auto s = Read({"--domains", " P2P.Example.NET , other.net", "--max-expires", "300",
                 "--realm", "ims.example.net", "--sips-url", "sips:*:5061", "--tls-dir", "/tls",
                 "--backend-deadline-ms", "250", "--progress-interval-seconds", "2",
                 "--max-progress-subscriptions", "7", "--max-queue-wait-ms", "50"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->max_queue_wait, absl::Milliseconds(50));
  EXPECT_EQ(s->progress_interval, absl::Seconds(2));
  EXPECT_EQ(s->progress.max_subscriptions, 7);
  EXPECT_EQ(s->progress.domains, (std::vector<std::string>{"p2p.example.net", "other.net"}));
  EXPECT_EQ(s->sessions.domains, (std::vector<std::string>{"p2p.example.net", "other.net"}));
  EXPECT_EQ(s->registrar.max_expires, absl::Seconds(300));
  EXPECT_EQ(s->registrar.default_expires, absl::Seconds(300));  // never above the maximum
  EXPECT_EQ(s->auth.realm, "ims.example.net");
  EXPECT_EQ(s->stack.tls_dir, "/tls");
  EXPECT_EQ(s->backends.deadline, absl::Milliseconds(250));
  EXPECT_EQ(s->auth.algorithms,
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}));
  auto md5_first = Read({"--digest-algorithms", "md5, SHA-256"});
  ASSERT_TRUE(md5_first.ok());
  EXPECT_EQ(md5_first->auth.algorithms,
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kMd5, DigestAlgorithm::kSha256}));
}

TEST(EdgeFlagsTest, BadValuesNameTheirFlag) {
  auto message = [](std::vector<const char*> args) {
    auto s = Read(std::move(args));
    return s.ok() ? std::string("ok") : std::string(s.status().message());
  };
  EXPECT_NE(message({"--workers", "0"}).find("--workers"), std::string::npos);
  EXPECT_NE(message({"--max-queue-wait-ms", "0"}).find("--max-queue-wait-ms"), std::string::npos);
  EXPECT_NE(message({"--udp-receive-buffer-kb", "0"}).find("--udp-receive-buffer-kb"),
            std::string::npos);
  EXPECT_NE(message({"--udp-send-buffer-kb", "0"}).find("--udp-send-buffer-kb"),
            std::string::npos);
  EXPECT_NE(message({"--transaction-timeout-ms", "500"}).find("--transaction-timeout-ms"),
            std::string::npos);
  EXPECT_NE(message({"--transaction-timeout-ms", "100000"}).find("--transaction-timeout-ms"),
            std::string::npos);
  EXPECT_NE(message({"--max-session-seconds", "-5"}).find("--max-session-seconds"), std::string::npos);
  EXPECT_NE(message({"--min-expires", "600", "--max-expires", "60"}).find("--max-expires"),
            std::string::npos);
  EXPECT_NE(message({"--sips-url", "sips:*:5061"}).find("--tls-dir"), std::string::npos);
  EXPECT_NE(message({"--trusted-cscf", "10.0.0.0/33"}).find("10.0.0.0/33"), std::string::npos);
  EXPECT_NE(message({"--workers", "many"}).find("workers"), std::string::npos);
  EXPECT_NE(message({"--digest-algorithms", "SHA-512"}).find("SHA-512"), std::string::npos);
  EXPECT_NE(message({"--digest-algorithms", ""}).find("empty"), std::string::npos);
  EXPECT_NE(message({"--session-expires-seconds", "30"}).find("--session-expires-seconds"),
            std::string::npos);  // below the default Min-SE of 90
  EXPECT_EQ(message({"--session-expires-seconds", "0"}), "ok");  // no session timer
  EXPECT_EQ(message({"--session-expires-seconds", "30", "--min-se-seconds", "10"}), "ok");
}

}  // namespace
}  // namespace p2pims::sip_edge
