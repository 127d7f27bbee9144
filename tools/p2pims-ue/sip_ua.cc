#include "tools/p2pims-ue/sip_ua.h"

// Sofia-SIP wants these magic types defined before its headers.
#define NUA_MAGIC_T ::p2pims::ue::SipUa::Impl
#define NUA_HMAGIC_T ::p2pims::ue::SipUa::Impl
#define SU_ROOT_MAGIC_T ::p2pims::ue::SipUa::Impl

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>

#include <optional>

#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/sip/digest.h"

namespace p2pims::ue {

struct SipUa::Impl {
  UaConfig config;
  su_home_t home[1] = {};
  su_root_t* root = nullptr;
  nua_t* nua = nullptr;
  nua_handle_t* call = nullptr;  // the content session's handle
  nua_handle_t* registration = nullptr;
  bool in_session = false;
  bool shut_down = false;
  std::string ended_by_network;
  int ended_cause = 0;  // the SIP cause of the BYE's Reason (RFC 3326), 0 when none
  // The request being waited for: its answer event, the final answer once it came, and whether
  // the credentials were already offered for it (a second challenge means they are wrong).
  nua_event_t waiting_for = nua_i_none;
  bool answered = false;
  SipAnswer answer;
  // The challenge of a 401/407: answered by the caller with a new request carrying credentials.
  struct Challenge {
    bool proxy = false;
    sip::DigestAlgorithm algorithm = sip::DigestAlgorithm::kMd5;
    std::string realm, nonce, opaque;
  };
  std::optional<Challenge> challenge;

  static std::string Unquote(const char* s) {
    std::string v = s != nullptr ? s : "";
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }

  // The challenge to answer: SHA-256 when offered, else MD5; qop=auth is required.
  static std::optional<Challenge> PickChallenge(const sip_t* sip) {
    std::optional<Challenge> best;
    const bool proxy = sip->sip_www_authenticate == nullptr;
    for (const msg_auth_t* au = proxy ? sip->sip_proxy_authenticate : sip->sip_www_authenticate;
         au != nullptr; au = au->au_next) {
      if (au->au_scheme == nullptr || !absl::EqualsIgnoreCase(au->au_scheme, "Digest")) continue;
      const char* algorithm = msg_params_find(au->au_params, "algorithm=");
      auto a = sip::ParseDigestAlgorithm(algorithm != nullptr ? algorithm : "");
      const char* qop = msg_params_find(au->au_params, "qop=");
      if (!a || qop == nullptr || Unquote(qop).find("auth") == std::string::npos) continue;
      if (best && best->algorithm == sip::DigestAlgorithm::kSha256) continue;
      const char* opaque = msg_params_find(au->au_params, "opaque=");
      best = Challenge{.proxy = proxy,
                       .algorithm = *a,
                       .realm = Unquote(msg_params_find(au->au_params, "realm=")),
                       .nonce = Unquote(msg_params_find(au->au_params, "nonce=")),
                       .opaque = opaque != nullptr ? Unquote(opaque) : ""};
    }
    return best;
  }

  // The header line answering `challenge` for `method` to `uri` (RFC 7616, qop=auth).
  std::string Credentials(const char* method, const std::string& uri) const {
    const Challenge& c = *challenge;
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    char cnonce[2 * sizeof raw + 1];
    sodium_bin2hex(cnonce, sizeof cnonce, raw, sizeof raw);
    const std::string ha1 = sip::DigestHa1(c.algorithm, config.user, c.realm, config.password);
    const std::string response =
        sip::DigestResponse(c.algorithm, ha1, c.nonce, "00000001", cnonce, "auth", method, uri);
    std::string value = absl::StrCat(
        "Digest username=\"", config.user, "\", realm=\"", c.realm, "\", nonce=\"", c.nonce,
        "\", uri=\"", uri, "\", response=\"", response, "\", algorithm=",
        sip::DigestAlgorithmName(c.algorithm), ", qop=auth, nc=00000001, cnonce=\"", cnonce, "\"");
    if (!c.opaque.empty()) absl::StrAppend(&value, ", opaque=\"", c.opaque, "\"");
    return absl::StrCat(c.proxy ? "Proxy-Authorization: " : "Authorization: ", value);
  }

