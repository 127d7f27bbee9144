#!/usr/bin/env bash
# The walking skeleton end to end, with real parts: PostgreSQL, the four services, SIPp as the
# S-CSCF. An INVITE is authorised, charged and opened; its BYE writes exactly one CDR. Refusals
# map to SIP codes; a backend or the database going away gives 503, never a crash.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost BOB=sip:bob@ims.localhost CAROL=sip:carol@ims.localhost
SCENARIOS=$SUITE_SRC/tests/sipp
cdrs() { suite_psql -tA -c "SELECT count(*) FROM charging.cdr WHERE served_identity = '$1'"; }
balance() { suite_psql -tA -c "SELECT balance_minor FROM charging.account WHERE subject = '$1'"; }

echo "# a title alice owns: INVITE -> 200 with descriptor, ACK, BYE -> 200, one CDR, no new charge"
check "alice's INVITE/BYE for sintel succeeds" sipp_call "$SCENARIOS/invite_bye.xml" sintel "$ALICE"
check "one CDR for alice" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"
check_eq "the CDR carries content, owner, ICID, cell and no charge (paid when bought)" \
  "sintel|blender-foundation|t|262-01/AB12/C34D56E|0" \
  "$(suite_psql -tA -c "SELECT content_id, owner, icid LIKE 'icid-%', locality, charge_minor
                         FROM charging.cdr WHERE served_identity = '$ALICE'")"
check_eq "the CDR names the called content, the access network and a normal release" \
  "sip:sintel@p2p.localhost|t|normal_release|f|INVITE" \
  "$(suite_psql -tA -c "SELECT called_party, access_network_info LIKE '3GPP-E-UTRAN-FDD;%',
                                cause_for_record_closing, incomplete, sip_method
                         FROM charging.cdr WHERE served_identity = '$ALICE'")"
check_eq "alice's balance is untouched" 1000 "$(balance "$ALICE")"
check_eq "the tracker closed the session" 1 \
  "$(suite_psql -tA -c "SELECT count(*) FROM tracker.session WHERE subject = '$ALICE' AND closed_at IS NOT NULL")"
check "rights audited the decision (batched, within a flush)" wait_sql 1 \
  "SELECT count(*) FROM rights.audit WHERE subject = '$ALICE' AND action = 'authorize' AND result = 'allow'"

echo "# pay-as-you-go content: credit is reserved at INVITE and released at BYE"
check "alice's session for live-match succeeds" sipp_call "$SCENARIOS/invite_bye.xml" live-match "$ALICE"
check "a second CDR for alice" wait_sql 2 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"
check_eq "credit control ran INITIAL and TERMINATION for it" "open_then_terminated|2" \
  "$(suite_psql -tA -c "SELECT 'open_then_terminated', last_request_number + 1
                         FROM charging.cc_session
                         WHERE content_id = 'live-match' AND state = 'terminated'")"
check_eq "nothing stays reserved and nothing moved is charged" "0|1000" \
  "$(suite_psql -tA -c "SELECT (SELECT coalesce(sum(reserved_minor), 0) FROM charging.cc_session
                         WHERE subject = '$ALICE' AND state = 'open'), balance_minor
                         FROM charging.account WHERE subject = '$ALICE'")"
check_eq "the ledger explains the balance" 1000 \
  "$(suite_psql -tA -c "SELECT sum(amount_minor) FROM charging.ledger WHERE subject = '$ALICE'")"

echo "# the same over TCP"
check "alice's INVITE/BYE over TCP succeeds" sipp_call "$SCENARIOS/invite_bye.xml" sintel "$ALICE" -t t1
check "its CDR too" wait_sql 3 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"

echo "# free content needs no entitlement and no credit control, but still yields a CDR"
check "bob's session for big-buck-bunny succeeds" sipp_call "$SCENARIOS/invite_bye.xml" big-buck-bunny "$BOB"
check "one CDR for bob" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$BOB'"
check_eq "bob was not charged" 100 "$(balance "$BOB")"

echo "# refusals"
check "unknown content -> 404" \
  sipp_call "$(rejected_scenario 404 Warning: 'unknown content')" no-such-title "$ALICE"
check "no entitlement -> 403 with a Warning" \
  sipp_call "$(rejected_scenario 403 Warning: '399 p2pims .*entitlement')" sintel "$BOB"
check "out of credit for pay-as-you-go content -> 402" \
  sipp_call "$(rejected_scenario 402 Warning: 'out of credit')" live-match "$CAROL"
check "territory-bound content without a network-verified cell -> 403" \
  sipp_call "$(rejected_scenario 403 Warning: 'verified location')" local-news "$ALICE"
check "trusted source without P-Asserted-Identity -> 400" \
  sipp_call "$(rejected_scenario 400 Via: 'SIP/2.0' no-pai)" sintel "$ALICE"
check "bad Request-URI user -> 400" \
  sipp_call "$(rejected_scenario 400 Warning: 'content-id')" 'bad%20id' "$ALICE"
