#!/usr/bin/env bash
# Dialog edge cases with real parts: SIPp as the S-CSCF, the services, PostgreSQL.
# - A CANCEL while sip-edge is still setting the session up (the tracker frozen mid-way): 487,
#   and whatever step the set-up had reached, nothing stays reserved or open afterwards.
# - A re-INVITE inside a content session: 488 with a Warning; the session goes on to its BYE.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost
SCENARIOS=$SUITE_SRC/tests/sipp
TRACKER_PID=$(cat "$SUITE_DIR/run/tracker.pid")
at_exit 'kill -CONT $TRACKER_PID'
open_reservations() {
  suite_psql -tA -c "SELECT count(*) FROM charging.cc_session WHERE subject = '$ALICE' AND state = 'open'"
}

echo "# CANCEL during set-up (per-byte content: charging reserves before the tracker is asked)"
kill -STOP "$TRACKER_PID"
check "the CANCEL gets 200 and the INVITE 487" sipp_call "$SCENARIOS/invite_cancel.xml" live-match "$ALICE"
kill -CONT "$TRACKER_PID"
check "charging saw the INITIAL, then its TERMINATION (the reservation released in order)" \
  wait_sql "terminated" \
  "SELECT string_agg(DISTINCT state, ',') FROM charging.cc_session WHERE subject = '$ALICE'" 20
check_eq "nothing stays reserved" 0 "$(open_reservations)"
check "no tracker session stays open for alice" wait_sql 0 \
  "SELECT count(*) FROM tracker.session WHERE subject = '$ALICE' AND closed_at IS NULL" 20

echo "# re-INVITE inside a session"
check "488 with a Warning, then the BYE's 200" sipp_call "$SCENARIOS/invite_reinvite_bye.xml" sintel "$ALICE"
check "the session was torn down once: one CDR for sintel" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE' AND content_id = 'sintel'"

harness_finish
