#include "services/sip-edge/sofia_stack.h"

// Sofia-SIP wants these magic types defined before its headers.
#define NUA_MAGIC_T ::p2pims::sip_edge::SofiaStack::Impl
#define NUA_HMAGIC_T void
#define SU_ROOT_MAGIC_T ::p2pims::sip_edge::SofiaStack::Impl
#define SU_WAKEUP_ARG_T ::p2pims::sip_edge::SofiaStack::Impl

#include <netdb.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/log/log.h"
#include "services/sip-edge/sdp.h"
#include "services/sip-edge/stack_metrics.h"

namespace p2pims::sip_edge {
namespace {

constexpr char kAllow[] =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REGISTER, MESSAGE, SUBSCRIBE";

// The handle magic of requests sip-edge sends (not a dialog id: ids count up from 1).
void* const kOutgoing = reinterpret_cast<void*>(~uintptr_t{0});

}  // namespace

struct SofiaStack::Impl {
  Impl(StackConfig c, RequestHandler r, metrics::Registry& registry)
      : config(std::move(c)), on_request(std::move(r)), counts(registry) {}
  StackConfig config;
  RequestHandler on_request;
  StackMetrics counts;  // loop thread only
  su_home_t home[1] = {};
  su_root_t* root = nullptr;
  nua_t* nua = nullptr;
  int wake_fd = -1;
  su_wait_t wait[1] = {};
  bool shutting_down = false;
  uint64_t next_id = 1;
  // A dialog's handle, or a REGISTER's or MESSAGE's with its saved event (answered later from a
  // worker, then both are destroyed), or a SUBSCRIBE's (answered from a worker; the handle stays
  // for the NOTIFYs when accepted).
  struct Pending {
    nua_handle_t* nh = nullptr;
    nua_saved_event_t saved[1] = {};
    bool one_shot = false;
    bool subscription = false;
    bool answered = false;  // a subscription's SUBSCRIBE
  };
  std::map<uint64_t, Pending> handles;  // loop thread only
  // Sofia keeps the reason phrase pointer beyond nua_respond (it formats the status line when
  // the message is sent), so phrases live here for the stack's lifetime. They are a small set.
  std::set<std::string> phrases;  // loop thread only
  // Dialogs sip-edge sent a BYE in (Bye()), and those whose BYE came from the stack itself.
  std::set<uint64_t> byes_asked, stack_byes;  // loop thread only

  absl::Mutex mu;
  std::deque<std::pair<uint64_t, SipResponse>> outbox ABSL_GUARDED_BY(mu);
  std::vector<std::pair<uint64_t, std::string>> byes ABSL_GUARDED_BY(mu);  // dialog, Reason
  std::vector<OutgoingMessage> messages ABSL_GUARDED_BY(mu);
  std::vector<OutgoingNotify> notifies ABSL_GUARDED_BY(mu);
  bool stop_requested ABSL_GUARDED_BY(mu) = false;

  static std::string UrlText(su_home_t* home, const url_t* url) {
    if (url == nullptr) return "";
    char* s = url_as_string(home, url);
    std::string out = s != nullptr ? s : "";
    su_free(home, s);
    return out;
  }

