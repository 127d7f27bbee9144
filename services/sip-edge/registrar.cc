#include "services/sip-edge/registrar.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/sip-edge/ims_headers.h"

namespace p2pims::sip_edge {
namespace {

constexpr int kShards = 16;
constexpr char kMethod[] = "REGISTER";

bool IsIdentityUri(const std::string& uri) {
  return absl::StartsWithIgnoreCase(uri, "sip:") || absl::StartsWithIgnoreCase(uri, "sips:") ||
         absl::StartsWithIgnoreCase(uri, "tel:");
}

int64_t SecondsLeft(absl::Time expires_at, absl::Time now) {
  return std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(expires_at - now, absl::Seconds(1))));
}

// The 200's Contact headers: every binding with its remaining time (RFC 3261 §10.3 step 8).
void AddContacts(const Registration& r, absl::Time now, SipResponse* out) {
  for (const Registration::Contact& c : r.contacts) {
    out->headers.emplace_back("Contact",
                              absl::StrCat("<", c.uri, ">;expires=", SecondsLeft(c.expires_at, now)));
  }
}

absl::Time LastExpiry(const Registration& r) {
  absl::Time last = absl::InfinitePast();
  for (const Registration::Contact& c : r.contacts) last = std::max(last, c.expires_at);
  return last;
}

}  // namespace

