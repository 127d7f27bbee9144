#!/usr/bin/env bash
# A content session's progress over SUBSCRIBE/NOTIFY (RFC 6665) with real parts: PostgreSQL, the
# four services, SIPp as the S-CSCF holding bob's session open, curl as bob's BitTorrent client,
# and bob's terminal as a direct client (digest, on 127.0.0.2) subscribing to the session's
# progress URI. The first NOTIFY comes at once, a new one whenever the announced bytes or the
# peers change, and a final one (terminated;reason=noresource) when the session ends; someone
# else's subscription, an unknown event package and an unsubscribe are handled as SIP says.
source "$(dirname "$0")/../lib/harness.sh"
export P2PIMS_PROGRESS_INTERVAL_SECONDS=1
harness_start

BOB=sip:bob@ims.localhost
SIZE=276134947  # big-buck-bunny, free content
HOLD_MS=25000   # the session's length: the window in which the test drives the swarm
announce() {    # announce DOWNLOADED LEFT [EVENT]: one HTTP announce as bob's client
  curl -sf "http://127.0.0.1:$TRACKER_BT/a/$TOKEN/announce?info_hash=$HASH&peer_id=-CU0001-bobsclient01&port=51413&uploaded=0&downloaded=$1&left=$2&compact=1${3:+&event=$3}"
}
subscribe() {   # subscribe NAME SESSION [FLAGS...]: NAME's terminal subscribes; prints codes and NOTIFYs
  local name=$1 session=$2
  shift 2
  timeout 60 python3 "$SUITE_SRC/tests/e2e/sip_digest_client.py" subscribe --bind 127.0.0.2 \
    --server "127.0.0.1:$SIP_PORT" --user "$name-impi" --password "$name-secret" \
    --identity "sip:$name@ims.localhost" --domain "$SIP_DOMAIN" --session "$session" "$@"
}
notified() { grep -q "$1" "$SUITE_DIR/progress.out"; }
subscriptions_are() { [[ $(sip_metric p2pims_sip_progress_subscriptions) == "$1" ]]; }

check "the 200 OK carried a token" hold_session big-buck-bunny "$BOB" "$HOLD_MS"
check "the session descriptor names the progress URI" \
  grep -q "\"progress\":\"sip:$SESSION@$SIP_DOMAIN\"" "$SUITE_DIR"/hold-*.log

echo "# bob's terminal subscribes"
subscribe bob "$SESSION" --wait 40 >"$SUITE_DIR/progress.out" 2>&1 &
SUB_PID=$!
check "challenged, accepted, and the first NOTIFY at once: active, nothing downloaded yet" \
  eventually 10 notified '^notify active;expires=[0-9]* {"version":1,"session_id":"'"$SESSION"'","content_id":"big-buck-bunny","state":"active","size":'"$SIZE"',"bytes_down":0,"bytes_up":0'
check_eq "the SUBSCRIBE was answered 401, then 200" "401 200" \
  "$(grep -E '^[0-9]{3}$' "$SUITE_DIR/progress.out" | tr '\n' ' ' | sed 's/ $//')"
check "one subscription held" eventually 5 subscriptions_are 1

echo "# bob's client downloads"
check "an announce with 1 MiB downloaded" eval 'announce 1048576 $((SIZE - 1048576)) started | grep -q "8:intervali"'
check "a NOTIFY follows with the bytes and bob's one peer, not yet done" \
  eventually 15 notified '"bytes_down":1048576,"bytes_up":0,"peers":1,"done":false'
check "the whole content announced" eval 'announce $SIZE 0 completed | grep -q "8:intervali"'
check "a NOTIFY says done" eventually 15 notified '"bytes_down":'"$SIZE"',"bytes_up":0,"peers":1,"done":true'

echo "# what others may not do"
check_eq "carol's SUBSCRIBE to bob's session: challenged, then 404" "401 404" \
  "$(subscribe carol "$SESSION" --wait 2 | tr '\n' ' ' | sed 's/ $//')"
check_eq "an event package sip-edge does not serve: 489 Bad Event" "489" \
  "$(subscribe bob "$SESSION" --event presence --wait 2 | tr '\n' ' ' | sed 's/ $//')"
check_eq "a session id nobody has: 404" "401 404" \
  "$(subscribe bob 0123456789abcdef0123456789abcdef --wait 2 | tr '\n' ' ' | sed 's/ $//')"

echo "# a second terminal subscribes, then unsubscribes"
subscribe bob "$SESSION" --unsubscribe-after 1 --wait 10 >"$SUITE_DIR/unsubscribe.out" 2>&1
check_eq "challenged, accepted, one NOTIFY, 200 to the unsubscribe, and a final NOTIFY" \
  "401 200 notify active 200 notify terminated" \
  "$(sed -E 's/^(notify [a-z]+).*/\1/' "$SUITE_DIR/unsubscribe.out" | tr '\n' ' ' | sed 's/ $//')"
check "the first subscription is still held, the second is gone" eventually 5 subscriptions_are 1

echo "# the session ends (SIPp's BYE)"
check "SIPp's session ended with its BYE answered" wait "$HOLD_PID"
check "the final NOTIFY: terminated, reason noresource, the session ended normally" \
  eventually 15 notified '^notify terminated;reason=noresource {.*"state":"ended",.*"done":.*"cause":"normal"}'
check "bob's terminal saw the final NOTIFY and stopped" wait "$SUB_PID"
check "no subscription left" eventually 5 subscriptions_are 0
# 4 first SUBSCRIBEs reached sip-edge and were challenged, then sent again; 1 unsubscribe. The
# stack answers an unknown event package itself (489) without telling sip-edge.
check "every SUBSCRIBE that reached sip-edge was counted as a request: 4 + 4 + 1" \
  eval '[[ $(sip_metric p2pims_sip_requests_total method=\"SUBSCRIBE\") -eq 9 ]]'
check "the tracker's SessionProgress was timed" \
  eval '[[ -n $(sip_metric "p2pims_sip_backend_call_seconds_count{backend=\"tracker\",method=\"SessionProgress\"}") ]]'

harness_finish
