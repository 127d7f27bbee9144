// The tracker's UDP announce path in one process, without sockets: CPU per announce of
// AnnounceHandler::HandleUdp (parse, announce key admission, swarm update and peer choice, usage
// metering, reply) for the workload of bench/run tracker (peers in swarms, each with its own
// session and announce key, every announce with new counters). The network benchmark's rates
// swing with the shared machine; this measures the tracker's own code, for A/B runs of two
// builds (run each build's binary in turn, several times).
//
//   build-bench/bench/tracker/tracker_handler_bench --peers 50000 --swarms 1000 --rounds 5
//
// Prints one JSON line: {"ns_per_announce":...,"ns_per_announce_all":[...],...}.
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <array>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "lib/config/flags.h"
#include "lib/metrics/registry.h"
#include "lib/token/revocation_list.h"
#include "lib/token/signer.h"
#include "services/tracker/admission.h"
#include "services/tracker/announce_handler.h"
#include "services/tracker/swarms.h"
#include "services/tracker/usage_meter.h"

namespace {

using namespace p2pims;
using namespace p2pims::tracker;

double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

void Put32(uint32_t v, std::string* out) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}
void Put64(uint64_t v, std::string* out) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}
uint64_t Get64(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

InfoHash SwarmHash(int s) {
  InfoHash h{};
  uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(s + 1);
  for (size_t i = 0; i < h.size(); ++i) {
    x ^= x >> 29, x *= 0xBF58476D1CE4E5B9ull, x ^= x >> 32;
    h[i] = static_cast<char>(x);
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  p2pims::Flags flags("tracker_handler_bench",
                      "CPU per UDP announce of the tracker's handler, in one process");
  flags.Add("peers", "50000", "peers, one session (token, announce key) each");
  flags.Add("swarms", "1000", "swarms; peer p is in swarm p % swarms");
  flags.Add("announces", "2000000", "announces per measured round");
  flags.Add("rounds", "5", "measured rounds (the JSON has each and the best)");
  flags.Add("flush-every", "100000", "announces between two usage meter flushes (to nowhere)");
  if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
  auto get = [&](const char* name) -> int64_t {
    auto v = flags.GetInt(name);
    if (!v.ok() || *v < 1) {
      std::cerr << "--" << name << " must be a positive number\n";
      std::exit(2);
    }
    return *v;
  };
  const int peers = static_cast<int>(get("peers"));
  const int swarms = static_cast<int>(get("swarms"));
  const int64_t announces = get("announces");
  const int rounds = static_cast<int>(get("rounds"));
  const int64_t flush_every = get("flush-every");

  const absl::Time now = absl::Now();
  std::array<uint8_t, 32> seed{};
  seed[0] = 42;
  token::KeyPair key = token::KeyFromSeed("bench1", seed);
  token::Signer signer(key);
  token::Verifier verifier;
  verifier.SetKeys(std::map<std::string, std::array<uint8_t, 32>>{{"bench1", key.public_key}});
  token::RevocationList revocations;
  metrics::Registry registry;

  absl::flat_hash_map<std::string, std::string> token_of_key;
  for (int p = 0; p < peers; ++p) {
    token::Claims c;
    c.subject = absl::StrCat("sip:user", p, "@ims.example.net");
    const InfoHash h = SwarmHash(p % swarms);
    std::copy(h.begin(), h.end(), c.info_hash.begin());
    c.session_id = absl::StrCat("udp-", p);
    c.locality = absl::StrCat("001-01/area-", p % 8, "/cell-", p % 64);
    c.issued_at = static_cast<uint32_t>(absl::ToUnixSeconds(now) - 60);
    c.expires_at = c.issued_at + 86400;
    for (int i = 0; i < 16; ++i) c.token_id[i] = static_cast<uint8_t>((p >> (8 * (i % 4))) + i);
    token_of_key[c.session_id] = *signer.Sign(c);  // the announce key is the session id
  }
  Admission admission(
      verifier, revocations,
      [](const InfoHash& hash) -> absl::StatusOr<std::optional<SwarmBinding>> {
        SwarmBinding b;
        b.swarm = hash;
        b.content_id = "bench";
        return b;
      },
      registry, {},
      [&](const std::string& k) -> absl::StatusOr<std::optional<std::string>> {
        auto it = token_of_key.find(k);
        if (it == token_of_key.end()) return std::nullopt;
        return it->second;
      });
  Swarms swarm_set(SwarmsOptions{});
  UsageMeter meter;
  RequestCounters counters(registry);
  AnnounceHandler handler(
      swarm_set,
      [&](std::string_view t, bool session_key, absl::Time at, uint64_t source) {
        return session_key ? admission.AdmitKey(t, at, source) : admission.Admit(t, at, source);
      },
      [&](const AdmittedToken& t, int64_t up, int64_t down) {
        meter.Add(t, t->usage, t->claims.session_id, up, down);
      },
      counters, {});
  Rng rng(7);

  const PeerEndpoint from{PeerAddress::V4({127, 0, 0, 1}), 40000};
  std::string reply;
  std::string connect;
  Put64(0x41727101980ull, &connect);
  Put32(0, &connect);
  Put32(1, &connect);
  handler.HandleUdp(connect, from, now, rng, &reply);
  if (reply.size() != 16) {
    std::cerr << "no connect reply\n";
    return 1;
  }
  const uint64_t connection_id = Get64(reply, 8);

  // announce(p, n): peer p's n-th announce (n = 0: started), counters growing with n.
  std::vector<int64_t> count(static_cast<size_t>(peers), 0);
  std::string datagram;
  auto announce = [&](int p) {
    const int64_t n = count[static_cast<size_t>(p)]++;
    const bool seeder = p % 50 < 10;
    datagram.clear();
    Put64(connection_id, &datagram);
    Put32(1, &datagram);
    Put32(static_cast<uint32_t>(n), &datagram);
    const InfoHash h = SwarmHash(p % swarms);
    datagram.append(h.data(), h.size());
    std::string peer_id = absl::StrCat("-BN0001-", p);
    peer_id.resize(20, '-');
    datagram += peer_id;
    Put64(seeder ? 0 : static_cast<uint64_t>(n) * 16384, &datagram);            // downloaded
    Put64(seeder ? 0 : std::max<int64_t>(0, (1 << 30) - n * 16384), &datagram);  // left
    Put64(static_cast<uint64_t>(n) * 8192, &datagram);                          // uploaded
    Put32(n == 0 ? 2 : 0, &datagram);                                            // event
    Put32(0, &datagram);                                                         // ip
    Put32(static_cast<uint32_t>(p), &datagram);                                  // key
    Put32(50, &datagram);                                                        // num_want
    datagram.push_back(static_cast<char>((10000 + p % 50000) >> 8));
    datagram.push_back(static_cast<char>((10000 + p % 50000) & 0xff));
    const std::string url = absl::StrCat("/s/udp-", p);
    datagram.push_back(2);
    datagram.push_back(static_cast<char>(url.size()));
    datagram += url;
    handler.HandleUdp(datagram, from, now, rng, &reply);
  };
  auto flush = [&] {
    (void)meter.Flush([](const std::vector<SessionUsage>&) { return absl::OkStatus(); });
  };

  for (int p = 0; p < peers; ++p) announce(p);  // the fill: every key resolved and cached
  for (int p = 0; p < peers; ++p) announce(p);
  if (reply.size() < 20 || reply[3] != 1) {
    std::cerr << "announce not answered: " << reply.size() << " bytes\n";
    return 1;
  }
  flush();

  uint64_t x = 88172645463325252ull;
  std::vector<double> per;
  for (int r = 0; r < rounds; ++r) {
    std::vector<int> order(static_cast<size_t>(announces));
    for (int& o : order) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      o = static_cast<int>(x % static_cast<uint64_t>(peers));
    }
    const double t0 = ThreadCpuNs();
    for (int64_t i = 0; i < announces; ++i) {
      announce(order[static_cast<size_t>(i)]);
      if ((i + 1) % flush_every == 0) flush();
    }
    per.push_back((ThreadCpuNs() - t0) / static_cast<double>(announces));
  }
  std::vector<std::string> all;
  for (double v : per) all.push_back(absl::StrCat(static_cast<int64_t>(v)));
  std::cout << "{\"ns_per_announce\":" << static_cast<int64_t>(*std::min_element(per.begin(), per.end()))
            << ",\"ns_per_announce_all\":[" << absl::StrJoin(all, ",") << "],\"peers\":" << peers
            << ",\"swarms\":" << swarms << ",\"announces\":" << announces << "}\n";
  return 0;
}