check "untrusted source asserting an identity -> 401: its assertion is ignored, digest decides" \
  sipp_call "$(rejected_scenario 401 WWW-Authenticate: 'Digest')" sintel "$ALICE" -i 127.0.0.2
check "a method sip-edge does not offer yet -> 405 with Allow" \
  sipp_call "$SCENARIOS/publish_not_allowed.xml" sintel "$ALICE"
check_eq "no refusal wrote a CDR or moved money" "4|1000|0" \
  "$(suite_psql -tA -c "SELECT (SELECT count(*) FROM charging.cdr), (SELECT balance_minor FROM charging.account WHERE subject = '$ALICE'), (SELECT balance_minor FROM charging.account WHERE subject = '$CAROL') + (SELECT coalesce(sum(reserved_minor), 0) FROM charging.cc_session WHERE subject = '$CAROL' AND state = 'open')")"

echo "# a backend down -> 503 with Retry-After, and back to service after its restart"
suite_stop charging
check "charging stopped cleanly on SIGTERM" grep -q '"msg":"stopped"' "$SUITE_DIR/logs/charging.log"
check "charging down -> 503 Retry-After" \
  sipp_call "$(rejected_scenario 503 Retry-After: '^ *[0-9]+')" sintel "$ALICE"
suite_start charging
check "charging ready again" suite_wait_url "http://127.0.0.1:$CHARGING_ADMIN/readyz" 30
check "sessions work again within 10 s" eventually 10 sipp_call "$SCENARIOS/invite_bye.xml" sintel "$ALICE"

echo "# PostgreSQL killed -> 503 while down, services survive, answer again after its restart"
"$SUITE_SRC/tools/p2pims-pg" kill "$SUITE_DIR/pg" >/dev/null
check "database down -> 503" sipp_call "$(rejected_scenario 503 Retry-After: '[0-9]')" sintel "$ALICE"
check "rights reports not ready" bash -c "! curl -fsS -o /dev/null http://127.0.0.1:$RIGHTS_ADMIN/readyz"
"$SUITE_SRC/tools/p2pims-pg" start "$SUITE_DIR/pg" "$PG_PORT" >/dev/null
for name in "${SUITE_SERVICES[@]}"; do
  check "$name survived the database outage" eval "suite_pid $name >/dev/null"
done
check "every service ready again" suite_wait_ready 30
check "sessions work again within 10 s of the restart" \
  eventually 10 sipp_call "$SCENARIOS/invite_bye.xml" sintel "$ALICE"
check "every CDR has a gapless sequence number" wait_sql "t" \
  "SELECT count(*) = max(sequence) AND min(sequence) = 1 FROM charging.cdr"

echo "# command lines"
for name in "${SUITE_SERVICES[@]}"; do
  check "$name --help exits 0 and names its flags" bash -c "'$(suite_binary "$name")' --help | grep -q -- --admin-listen"
  check "$name refuses an unknown flag with exit code 2" \
    bash -c "'$(suite_binary "$name")' --no-such-flag 2>/dev/null; test \$? -eq 2"
done
for name in rights charging tracker; do
  check "$name --migrate applies nothing twice and exits 0" \
    "$(suite_binary "$name")" --migrate --db "$(suite_db)" --log-level error
done

echo "# operator endpoints"
for name in "${SUITE_SERVICES[@]}"; do
  port=$(suite_admin_port "$name")
  curl -fsS "http://127.0.0.1:$port/metrics" >"$SUITE_DIR/$name.metrics"
  check "$name's /metrics passes promtool" bash -c "promtool check metrics <'$SUITE_DIR/$name.metrics'"
  check "$name's /healthz answers" curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz"
done
check "sip-edge counted the 200s" grep -qE '^p2pims_sip_responses_total\{code="200",method="INVITE"\} [1-9]' "$SUITE_DIR/sip-edge.metrics"
check "sip-edge timed its calls to rights" grep -qE '^p2pims_sip_backend_call_seconds_count\{backend="rights",method="Authorize"\} [1-9]' "$SUITE_DIR/sip-edge.metrics"
check "sip-edge counted the calls charging could not answer" grep -qE '^p2pims_sip_backend_errors_total\{backend="charging",code="UNAVAILABLE",method="CreditControl"\} [1-9]' "$SUITE_DIR/sip-edge.metrics"
check "charging counted its credit-control calls" grep -qE '^p2pims_grpc_server_handled_total\{code="OK",method="/p2pims.charging.v1.Charging/CreditControl"\} [1-9]' "$SUITE_DIR/charging.metrics"
check "rights reports its PostgreSQL pool" grep -qE '^p2pims_pg_pool_connections_max 4$' "$SUITE_DIR/rights.metrics"
check "the tracker reports its process" grep -qE '^process_resident_memory_bytes [1-9]' "$SUITE_DIR/tracker.metrics"

harness_finish
