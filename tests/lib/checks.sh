# Assertions shared by the shell tests: each check prints "ok" or "FAIL" with its description,
# and finish (or harness_finish) fails the test when any check failed. Source it.
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
skip() { echo "skip - $*"; }
# True in a build under AddressSanitizer: its quarantine holds freed memory (RSS says nothing of
# leaks there; LeakSanitizer reports them) and the binaries link its runtime.
sanitized() { [[ ${P2PIMS_SANITIZE:-OFF} == ON ]]; }
finish() {
  echo "$PASSES passed, $FAILURES failed"
  ((FAILURES == 0))
}
