#!/usr/bin/env bash
# A session whose BYE never comes, with real parts: PostgreSQL, the services, SIPp as an S-CSCF
# that ACKs and then stays silent. sip-edge (here with a 3 s maximum) sends the BYE itself, and the
# teardown closes the tracker session and writes the CDR with cause time_limit.
export P2PIMS_MAX_SESSION_SECONDS=3
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost

echo "# alice's session for live-match, then silence"
check "SIPp gets sip-edge's BYE and answers it" \
  sipp_call "$SUITE_SRC/tests/sipp/invite_await_bye.xml" live-match "$ALICE" -timeout 40s \
  -trace_msg -message_file "$SUITE_DIR/limit-messages.log"
check "the BYE says why: Reason 408, session time limit" \
  grep -q 'Reason: SIP;cause=408;text="session time limit reached"' "$SUITE_DIR/limit-messages.log"
check "one CDR for alice" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"
check_eq "closed for its time limit" "time_limit|t" \
  "$(suite_psql -tA -c "SELECT cause_for_record_closing, duration_seconds BETWEEN 2 AND 10
                         FROM charging.cdr WHERE served_identity = '$ALICE'")"
check_eq "the tracker session is closed with cause timeout" "timeout" \
  "$(suite_psql -tA -c "SELECT close_cause FROM tracker.session WHERE subject = '$ALICE'")"
check_eq "nothing stays reserved" 0 \
  "$(suite_psql -tA -c "SELECT coalesce(sum(reserved_minor), 0) FROM charging.cc_session WHERE subject = '$ALICE' AND state = 'open'")"

harness_finish
