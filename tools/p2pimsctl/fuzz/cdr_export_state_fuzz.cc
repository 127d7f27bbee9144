// Fuzz target for the state file "cdr export" keeps beside its files (cdr_export.h): read at the
// start of every run, and the file a crash may have left half-written or someone may have edited.
// Invariants: a state that parses names only the consumer's own files (no '/', so no rename
// outside the directory), and formatted again parses to the same state; errors are
// FailedPrecondition.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "lib/fuzzing/fuzz_check.h"
#include "tools/p2pimsctl/cdr_export.h"

namespace p2pims::ctl {
namespace {

bool OwnName(const std::string& name, absl::string_view consumer) {
  const std::string prefix = "p2pims-cdr_" + std::string(consumer) + "_";
  return name.find('/') == std::string::npos &&
         (absl::StartsWith(name, prefix) ||
          (absl::StartsWith(name, "." + prefix) && absl::EndsWith(name, ".tmp")));
}

bool Same(const ExportState& a, const ExportState& b) {
  return a.last_file_sequence == b.last_file_sequence &&
         a.last_cdr_sequence == b.last_cdr_sequence && a.pending == b.pending;
}

}  // namespace
}  // namespace p2pims::ctl

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims::ctl;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  for (absl::string_view consumer : {"billing-1", "b"}) {
    absl::StatusOr<ExportState> state = ParseExportState(text, consumer);
    if (!state.ok()) {
      FUZZ_CHECK(state.status().code() == absl::StatusCode::kFailedPrecondition);
      continue;
    }
    FUZZ_CHECK(state->last_file_sequence >= 0 && state->last_cdr_sequence >= 0);
    for (const auto& [temp, final_name] : state->pending) {
      FUZZ_CHECK(OwnName(temp, consumer) && OwnName(final_name, consumer));
    }
    absl::StatusOr<ExportState> again =
        ParseExportState(FormatExportState(*state, consumer), consumer);
    FUZZ_CHECK(again.ok() && Same(*state, *again));
  }
  return 0;
}
