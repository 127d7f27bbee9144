// The terminal's BitTorrent side: one torrent from a session descriptor, fetched with
// libtorrent-rasterbar into a directory, announcing only to the descriptor's token-bearing URLs
// (no DHT, peer exchange, local discovery or port mapping: the operator's tracker decides who
// meets whom).
// What is already on disk is checked and kept, so an interrupted fetch resumes.
//
//   auto f = Fetcher::Start(descriptor, {.out_dir = "."});
//   FetchStatus s = (*f)->Poll();   // again and again, until s.finished or s.error
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/p2pims-ue/descriptor.h"

namespace p2pims::ue {

struct FetchOptions {
  std::string out_dir = ".";
  std::string bind = "127.0.0.1";  // address to listen and connect from
  int upload_cap_kib = 0;          // KiB/s to upload at most; 0: no cap
  // Each peer connection's socket receive buffer (KiB); 0: the kernel's autotuning. libtorrent
  // drains a connection's whole backlog into one buffer, so this bounds the terminal's memory.
  int receive_buffer_kib = 256;
  // A metered or mobile link: few connections and little memory; uploads only with a cap.
  bool metered = false;
  // Once complete, show each peer one piece at a time (BEP 16 super-seeding), so that a seeder
  // whose upload is the swarm's bottleneck (the first copy) sends each piece about once.
  bool super_seed = false;
  // As the seed of new content (the operator's origin, or a stand-in for it): every piece once
  // before any twice (lib/bt/one_copy_first.h).
  bool one_copy_first = false;
  // The terminal's cell (its --locality), told to peers so that the origin sends each cell a
  // piece once after its first copy (lib/bt/cell_tag.h); empty: not told.
  std::string cell;
  // With `cell`: take from peers of other cells only what the cell lacks (lib/bt/cell_tag.h).
  bool cell_guard = true;
  // Ask again at once a peer that libtorrent left idle while it holds what we lack
  // (lib/bt/prompt_idle.h); false only to measure what it changes.
  bool prompt_idle_peers = true;
  // `seed`: share what is on disk and fetch nothing (an incomplete copy is an error).
  bool share_only = false;

  // Whether it serves peers at all: a metered terminal only with an upload cap.
  bool Uploads() const { return !metered || upload_cap_kib > 0; }
};

struct FetchStatus {
  int64_t done = 0;        // bytes of the content we have (checked on disk or downloaded)
  int64_t total = 0;
  int64_t downloaded = 0;  // payload bytes received from peers in this run
  int64_t uploaded = 0;
  int64_t redundant = 0;  // of `downloaded`: blocks that came twice (end game)
  int64_t failed = 0;     // of `downloaded`: pieces that failed their hash check
  // Of `uploaded`, with the cell guard on: to peers of other cells, and of that what their cell
  // already held when it went, as they had told us (lib/bt/cell_tag.h).
  int64_t sent_across = 0;
  int64_t sent_across_held = 0;
  int64_t prompts = 0;  // idle connections prompted to ask again (lib/bt/prompt_idle.h)
  int peers = 0;
  bool checking = false;  // verifying what was already on disk
  bool finished = false;
  std::string error;  // the tracker refused us, a disk error, ...: the fetch cannot go on
  std::string warning;  // a tracker error worth showing that may pass (unreachable, ...)
  int64_t tracker_warnings = 0;  // how many such errors came (announces that failed)
};

class Fetcher {
 public:
  static absl::StatusOr<std::unique_ptr<Fetcher>> Start(const Descriptor& d, FetchOptions options);
  ~Fetcher();
  FetchStatus Poll();
  // Announces now instead of at the tracker's interval (new peers arrived that only we can dial).
  void Reannounce();
  // Stops sharing (every peer disconnected, so the counters stop) and tells the tracker the
  // final totals (event=stopped), waiting at most `limit` for its answer: the tracker meters
  // usage from announces, so without this the bytes moved since the last announce would be
  // missing from the session's CDR. Returns the final status.
  FetchStatus Stop(absl::Duration limit);
  std::string path() const;  // the fetched file or directory

  struct Impl;

 private:
  explicit Fetcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace p2pims::ue
