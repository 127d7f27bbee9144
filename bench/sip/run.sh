#!/usr/bin/env bash
# The SIP benchmark (bench/run sip). Prints one JSON line on stdout with both parts' figures.
#
# Part one, REGISTER: REGISTERs per second into sip-edge's registrar and into Kamailio's
# in-memory registrar (the anchor), driven by the same SIPp workload in the same run:
# BENCH_SIP_CALLS new identities, BENCH_SIP_INFLIGHT REGISTERs in flight, as fast as each answers.
#
# Part two, sessions (sessions.sh): full content sessions (INVITE, 200, ACK, BYE, 200) per second
# with zero failed calls, through sip-edge with rights, charging, tracker and PostgreSQL behind
# it, beside Kamailio relaying the same calls to a SIPp UAS; set-up times; every completed
# session's CDR looked up in PostgreSQL.
#
# Environment: BENCH_SIP_PART (all; register or sessions runs one part), BENCH_SIP_CALLS
# (30000), BENCH_SIP_INFLIGHT (100); for sessions BENCH_SIP_SESSION_RATE (a fixed rate: one step
# each instead of the search), BENCH_SIP_SESSION_START (500) and BENCH_SIP_SESSION_MAX (8000)
# bound the search, BENCH_SIP_STEP_SECONDS (8) or BENCH_SIP_SESSIONS (calls per step),
# BENCH_SIP_SUBSCRIBERS (10000), BENCH_SIP_CONTENTS (1000), BENCH_LOG_LEVEL (warn) of the
# services; for experiments BENCH_SIP_WORKERS (sip-edge's --workers), BENCH_DB_POOL (every
# service's --db-pool-size), BENCH_PROFILE=1 (perf), BENCH_PG_SYNCHRONOUS_COMMIT=off (diagnosis
# only); BENCH_KEEP=1 keeps the temporary directory. See bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=bench/lib/sipp.sh
source "$BENCH_SRC/bench/lib/sipp.sh"
# shellcheck source=bench/lib/suite.sh
source "$BENCH_SRC/bench/lib/suite.sh"
# shellcheck source=bench/sip/sessions.sh
source "$BENCH_SRC/bench/sip/sessions.sh"

readonly PART=${BENCH_SIP_PART:-all}
readonly CALLS=${BENCH_SIP_CALLS:-30000}
readonly INFLIGHT=${BENCH_SIP_INFLIGHT:-100}

case $PART in
  register) bench_build p2pims-sip-edge ;;
  sessions | all) bench_build p2pims-sip-edge p2pims-rights p2pims-charging p2pims-tracker ;;
  *) die "BENCH_SIP_PART must be register, sessions or all, not $PART" ;;
esac
SIP_EDGE=$BENCH_BIN/services/sip-edge/p2pims-sip-edge
load_at_start=$(load1)
bench_tmpdir

# register_rate NAME PORT: runs the REGISTER workload against 127.0.0.1:PORT; prints
# "<successful calls per second> <failed calls> <p50 ms> <p99 ms>" from SIPp's own counts.
register_rate() {
  local dir=$BENCH_TMP/sipp-$1
  sipp_run "$dir" -sf "$BENCH_SRC/bench/sip/register.xml" -m "$CALLS" -r 100000 -l "$INFLIGHT" \
    -p "$(bench_free_port)" -timeout 120s "127.0.0.1:$2"
  echo "$SIPP_RATE $SIPP_FAILED $(sipp_rtd_percentiles "$dir" 1)"
}

# Sets REGISTER_JSON (the figures, without braces).
register_part() {
  say "anchor: Kamailio's in-memory registrar, $CALLS REGISTERs, $INFLIGHT in flight"
  local kam_port kam_pid
  kam_port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/kamailio"
  bench_spawn kamailio kamailio -DD -E -f "$BENCH_SRC/bench/sip/kamailio-registrar.cfg" \
    -Y "$BENCH_TMP/kamailio" -P "$BENCH_TMP/kamailio/pid" -l "udp:127.0.0.1:$kam_port"
  kam_pid=$SPAWNED_PID
  bench_wait_udp "$kam_port" 10 "$kam_pid" || die "Kamailio did not start (see $BENCH_TMP/kamailio.log)"
  local kam_rate kam_failed kam_p50 kam_p99
  read -r kam_rate kam_failed kam_p50 kam_p99 < <(register_rate kamailio "$kam_port")
  kill -TERM "$kam_pid" 2>/dev/null || true
  wait "$kam_pid" 2>/dev/null || true

  say "p2pims-sip-edge's registrar, the same workload"
  local sip_port admin
  sip_port=$(bench_free_port) admin=$(bench_free_port)
  bench_spawn sip-edge-registrar "$SIP_EDGE" --sip-url "sip:127.0.0.1:$sip_port" \
    --admin-listen "127.0.0.1:$admin" --trusted-cscf 127.0.0.1/32 --log-level warn
  local edge_pid=$SPAWNED_PID
  bench_wait_http "http://127.0.0.1:$admin/healthz" 20 "$edge_pid" || die "sip-edge did not start"
  local edge_rate edge_failed edge_p50 edge_p99 registrations
  read -r edge_rate edge_failed edge_p50 edge_p99 < <(register_rate sip-edge "$sip_port")
  registrations=$(curl -fsS "http://127.0.0.1:$admin/metrics" |
    awk '$1 == "p2pims_sip_registrations" { print $2 }')
  kill -TERM "$edge_pid" 2>/dev/null || true
  wait "$edge_pid" 2>/dev/null || true

  REGISTER_JSON=$(printf '"register_per_s":%s,"kamailio_register_per_s":%s,"register_ratio":%s,"register_failed":%s,"kamailio_register_failed":%s,"register_p50_ms":%s,"register_p99_ms":%s,"kamailio_register_p50_ms":%s,"kamailio_register_p99_ms":%s,"registrations_held":%s,"calls":%s,"inflight":%s' \
    "$edge_rate" "$kam_rate" "$(ratio "$edge_rate" "$kam_rate")" "$edge_failed" "$kam_failed" \
    "$edge_p50" "$edge_p99" "$kam_p50" "$kam_p99" "${registrations:-0}" "$CALLS" "$INFLIGHT")
}

REGISTER_JSON='"register":"skipped (BENCH_SIP_PART=sessions)"'
SESSIONS_JSON='"sessions":"skipped (BENCH_SIP_PART=register)"'
[[ $PART == register || $PART == all ]] && register_part
[[ $PART == sessions || $PART == all ]] && sessions_part

printf '{"bench":"sip",%s,%s,"load1_at_start":%s,"load1_at_end":%s}\n' \
  "$REGISTER_JSON" "$SESSIONS_JSON" "$load_at_start" "$(load1)"
