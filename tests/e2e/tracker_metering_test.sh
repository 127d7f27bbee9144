#!/usr/bin/env bash
# Usage metering from announces to charging, with real parts: PostgreSQL, the four services, SIPp
# as the S-CSCF holding a content session open, and curl as the subscriber's BitTorrent client
# announcing with the session's token. What the client reports reaches charging as INTERIM
# records while the session runs, waits in the tracker's outbox while charging is down, and ends
# up in the CDR exactly once: the CDR's bytes equal the client's last reported totals.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

BOB=sip:bob@ims.localhost
HOLD_MS=25000  # the session's length: the window in which the test drives the swarm

# announce DOWNLOADED UPLOADED LEFT [EVENT]: one HTTP announce as the subscriber's client.
announce() {
  curl -sf "http://127.0.0.1:$TRACKER_BT/a/$TOKEN/announce?info_hash=$HASH&peer_id=-CU0001-bobsclient01&port=51413&uploaded=$2&downloaded=$1&left=$3&compact=1${4:+&event=$4}"
}
metric_is() { [[ $(tracker_metric "$1") == "$2" ]]; }

echo "# bob opens a session for free content and holds it for $((HOLD_MS / 1000)) s"
check "the 200 OK carried a token" hold_session big-buck-bunny "$BOB" "$HOLD_MS"
check_eq "one open tracker session for bob" 1 "$(wc -w <<<"$SESSION")"

echo "# announces while charging is up: usage arrives as INTERIM records"
check "the first announce is answered with peers" eval 'announce 0 0 276134947 started | grep -q "5:peers"'
check "the second announce too" eval 'announce 1000 200 276133947 | grep -q "8:intervali"'
check "charging holds an INTERIM record of the session" wait_sql 1 \
  "SELECT count(*) FROM charging.acct_record WHERE session_id = '$SESSION' AND record_type = 'interim'"

echo "# charging down: usage waits in the tracker's outbox"
suite_stop charging
check "an announce is still answered" eval 'announce 5000 700 276129947 | grep -q "8:intervali"'
check "the failed delivery is counted" eventually 10 tracker_metric_at_least p2pims_tracker_usage_delivery_failures_total 1
check "the usage waits in the outbox" eventually 10 tracker_metric_at_least p2pims_tracker_usage_outbox_rows 1
suite_start charging
check "charging ready again" suite_wait_url "http://127.0.0.1:$CHARGING_ADMIN/readyz" 30
check "the outbox drains once charging is back" eventually 15 metric_is p2pims_tracker_usage_outbox_rows 0
check "charging holds both INTERIM records" wait_sql 2 \
  "SELECT count(*) FROM charging.acct_record WHERE session_id = '$SESSION' AND record_type = 'interim'"

echo "# the last report before BYE goes with the STOP record"
check "a last announce is answered" eval 'announce 6000 700 276128947 | grep -q "8:intervali"'
check_eq "the session was still open for all of it (the hold outlasted the test's steps)" 1 \
  "$(suite_psql -tA -c "SELECT count(*) FROM tracker.session WHERE session_id = '$SESSION' AND closed_at IS NULL")"
check "SIPp's BYE got its 200" wait "$HOLD_PID"
check "one CDR for bob" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$BOB'"
check_eq "the CDR holds exactly the client's last totals, once" "6000|700" \
  "$(suite_psql -tA -c "SELECT bytes_down, bytes_up FROM charging.cdr WHERE served_identity = '$BOB'")"
check_eq "the tracker's session row agrees, with 0 left for the STOP after delivery" "6000|700" \
  "$(suite_psql -tA -c "SELECT bytes_down, bytes_up FROM tracker.session WHERE session_id = '$SESSION'")"
check "announces after BYE are refused" eval 'announce 7000 700 276127947 | grep -q "access has ended"'
check_eq "and meter nothing" "6000|700" \
  "$(suite_psql -tA -c "SELECT bytes_down, bytes_up FROM tracker.session WHERE session_id = '$SESSION'")"

harness_finish
