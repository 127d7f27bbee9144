// Sharding of swarms over tracker replicas: each replica owns the info-hashes that map to it,
// so a swarm lives in one replica's memory and its peers meet there. OpenSession (answered by
// any replica) writes the owner's host into the announce URLs; an announce that reaches another
// replica is refused with the owner's name. On Kubernetes the replicas are a StatefulSet: the
// index is the pod's ordinal and each pod has a stable DNS name (docs/operations.md).
//
//   ReplicaMap map({.count = 3, .self = 1, .announce_host = "tracker-{i}.tracker:6969"});
//   std::string host = map.AnnounceHost(map.Owner(info_hash));   // "tracker-2.tracker:6969"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/tracker/announce_request.h"

namespace p2pims::tracker {

struct ReplicaConfig {
  int count = 1;
  int self = 0;
  // host:port of the announce endpoint; "{i}" stands for a replica's index.
  std::string announce_host = "127.0.0.1:6969";
  // host:port of the HTTPS announce endpoint, "{i}" as above; empty: no https:// URL.
  std::string https_announce_host;
  // Hand out the http:// and udp:// URLs too (false: https:// alone; needs https_announce_host).
  bool plain_announce_urls = true;
};

class ReplicaMap {
 public:
  // Unchecked (tests, the single-replica default); use Create for configuration.
  ReplicaMap() = default;
  explicit ReplicaMap(ReplicaConfig config) : config_(std::move(config)) {}
  // InvalidArgument unless 1 <= count <= 1024, 0 <= self < count, and the host names each
  // replica apart ("{i}" present) when count > 1.
  static absl::StatusOr<ReplicaMap> Create(ReplicaConfig config);

  // The replica owning `info_hash` (the swarm's v1 hash). Stable across processes and versions:
  // the first 8 bytes of the hash, which SHA-1 already spreads evenly, modulo the count.
  int Owner(const InfoHash& info_hash) const;
  bool Owns(const InfoHash& info_hash) const { return Owner(info_hash) == config_.self; }
  std::string AnnounceHost(int replica) const;
  // The announce URLs of a replica, in the order clients should try them: https (when set),
  // then http and udp (unless plain URLs are off). The HTTP ones carry `token`, the UDP one
  // the session's short `announce_key`.
  std::vector<std::string> AnnounceUrls(int replica, const std::string& token,
                                        const std::string& announce_key) const;
  const ReplicaConfig& config() const { return config_; }

 private:
  ReplicaConfig config_;
};

// The trailing number of a node id ("tracker-3" -> 3; a StatefulSet pod's ordinal), or -1.
int OrdinalOf(const std::string& node_id);

}  // namespace p2pims::tracker
