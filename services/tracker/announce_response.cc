#include "services/tracker/announce_response.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "services/tracker/bencode.h"

namespace p2pims::tracker {
namespace {

void PutPort(uint16_t port, char* out) {
  out[0] = static_cast<char>(port >> 8);  // network byte order
  out[1] = static_cast<char>(port & 0xff);
}

}  // namespace

void AppendAnnounceReply(const AnnounceReply& reply, std::string* out) {
  size_t v4 = 0;
  size_t v6 = 0;
  for (const PeerEndpoint& p : reply.peers) (p.address.v6 ? v6 : v4)++;

  // Keys in ascending byte order, as BEP 3 requires.
  bencode::Writer w(out);
  w.BeginDict();
  w.Key("complete");
  w.Int(reply.complete);
  w.Key("incomplete");
  w.Int(reply.incomplete);
  w.Key("interval");
  w.Int(reply.interval_seconds);
  w.Key("min interval");
  w.Int(reply.min_interval_seconds);
  w.Key("peers");
  // Filled in place: no intermediate buffer per reply.
  char* p4 = w.StringOfSize(v4 * 6).data();
  for (const PeerEndpoint& p : reply.peers) {
    if (p.address.v6) continue;
    std::memcpy(p4, p.address.bytes.data(), 4);
    PutPort(p.port, p4 + 4);
    p4 += 6;
  }
  if (v6 > 0) {
    w.Key("peers6");
    char* p6 = w.StringOfSize(v6 * 18).data();
    for (const PeerEndpoint& p : reply.peers) {
      if (!p.address.v6) continue;
      std::memcpy(p6, p.address.bytes.data(), 16);
      PutPort(p.port, p6 + 16);
      p6 += 18;
    }
  }
  if (!reply.tracker_id.empty()) {
    w.Key("tracker id");
    w.String(reply.tracker_id);
  }
  w.End();
}

void AppendScrapeReply(std::span<const ScrapeEntry> entries, std::string* out) {
  // Sort pointers, not entries: the caller's order stays, and a stable sort keeps the first of
  // a repeated info-hash in front.
  std::vector<const ScrapeEntry*> sorted;
  sorted.reserve(entries.size());
  for (const ScrapeEntry& e : entries) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const ScrapeEntry* a, const ScrapeEntry* b) {
    return AsView(a->info_hash) < AsView(b->info_hash);
  });

  bencode::Writer w(out);
  w.BeginDict();
  w.Key("files");
  w.BeginDict();
  const ScrapeEntry* previous = nullptr;
  for (const ScrapeEntry* e : sorted) {
    if (previous != nullptr && previous->info_hash == e->info_hash) continue;
    previous = e;
    w.Key(AsView(e->info_hash));
    w.BeginDict();
    w.Key("complete");
    w.Int(e->complete);
    w.Key("downloaded");
    w.Int(e->downloaded);
    w.Key("incomplete");
    w.Int(e->incomplete);
    w.End();
  }
  w.End();
  w.End();
}

void AppendFailureReply(const FailureReply& reply, std::string* out) {
  bencode::Writer w(out);
  w.BeginDict();
  w.Key("failure reason");
  w.String(reply.reason);
  if (reply.retry_never) {
    w.Key("retry in");
    w.String("never");
  } else if (reply.retry_in_minutes.has_value()) {
    w.Key("retry in");
    w.Int(*reply.retry_in_minutes);
  }
  w.End();
}

}  // namespace p2pims::tracker