  SipRequest Convert(nua_handle_t* nh, const sip_t* sip, uint64_t id) {
    SipRequest r;
    r.id = id;
    (void)nh;
    if (sip->sip_request != nullptr) {
      r.method =
          sip->sip_request->rq_method_name != nullptr ? sip->sip_request->rq_method_name : "";
      const url_t* ru = sip->sip_request->rq_url;
      r.request_user = ru->url_user != nullptr ? ru->url_user : "";
      r.request_host = ru->url_host != nullptr ? absl::AsciiStrToLower(ru->url_host) : "";
      r.request_uri = UrlText(home, ru);
    }
    if (const msg_auth_t* au = sip->sip_authorization; au != nullptr && au->au_scheme != nullptr) {
      r.authorization = au->au_scheme;
      for (int i = 0; au->au_params != nullptr && au->au_params[i] != nullptr; ++i) {
        absl::StrAppend(&r.authorization, i == 0 ? " " : ", ", au->au_params[i]);
      }
    }
    // What goes on to the backends travels in protobuf strings, which must be UTF-8 (a receiver
    // refuses a message with other bytes): anything else from the wire is replaced here.
    if (sip->sip_from != nullptr) r.from = SanitizeUtf8(UrlText(home, sip->sip_from->a_url));
    if (sip->sip_to != nullptr) r.to = SanitizeUtf8(UrlText(home, sip->sip_to->a_url));
    if (sip->sip_call_id != nullptr) r.call_id = SanitizeUtf8(sip->sip_call_id->i_id);
    // IMS P- headers are not in Sofia's default parser set; they arrive as unknown headers.
    for (const sip_unknown_t* u = sip->sip_unknown; u != nullptr; u = u->un_next) {
      const std::string name = absl::AsciiStrToLower(u->un_name != nullptr ? u->un_name : "");
      const std::string value = SanitizeUtf8(u->un_value != nullptr ? u->un_value : "");
      if (name == "p-asserted-identity") {
        r.p_asserted_identity += (r.p_asserted_identity.empty() ? "" : ", ") + value;
      } else if (name == "p-charging-vector") {
        r.p_charging_vector = value;
      } else if (name == "p-access-network-info") {
        r.p_access_network_info = value;
      } else if (name == "p-charging-function-addresses") {
        r.p_charging_function_addresses = value;
      }
    }
    if (sip->sip_content_type != nullptr && sip->sip_content_type->c_type != nullptr) {
      r.content_type = sip->sip_content_type->c_type;
    }
    if (sip->sip_payload != nullptr) {
      r.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    }
    for (const sip_contact_t* m = sip->sip_contact; m != nullptr; m = m->m_next) {
      SipContact c;
      c.uri = m->m_url->url_type == url_any ? "*" : UrlText(home, m->m_url);
      if (m->m_expires != nullptr) c.expires = std::strtoll(m->m_expires, nullptr, 10);
      r.contacts.push_back(std::move(c));
    }
    if (sip->sip_via != nullptr && sip->sip_via->v_protocol != nullptr) {
      const char* slash = std::strrchr(sip->sip_via->v_protocol, '/');
      r.transport = absl::AsciiStrToLower(slash != nullptr ? slash + 1 : sip->sip_via->v_protocol);
    }
    if (sip->sip_expires != nullptr) r.expires = static_cast<int64_t>(sip->sip_expires->ex_delta);
    if (sip->sip_cseq != nullptr) r.cseq = sip->sip_cseq->cs_seq;
    if (msg_t* msg = nua_current_request(nua); msg != nullptr) {
      if (su_addrinfo_t* ai = msg_addrinfo(msg); ai != nullptr && ai->ai_addr != nullptr) {
        char host[NI_MAXHOST];
        char port[NI_MAXSERV];
        if (getnameinfo(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen), host, sizeof host,
                        port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
          r.source_ip = host;
          r.source_port = std::atoi(port);
        }
      }
    }
    return r;
  }

