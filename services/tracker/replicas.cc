#include "services/tracker/replicas.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace p2pims::tracker {

absl::StatusOr<ReplicaMap> ReplicaMap::Create(ReplicaConfig config) {
  if (config.count < 1 || config.count > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("replicas must be 1..1024, not ", config.count));
  }
  if (config.self < 0 || config.self >= config.count) {
    return absl::InvalidArgumentError(absl::StrCat("replica index ", config.self,
                                                   " is not below the replica count ",
                                                   config.count));
  }
  if (config.count > 1 && config.announce_host.find("{i}") == std::string::npos) {
    return absl::InvalidArgumentError(
        "with several replicas the announce host must name each one: put {i} where the "
        "replica's index goes, e.g. tracker-{i}.tracker:6969");
  }
  if (config.count > 1 && !config.https_announce_host.empty() &&
      config.https_announce_host.find("{i}") == std::string::npos) {
    return absl::InvalidArgumentError(
        "with several replicas the HTTPS announce host must name each one: put {i} where the "
        "replica's index goes, e.g. tracker-{i}.p2p.example.net:443");
  }
  if (!config.plain_announce_urls && config.https_announce_host.empty()) {
    return absl::InvalidArgumentError(
        "without plain announce URLs an HTTPS announce host is needed (no URL to hand out)");
  }
  return ReplicaMap(std::move(config));
}

int ReplicaMap::Owner(const InfoHash& info_hash) const {
  uint64_t prefix = 0;
  for (int i = 0; i < 8; ++i) prefix = (prefix << 8) | static_cast<uint8_t>(info_hash[i]);
  return static_cast<int>(prefix % static_cast<uint64_t>(config_.count));
}

namespace {
// A host pattern with "{i}" standing for the replica's index.
std::string ForReplica(const std::string& pattern, int replica) {
  return absl::StrReplaceAll(pattern, {{"{i}", absl::StrCat(replica)}});
}
}  // namespace

std::string ReplicaMap::AnnounceHost(int replica) const {
  return ForReplica(config_.announce_host, replica);
}

std::vector<std::string> ReplicaMap::AnnounceUrls(int replica, const std::string& token,
                                              const std::string& announce_key) const {
  std::vector<std::string> urls;
  if (!config_.https_announce_host.empty()) {
    const std::string host = ForReplica(config_.https_announce_host, replica);
    urls.push_back(absl::StrCat("https://", host, "/a/", token, "/announce"));
  }
  if (config_.plain_announce_urls) {
    const std::string host = AnnounceHost(replica);
    urls.push_back(absl::StrCat("http://", host, "/a/", token, "/announce"));
    // UDP: the session's short key, as a BEP 41 URL path must fit one 255-byte option.
    urls.push_back(absl::StrCat("udp://", host, "/s/", announce_key));
  }
  return urls;
}

int OrdinalOf(const std::string& node_id) {
  size_t start = node_id.size();
  while (start > 0 && node_id[start - 1] >= '0' && node_id[start - 1] <= '9') --start;
  int n = -1;
  if (start == node_id.size() || !absl::SimpleAtoi(node_id.substr(start), &n)) return -1;
  return n;
}

}  // namespace p2pims::tracker
