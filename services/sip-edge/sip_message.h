// What sip-edge's logic sees of SIP: plain structs filled by the Sofia-SIP adapter, so that the
// registrar, sessions and trust code never touch Sofia's C types.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace p2pims::sip_edge {

// A Contact of a REGISTER: its URI ("*" for the wildcard) and its expires parameter (-1 when
// absent).
struct SipContact {
  std::string uri;
  int64_t expires = -1;
};

// An incoming request. `id` names its dialog handle for the response and later in-dialog
// requests (a BYE carries the INVITE's id).
struct SipRequest {
  uint64_t id = 0;
  std::string method;
  std::string request_user;  // user part of the Request-URI (the content id for INVITE)
  std::string request_host;
  std::string request_uri;  // the whole Request-URI, as digest's uri must repeat it
  std::string from;  // From URI
  std::string to;    // To URI
  std::string call_id;
  std::string source_ip;  // transport peer address
  int source_port = 0;
  std::string transport;  // "udp", "tcp", "tls": the top Via's, how the request came
  std::string p_asserted_identity;
  std::string p_charging_vector;
  std::string p_access_network_info;
  std::string p_charging_function_addresses;
  std::vector<SipContact> contacts;
  int64_t expires = -1;  // Expires header; -1 when absent
  uint32_t cseq = 0;
  std::string authorization;  // the first Authorization header value ("Digest ...")
  std::string content_type;
  std::string body;
  // TERMINATED only: the stack ended the dialog itself (session timer expired, ACK never came).
  bool stack_ended = false;
};

// A request sip-edge originates (the catalogue's answer): out of any dialog, routed through
// `route` (e.g. the CSCF that sent the query) when set.
struct OutgoingMessage {
  std::string request_uri;
  std::string from, to;
  std::string route;
  std::string content_type;
  std::string body;
};

// A NOTIFY in subscription `subscription` (the SUBSCRIBE's id); `final` ends the subscription
// (Subscription-State: terminated;reason=noresource).
struct OutgoingNotify {
  uint64_t subscription = 0;
  std::string event;
  std::string content_type;
  std::string body;
  bool final = false;
};

// A response to send. Headers are "Name", "value" pairs added verbatim.
struct SipResponse {
  int status = 500;
  std::string phrase;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string body;
};

}  // namespace p2pims::sip_edge
