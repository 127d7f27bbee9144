#!/usr/bin/env bash
# Overload with real parts: sip-edge with one worker and a queue of two, rights frozen (SIGSTOP)
# so that every INVITE holds its worker until the backend deadline. A burst of INVITEs from SIPp
# is answered 503 with Retry-After at once beyond the queue (counted as overload), the rest 503
# when rights does not answer; nothing is lost, nothing crashes, and service resumes. A longer
# burst (900 INVITEs at 300/s, hundreds of times the queue) leaves sip-edge's memory bounded:
# refused work is not kept, only the stack's transactions for their 32 s lifetime.
export P2PIMS_WORKERS=1 P2PIMS_MAX_QUEUE=2
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost
RIGHTS_PID=$(cat "$SUITE_DIR/run/rights.pid")
kill -STOP "$RIGHTS_PID"
at_exit 'kill -CONT $RIGHTS_PID'

echo "# 20 INVITEs at once while rights is frozen"
check "every INVITE is answered 503 with Retry-After" \
  sipp_call "$(rejected_scenario 503 Retry-After: '^ *[0-9]+')" sintel "$ALICE" -m 20 -r 200 -l 20 -timeout 40s
check "most were refused by the full queue, counted as overload" \
  eval '[[ $(sip_metric p2pims_sip_overload_rejections_total "method=\"INVITE\"") -ge 10 ]]'
check "sip-edge is alive" suite_wait_url "http://127.0.0.1:$SIP_ADMIN/healthz" 5

echo "# 900 INVITEs at 300/s while rights is still frozen: memory stays bounded"
SIP_PID=$(cat "$SUITE_DIR/run/sip-edge.pid")
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SIP_PID/status"; }
RSS_BEFORE=$(rss_kib)
check "every INVITE of the long burst is answered 503" \
  sipp_call "$(rejected_scenario 503 Retry-After: '^ *[0-9]+')" sintel "$ALICE" -m 900 -r 300 -l 900 -timeout 60s
RSS_AFTER=$(rss_kib)
echo "# sip-edge RSS: ${RSS_BEFORE} KiB before, ${RSS_AFTER} KiB after"
if sanitized; then
  skip "sip-edge's memory bound: ASan's quarantine holds freed memory"
else
  check "sip-edge grew by less than 32 MiB" test $((RSS_AFTER - RSS_BEFORE)) -lt $((32 * 1024))
fi

echo "# rights back: service resumes"
kill -CONT "$RIGHTS_PID"
check "an INVITE/BYE succeeds again" eventually 30 sipp_call "$SUITE_SRC/tests/sipp/invite_bye.xml" sintel "$ALICE"
check "no refusal wrote a CDR: one CDR, the last call's" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"

harness_finish
