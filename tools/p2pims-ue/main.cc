// p2pims-ue: the reference terminal. A subscriber's view of managed P2P from a shell:
//
//   p2pims-ue register --server 127.0.0.1:5060 --identity sip:alice@ims.localhost
//       --user alice-impi --password alice-secret
//   p2pims-ue fetch sip:sintel@p2p.localhost --server ... --out ~/Downloads
//   p2pims-ue seed sip:sintel@p2p.localhost --server ... --out ~/Downloads   (until Ctrl-C)
//
// Exit codes: outcome.h. Messages go to stderr; `fetch` prints the fetched path on stdout.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/config/flags.h"
#include "lib/json/json.h"
#include "lib/progress/progress_line.h"
#include "tools/p2pims-ue/descriptor.h"
#include "tools/p2pims-ue/fetcher.h"
#include "tools/p2pims-ue/outcome.h"
#include "tools/p2pims-ue/sip_ua.h"

namespace p2pims::ue {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
volatile std::sig_atomic_t g_reannounce = 0;
volatile std::sig_atomic_t g_stop_sharing = 0;
void OnSignal(int) { g_interrupted = 1; }
void OnReannounce(int) { g_reannounce = 1; }
void OnStopSharing(int) { g_stop_sharing = 1; }

constexpr char kUsageText[] =
    "usage: p2pims-ue register [flags]          (online until interrupted)\n"
    "       p2pims-ue fetch sip:<content>@<domain> [flags]\n"
    "       p2pims-ue seed sip:<content>@<domain> --out DIR [flags]   (shares what DIR holds)\n";

void AddFlags(Flags& flags) {
  flags.Add("server", "127.0.0.1:5060", "host:port of the P-CSCF or sip-edge every request goes to");
  flags.Add("transport", "udp", "udp or tcp");
  flags.Add("bind", "127.0.0.1", "local address for SIP and BitTorrent");
  flags.Add("identity", "", "your public identity, e.g. sip:alice@ims.example.net (required)");
  flags.Add("user", "", "digest user name (private identity); empty: no credentials");
  flags.Add("password", "", "digest password");
  flags.Add("locality", "",
            "your cell as 3GPP utran-cell-id-3gpp (e.g. 26201ab12c34d56e), claimed when no CSCF "
            "adds it; the network treats it as unverified");
  flags.Add("timeout-seconds", "15", "how long to wait for each SIP answer");
  flags.Add("domain", "", "register: the registrar's domain (default: your identity's)");
  flags.Add("expires", "3600", "register: seconds each registration lasts (refreshed while online)");
  flags.Add("online-seconds", "0", "register: stay online this long, then unregister (0: until interrupted)");
  flags.Add("out", ".",
            "fetch: directory to fetch into (what is there already is kept); seed: the directory "
            "holding the content");
  flags.Add("upload-cap", "0", "fetch: KiB/s to upload at most (0: no cap)");
  flags.Add("receive-buffer-kb", "256",
            "fetch: each peer connection's socket receive buffer in KiB, which bounds memory "
            "(16 to 65536; 0: the kernel's autotuning)");
  flags.Add("metered", "false", "fetch: a metered or mobile link: few connections, little memory");
  flags.Add("seed-seconds", "0", "fetch: keep sharing this long after the fetch finished");
  flags.Add("super-seed", "false",
            "fetch: once complete, offer each peer one piece at a time (BEP 16 super-seeding), so "
            "that each piece leaves this terminal about once");
  flags.Add("one-copy-first", "false",
            "fetch: for the seed of new content (an origin): send every piece once before any "
            "piece twice");
  flags.Add("cell-guard", "true",
            "fetch: with --locality, take from peers of other cells only the pieces your cell "
            "lacks (from peers with the same flag)");
  flags.Add("prompt-idle-peers", "true",
            "fetch: prompt at once a peer connection libtorrent left idle while the peer holds "
            "pieces you lack (false only to measure what it changes)");
  flags.Add("quiet", "false", "fetch: no progress line");
  flags.Add("summary", "",
            "fetch: write a JSON summary to this file once the content is complete and again at "
            "the end (times, bytes from and to peers)");
}

int Fail(const Outcome& o) {
  std::cerr << "p2pims-ue: " << o.message << "\n";
  return o.code;
}

UaConfig UaFrom(const Flags& flags, int64_t timeout) {
  UaConfig c;
  c.server = flags.Get("server");
  c.transport = flags.Get("transport");
  c.bind = flags.Get("bind");
  c.identity = flags.Get("identity");
  c.user = flags.Get("user");
  c.password = flags.Get("password");
  if (!flags.Get("locality").empty()) {
    c.access_network_info = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=" + flags.Get("locality");
  }
  c.timeout = absl::Seconds(timeout);
  return c;
}

int Register(const Flags& flags, SipUa& ua) {
  std::string domain = flags.Get("domain");
  if (domain.empty()) domain = flags.Get("identity").substr(flags.Get("identity").find('@') + 1);
  auto expires = flags.GetInt("expires");
  SipAnswer a = ua.Register(domain, expires.ok() ? static_cast<int>(*expires) : 3600);
  if (a.status < 200 || a.status >= 300) return Fail(FromSip(a, "register"));
  std::cerr << "p2pims-ue: registered " << flags.Get("identity") << "; online until interrupted\n";
  // Online: the stack refreshes the registration; leaving unregisters.
  const int64_t seconds = flags.GetInt("online-seconds").value_or(0);
  const absl::Time until = seconds > 0 ? absl::Now() + absl::Seconds(seconds) : absl::InfiniteFuture();
  while (!g_interrupted && absl::Now() < until) ua.Pump(absl::Milliseconds(200));
  SipAnswer gone = ua.Unregister();
  if (gone.status < 200 || gone.status >= 300) return Fail(FromSip(gone, "unregister"));
  std::cerr << "p2pims-ue: unregistered\n";
  return kDone;
}

// The --summary file: one JSON object, replaced whole (written aside, then renamed), so a reader
// polling it never sees half of it. `ended` is absent until the terminal has hung up.
// Times of the fetch's steps; InfiniteFuture: not reached (yet).
struct FetchTimes {
  absl::Time start, answered = absl::InfiniteFuture(), first_byte = absl::InfiniteFuture(),
                    finished = absl::InfiniteFuture();
};

int64_t MillisOrZero(absl::Time t) {
  return t == absl::InfiniteFuture() ? int64_t{0} : absl::ToUnixMillis(t);
}

void WriteSummary(const std::string& file, const std::string& uri, const FetchStatus& s,
                  const FetchTimes& times, absl::Time ended, int exit_code) {
  if (file.empty()) return;
  JsonObject o;
  o.Add("content", uri).Add("size", s.total).Add("complete", s.finished);
  o.Add("started_ms", absl::ToUnixMillis(times.start));
  // The session's answer (the descriptor) and the first payload byte from a peer.
  o.Add("answered_ms", MillisOrZero(times.answered));
  o.Add("first_byte_ms", MillisOrZero(times.first_byte));
  o.Add("finished_ms", MillisOrZero(times.finished));
  o.Add("downloaded", s.downloaded).Add("uploaded", s.uploaded);
  o.Add("redundant", s.redundant).Add("failed", s.failed);
  o.Add("sent_across", s.sent_across).Add("sent_across_held", s.sent_across_held);
  o.Add("prompts", s.prompts);
  o.Add("tracker_warnings", s.tracker_warnings);
  if (!s.warning.empty()) o.Add("last_tracker_warning", s.warning);
  if (ended != absl::InfiniteFuture())
    o.Add("ended_ms", absl::ToUnixMillis(ended)).Add("exit", exit_code);
  const std::string aside = file + ".part";
  std::ofstream(aside, std::ios::trunc) << o.Close() << "\n";
  std::rename(aside.c_str(), file.c_str());
}

// fetch, or with `share_only` seed: the same session, but nothing is fetched and the content
// must be whole on disk; sharing lasts until interrupted (or --seed-seconds).
int Fetch(const Flags& flags, std::unique_ptr<SipUa>& owned, const UaConfig& config,
          const std::string& uri, bool share_only) {
  FetchTimes times{.start = absl::Now()};
  const absl::Time start = times.start;
  const std::string summary = flags.Get("summary");
  SipAnswer a = owned->Invite(uri);
  if (config.transport == "udp" && WantsTcp(a)) {
    // Large content: its descriptor does not fit in a datagram, and SIP cannot move a response
    // to TCP (docs/sip.md "Descriptor size"), so the whole session moves.
    std::cerr << "p2pims-ue: " << uri << ": " << a.warning << "; trying again over TCP\n";
    UaConfig tcp = config;
    tcp.transport = "tcp";
    owned.reset();  // one Sofia-SIP stack at a time (su_init/su_deinit are process-wide)
    auto again = SipUa::Start(tcp);
    if (!again.ok()) return Fail({kUnavailable, std::string(again.status().message())});
    owned = *std::move(again);
    a = owned->Invite(uri);
  }
  SipUa& ua = *owned;
  if (a.status < 200 || a.status >= 300) return Fail(FromSip(a, uri));
  times.answered = absl::Now();
  auto descriptor = ParseDescriptor(a.content_type, a.body);
  if (!descriptor.ok()) {
    ua.Bye();
    return Fail({kDownloadFailed, std::string(descriptor.status().message())});
  }
  FetchOptions options;
  options.out_dir = flags.Get("out");
  options.bind = flags.Get("bind");
  options.upload_cap_kib = static_cast<int>(flags.GetInt("upload-cap").value_or(0));
  options.receive_buffer_kib = static_cast<int>(flags.GetInt("receive-buffer-kb").value_or(256));
  options.metered = flags.GetBool("metered").value_or(false);
  options.super_seed = flags.GetBool("super-seed").value_or(false);
  options.one_copy_first = flags.GetBool("one-copy-first").value_or(false);
  options.cell = flags.Get("locality");
  options.cell_guard = flags.GetBool("cell-guard").value_or(true);
  options.prompt_idle_peers = flags.GetBool("prompt-idle-peers").value_or(true);
  options.share_only = share_only;
  auto fetcher = Fetcher::Start(*descriptor, options);
  if (!fetcher.ok()) {
    ua.Bye();
    return Fail({kDownloadFailed, std::string(fetcher.status().message())});
  }
  const bool quiet = flags.GetBool("quiet").value_or(false);
  const bool tty = isatty(STDERR_FILENO) == 1;
  absl::Time last_line = start;
  absl::Time& finished_at = times.finished;
  const int64_t seed_seconds = flags.GetInt("seed-seconds").value_or(0);
  const absl::Duration seed_for = share_only && seed_seconds == 0 ? absl::InfiniteDuration()
                                                                  : absl::Seconds(seed_seconds);
  Outcome outcome;
  FetchStatus s;
  while (true) {
    ua.Pump(absl::Milliseconds(200));
    s = (*fetcher)->Poll();
    if (g_reannounce) {
      g_reannounce = 0;
      (*fetcher)->Reannounce();
    }
    const absl::Time now = absl::Now();
    if (s.downloaded > 0 && times.first_byte == absl::InfiniteFuture()) times.first_byte = now;
    if (!quiet && (tty || now - last_line >= absl::Seconds(2))) {
      const std::string extra = s.checking ? "checking what is on disk"
                                           : absl::StrCat(s.peers, s.peers == 1 ? " peer" : " peers");
      const std::string line =
          ProgressLine(share_only ? "sharing" : "fetching", s.done, s.total > 0 ? s.total : descriptor->size, now - start,
                       extra, s.downloaded);
      std::cerr << (tty ? "\r" + line + "\x1b[K" : line + "\n") << std::flush;
      last_line = now;
    }
    if (!s.error.empty()) {
      outcome = {kDownloadFailed, s.error};
      break;
    }
    if (g_interrupted) {
      // Interrupting is how sharing ends; a fetch interrupted is one to resume.
      if (!(share_only && s.finished)) {
        outcome = {kInterrupted, "interrupted; what was fetched is kept: fetch again to resume"};
      }
      break;
    }
    if (share_only && !s.checking && !s.finished && s.total > 0) {
      outcome = {kDownloadFailed,
                 absl::StrCat(flags.Get("out"), " does not hold the whole content (",
                              FormatBytes(s.done), " of ", FormatBytes(s.total),
                              "): fetch it first")};
      break;
    }
    if (!ua.in_session()) {
      outcome = FromNetworkBye(
          ua.ended_by_network().empty() ? "the session ended" : ua.ended_by_network(),
          ua.ended_cause());
      break;
    }
    if (s.finished && finished_at == absl::InfiniteFuture()) {
      finished_at = now;
      WriteSummary(summary, uri, s, times, absl::InfiniteFuture(), 0);
    }
    if (now >= finished_at + seed_for || (g_stop_sharing && s.finished)) break;
  }
  if (tty && !quiet) std::cerr << "\n";
  // The tracker gets the final totals before the BYE closes the session (its CDR holds them).
  const FetchStatus last = (*fetcher)->Stop(absl::Seconds(3));
  s.downloaded = last.downloaded;
  s.uploaded = last.uploaded;
  s.redundant = last.redundant;
  s.failed = last.failed;
  s.sent_across = last.sent_across;
  s.sent_across_held = last.sent_across_held;
  s.prompts = last.prompts;
  s.tracker_warnings = last.tracker_warnings;
  s.warning = last.warning;
  SipAnswer bye = ua.Bye();
  WriteSummary(summary, uri, s, times, absl::Now(), outcome.code);
  if (outcome.code != kDone) return Fail(outcome);
  if (bye.status < 200 || bye.status >= 300) {
    std::cerr << "p2pims-ue: the BYE was not answered (" << bye.status << "); the network ends "
              << "the session by itself\n";
  }
  std::cerr << "p2pims-ue: " << (share_only ? "shared " : "fetched ") << FormatBytes(s.total)
            << " in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(100)))
            << ": " << FormatBytes(s.downloaded) << " from peers, " << FormatBytes(s.uploaded)
            << " shared\n";
  if (s.failed > 0) {
    std::cerr << "p2pims-ue: " << FormatBytes(s.failed) << " from peers failed their check "
              << "(corrupt data) and were fetched again from others\n";
  }
  std::cout << (*fetcher)->path() << "\n";
  return kDone;
}

int Main(int argc, char** argv) {
  if (argc < 2 || (std::string(argv[1]) != "register" && std::string(argv[1]) != "fetch" &&
                    std::string(argv[1]) != "seed")) {
    if (argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
      std::cout << kUsageText;
      return kDone;
    }
    std::cerr << kUsageText;
    return kUsage;
  }
  const std::string command = argv[1];
  Flags flags("p2pims-ue " + command,
              command == "fetch"  ? "Fetches content through a managed P2P session."
              : command == "seed" ? "Shares content you hold through a managed P2P session."
                                  : "Registers with the IMS core.");
  AddFlags(flags);
  if (auto code = flags.ParseCommandLine(argc - 1, argv + 1)) return *code;
  if (flags.Get("identity").find('@') == std::string::npos) {
    std::cerr << "p2pims-ue: --identity must be a public identity such as sip:alice@ims.example.net\n";
    return kUsage;
  }
  std::string uri;
  if (command == "fetch" || command == "seed") {
    if (flags.positional().size() != 1 || !absl::StartsWith(flags.positional()[0], "sip:")) {
      std::cerr << "p2pims-ue: " << command
                << " needs one content address, e.g. sip:sintel@p2p.example.net\n";
      return kUsage;
    }
    uri = flags.positional()[0];
  }
  if (flags.GetBool("super-seed").value_or(false) && flags.GetBool("one-copy-first").value_or(false)) {
    std::cerr << "p2pims-ue: --super-seed and --one-copy-first exclude each other\n";
    return kUsage;
  }
  if (auto kib = flags.GetInt("receive-buffer-kb");
      !kib.ok() || (*kib != 0 && (*kib < 16 || *kib > 65536))) {
    std::cerr << "p2pims-ue: --receive-buffer-kb must be 0 (the kernel's autotuning) or 16 to "
                 "65536\n";
    return kUsage;
  }
  auto timeout = flags.GetInt("timeout-seconds");
  const UaConfig config = UaFrom(flags, timeout.ok() && *timeout > 0 ? *timeout : 15);
  auto ua = SipUa::Start(config);
  if (!ua.ok()) return Fail({kUnavailable, std::string(ua.status().message())});
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGUSR1, OnReannounce);  // fetch: announce now
  std::signal(SIGUSR2, OnStopSharing);  // fetch: hang up once complete, as after --seed-seconds
  return command == "register" ? Register(flags, **ua)
                                : Fetch(flags, *ua, config, uri, /*share_only=*/command == "seed");
}

}  // namespace
}  // namespace p2pims::ue

int main(int argc, char** argv) { return p2pims::ue::Main(argc, argv); }
