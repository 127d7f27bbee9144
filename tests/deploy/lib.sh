# Helpers for the deploy checks (tests/deploy/*_test.sh): paths, assertions, the fetched tools.
#   P2PIMS_SOURCE_DIR / P2PIMS_BINARY_DIR come from CTest (p2pims_sh_test); by hand, run from the
#   checkout with P2PIMS_BINARY_DIR=build.
set -euo pipefail

SRC=${P2PIMS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=$(cd "${P2PIMS_BINARY_DIR:-$SRC/build}" && pwd)
# Downloaded tools (helm, the Kubernetes schema validator) are cached by tools/fetch-helm in
# .p2pims/tools (or $P2PIMS_TOOLS_DIR) between runs.
FAILURES=0
PASSES=0

pass() { echo "ok   - $*"; PASSES=$((PASSES + 1)); }
fail() {
  echo "FAIL - $*" >&2
  FAILURES=$((FAILURES + 1))
}
check() {  # check "description" command...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
check_eq() {  # check_eq "description" expected actual
  if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
finish() {
  echo "$PASSES passed, $FAILURES failed"
  ((FAILURES == 0))
}

# A scratch directory removed at exit.
scratch() {
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/p2pims-deploy.XXXXXX")
  trap 'rm -rf "$SCRATCH"' EXIT
}
