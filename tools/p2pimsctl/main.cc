// p2pimsctl: the operator's admin CLI for rights (catalogue, licences, entitlements,
// revocations, audit), charging (accounts, tariffs, CDRs, settlement) and the tracker (content
// index, swarm statistics). This file finds the
// command, parses its command line and runs it; the commands live in *_commands.cc.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/grpc/client.h"
#include "lib/grpc/tls.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"

namespace p2pims::ctl {
namespace {

constexpr const char* kDefaultRights = "127.0.0.1:50051";
constexpr const char* kDefaultCharging = "127.0.0.1:50052";
constexpr const char* kDefaultTracker = "127.0.0.1:50053";
constexpr int64_t kDefaultTimeoutSeconds = 10;
// The words that group subcommands.
constexpr const char* kGroups[] = {"content", "entitlement", "account", "tariff", "cdr", "swarm"};

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

void AddGlobalFlags(CommandLine& cl) {
  cl.Section("global flags")
      .Flag("rights", "HOST:PORT",
            absl::StrCat("rights gRPC address (env P2PIMS_RIGHTS; default ", kDefaultRights, ")"))
      .Flag("charging", "HOST:PORT",
            absl::StrCat("charging gRPC address (env P2PIMS_CHARGING; default ", kDefaultCharging,
                         ")"))
      .Flag(
          "tracker", "HOST:PORT",
          absl::StrCat("tracker gRPC address (env P2PIMS_TRACKER; default ", kDefaultTracker, ")"))
      .Flag("actor", "NAME",
            "operator identity for rights' audit and charging's ledger (default $USER, else "
            "p2pimsctl)")
      .Flag("tls-ca", "FILE",
            "PEM CA the services' gRPC certificates are checked against: talk TLS (env "
            "P2PIMS_GRPC_TLS_CA; default: plaintext)")
      .Flag("tls-cert", "FILE",
            "PEM client certificate, for services that require one (env P2PIMS_GRPC_TLS_CERT)")
      .Flag("tls-key", "FILE", "PEM key of --tls-cert (env P2PIMS_GRPC_TLS_KEY)")
      .Flag("token-file", "FILE",
            "a bearer token for the admin RPCs, granted a role by the services' "
            "--admin-access-file (env P2PIMS_ADMIN_TOKEN holds the token itself)")
      .Switch("json", "print JSON instead of text")
      .Flag("timeout", "SECONDS",
            absl::StrCat("deadline of each call to rights, charging or the tracker (default ",
                         kDefaultTimeoutSeconds, ")"));
}

// Global flags taking a value, which may come before the command words.
bool IsGlobalValueFlag(const std::string& arg) {
  return arg == "--rights" || arg == "--charging" || arg == "--tracker" || arg == "--actor" ||
         arg == "--timeout" || arg == "--tls-ca" || arg == "--tls-cert" || arg == "--tls-key" ||
         arg == "--token-file";
}

std::string TopUsage(const std::vector<Command>& commands) {
  std::string out =
      "usage: p2pimsctl [global flags] COMMAND [flags] [ARGS]\n\n"
      "Operator administration of p2pims over gRPC: catalogue, licences, entitlements,\n"
      "revocations and audit in rights (p2pims.rights.v1.RightsAdmin); accounts, tariffs, CDRs\n"
      "and settlement in charging (p2pims.charging.v1.ChargingAdmin); the content index and\n"
      "swarm statistics in the tracker (p2pims.tracker.v1.ContentIndex, Tracker).\n\ncommands:\n";
  size_t width = 0;
  for (const auto& c : commands) width = std::max(width, c.path.size());
  for (const auto& c : commands) {
    absl::StrAppend(&out, "  ", c.path, std::string(width - c.path.size() + 2, ' '), c.summary,
                    "\n");
  }
  CommandLine globals("COMMAND", "");
  AddGlobalFlags(globals);
  const std::string flags = globals.Usage();
  absl::StrAppend(
      &out, flags.substr(flags.find("\nglobal flags:")),
      "\n'p2pimsctl COMMAND --help' describes a command.\n"
      "exit codes: 0 done; 1 rights, charging or the tracker refused or failed, or a file\n"
      "could not be read or written; 2 bad command line (nothing was sent); 3 content add\n"
      "registered in rights but could not index in the tracker (the message says how to\n"
      "finish).\n");
  return out;
}

std::string GroupUsage(const std::vector<Command>& commands, const std::string& group) {
  std::string out = absl::StrCat("usage: p2pimsctl ", group, " SUBCOMMAND [flags] [ARGS]\n\n");
  std::vector<const Command*> members;
  size_t width = 0;
  for (const auto& c : commands) {
    if (c.path.rfind(group + " ", 0) != 0) continue;
    members.push_back(&c);
    width = std::max(width, c.path.size());
  }
  for (const Command* c : members) {
    absl::StrAppend(&out, "  ", c->path, std::string(width - c->path.size() + 2, ' '), c->summary,
                    "\n");
  }
  absl::StrAppend(&out, "\n'p2pimsctl ", group, " SUBCOMMAND --help' describes one.\n");
  return out;
}

// Writes all of `text` to `stream`; false when it could not.
bool WriteAll(FILE* stream, const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), stream) == text.size() &&
         std::fflush(stream) == 0;
}

int Fail(const absl::Status& status) {
  WriteAll(stderr, ErrorLine(status) + "\n");
  return ExitCode(status);
}