  void OnEvent(nua_event_t event, int status, const char* phrase, nua_handle_t* nh, void* hmagic,
               const sip_t* sip, tagi_t tags[]) {
    const uint64_t id = reinterpret_cast<uintptr_t>(hmagic);
    Count(event, status, sip);
    switch (event) {
      case nua_i_invite: {
        if (id != 0) {
          AnswerReInvite(nh, sip, id);
          return;
        }
        if (shutting_down) {
          nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("5"),
                      NUTAG_WITH_THIS(nua), TAG_END());
          return;
        }
        const uint64_t new_id = next_id++;
        nua_handle_bind(nh, reinterpret_cast<void*>(static_cast<uintptr_t>(new_id)));
        handles[new_id].nh = nh;
        on_request(Convert(nh, sip, new_id));
        return;
      }
      case nua_r_message:
        if (hmagic == kOutgoing && status >= 200) {
          if (status >= 300) {
            log::Warn("a MESSAGE sip-edge sent was refused",
                      {{"status", int64_t{status}}, {"phrase", phrase != nullptr ? phrase : ""}});
          }
          nua_handle_destroy(nh);
        }
        return;
      case nua_i_message:
      case nua_i_register: {
        if (id != 0) {
          // Inside a content session's dialog: nothing to say there.
          nua_respond(nh, 405, "Method Not Allowed", SIPTAG_ALLOW_STR("BYE"),
                      NUTAG_WITH_THIS(nua), TAG_END());
          return;
        }
        if (shutting_down || sip == nullptr) {
          nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("5"),
                      NUTAG_WITH_THIS(nua), TAG_END());
          nua_handle_destroy(nh);
          return;
        }
        // Answered from a worker: the request stays with its saved event until then.
        const uint64_t new_id = next_id++;
        Pending& p = handles[new_id];
        p.nh = nh;
        p.one_shot = true;
        SipRequest req = Convert(nh, sip, new_id);  // before saving: it reads the current request
        nua_save_event(nua, p.saved);
        on_request(std::move(req));
        return;
      }
      case nua_i_subscribe: {
        // A refresh or unsubscribe of an accepted subscription is answered by the stack; so is
        // an event package that is not allowed (489).
        if (id != 0) return;
        if (status >= 300 || sip == nullptr || shutting_down) {
          if (status < 300) {
            nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("5"),
                        NUTAG_WITH_THIS(nua), TAG_END());
          }
          nua_handle_destroy(nh);
          return;
        }
        const uint64_t new_id = next_id++;
        nua_handle_bind(nh, reinterpret_cast<void*>(static_cast<uintptr_t>(new_id)));
        Pending& p = handles[new_id];
        p.nh = nh;
        p.subscription = true;
        SipRequest req = Convert(nh, sip, new_id);
        nua_save_event(nua, p.saved);
        on_request(std::move(req));
        return;
      }
      case nua_r_notify: {
        if (status < 200) return;
        int substate = nua_substate_active;
        tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
        if (substate != nua_substate_terminated && status < 300) return;
        EndSubscription(id, nh);
        return;
      }
      case nua_r_bye:
        // A BYE sip-edge did not ask for is the stack's own (session timer, missing ACK); the
        // dialog's end (nua_i_state) follows.
        if (status >= 200 && id != 0 && !byes_asked.contains(id)) stack_byes.insert(id);
        return;
      case nua_i_bye:
        if (id != 0 && sip != nullptr) on_request(Convert(nh, sip, id));
        return;
      case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state == nua_callstate_terminated) {
          if (auto it = handles.find(id); it != handles.end() && it->second.subscription) {
            EndSubscription(id, nh);
            return;
          }
          if (id != 0 && handles.erase(id) > 0) {
            // A dialog that ends without a BYE (CANCEL, error) still needs its teardown.
            SipRequest gone;
            gone.id = id;
            gone.method = "TERMINATED";
            gone.stack_ended = stack_byes.erase(id) > 0;
            byes_asked.erase(id);
            on_request(gone);
          }
          nua_handle_destroy(nh);
        }
        return;
      }
      case nua_i_info:
      case nua_i_refer:
      case nua_i_notify:
      case nua_i_publish:
        // Sofia refuses these itself through the Allow set; this only guards against a request
        // reaching us anyway.
        nua_respond(nh, 405, "Method Not Allowed", SIPTAG_ALLOW_STR(kAllow), NUTAG_WITH_THIS(nua),
                    TAG_END());
        nua_handle_destroy(nh);
        return;
      case nua_r_shutdown:
        if (status >= 200) su_root_break(root);
        return;
      default:
        return;
    }
  }

  void Send(uint64_t id, const SipResponse& resp) {
    auto it = handles.find(id);
    if (it == handles.end()) return;  // dialog already gone (e.g. CANCEL)
    std::string extra;
    for (const auto& [name, value] : resp.headers)
      absl::StrAppend(&extra, name, ": ", value, "\r\n");
    if (!extra.empty()) extra.resize(extra.size() - 2);
    const char* phrase = phrases.insert(resp.phrase).first->c_str();
    Pending& p = it->second;
    if (p.subscription && p.answered) return;
    nua_respond(
        p.nh, resp.status, phrase,
        TAG_IF(!resp.content_type.empty(), SIPTAG_CONTENT_TYPE_STR(resp.content_type.c_str())),
        TAG_IF(!resp.body.empty(), SIPTAG_PAYLOAD_STR(resp.body.c_str())),
        TAG_IF(!extra.empty(), SIPTAG_HEADER_STR(extra.c_str())),
        TAG_IF(p.one_shot || p.subscription, NUTAG_WITH_SAVED(p.saved)), TAG_END());
    if (p.subscription) {
      nua_destroy_event(p.saved);
      p.answered = true;
      if (resp.status < 300) return;  // the handle stays for the NOTIFYs
    }
    if (p.one_shot || p.subscription) {
      if (p.one_shot) nua_destroy_event(p.saved);
      nua_handle_destroy(p.nh);
      handles.erase(it);
    }
  }

  // Every incoming request, and the final response the stack already sent for it (status >= 200
  // in its event); requests sip-edge answers itself are counted by their Responder.
  void Count(nua_event_t event, int status, const sip_t* sip) {
    switch (event) {
      case nua_i_invite: case nua_i_ack: case nua_i_bye: case nua_i_cancel: case nua_i_options:
      case nua_i_message: case nua_i_register: case nua_i_subscribe: case nua_i_update:
      case nua_i_info: case nua_i_refer: case nua_i_notify: case nua_i_publish: case nua_i_prack:
      case nua_i_method:
        break;
      default:
        return;
    }
    const char* method = sip != nullptr && sip->sip_request != nullptr &&
                                 sip->sip_request->rq_method_name != nullptr
                             ? sip->sip_request->rq_method_name
                             : "other";
    counts.Request(method);
    if (status >= 200 && event != nua_i_ack) counts.Response(method, status);
  }

  // A re-INVITE in an established content session (a session-timer refresh, RFC 4028, or an
  // attempt to change it): nothing can change, so an offer gets the same answer as the first,
  // every stream declined; no offer, no answer. The stack adds the session-timer headers.
  void AnswerReInvite(nua_handle_t* nh, const sip_t* sip, uint64_t id) {
    if (sip == nullptr || sip->sip_payload == nullptr || sip->sip_payload->pl_len == 0) {
      nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), TAG_END());
      counts.Response("INVITE", 200);
      return;
    }
    std::string why;
    std::optional<SdpOffer> offer =
        ParseSdpOffer(std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len), &why);
    if (!offer) {
      const std::string warning = "399 p2pims \"unusable SDP offer: " + why + "\"";
      nua_respond(nh, 488, "Not Acceptable Here", SIPTAG_WARNING_STR(warning.c_str()),
                  NUTAG_WITH_THIS(nua), TAG_END());
      counts.Response("INVITE", 488);
      return;
    }
    const std::string answer = DeclineAll(*offer, absl::StrCat(id));
    nua_respond(nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(answer.c_str()), NUTAG_WITH_THIS(nua), TAG_END());
    counts.Response("INVITE", 200);
  }

  void SendNotify(const OutgoingNotify& n) {
    auto it = handles.find(n.subscription);
    if (it == handles.end() || !it->second.subscription || !it->second.answered) return;
    nua_notify(it->second.nh, SIPTAG_EVENT_STR(n.event.c_str()),
               SIPTAG_CONTENT_TYPE_STR(n.content_type.c_str()),
               SIPTAG_PAYLOAD_STR(n.body.c_str()),
               TAG_IF(n.final, SIPTAG_SUBSCRIPTION_STATE_STR("terminated;reason=noresource")),
               TAG_IF(!n.final, NUTAG_SUBSTATE(nua_substate_active)), TAG_END());
  }

  // A subscription's dialog is over: forget its handle and tell sip-edge once.
  void EndSubscription(uint64_t id, nua_handle_t* nh) {
    auto it = handles.find(id);
    if (it == handles.end() || !it->second.subscription) return;
    handles.erase(it);
    nua_handle_destroy(nh);
    SipRequest ended;
    ended.id = id;
    ended.method = "SUBSCRIPTION_ENDED";
    on_request(ended);
  }

  // Runs Drain on the loop thread (from any thread).
  void Wake() {
    const uint64_t one = 1;
    ssize_t ignored = write(wake_fd, &one, sizeof one);
    (void)ignored;
  }

  void Drain() {
    uint64_t counter;
    ssize_t ignored = read(wake_fd, &counter, sizeof counter);
    (void)ignored;
    std::deque<std::pair<uint64_t, SipResponse>> batch;
    std::vector<std::pair<uint64_t, std::string>> ending;
    std::vector<OutgoingMessage> sending;
    std::vector<OutgoingNotify> notifying;
    bool stop;
    {
      absl::MutexLock lock(&mu);
      batch.swap(outbox);
      ending.swap(byes);
      sending.swap(messages);
      notifying.swap(notifies);
      stop = stop_requested;
    }
    for (const auto& [id, resp] : batch) Send(id, resp);
    // After the responses: a SUBSCRIBE's 200 leaves before its first NOTIFY.
    for (const OutgoingNotify& n : notifying) SendNotify(n);
    for (const OutgoingMessage& m : sending) {
      nua_handle_t* nh = nua_handle(nua, kOutgoing, SIPTAG_TO_STR(m.to.c_str()),
                                    SIPTAG_FROM_STR(m.from.c_str()), TAG_END());
      if (nh == nullptr) continue;
      nua_message(nh, NUTAG_URL(m.request_uri.c_str()),
                  TAG_IF(!m.route.empty(), SIPTAG_ROUTE_STR(m.route.c_str())),
                  SIPTAG_CONTENT_TYPE_STR(m.content_type.c_str()),
                  SIPTAG_PAYLOAD_STR(m.body.c_str()), TAG_END());
    }
    for (const auto& [id, reason] : ending) {
      if (auto it = handles.find(id);
          it != handles.end() && !it->second.one_shot && !it->second.subscription) {
        byes_asked.insert(id);
        nua_bye(it->second.nh, TAG_IF(!reason.empty(), SIPTAG_REASON_STR(reason.c_str())),
                TAG_END());
      }
    }
    if (stop && !shutting_down) {
      shutting_down = true;
      nua_shutdown(nua);
    }
  }
};

