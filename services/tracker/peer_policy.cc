#include "services/tracker/peer_policy.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace p2pims::tracker {
namespace {

// A nonzero key for a non-empty prefix.
uint64_t Key(std::string_view prefix) {
  const uint64_t h = absl::HashOf(prefix);
  return h == 0 ? 1 : h;
}

// Moves up to `n` randomly chosen elements of `from` to its front (a partial Fisher-Yates
// shuffle) and returns how many there are.
size_t Sample(std::vector<uint32_t>& from, size_t n, Rng& rng) {
  n = std::min(n, from.size());
  for (size_t i = 0; i < n; ++i) {
    std::uniform_int_distribution<size_t> pick(i, from.size() - 1);
    std::swap(from[i], from[pick(rng)]);
  }
  return n;
}

// How many of `want` a tier with `share` may take: share × want, rounded at random to one of the
// two whole numbers around it, so that on average a tier gets its share even when that is less
// than one peer (a share below 1 / want offers an outer tier's peer to some replies only).
size_t Room(double share, size_t want, Rng& rng) {
  const double exact = share * static_cast<double>(want);
  size_t room = static_cast<size_t>(exact);
  const double fraction = exact - static_cast<double>(room);
  if (fraction > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < fraction) ++room;
  return room;
}

}  // namespace

Locality ParseLocality(std::string_view path) {
  Locality l;
  size_t first = path.find('/');
  const std::string_view network = path.substr(0, first);
  if (network.empty()) return l;
  l.network = Key(network);
  if (first == std::string_view::npos) return l;
  size_t second = path.find('/', first + 1);
  if (second == first + 1) return l;  // empty area
  l.area = Key(path.substr(0, second));
  if (second == std::string_view::npos || second + 1 >= path.size()) return l;
  // The cell is the rest up to a further '/', if any.
  const size_t third = path.find('/', second + 1);
  l.cell = Key(path.substr(0, third));
  return l;
}

int SharedTier(const Locality& a, const Locality& b) {
  if (a.cell != 0 && a.cell == b.cell) return 3;
  if (a.area != 0 && a.area == b.area) return 2;
  if (a.network != 0 && a.network == b.network) return 1;
  return 0;
}

absl::Status PolicyConfig::Validate() const {
  if (max_origin < 0 || max_origin > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("max_origin must be 0..1000, not ", max_origin));
  }
  if (short_supply_below < 0 || short_supply_below > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("short_supply_below must be 0..1000, not ", short_supply_below));
  }
  for (double share : tier_share) {
    if (!(share > 0 && share <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tier_share values must be in (0, 1], not ", share));
    }
  }
  return absl::OkStatus();
}

bool PeerPolicy::Eligible(const PeerTraits& self, const PeerTraits& peer, int tier) const {
  if (self.seeder && peer.seeder) return false;  // two seeders have nothing to exchange
  if (peer.constrained && tier < 3) return false;
  if (!self.seeder && !peer.upload_allowed) return false;  // nothing it could send
  return true;
}

void PeerPolicy::Choose(const PeerTraits& self, int self_index,
                        std::span<const PeerTraits> candidates, int numwant,
                        Rng& rng, std::vector<uint32_t>* out) {
  if (numwant <= 0) return;
  for (auto& v : seeders_) v.clear();
  for (auto& v : leechers_) v.clear();
  origins_.clear();
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (static_cast<int>(i) == self_index) continue;
    const PeerTraits& peer = candidates[i];
    if (peer.origin) {
      if (!self.seeder) origins_.push_back(static_cast<uint32_t>(i));
      continue;
    }
    const int shared = SharedTier(self.locality, peer.locality);
    if (!Eligible(self, peer, shared)) continue;
    const int tier = config_.locality ? shared : 3;
    // A seeder's candidates are all leechers; a leecher wants seeders first when so configured.
    const bool first = !self.seeder && config_.seeders_first && peer.seeder;
    (first ? seeders_ : leechers_)[tier].push_back(static_cast<uint32_t>(i));
  }

  const size_t want = static_cast<size_t>(numwant);
  const size_t start = out->size();
  bool got_seeder = false;
  for (int tier = 3; tier >= 0 && out->size() - start < want; --tier) {
    const double share = config_.locality ? config_.tier_share[3 - tier] : 1.0;
    size_t room = std::min(want - (out->size() - start), Room(share, want, rng));
    for (std::vector<uint32_t>* bucket : {&seeders_[tier], &leechers_[tier]}) {
      const size_t n = Sample(*bucket, room, rng);
      out->insert(out->end(), bucket->begin(), bucket->begin() + static_cast<std::ptrdiff_t>(n));
      room -= n;
      if (bucket == &seeders_[tier] && n > 0) got_seeder = true;
    }
  }
  for (size_t i = start; i < out->size() && !got_seeder; ++i) {
    got_seeder = candidates[(*out)[i]].seeder;
  }

  // Origin seeds fill in when the swarm's own supply is short.
  const size_t local = out->size() - start;
  const bool short_supply = local < static_cast<size_t>(config_.short_supply_below) || !got_seeder;
  if (short_supply && local < want) {
    const size_t n = Sample(origins_, std::min(want - local, static_cast<size_t>(config_.max_origin)),
                            rng);
    out->insert(out->end(), origins_.begin(), origins_.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

}  // namespace p2pims::tracker