  // The network's BYE: its Reason (RFC 3326), when it gave one, says why.
  void EndedByNetwork(const sip_t* sip) {
    ended_by_network = "the network ended the session (BYE)";
    ended_cause = 0;
    if (sip == nullptr || sip->sip_reason == nullptr) return;
    const sip_reason_t* r = sip->sip_reason;
    std::string text;
    for (const msg_param_t* p = r->re_params; p != nullptr && *p != nullptr; ++p) {
      const std::string param = *p;
      if (absl::StartsWithIgnoreCase(param, "cause=")) {
        if (r->re_protocol != nullptr && absl::EqualsIgnoreCase(r->re_protocol, "SIP")) {
          (void)absl::SimpleAtoi(param.substr(6), &ended_cause);
        }
      } else if (absl::StartsWithIgnoreCase(param, "text=")) {
        text = Unquote(*p + 5);
      }
    }
    if (!text.empty()) ended_by_network = "the network ended the session: " + text;
    if (ended_cause != 0) absl::StrAppend(&ended_by_network, " (", ended_cause, ")");
  }

  void Record(int status, const char* phrase, const sip_t* sip) {
    answer = SipAnswer{.status = status, .phrase = phrase != nullptr ? phrase : ""};
    if (sip == nullptr) return;
    if (sip->sip_warning != nullptr && sip->sip_warning->w_text != nullptr) {
      answer.warning = Unquote(sip->sip_warning->w_text);
    }
    if (sip->sip_content_type != nullptr && sip->sip_content_type->c_type != nullptr) {
      answer.content_type = sip->sip_content_type->c_type;
    }
    if (sip->sip_payload != nullptr) {
      answer.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    }
  }

  void OnEvent(nua_event_t event, int status, const char* phrase, nua_handle_t* nh,
               const sip_t* sip, tagi_t tags[]) {
    switch (event) {
      case nua_r_invite:
      case nua_r_register:
      case nua_r_unregister:
      case nua_r_bye: {
        if (event != waiting_for || status < 200) return;
        if ((status == 401 || status == 407) && sip != nullptr) challenge = PickChallenge(sip);
        Record(status, phrase, sip);
        answered = true;
        return;
      }
      case nua_i_bye:
        EndedByNetwork(sip);
        return;
      case nua_r_shutdown:
        if (status >= 200) shut_down = true;
        return;
      case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
        if (nh != call) return;
        if (state == nua_callstate_ready) in_session = true;
        if (state == nua_callstate_terminated) {
          in_session = false;
          if (waiting_for == nua_r_bye && !answered) {  // ended while our BYE was on its way
            Record(200, "OK", nullptr);
            answered = true;
          }
        }
        return;
      }
      default:
        return;
    }
  }

  SipAnswer Await(nua_event_t) {
    const absl::Time deadline = absl::Now() + config.timeout;
    while (!answered && absl::Now() < deadline) {
      su_root_step(root, 100);
    }
    waiting_for = nua_i_none;
    if (!answered) return SipAnswer{.status = 0, .phrase = "no answer"};
    return answer;
  }

  void Expect(nua_event_t event) {
    waiting_for = event;
    answered = false;
    challenge.reset();
    answer = {};
  }

  // Sends a request (again with credentials after a challenge, on a new handle) until it gets
  // an answer that is not a challenge it can meet.
  template <typename Send>
  SipAnswer WithDigest(nua_event_t event, nua_handle_t** nh, const char* method,
                       const std::string& uri, const std::string& to, Send send) {
    Expect(event);
    send(*nh, std::string());
    SipAnswer a = Await(event);
    if ((a.status == 401 || a.status == 407) && challenge && !config.user.empty()) {
      const std::string credentials = Credentials(method, uri);
      nua_handle_destroy(*nh);
      *nh = nua_handle(nua, this, SIPTAG_TO_STR(to.c_str()), TAG_END());
      Expect(event);
      send(*nh, credentials);
      a = Await(event);
    }
    return a;
  }
};

namespace {

void Callback(nua_event_t event, int status, char const* phrase, nua_t*, SipUa::Impl* impl,
              nua_handle_t* nh, SipUa::Impl*, sip_t const* sip, tagi_t tags[]) {
  impl->OnEvent(event, status, phrase, nh, sip, tags);
}

}  // namespace

SipUa::SipUa(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<SipUa>> SipUa::Start(UaConfig config) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  su_init();
  su_home_init(impl->home);
  impl->root = su_root_create(impl.get());
  if (impl->root == nullptr) return absl::InternalError("cannot create the SIP event loop");
  const std::string bind = impl->config.bind.find(':') != std::string::npos
                               ? "[" + impl->config.bind + "]"
                               : impl->config.bind;
  const std::string local = absl::StrCat("sip:", bind, ":*;transport=", impl->config.transport);
  const std::string proxy =
      absl::StrCat("sip:", impl->config.server, ";transport=", impl->config.transport);
  impl->nua = nua_create(impl->root, Callback, impl.get(), NUTAG_URL(local.c_str()),
                         NUTAG_PROXY(proxy.c_str()), NUTAG_MEDIA_ENABLE(0),
                         // No RFC 5626 contact validation or keep-alive OPTIONS to itself.
                         NUTAG_OUTBOUND("no-validate no-options-keepalive"),
                         SIPTAG_FROM_STR(impl->config.identity.c_str()),
                         SIPTAG_USER_AGENT_STR("p2pims-ue/0.1"), TAG_END());
  if (impl->nua == nullptr) {
    return absl::UnavailableError("cannot open a SIP socket on " + impl->config.bind);
  }
  return std::unique_ptr<SipUa>(new SipUa(std::move(impl)));
}

