#!/usr/bin/env bash
# The monitoring of deploy/ against the real thing: the suite (PostgreSQL, the four services and
# the origin seeder) on
# free loopback ports, a real Prometheus (Debian's) scraping it every second with the rules of
# deploy/prometheus, SIPp traffic as the S-CSCF and a billing consumer (p2pimsctl), then every
# recording rule, alert and dashboard query evaluated through Prometheus' HTTP API: each parses,
# every rule evaluates cleanly, every dashboard query returns data, and no alert fires on the
# healthy suite.
source "$(dirname "$0")/../lib/harness.sh"

# The origin seeder too (on its own loopback address, as in tests/e2e/origin_seed_test.sh):
# content it seeds, content it is refused, a terminal fetching from it.
ORIGIN_BT=$(free_port) ORIGIN_ADMIN=$(free_port) ORIGIN_BIND=127.0.0.4
SUITE_SERVICES+=(origin)
harness_start

PROM_DIR=$SUITE_DIR/prometheus
PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
mkdir -p "$PROM_DIR"
cp "$SUITE_SRC/deploy/prometheus/p2pims-rules.yaml" "$PROM_DIR/"
{
  cat <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: [p2pims-rules.yaml]
scrape_configs:
YAML
  for name in "${SUITE_SERVICES[@]}"; do
    printf '  - job_name: %s\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' \
      "$name" "$(suite_admin_port "$name")"
  done
} >"$PROM_DIR/prometheus.yml"
check "promtool accepts the scrape configuration" \
  bash -c "promtool check config '$PROM_DIR/prometheus.yml' >/dev/null"

prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$PROM_DIR/prometheus.log" 2>&1 &
PROM_PID=$!
stop_prometheus() {
  kill -TERM "$PROM_PID" 2>/dev/null || true
  wait "$PROM_PID" 2>/dev/null || true
}
trap 'stop_prometheus; harness_cleanup' EXIT

check "Prometheus is ready" suite_wait_url "$PROM/-/ready" 60 ||
  { tail -n 20 "$PROM_DIR/prometheus.log" >&2; harness_finish; }
query() {  # query EXPR -> the first value of an instant query (empty when none)
  curl -fsS --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.result;console.log(r.length?r[0].value[1]:"")})'
}
value_is() { [[ $(query "$2") == "$1" ]]; }
check "Prometheus scrapes all five services" eventually 30 value_is 5 'count(up == 1)'

echo "# traffic: sessions, refusals, a billing consumer"
ALICE=sip:alice@ims.localhost BOB=sip:bob@ims.localhost CAROL=sip:carol@ims.localhost
SCENARIOS=$SUITE_SRC/tests/sipp
check "alice: sintel" sipp_call "$SCENARIOS/invite_bye.xml" sintel "$ALICE"
check "alice: live-match (credit-controlled)" sipp_call "$SCENARIOS/invite_bye.xml" live-match "$ALICE"
check "bob: big-buck-bunny (free)" sipp_call "$SCENARIOS/invite_bye.xml" big-buck-bunny "$BOB"
check "alice: sintel over TCP" sipp_call "$SCENARIOS/invite_bye.xml" sintel "$ALICE" -t t1
check "bob: no entitlement -> 403" \
  sipp_call "$(rejected_scenario 403 Warning: 'entitlement')" sintel "$BOB"
check "unknown content -> 404" \
  sipp_call "$(rejected_scenario 404 Warning: 'unknown content')" no-such-title "$ALICE"
check "carol: out of credit -> 402" \
  sipp_call "$(rejected_scenario 402 Warning: 'out of credit')" live-match "$CAROL"
check "four CDRs written" wait_sql 4 "SELECT count(*) FROM charging.cdr" 20
# A billing consumer pulls the four and acknowledges two, so that charging reports its lag.
ctl() { "$SUITE_BIN/tools/p2pimsctl/p2pimsctl" --charging "127.0.0.1:$CHARGING_GRPC" "$@" >/dev/null; }
check "billing pulls the CDRs" ctl cdr pull --consumer billing-live-test
check "billing acknowledges two" ctl cdr ack --consumer billing-live-test --upto 2
# Scrapes catch up (polling Prometheus, not sleeping): every target scraped three more times
# after the traffic, so that series the traffic created have samples enough for rate().
traffic_end=$(date +%s)
check "Prometheus saw the four sessions" \
  eventually 30 value_is 4 'sum(p2pims_sip_responses_total{method="INVITE",code="200"})'
