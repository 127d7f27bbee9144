# shellcheck shell=bash
# The whole p2pims suite for a benchmark: PostgreSQL, the schemas, a benchmark's data, then
# rights, charging, tracker and sip-edge (Release, from build-bench/) on free loopback ports,
# started with the same command lines as tools/p2pims-local and the end-to-end tests
# (tools/lib/suite.sh), and stopped with everything else the benchmark started when it exits.
# Source bench/lib/common.sh first.
#
#   bench_build p2pims-rights p2pims-charging p2pims-tracker p2pims-sip-edge
#   bench_tmpdir
#   bench_suite_up "$BENCH_SRC/bench/sip/sessions.sql" -v subscribers=10000
#   # SIP at 127.0.0.1:$SIP_PORT, operator endpoints at $(suite_admin_port NAME), PostgreSQL at
#   # $PG_PORT; SUITE_PIDS[NAME] is each service's process id
#
# Services read their settings from P2PIMS_* variables where no flag is given (each service's
# README), so a benchmark tunes them by exporting e.g. P2PIMS_LOG_LEVEL or P2PIMS_WORKERS first.

declare -A SUITE_PIDS=()

# bench_suite_up [DATA_SQL [PSQL_ARGS...]]: PostgreSQL, each service's migrations (--migrate),
# DATA_SQL loaded through psql with PSQL_ARGS (before the services start, so rights' catalogue
# preload sees it and no change notification fires per row), then the four services; waits
# until every one answers /readyz.
bench_suite_up() {
  local data=${1:-}
  [[ $# -gt 0 ]] && shift
  SUITE_SRC=$BENCH_SRC SUITE_BIN=$BENCH_BIN SUITE_DIR=$BENCH_TMP
  # shellcheck source=tools/lib/suite.sh
  source "$BENCH_SRC/tools/lib/suite.sh"
  bench_pg_start
  local name db
  db=$(bench_pg_conninfo)
  for name in rights charging tracker; do
    "$(suite_binary "$name")" --migrate --db "$db" --log-level warn >"$BENCH_TMP/migrate-$name.log" 2>&1 ||
      {
        tail -n 20 "$BENCH_TMP/migrate-$name.log" >&2
        die "$name --migrate failed"
      }
  done
  if [[ -n $data ]]; then
    say "data: $(basename "$data") $*"
    bench_psql "$@" -f "$data" >&2
  fi
  suite_keys
  # Other runs on this machine pick ports from the same range: one may take a port between our
  # choice and the bind. Then the services start again on other ports.
  local attempt pid
  for attempt in 1 2 3; do
    bench_suite_ports
    for name in "${SUITE_SERVICES[@]}"; do
      suite_start "$name"
      SUITE_PIDS[$name]=$(cat "$SUITE_DIR/run/$name.pid")
      BENCH_PIDS+=("${SUITE_PIDS[$name]}")
    done
    bench_suite_ready && return 0
    grep -qs "Address already in use" "$SUITE_DIR"/logs/*.log ||
      die "the suite did not start (logs in $BENCH_TMP/logs)"
    say "a port was taken meanwhile: the services start again on other ports"
    for name in "${SUITE_SERVICES[@]}"; do suite_stop "$name"; done
    local left=()
    for pid in "${BENCH_PIDS[@]}"; do
      [[ " ${SUITE_PIDS[*]} " == *" $pid "* ]] || left+=("$pid")
    done
    BENCH_PIDS=("${left[@]}")
    mkdir -p "$BENCH_TMP/logs-attempt-$attempt"
    mv "$SUITE_DIR"/logs/*.log "$BENCH_TMP/logs-attempt-$attempt/"
  done
  die "the suite did not start (logs in $BENCH_TMP/logs-attempt-*)"
}

# Whether every service answers /readyz within 60 s; fails at once when one has exited.
bench_suite_ready() {
  local name
  for name in "${SUITE_SERVICES[@]}"; do
    if ! bench_wait_http "http://127.0.0.1:$(suite_admin_port "$name")/readyz" 60 "${SUITE_PIDS[$name]}"; then
      say "$name did not become ready; its log:"
      tail -n 5 "$SUITE_DIR/logs/$name.log" >&2
      return 1
    fi
  done
}

# Free loopback ports for the services (tools/lib/suite.sh's variables).
bench_suite_ports() {
  SIP_PORT=$(bench_free_port) TRACKER_BT=$(bench_free_port)
  RIGHTS_GRPC=$(bench_free_port) CHARGING_GRPC=$(bench_free_port) TRACKER_GRPC=$(bench_free_port)
  SIP_ADMIN=$(bench_free_port) RIGHTS_ADMIN=$(bench_free_port)
  CHARGING_ADMIN=$(bench_free_port) TRACKER_ADMIN=$(bench_free_port)
}

# bench_metric NAME METRIC [LABEL-MATCH...]: the value of METRIC at service NAME's /metrics (the
# first sample whose labels contain every LABEL-MATCH, e.g. 'method="INVITE"'); empty if none.
bench_metric() {
  local name=$1 metric=$2
  shift 2
  curl -fsS "http://127.0.0.1:$(suite_admin_port "$name")/metrics" | awk -v m="$metric" -v want="$*" '
    { base = $1; sub(/\{.*/, "", base) }
    base == m && !found {
      n = split(want, w, " "); ok = 1
      for (i = 1; i <= n; i++) if (index($1, w[i]) == 0) ok = 0
      if (ok) { print $2; found = 1 }  # reads on: an early exit would fail curl (pipefail)
    }'
}
