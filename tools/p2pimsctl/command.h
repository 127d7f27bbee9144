// One p2pimsctl command ("content show", "account adjust", ...): its flags and what it does.
// main.cc finds the command by its words, parses the command line, then runs it.
//
//   Command{"content show", "Prints one content item.",
//           [](CommandLine& cl) { cl.Arg("ID", "content id"); },
//           [](const Invocation& in) -> absl::Status { ...; in.out += text; return ok; }};
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "tools/p2pimsctl/charging_client.h"
#include "tools/p2pimsctl/command_line.h"
#include "tools/p2pimsctl/rights_client.h"
#include "tools/p2pimsctl/tracker_client.h"

namespace p2pims::ctl {

// What a running command gets. Output goes to `out` and is printed only when the command
// succeeds, so a failure never leaves half a table on stdout.
struct Invocation {
  const CommandLine& cl;
  RightsClient& rights;
  ChargingClient& charging;
  TrackerClient& tracker;
  // Operator identity recorded in rights' audit and charging's ledger (--actor).
  std::string actor;
  // --json: print JSON instead of text.
  bool json = false;
  // Unix seconds at start, for "expired" in tables.
  int64_t now = 0;
  std::string& out;
  // For commands that print as they go ("cdr tail"): writes to stdout at once, after whatever
  // `out` holds so far. Errors when stdout cannot be written (e.g. a closed pipe).
  std::function<absl::Status(std::string_view)> print_now;
};

struct Command {
  // The words after "p2pimsctl", e.g. "content show".
  std::string path;
  std::string summary;
  // Declares the command's own flags and arguments (the global ones are added by main.cc).
  void (*declare)(CommandLine& cl);
  // Validates what only the command knows (usage errors come before any call), calls rights,
  // charging or the tracker and writes the output.
  absl::Status (*run)(const Invocation& in);
};

std::vector<Command> ContentCommands();
// "content add|index|indexed": rights and the tracker's content index.
std::vector<Command> ContentIndexCommands();
// "swarm stats".
std::vector<Command> SwarmCommands();
std::vector<Command> EntitlementCommands();
// "revoke" and "audit".
std::vector<Command> RevocationCommands();
// "account create|show|adjust" and "tariff put|list".
std::vector<Command> AccountCommands();
// "cdr pull|ack|tail|export" and "settlement".
std::vector<Command> BillingCommands();

}  // namespace p2pims::ctl
