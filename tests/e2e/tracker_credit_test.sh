#!/usr/bin/env bash
# Online charging carried on by the tracker, with real parts: PostgreSQL, the four services, SIPp
# as the S-CSCF holding a per-byte session open, and curl as the subscriber's BitTorrent client.
# sip-edge's INITIAL grants the first 100 MiB; as the client reports downloading most of it, the
# tracker sends a Ro UPDATE (held back while charging is down, never lost); when the balance
# covers no more and the final units are used, the session's token stops working and sip-edge
# ends the session with a BYE (Reason 402) at once; the TERMINATION follows the tracker's
# UPDATEs, and the CDR holds the client's totals.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost  # prepaid 10.00 EUR: 200 MiB of live-match at 0.05 EUR per MiB
MIB=1048576
SIZE=734003200
HOLD_MS=22000
# SIPp as the S-CSCF awaits sip-edge's BYE and checks its Reason (RFC 3326).
HOLD_SCENARIO=$SUITE_DIR/invite_await_credit_bye.xml
sed 's|<recv request="BYE" timeout="30000"/>|<recv request="BYE" timeout="60000"><action><ereg regexp="SIP;cause=402;text=\"[^\"]+\"" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/></action></recv>|; s|variables="ctype,token,icid"|variables="ctype,token,icid,reason"|' \
  "$SUITE_SRC/tests/sipp/invite_await_bye.xml" >"$HOLD_SCENARIO"

# announce DOWNLOADED [EVENT]: one HTTP announce as alice's client.
announce() {
  curl -sf "http://127.0.0.1:$TRACKER_BT/a/$TOKEN/announce?info_hash=$HASH&peer_id=-CU0001-alicesclient&port=51413&uploaded=0&downloaded=$1&left=$((SIZE - $1))&compact=1${2:+&event=$2}"
}
credit_row() {
  suite_psql -tA -c "SELECT cc_request_number, cc_granted_bytes, cc_final, cc_ended IS NOT NULL
                     FROM tracker.session WHERE session_id = '$SESSION'"
}

echo "# alice opens a per-byte session and holds it until sip-edge ends it"
check "the 200 OK carried a token" hold_session live-match "$ALICE" "$HOLD_MS"
check_eq "one open tracker session for alice" 1 "$(wc -w <<<"$SESSION")"
check_eq "the tracker holds the INITIAL's grant: 100 MiB, not final" "0|$((100 * MIB))|f|f" "$(credit_row)"
check "the first announce is answered with peers" eval 'announce 0 started | grep -q "5:peers"'
check "... and asks for the next in 60 s, not 1800: the grant is in bytes" \
  eval 'announce 0 | grep -q "8:intervali60e12:min intervali30e"'

echo "# 90 MiB reported while charging is down: the UPDATE waits, announces go on"
suite_stop charging
check "an announce reporting 90 MiB is answered" eval "announce $((90 * MIB)) | grep -q 8:intervali"
check "the UPDATE that could not be sent is counted" eventually 15 \
  tracker_metric_at_least 'p2pims_tracker_credit_updates_total{result="failed"}' 1
check_eq "it waits written ahead as UPDATE 1 with the 90 MiB" "1|$((90 * MIB))" \
  "$(suite_psql -tA -c "SELECT cc_request_number, cc_pending_down FROM tracker.session WHERE session_id = '$SESSION'")"
check "announces are still answered" eval "announce $((95 * MIB)) | grep -q 8:intervali"
check_eq "the waiting UPDATE is shown" 1 "$(tracker_metric p2pims_tracker_credit_updates_waiting)"
suite_start charging
check "charging ready again" suite_wait_url "http://127.0.0.1:$CHARGING_ADMIN/readyz" 30
check "charging granted the next 100 MiB, the last the balance covers" eventually 15 \
  eval '[[ $(credit_row) == "1|$((200 * MIB))|t|f" ]]'
check "nothing waits any more" eventually 5 eval '[[ $(tracker_metric p2pims_tracker_credit_updates_waiting) == 0 ]]'
check_eq "charging recorded UPDATE 1 with the 90 MiB written ahead" "1|$((90 * MIB))" \
  "$(suite_psql -tA -c "SELECT last_request_number, bytes_down FROM charging.cc_session WHERE session_id = '$SESSION'")"

echo "# the final units used up: the token stops working"
check "an announce reporting 201 MiB is answered" eval "announce $((201 * MIB)) | grep -q 8:intervali"
check "the session's access ends" eventually 10 eval '[[ $(credit_row) == "1|$((200 * MIB))|t|t" ]]'
check "the next announce is refused" eval 'announce $((202 * MIB)) | grep -q "access has ended"'
check "the ended session is counted" tracker_metric_at_least p2pims_tracker_credit_sessions_ended_total 1

echo "# sip-edge's BYE (Reason 402): the TERMINATION follows UPDATE 1 and carries the rest"
check "sip-edge sent the BYE with Reason: SIP;cause=402 and SIPp answered it" wait "$HOLD_PID"
check "sip-edge counted it" eval '[[ $(sip_metric p2pims_sip_sessions_ended_by_credit_total) == 1 ]]'
check "one CDR for alice" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"
check_eq "charging's session ended with TERMINATION 2 and the client's total" "2|$((201 * MIB))|terminated" \
  "$(suite_psql -tA -c "SELECT last_request_number, bytes_down, state FROM charging.cc_session WHERE session_id = '$SESSION'")"
check_eq "the CDR holds the total, charged as far as the balance allows (201 MiB would be 10.05)" \
  "$((201 * MIB))|1000" \
  "$(suite_psql -tA -c "SELECT bytes_down, charge_minor FROM charging.cdr WHERE served_identity = '$ALICE'")"
check_eq "alice's balance is used up" 0 \
  "$(suite_psql -tA -c "SELECT balance_minor FROM charging.account WHERE subject = '$ALICE'")"

harness_finish
