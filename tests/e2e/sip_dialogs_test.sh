#!/usr/bin/env bash
# Dialog edge cases with real parts: SIPp as the S-CSCF, the services, PostgreSQL.
# - A CANCEL while sip-edge is still setting the session up (the tracker frozen mid-way): 487,
#   and whatever step the set-up had reached, nothing stays reserved or open afterwards.
# - An RFC 4028 session timer (sip-edge here with a Min-SE of 5 s): the terminal refreshes by
#   UPDATE and by re-INVITE (its SDP offer answered with every stream declined), then goes
#   silent; sip-edge's stack sends the BYE and the session is closed as timed out.
# - Retransmitted INVITE and BYE (same branch, over UDP): one session, one CDR.
export P2PIMS_MIN_SE_SECONDS=5
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

echo "# a session timer: refreshed by UPDATE and re-INVITE, then not at all"
check "refresher=uac; UPDATE and re-INVITE refreshes answered 200; then the stack's BYE" \
  sipp_call "$SCENARIOS/invite_session_timer.xml" sintel "$ALICE" -timeout 60s
check "the session was torn down once: one CDR for sintel" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE' AND content_id = 'sintel'"
check_eq "closed for its time limit, after the refreshes" "time_limit|t" \
  "$(suite_psql -tA -c "SELECT cause_for_record_closing, duration_seconds BETWEEN 3 AND 40
                         FROM charging.cdr WHERE served_identity = '$ALICE' AND content_id = 'sintel'")"
check_eq "the tracker session is closed with cause timeout" "timeout" \
  "$(suite_psql -tA -c "SELECT close_cause FROM tracker.session s JOIN tracker.content c
                         ON c.info_hash = s.info_hash WHERE subject = '$ALICE' AND content_id = 'sintel'")"
check_eq "the refreshes were counted: one UPDATE answered 200 by the stack" "1 1" \
  "$(sip_metric p2pims_sip_requests_total 'method="UPDATE"') $(sip_metric p2pims_sip_responses_total 'method="UPDATE"' 'code="200"')"
TOO_BRIEF=$(rejected_scenario 422 Min-SE: '[0-9]')
sed -i 's|^\(      P-Charging-Vector:.*\)$|      Supported: timer\n      Session-Expires: 3\n\1|' "$TOO_BRIEF"
check "a session interval below Min-SE is refused: 422 with a Min-SE" sipp_call "$TOO_BRIEF" sintel "$ALICE"

echo "# retransmissions (a direct client on 127.0.0.2 resending byte for byte)"
check_eq "an INVITE sent twice is answered once; a BYE sent twice gets its 200 again" "401 200 200 200" \
  "$(timeout 30 python3 "$SUITE_SRC/tests/e2e/sip_digest_client.py" invite --retransmit \
       --bind 127.0.0.2 --server "127.0.0.1:$SIP_PORT" --user alice-impi --password alice-secret \
       --identity "$ALICE" --content big-buck-bunny --domain "$SIP_DOMAIN" | tr '\n' ' ' | sed 's/ $//')"
check "one CDR for the retransmitted session" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE' AND content_id = 'big-buck-bunny'"
check_eq "one tracker session, closed" "1|1" \
  "$(suite_psql -tA -c "SELECT count(*), count(closed_at) FROM tracker.session s JOIN tracker.content c
                         ON c.info_hash = s.info_hash WHERE subject = '$ALICE' AND content_id = 'big-buck-bunny'")"

harness_finish