SipUa::~SipUa() {
  if (impl_->nua != nullptr) {
    nua_shutdown(impl_->nua);
    // Let the shutdown finish (it answers or gives up on outstanding transactions), briefly.
    const absl::Time deadline = absl::Now() + absl::Seconds(2);
    while (!impl_->shut_down && absl::Now() < deadline) su_root_step(impl_->root, 50);
    nua_destroy(impl_->nua);
  }
  if (impl_->root != nullptr) su_root_destroy(impl_->root);
  su_home_deinit(impl_->home);
  su_deinit();
}

SipAnswer SipUa::Register(const std::string& domain, int expires_seconds) {
  Impl& m = *impl_;
  nua_handle_t* nh = nua_handle(m.nua, &m, SIPTAG_TO_STR(m.config.identity.c_str()), TAG_END());
  const std::string registrar = "sip:" + domain;
  const std::string expires = std::to_string(expires_seconds);
  const std::string pani = "P-Access-Network-Info: " + m.config.access_network_info;
  m.registration = nh;
  SipAnswer a = m.WithDigest(
      nua_r_register, &m.registration, "REGISTER", registrar, m.config.identity,
      [&](nua_handle_t* h, const std::string& credentials) {
        nua_register(h, NUTAG_REGISTRAR(registrar.c_str()), SIPTAG_EXPIRES_STR(expires.c_str()),
                     TAG_IF(!m.config.access_network_info.empty(), SIPTAG_HEADER_STR(pani.c_str())),
                     TAG_IF(!credentials.empty(), SIPTAG_HEADER_STR(credentials.c_str())),
                     TAG_END());
      });
  return a;  // the stack refreshes the binding while Pump() runs
}

SipAnswer SipUa::Unregister() {
  Impl& m = *impl_;
  if (m.registration == nullptr) return SipAnswer{.status = 200, .phrase = "not registered"};
  m.Expect(nua_r_unregister);
  nua_unregister(m.registration, TAG_END());
  SipAnswer a = m.Await(nua_r_unregister);
  nua_handle_destroy(m.registration);
  m.registration = nullptr;
  return a;
}

SipAnswer SipUa::Invite(const std::string& uri) {
  Impl& m = *impl_;
  m.call = nua_handle(m.nua, &m, SIPTAG_TO_STR(uri.c_str()), TAG_END());
  m.ended_by_network.clear();
  m.ended_cause = 0;
  const std::string pani = "P-Access-Network-Info: " + m.config.access_network_info;
  SipAnswer a = m.WithDigest(
      nua_r_invite, &m.call, "INVITE", uri, uri,
      [&](nua_handle_t* h, const std::string& credentials) {
        nua_invite(h, NUTAG_URL(uri.c_str()),
                   TAG_IF(!m.config.access_network_info.empty(), SIPTAG_HEADER_STR(pani.c_str())),
                   TAG_IF(!credentials.empty(), SIPTAG_HEADER_STR(credentials.c_str())),
                   TAG_END());
      });
  if (a.status == 0) nua_cancel(m.call, TAG_END());
  // Let the ACK leave (Sofia-SIP sends it on the 200's event) before the caller goes on.
  if (a.status >= 200 && a.status < 300) {
    const absl::Time until = absl::Now() + absl::Seconds(2);
    while (!m.in_session && absl::Now() < until) su_root_step(m.root, 20);
  }
  return a;
}

SipAnswer SipUa::Bye() {
  Impl& m = *impl_;
  if (m.call == nullptr || !m.in_session) return SipAnswer{.status = 200, .phrase = "already ended"};
  m.Expect(nua_r_bye);
  nua_bye(m.call, TAG_END());
  return m.Await(nua_r_bye);
}

void SipUa::Pump(absl::Duration d) {
  const absl::Time until = absl::Now() + d;
  while (absl::Now() < until) {
    su_root_step(impl_->root, static_cast<su_duration_t>(
                                  std::max<int64_t>(1, absl::ToInt64Milliseconds(until - absl::Now()))));
  }
}

bool SipUa::in_session() const { return impl_->in_session; }

const std::string& SipUa::ended_by_network() const { return impl_->ended_by_network; }
int SipUa::ended_cause() const { return impl_->ended_cause; }

}  // namespace p2pims::ue