Registrar::Registrar(Responder& reply, const TrustedNetworks& trusted,
                     metrics::Registry& registry, RegistrarConfig config,
                     Authenticator* authenticator)
    : reply_(reply),
      trusted_(trusted),
      authenticator_(authenticator),
      config_(config),
      registrations_(metrics::BuildGauge()
                         .Name("p2pims_sip_registrations")
                         .Help("Public identities registered at this sip-edge (with at least one "
                               "contact that has not expired).")
                         .Register(registry)
                         .Add({})) {
  for (int i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

Registrar::Shard& Registrar::ShardOf(const std::string& subject) const {
  return *shards_[absl::HashOf(subject) % shards_.size()];
}

void Registrar::Count(int delta) {
  registrations_.Set(static_cast<double>(count_.fetch_add(delta) + delta));
}

size_t Registrar::registrations() const { return static_cast<size_t>(count_.load()); }

RegisterResult Registrar::Register(const SipRequest& req, absl::Time now) {
  // TS 24.229: To carries the public user identity; in a third-party REGISTER, From is the S-CSCF.
  const std::string& subject = req.to;
  const bool trusted = trusted_.Contains(req.source_ip);
  if (!trusted) {
    if (authenticator_ == nullptr) {
      return {reply_(kMethod, 403, "Forbidden", "untrusted source: register through the S-CSCF")};
    }
    auto who = authenticator_->Authenticate(req, now);
    if (auto* refused = std::get_if<SipResponse>(&who)) return {std::move(*refused)};
    if (std::get<std::string>(who) != subject) {
      return {reply_(kMethod, 403, "Forbidden", "To is not the authenticated identity")};
    }
  }
  if (!IsIdentityUri(subject)) {
    return {reply_(kMethod, 400, "Bad Request", "To must be a sip:, sips: or tel: identity")};
  }

  // Each contact's time: its expires parameter, else the Expires header, else the default.
  const bool wildcard = std::any_of(req.contacts.begin(), req.contacts.end(),
                                    [](const SipContact& c) { return c.uri == "*"; });
  if (wildcard && (req.contacts.size() != 1 || req.expires != 0)) {
    return {reply_(kMethod, 400, "Bad Request", "Contact: * needs Expires: 0 and no other contact")};
  }
  struct Asked {
    std::string uri;
    absl::Duration expires;
  };
  std::vector<Asked> asked;
  for (const SipContact& c : req.contacts) {
    if (wildcard) break;
    const int64_t seconds = c.expires >= 0 ? c.expires : req.expires;
    absl::Duration d = seconds >= 0 ? absl::Seconds(seconds) : config_.default_expires;
    if (d > absl::ZeroDuration() && d < config_.min_expires) {
      SipResponse r = reply_(kMethod, 423, "Interval Too Brief",
                             absl::StrCat("expires below ", absl::ToInt64Seconds(config_.min_expires), " s"));
      r.headers.emplace_back("Min-Expires", std::to_string(absl::ToInt64Seconds(config_.min_expires)));
      return {std::move(r)};
    }
    asked.push_back({c.uri, std::min(d, config_.max_expires)});
  }

  const AccessNetwork access = ParseAccessNetworkInfo(
      !req.p_access_network_info.empty()
          ? req.p_access_network_info
          : HeaderInBody(req.body, "P-Access-Network-Info"));  // the original REGISTER's

  Shard& shard = ShardOf(subject);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.by_subject.find(subject);
  const bool existed = it != shard.by_subject.end();
  if (!existed && (wildcard || asked.empty())) {
    // A fetch, or a removal of nothing: nothing is registered.
    return {reply_(kMethod, 200, "OK")};
  }
  if (!existed) {
    if (registrations() >= config_.max_registrations) {
      return {reply_.Unavailable(kMethod, "registrar full,")};
    }
    it = shard.by_subject.emplace(subject, Registration{.subject = subject}).first;
    Count(+1);
  }
  Registration& reg = it->second;
  if (wildcard) {
    reg.contacts.clear();
  }
  Registration updated = reg;
  for (const Asked& a : asked) {
    auto same = std::find_if(updated.contacts.begin(), updated.contacts.end(),
                             [&](const Registration::Contact& c) { return c.uri == a.uri; });
    if (same != updated.contacts.end() && same->call_id == req.call_id && req.cseq <= same->cseq) {
      // RFC 3261 §10.3 step 7: an older request of the same client must not win.
      if (reg.contacts.empty()) {
        shard.by_subject.erase(it);
        Count(-1);
      }
      return {reply_(kMethod, 400, "Bad Request", "REGISTER out of order (CSeq not higher)")};
    }
    if (a.expires <= absl::ZeroDuration()) {
      if (same != updated.contacts.end()) updated.contacts.erase(same);
      continue;
    }
    Registration::Contact c{a.uri, req.call_id, req.cseq, now + a.expires};
    if (same != updated.contacts.end()) {
      *same = std::move(c);
    } else {
      updated.contacts.push_back(std::move(c));
    }
  }
  if (updated.contacts.size() > config_.max_contacts) {
    if (reg.contacts.empty()) {
      shard.by_subject.erase(it);
      Count(-1);
    }
    return {reply_(kMethod, 403, "Forbidden",
                   absl::StrCat("at most ", config_.max_contacts, " contacts per identity"))};
  }
  if (!access.locality.empty()) {
    updated.locality = access.locality;
    // Only a trusted CSCF vouches for the cell; a terminal's own claim is recorded unverified.
    updated.locality_verified = access.network_provided && trusted;
    updated.access_network_info = !req.p_access_network_info.empty()
                                      ? req.p_access_network_info
                                      : HeaderInBody(req.body, "P-Access-Network-Info");
  }
  updated.third_party = req.from != req.to;
  if (!asked.empty() || wildcard) {
    const ChargingVector pcv = ParseChargingVector(req.p_charging_vector);
    if (!pcv.icid.empty()) {
      updated.icid = pcv.icid;
      updated.orig_ioi = pcv.orig_ioi;
    }
    if (!req.p_charging_function_addresses.empty()) {
      updated.charging_function_addresses = req.p_charging_function_addresses;
    }
  }

  RegisterResult result{reply_(kMethod, 200, "OK")};
  AddContacts(updated, now, &result.response);
  if (updated.contacts.empty()) {
    shard.by_subject.erase(it);
    Count(-1);
    result.presence = PresenceChange{.subject = subject};
    return result;
  }
  reg = std::move(updated);
  if (!reg.locality.empty()) {
    result.presence = PresenceChange{.subject = subject,
                                     .locality = reg.locality,
                                     .verified = reg.locality_verified,
                                     .expires_seconds = SecondsLeft(LastExpiry(reg), now)};
  }
  return result;
}

std::vector<PresenceChange> Registrar::Expire(absl::Time now) {
  std::vector<PresenceChange> gone;
  for (auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    for (auto it = shard->by_subject.begin(); it != shard->by_subject.end();) {
      auto& contacts = it->second.contacts;
      contacts.erase(std::remove_if(contacts.begin(), contacts.end(),
                                    [&](const Registration::Contact& c) { return c.expires_at <= now; }),
                     contacts.end());
      if (contacts.empty()) {
        gone.push_back({.subject = it->first});
        shard->by_subject.erase(it++);
        Count(-1);
      } else {
        ++it;
      }
    }
  }
  return gone;
}

std::optional<Registration> Registrar::Find(const std::string& subject, absl::Time now) const {
  Shard& shard = ShardOf(subject);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.by_subject.find(subject);
  if (it == shard.by_subject.end()) return std::nullopt;
  Registration r = it->second;
  std::erase_if(r.contacts, [&](const Registration::Contact& c) { return c.expires_at <= now; });
  if (r.contacts.empty()) return std::nullopt;
  return r;
}

}  // namespace p2pims::sip_edge
