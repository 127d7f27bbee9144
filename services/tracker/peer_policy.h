// Which peers an announce gets back: the operator's policy of DESIGN.md §4 as plain logic, no I/O.
//
// Candidates are ranked by how much locality they share with the announcing peer (same cell,
// then same area, then same network, then anywhere). Within a tier a leecher gets seeders
// before leechers, and each announce draws a fresh random sample, so no peer is always first.
// Constrained peers (mobile, metered) are offered as sources only inside their own cell; peers
// whose token forbids uploading are offered only to seeders. When local supply is short, the
// operator's origin seeds fill in.
//
//   PeerPolicy policy(PolicyConfig{});
//   std::vector<uint32_t> chosen;
//   policy.Choose(self, candidates, /*numwant=*/50, rng, &chosen);  // indexes into candidates
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "services/tracker/rng.h"

namespace p2pims::tracker {

// A locality path "mcc-mnc/area/cell" as three prefix keys; 0 means unknown, and unknown never
// matches anything (an empty or partial path shares no tier below what it names).
struct Locality {
  uint64_t network = 0;  // "262-01"
  uint64_t area = 0;     // "262-01/area-7"
  uint64_t cell = 0;     // "262-01/area-7/cell-31"
};
Locality ParseLocality(std::string_view path);

// How much two localities share: 3 same cell, 2 same area, 1 same network, 0 nothing.
int SharedTier(const Locality& a, const Locality& b);

struct PeerTraits {
  Locality locality;
  bool seeder = false;          // has the whole content
  bool origin = false;          // an operator origin seed
  bool constrained = false;     // mobile or metered: a source only inside its own cell
  bool upload_allowed = true;   // its token lets it upload
};

struct PolicyConfig {
  // Most origin seeds in one reply, and how many chosen local peers count as "short" supply:
  // origin seeds fill in when fewer were found, or when a leecher got no seeder at all.
  int max_origin = 2;
  int short_supply_below = 5;
  // Share of numwant each tier (cell, area, network, elsewhere) may take at most, so that a
  // crowded cell still leaves room for the next tier when wanted. 1 everywhere: strict order.
  // Fractions of a peer are rounded at random: a share of 0.001 of numwant 200 gives one peer
  // from that tier to a fifth of the replies, none to the others.
  std::array<double, 4> tier_share = {1.0, 1.0, 1.0, 1.0};
  // Leechers get a tier's seeders before its leechers.
  bool seeders_first = true;
  // Rank by locality. Off: every eligible candidate is in one tier and the reply is a random
  // sample of them (the baseline the locality policy is measured against); who is eligible and
  // the origin fill-in stay as they are.
  bool locality = true;

  // InvalidArgument naming the field when a value is out of range.
  absl::Status Validate() const;
};

// Thread-compatible: one per thread (it keeps scratch buffers so that a choice allocates nothing
// once they have grown).
class PeerPolicy {
 public:
  explicit PeerPolicy(PolicyConfig config) : config_(config) {}

  // Appends to `out` the indexes of up to `numwant` peers of `candidates` for `self`, best first
  // (tier by tier; random within one). `self_index` is self's own index in candidates, or -1.
  void Choose(const PeerTraits& self, int self_index, std::span<const PeerTraits> candidates,
              int numwant, Rng& rng, std::vector<uint32_t>* out);

 private:
  // Whether `peer` may be offered to `self`, and in which tier.
  bool Eligible(const PeerTraits& self, const PeerTraits& peer, int tier) const;

  const PolicyConfig config_;
  // Per tier, seeders and leechers (leechers only for seeder-first ordering), and origin seeds.
  std::array<std::vector<uint32_t>, 4> seeders_, leechers_;
  std::vector<uint32_t> origins_;
};

}  // namespace p2pims::tracker
