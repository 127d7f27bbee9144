#!/usr/bin/env bash
# The SIP benchmark (bench/run sip), part one: REGISTERs per second into sip-edge's registrar and
# into Kamailio's in-memory registrar (the anchor), driven by the same SIPp workload in the same
# run: BENCH_SIP_CALLS new identities, BENCH_SIP_INFLIGHT REGISTERs in flight, as fast as each
# answers. Prints one JSON line on stdout.
#
# Environment: BENCH_SIP_CALLS (30000), BENCH_SIP_INFLIGHT (100), BENCH_KEEP=1 keeps the
# temporary directory. Full content sessions (INVITE to BYE with all services) are not measured
# yet.
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly CALLS=${BENCH_SIP_CALLS:-30000}
readonly INFLIGHT=${BENCH_SIP_INFLIGHT:-100}

bench_build p2pims-sip-edge
SIP_EDGE=$BENCH_BIN/services/sip-edge/p2pims-sip-edge
load_at_start=$(load1)
bench_tmpdir

# sipp_rate NAME PORT: runs the REGISTER workload against 127.0.0.1:PORT; prints
# "<successful calls per second> <failed calls> <p50 ms> <p99 ms>" from SIPp's own counts.
sipp_rate() {
  local name=$1 port=$2 dir=$BENCH_TMP/sipp-$1
  mkdir -p "$dir"
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && sipp -sf "$BENCH_SRC/bench/sip/register.xml" -m "$CALLS" -r 100000 -l "$INFLIGHT" \
    -p "$(bench_free_port)" -nostdin -timeout 120s -trace_stat -stf stat.csv -trace_rtt \
    -rtt_freq 100 -trace_screen "127.0.0.1:$port" >"$dir/sipp.out" 2>&1) || true
  end=$(date +%s.%N)
  local ok failed
  ok=$(sed -n 's/^ *Successful call *| *[0-9]* *| *\([0-9]*\).*/\1/p' "$dir"/*screen.log | tail -n 1)
  failed=$(sed -n 's/^ *Failed call *| *[0-9]* *| *\([0-9]*\).*/\1/p' "$dir"/*screen.log | tail -n 1)
  [[ -n $ok ]] || die "$name: no SIPp statistics (see $dir)"
  # Response times: SIPp's rtt file holds one line per call (its time to the 200).
  local pcts
  pcts=$(awk -F';' 'NR > 1 && $2 != "" { print $2 }' "$dir"/*_rtt.csv 2>/dev/null | sort -n |
    awk 'function at(q,  i) { i = int(NR * q + 0.5); if (i < 1) i = 1; return v[i] }
         { v[NR] = $1 } END { if (NR == 0) print "0 0"; else printf "%.3f %.3f\n", at(0.5), at(0.99) }')
  awk -v ok="$ok" -v s="$start" -v e="$end" -v f="${failed:-0}" -v p="$pcts" \
    'BEGIN { printf "%.1f %d %s\n", ok / (e - s), f, p }'
}

say "anchor: Kamailio's in-memory registrar, $CALLS REGISTERs, $INFLIGHT in flight"
KAM_PORT=$(bench_free_port)
mkdir -p "$BENCH_TMP/kamailio"
bench_spawn kamailio kamailio -DD -E -f "$BENCH_SRC/bench/sip/kamailio-registrar.cfg" \
  -Y "$BENCH_TMP/kamailio" -P "$BENCH_TMP/kamailio/pid" -l "udp:127.0.0.1:$KAM_PORT"
KAM_PID=$SPAWNED_PID
for _ in $(seq 100); do ss -Hlun | awk '{print $4}' | grep -q ":$KAM_PORT\$" && break; sleep 0.1; done
read -r kam_rate kam_failed kam_p50 kam_p99 < <(sipp_rate kamailio "$KAM_PORT")
kill -TERM "$KAM_PID" 2>/dev/null || true
wait "$KAM_PID" 2>/dev/null || true

say "p2pims-sip-edge's registrar, the same workload"
SIP_PORT=$(bench_free_port) ADMIN=$(bench_free_port)
bench_spawn sip-edge "$SIP_EDGE" --sip-url "sip:127.0.0.1:$SIP_PORT" --admin-listen "127.0.0.1:$ADMIN" \
  --trusted-cscf 127.0.0.1/32 --log-level warn
bench_wait_http "http://127.0.0.1:$ADMIN/healthz" 20 "$SPAWNED_PID" || die "sip-edge did not start"
read -r edge_rate edge_failed edge_p50 edge_p99 < <(sipp_rate sip-edge "$SIP_PORT")
registrations=$(curl -fsS "http://127.0.0.1:$ADMIN/metrics" | awk '$1 == "p2pims_sip_registrations" { print $2 }')

printf '{"bench":"sip","register_per_s":%s,"kamailio_register_per_s":%s,"register_ratio":%s,"register_failed":%s,"kamailio_register_failed":%s,"register_p50_ms":%s,"register_p99_ms":%s,"kamailio_register_p50_ms":%s,"kamailio_register_p99_ms":%s,"registrations_held":%s,"calls":%s,"inflight":%s,"sessions":"not measured yet","load1_at_start":%s,"load1_at_end":%s}\n' \
  "$edge_rate" "$kam_rate" "$(ratio "$edge_rate" "$kam_rate")" "$edge_failed" "$kam_failed" \
  "$edge_p50" "$edge_p99" "$kam_p50" "$kam_p99" "${registrations:-0}" "$CALLS" "$INFLIGHT" \
  "$load_at_start" "$(load1)"
