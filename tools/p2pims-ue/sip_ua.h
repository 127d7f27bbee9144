// The terminal's SIP side on Sofia-SIP's NUA, as a subscriber's phone uses it: REGISTER, one
// content session (INVITE, ACK, BYE) at a time, every request sent to one server (the P-CSCF or,
// for a direct client, sip-edge). Digest is answered from the configured credentials, SHA-256
// when offered, else MD5, computed with lib/sip (Sofia-SIP's own client gives up when a SHA-256
// challenge comes first). RFC 4028 refreshes and a BYE from the network are handled while
// Pump() runs.
//
//   auto ua = SipUa::Start({.server = "127.0.0.1:5060", .identity = "sip:alice@ims.localhost",
//                           .user = "alice-impi", .password = "..."});
//   SipAnswer a = (*ua)->Invite("sip:sintel@p2p.localhost");   // blocks until final
//   while (downloading && (*ua)->in_session()) (*ua)->Pump(absl::Milliseconds(200));
//   (*ua)->Bye();
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace p2pims::ue {

struct UaConfig {
  std::string server;          // host:port every request goes to
  std::string transport = "udp";
  std::string bind = "127.0.0.1";  // local address to send from
  std::string identity;        // the subscriber's public identity (From, To of REGISTER)
  std::string user, password;  // digest credentials; empty: none
  std::string access_network_info;  // P-Access-Network-Info to claim (empty: none)
  absl::Duration timeout = absl::Seconds(15);  // for each request's final answer
};

struct SipAnswer {
  int status = 0;  // 0: no answer within the timeout
  std::string phrase;
  std::string warning;  // the Warning header's text, when present
  std::string content_type;
  std::string body;
};

// Not thread-safe: one thread calls everything.
class SipUa {
 public:
  static absl::StatusOr<std::unique_ptr<SipUa>> Start(UaConfig config);
  ~SipUa();

  // Registers; the stack refreshes the binding while Pump() runs, until Unregister().
  SipAnswer Register(const std::string& domain, int expires_seconds);
  SipAnswer Unregister();
  // Sets up the content session; on 200 it is established (ACKed) until Bye() or the network
  // ends it.
  SipAnswer Invite(const std::string& uri);
  SipAnswer Bye();
  // Runs the SIP stack for up to `d` (refreshes, an incoming BYE).
  void Pump(absl::Duration d);
  bool in_session() const;
  // Why the network ended the session ("" while it runs or after our own BYE).
  const std::string& ended_by_network() const;
  // The SIP cause of the network's BYE's Reason header (402: out of credit), 0 when none.
  int ended_cause() const;

  struct Impl;

 private:
  explicit SipUa(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace p2pims::ue
