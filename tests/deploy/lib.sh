# Helpers for the deploy checks (tests/deploy/*_test.sh): paths, assertions, the fetched tools.
#   P2PIMS_SOURCE_DIR / P2PIMS_BINARY_DIR come from CTest (p2pims_sh_test); by hand, run from the
#   checkout with P2PIMS_BINARY_DIR=build. Downloaded tools (helm, the Kubernetes schema
#   validator) are cached by tools/fetch-helm in .p2pims/tools (or $P2PIMS_TOOLS_DIR).
set -euo pipefail

SRC=${P2PIMS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=$(cd "${P2PIMS_BINARY_DIR:-$SRC/build}" && pwd)
# shellcheck source=tests/lib/checks.sh
source "$SRC/tests/lib/checks.sh"

# A scratch directory removed at exit.
scratch() {
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/p2pims-deploy.XXXXXX")
  trap 'rm -rf "$SCRATCH"' EXIT
}
