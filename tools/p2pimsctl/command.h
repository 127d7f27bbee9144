// One p2pimsctl command ("content show", "revoke", ...): its flags and what it does. main.cc
// finds the command by its words, parses the command line, then runs it.
//
//   Command{"content show", "Prints one content item.",
//           [](CommandLine& cl) { cl.Arg("ID", "content id"); },
//           [](const Invocation& in) -> absl::Status { ...; in.out += text; return ok; }};
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/p2pimsctl/command_line.h"
#include "tools/p2pimsctl/rights_client.h"

namespace p2pims::ctl {

// What a running command gets. Output goes to `out` and is printed only when the command
// succeeds, so a failure never leaves half a table on stdout.
struct Invocation {
  const CommandLine& cl;
  RightsClient& rights;
  // Operator identity recorded in rights' audit (--actor).
  std::string actor;
  // --json: print JSON instead of text.
  bool json = false;
  // Unix seconds at start, for "expired" in tables.
  int64_t now = 0;
  std::string& out;
};

struct Command {
  // The words after "p2pimsctl", e.g. "content show".
  std::string path;
  std::string summary;
  // Declares the command's own flags and arguments (the global ones are added by main.cc).
  void (*declare)(CommandLine& cl);
  // Validates what only the command knows (usage errors come before any call to rights), calls
  // rights and writes the output.
  absl::Status (*run)(const Invocation& in);
};

std::vector<Command> ContentCommands();
std::vector<Command> EntitlementCommands();
// "revoke" and "audit".
std::vector<Command> RevocationCommands();

}  // namespace p2pims::ctl