namespace {

void NuaCallback(nua_event_t event, int status, char const* phrase, nua_t* /*nua*/,
                 SofiaStack::Impl* impl, nua_handle_t* nh, void* hmagic, sip_t const* sip,
                 tagi_t tags[]) {
  impl->OnEvent(event, status, phrase, nh, hmagic, sip, tags);
}

int OnWake(SofiaStack::Impl* impl, su_wait_t*, su_wakeup_arg_t*) {
  impl->Drain();
  return 0;
}

}  // namespace

SofiaStack::SofiaStack(StackConfig config, RequestHandler on_request, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(on_request), registry)) {}

SofiaStack::~SofiaStack() {
  if (impl_->nua != nullptr) nua_destroy(impl_->nua);
  if (impl_->root != nullptr) {
    su_root_unregister(impl_->root, impl_->wait, OnWake, impl_.get());
    su_root_destroy(impl_->root);
  }
  if (impl_->wake_fd >= 0) close(impl_->wake_fd);
  su_home_deinit(impl_->home);
  su_deinit();
}

absl::Status SofiaStack::Start() {
  su_init();
  su_home_init(impl_->home);
  impl_->root = su_root_create(impl_.get());
  if (impl_->root == nullptr) return absl::InternalError("cannot create the SIP event loop");
  impl_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->wake_fd < 0 || su_wait_create(impl_->wait, impl_->wake_fd, SU_WAIT_IN) != 0 ||
      su_root_register(impl_->root, impl_->wait, OnWake, impl_.get(), 0) < 0) {
    return absl::InternalError("cannot register the SIP wake-up descriptor");
  }
  const bool tls = !impl_->config.sips_url.empty();
  impl_->nua =
      nua_create(impl_->root, NuaCallback, impl_.get(), NUTAG_URL(impl_->config.url.c_str()),
                 TAG_IF(tls, NUTAG_SIPS_URL(impl_->config.sips_url.c_str())),
                 TAG_IF(tls, TPTAG_CERTIFICATE(impl_->config.tls_dir.c_str())),
                 TPTAG_UDP_RMEM(impl_->config.udp_receive_buffer),
                 TPTAG_UDP_WMEM(impl_->config.udp_send_buffer),
                 NTATAG_SIP_T1X64(impl_->config.transaction_timeout_ms),
                 NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_ENABLEMESSAGE(1),
                 // Answered by sip-edge (registrar, catalogue), not by the stack.
                 NUTAG_APPL_METHOD("REGISTER, MESSAGE, SUBSCRIBE"),
                 NUTAG_ALLOW_EVENTS(impl_->config.allow_events.c_str()),
                 NUTAG_SESSION_TIMER(impl_->config.session_expires),
                 NUTAG_MIN_SE(impl_->config.min_se),
                 NUTAG_SESSION_REFRESHER(nua_remote_refresher),
                          // SIPTAG_ALLOW replaces Sofia's default set (NUTAG_ALLOW would only add
                          // to it): anything else is refused with 405 by the stack itself.
                          SIPTAG_ALLOW_STR(kAllow), SIPTAG_USER_AGENT_STR(impl_->config.user_agent.c_str()), TAG_END());
  if (impl_->nua == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen for SIP on ", impl_->config.url,
                                               tls ? " and " + impl_->config.sips_url : ""));
  }
  return absl::OkStatus();
}

void SofiaStack::Run() { su_root_run(impl_->root); }

void SofiaStack::Respond(uint64_t id, SipResponse response) {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->outbox.emplace_back(id, std::move(response));
  }
  impl_->Wake();
}

void SofiaStack::Bye(uint64_t id, std::string reason) {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->byes.emplace_back(id, std::move(reason));
  }
  impl_->Wake();
}

void SofiaStack::SendMessage(OutgoingMessage message) {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->messages.push_back(std::move(message));
  }
  impl_->Wake();
}

void SofiaStack::Notify(OutgoingNotify notify) {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->notifies.push_back(std::move(notify));
  }
  impl_->Wake();
}

void SofiaStack::Stop() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stop_requested = true;
  }
  impl_->Wake();
}

}  // namespace p2pims::sip_edge