check "Prometheus saw the refusals" eventually 30 value_is 3 \
  'sum(p2pims_sip_responses_total{method="INVITE",code=~"402|403|404"})'
check "Prometheus saw the billing consumer's lag" eventually 30 value_is 2 \
  'p2pims_charging_consumer_lag_cdrs{consumer="billing-live-test"}'
check "Prometheus saw the tracker's token checks" eventually 30 value_is 4 \
  'sum(p2pims_tracker_token_verifications_total{result="ok"})'

echo "# the origin: seeds one content, is refused a withdrawn one, uploads to a terminal"
W=$SUITE_DIR/origin-live
mkdir -p "$W/media" "$W/alice"
octl() { "$SUITE_BIN/tools/p2pimsctl/p2pimsctl" --rights "127.0.0.1:$RIGHTS_GRPC" \
  --tracker "127.0.0.1:$TRACKER_GRPC" --actor prometheus-live-test "$@" >/dev/null; }
origin_metric() { service_metric origin "$@"; }
for id in live-clip live-old; do
  head -c $((2 * 1024 * 1024 + 333)) /dev/urandom >"$W/media/$id.bin"
  check "p2pimsctl content add $id" octl content add "$W/media/$id.bin" --id "$id" --owner live-studio \
    --price-model free
done
check "live-old is withdrawn" octl content withdraw live-old --reason "prometheus live test"
cp "$W/media/live-clip.bin" "$W/media/live-old.bin" "$SUITE_DIR/content/"
check "the origin seeds live-clip" \
  eventually 30 eval '[[ $(origin_metric p2pims_origin_torrents state=\"seeding\") == 1 ]]'
check "... and announced it" \
  eventually 20 eval '[[ $(origin_metric p2pims_origin_announces_total result=\"ok\") -ge 1 ]]'
check "rights refuses the origin live-old (withdrawn)" \
  eventually 30 eval '[[ $(origin_metric p2pims_origin_failures_total reason=\"refused\") -ge 1 ]]'
rc=0
"$SUITE_BIN/tools/p2pims-ue/p2pims-ue" fetch "sip:live-clip@$SIP_DOMAIN" --out "$W/alice" --quiet \
  --server "127.0.0.1:$SIP_PORT" --bind 127.0.0.2 --identity "$ALICE" --user alice-impi \
  --password alice-secret --timeout-seconds 20 >"$W/alice.out" 2>"$W/alice.err" || rc=$?
check_eq "alice fetches live-clip from the origin" 0 "$rc"
check "... its bytes" cmp -s "$W/media/live-clip.bin" "$W/alice/live-clip.bin"
size=$(stat -c %s "$W/media/live-clip.bin")
check "Prometheus saw the origin seeding" eventually 30 value_is 1 'sum(p2pims_origin_torrents{state="seeding"})'
check "... its upload" eventually 30 value_is 1 "sum(p2pims_origin_uploaded_bytes_total) >= bool $size"
check "... and the refusal" eventually 30 value_is 1 'sum(p2pims_origin_failures_total{reason="refused"}) >= bool 1'
traffic_end=$(date +%s)

check "three scrapes of every target after the traffic" \
  eventually 30 value_is 1 "min(timestamp(up)) > bool $((traffic_end + 3))"

echo "# every rule and dashboard query through the HTTP API"
rules=$(grep -cE '^\s+- (record|alert):' "$SUITE_SRC/deploy/prometheus/p2pims-rules.yaml")
if out=$(node "$SUITE_SRC/tests/deploy/prom_queries.mjs" "$PROM" "$SUITE_SRC/deploy/grafana" "$rules"); then
  pass "rules and dashboards: $(tail -n 1 <<<"$out")"
else
  grep '^FAIL' <<<"$out" >&2
  fail "rules and dashboards: $(tail -n 1 <<<"$out")"
fi
harness_finish