int Main(const std::vector<std::string>& args) {
  std::vector<Command> commands = ContentCommands();
  for (auto more : {ContentIndexCommands(), EntitlementCommands(), RevocationCommands(),
                    AccountCommands(), BillingCommands(), SwarmCommands()}) {
    commands.insert(commands.end(), more.begin(), more.end());
  }

  // Global flags may come before the command words: p2pimsctl --json content list.
  std::vector<std::string> rest;
  bool help = false;
  size_t i = 0;
  for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      help = true;
      continue;
    }
    rest.push_back(args[i]);
    if (IsGlobalValueFlag(args[i]) && i + 1 < args.size()) rest.push_back(args[++i]);
  }
  if (i == args.size()) {
    if (help) return WriteAll(stdout, TopUsage(commands)) ? 0 : 1;
    WriteAll(stderr, TopUsage(commands));
    return Fail(UsageError("a command is needed"));
  }
  std::string path = args[i++];
  const bool grouped = std::find(std::begin(kGroups), std::end(kGroups), path) != std::end(kGroups);
  if (grouped) {
    if (i == args.size() || args[i][0] == '-') {
      const bool group_help = help || (i < args.size() && (args[i] == "--help" || args[i] == "-h"));
      if (group_help) return WriteAll(stdout, GroupUsage(commands, path)) ? 0 : 1;
      WriteAll(stderr, GroupUsage(commands, path));
      return Fail(UsageError(absl::StrCat("'", path, "' needs a subcommand")));
    }
    path += " " + args[i++];
  }
  auto command = std::find_if(commands.begin(), commands.end(),
                              [&](const Command& c) { return c.path == path; });
  if (command == commands.end()) {
    return Fail(UsageError(absl::StrCat("unknown command '", path, "' (see p2pimsctl --help)")));
  }
  if (help) rest.push_back("--help");
  rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());

  CommandLine cl(command->path, command->summary);
  command->declare(cl);
  AddGlobalFlags(cl);
  if (absl::Status s = cl.Parse(rest); !s.ok()) return Fail(s);
  if (cl.help_requested()) return WriteAll(stdout, cl.Usage()) ? 0 : 1;

  int64_t timeout = kDefaultTimeoutSeconds;
  if (absl::Status s = cl.ReadInt("timeout", 1, 3600, &timeout); !s.ok()) return Fail(s);
  const std::string address = cl.Get("rights", EnvOr("P2PIMS_RIGHTS", kDefaultRights));
  const std::string charging_address =
      cl.Get("charging", EnvOr("P2PIMS_CHARGING", kDefaultCharging));
  const std::string tracker_address = cl.Get("tracker", EnvOr("P2PIMS_TRACKER", kDefaultTracker));
  const std::string actor = cl.Get("actor", EnvOr("USER", "p2pimsctl"));
  if (address.empty()) return Fail(UsageError("--rights cannot be empty"));
  if (charging_address.empty()) return Fail(UsageError("--charging cannot be empty"));
  if (tracker_address.empty()) return Fail(UsageError("--tracker cannot be empty"));
  if (actor.empty()) return Fail(UsageError("--actor cannot be empty"));
  const GrpcTls tls{.ca_file = cl.Get("tls-ca", EnvOr("P2PIMS_GRPC_TLS_CA", "")),
                    .cert_file = cl.Get("tls-cert", EnvOr("P2PIMS_GRPC_TLS_CERT", "")),
                    .key_file = cl.Get("tls-key", EnvOr("P2PIMS_GRPC_TLS_KEY", ""))};
  if (!tls.cert_file.empty() && tls.ca_file.empty()) {
    return Fail(UsageError("--tls-cert needs --tls-ca (the CA the services are checked against)"));
  }
  if (absl::Status s = ConfigureGrpcTls(tls); !s.ok()) {
    return Fail(UsageError(absl::StrReplaceAll(s.message(), {{"--grpc-tls-", "--tls-"}})));
  }

  std::string token = EnvOr("P2PIMS_ADMIN_TOKEN", "");
  if (const std::string file = cl.Get("token-file", ""); !file.empty()) {
    std::ifstream in(file);
    if (!std::getline(in, token) || token.empty()) {
      return Fail(UsageError("--token-file: cannot read a token from " + file));
    }
  }
  SetCallerToken(std::move(token));

  RightsClient rights(address, absl::Seconds(timeout));
  ChargingClient charging(charging_address, absl::Seconds(timeout));
  TrackerClient tracker(tracker_address, absl::Seconds(timeout));
  std::string out;
  const Invocation in{
      .cl = cl,
      .rights = rights,
      .charging = charging,
      .tracker = tracker,
      .actor = actor,
      .json = cl.GetSwitch("json"),
      .now = absl::ToUnixSeconds(absl::Now()),
      .out = out,
      .print_now = [&out](std::string_view text) -> absl::Status {
        const std::string all = out + std::string(text);
        out.clear();
        if (WriteAll(stdout, all)) return absl::OkStatus();
        return absl::UnknownError(absl::StrCat("cannot write the output: ", std::strerror(errno)));
      }};
  if (absl::Status s = command->run(in); !s.ok()) return Fail(s);
  if (!WriteAll(stdout, out)) {
    return Fail(
        absl::UnknownError(absl::StrCat("cannot write the output: ", std::strerror(errno))));
  }
  return 0;
}

}  // namespace
}  // namespace p2pims::ctl

int main(int argc, char** argv) {
  return p2pims::ctl::Main(std::vector<std::string>(argv + 1, argv + argc));
}
