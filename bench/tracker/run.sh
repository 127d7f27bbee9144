#!/usr/bin/env bash
# The tracker benchmark (bench/run tracker): HTTP and UDP announces per second of p2pims-tracker
# (token-bearing announces, admission and peer policy on) and of opentracker (Debian package,
# whitelist of the same info-hashes) on the same workload with the same load generator, latency
# percentiles, the token cache hit ratio, and memory per peer and per swarm next to opentracker's.
# Prints one JSON line on stdout.
#
# Environment: BENCH_SECONDS (15) measured seconds per load phase, BENCH_CONNECTIONS (32) HTTP
# connections, BENCH_INFLIGHT (64) UDP announces in flight, BENCH_SWARMS (1000), BENCH_PEERS
# (50000, one token each), BENCH_FILL_PEERS (1000000), BENCH_FILL_SWARMS (100000),
# BENCH_PROFILE=1 (perf record of the tracker during one more HTTP and UDP run each),
# BENCH_KEEP=1, BENCH_TRACKER (another p2pims-tracker binary, for A/B runs of two builds).
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=bench/lib/tracker_workload.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tracker_workload.sh"

readonly SECS=${BENCH_SECONDS:-15}
readonly CONNS=${BENCH_CONNECTIONS:-32}
readonly INFLIGHT=${BENCH_INFLIGHT:-64}
readonly SWARMS=${BENCH_SWARMS:-1000}
readonly PEERS=${BENCH_PEERS:-50000}
readonly FILL_PEERS=${BENCH_FILL_PEERS:-1000000}
readonly FILL_SWARMS=${BENCH_FILL_SWARMS:-100000}
readonly ANNOUNCE_THREADS=${BENCH_ANNOUNCE_THREADS:-2}
command -v opentracker >/dev/null || die "opentracker is not installed (apt-get install opentracker)"
((FILL_SWARMS >= SWARMS)) || die "BENCH_FILL_SWARMS must be at least BENCH_SWARMS"

bench_build p2pims-tracker p2pims-rights tracker_load
TRACKER=${BENCH_TRACKER:-$BENCH_BIN/services/tracker/p2pims-tracker}
readonly USAGE_FLUSH_MS=${BENCH_USAGE_FLUSH_MS:-1000}  # the tracker's --usage-flush-ms
RIGHTS=$BENCH_BIN/services/rights/p2pims-rights
LOADGEN=$BENCH_BIN/bench/tracker/tracker_load
load_at_start=$(load1)

bench_tmpdir
tracker_workload_backends "$RIGHTS" "$TRACKER"

say "indexing $FILL_SWARMS contents (the first $SWARMS are the load's swarms)"
tracker_workload_index "$LOADGEN" bench_psql "$BENCH_TMP" "$FILL_SWARMS"

# open_sessions PREFIX LOADGEN_ARGS...: the session rows of a workload's tokens.
open_sessions() {
  tracker_workload_sessions "$LOADGEN" bench_psql "$BENCH_TMP" "$1" "$ISSUED_AT" \
    "$BENCH_TMP/signing.keys" "${@:2}"
}
per_token=$(((FILL_PEERS + SWARMS - 1) / SWARMS))
say "opening the sessions of the tokens (SQL into tracker.session)"
open_sessions http --swarms "$SWARMS" --peers "$PEERS"
open_sessions fillp --swarms "$SWARMS" --peers "$FILL_PEERS" --peers-per-token "$per_token"
open_sessions fills --swarms "$FILL_SWARMS" --peers "$FILL_SWARMS"

# start_tracker NAME: a fresh p2pims-tracker; sets TRACKER_PID, TRACKER_PORT, TRACKER_ADMIN.
# Without charging (--charging=, where the tracker has the flag): metered usage still lands in
# PostgreSQL once a second, nothing is sent on.
NO_CHARGING=()
tracker_help=$("$TRACKER" --help 2>&1 || true)
[[ $tracker_help == *--charging* ]] && NO_CHARGING=(--charging=)
# The load generator is one address standing for every simulated peer: the tracker's limit of
# new tokens per address (--cold-admissions-per-address) would refuse the fill. Set through the
# environment, which an older binary under BENCH_TRACKER ignores.
export P2PIMS_COLD_ADMISSIONS_PER_ADDRESS=0
start_tracker() {
  TRACKER_PORT=$(bench_free_port)
  TRACKER_ADMIN=$(bench_free_port)
  bench_spawn "$1" "$TRACKER" --db "$DB" --rights "127.0.0.1:$RIGHTS_GRPC" \
    --announce-listen "127.0.0.1:$TRACKER_PORT" --announce-host "127.0.0.1:$TRACKER_PORT" \
    --announce-threads "$ANNOUNCE_THREADS" --grpc-listen "127.0.0.1:$(bench_free_port)" \
    --admin-listen "127.0.0.1:$TRACKER_ADMIN" "${NO_CHARGING[@]}" --log-level warn \
    --usage-flush-ms "$USAGE_FLUSH_MS"
  TRACKER_PID=$SPAWNED_PID
  bench_wait_http "http://127.0.0.1:$TRACKER_ADMIN/readyz" 60 "$TRACKER_PID" || {
    tail -n 20 "$BENCH_TMP/$1.log" >&2
    die "p2pims-tracker did not become ready"
  }
}

# start_opentracker NAME HASHES: a fresh opentracker whose whitelist holds the first HASHES
# info-hashes; sets OT_PID, OT_PORT. It refuses to run as root: -u nobody, files in its own
# directory (the whitelist path is relative to -d).
start_opentracker() {
  local dir=$BENCH_TMP/$1
  mkdir -p "$dir"
  chmod 755 "$dir"
  head -n "$2" "$BENCH_TMP/hashes.txt" >"$dir/whitelist.txt"
  echo "access.whitelist whitelist.txt" >"$dir/opentracker.conf"
  chmod 644 "$dir"/*
  OT_PORT=$(bench_free_port)
  bench_spawn "$1" opentracker -i 127.0.0.1 -p "$OT_PORT" -P "$OT_PORT" -d "$dir" -u nobody \
    -f "$dir/opentracker.conf"
  OT_PID=$SPAWNED_PID
  local deadline=$((SECONDS + 10))
  until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$OT_PORT/stats"; do
    kill -0 "$OT_PID" 2>/dev/null || die "opentracker exited (see $BENCH_TMP/$1.log)"
    ((SECONDS < deadline)) || die "opentracker does not answer"
    sleep 0.2
  done
}

# load NAME ARGS...: one run of the load generator; prints its JSON line.
load() {
  local name=$1
  shift
  "$LOADGEN" --swarms "$SWARMS" --duration "$SECS" "$@" 2>"$BENCH_TMP/$name.err" || {
    cat "$BENCH_TMP/$name.err" >&2
    die "the load generator failed ($name)"
  }
}

# CPU seconds a process has used (user + system, all threads).
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
# us_per PID_CPU_BEFORE PID_CPU_AFTER JSON: server CPU microseconds per answered announce.
us_per() { awk -v a="$1" -v b="$2" -v n="$(json_get answered "$3")" \
  'BEGIN { if (n > 0) printf "%.2f\n", (b - a) * 1e6 / n; else print 0 }'; }

# db_cpu_s: CPU seconds of the benchmark's PostgreSQL, all its processes (backends that exited
# are in the postmaster's children's times).
db_cpu_s() {
  local pm
  pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
  # comm is "postgres" (no spaces), so the fields split plainly: 4 ppid, 14-17 own and children's times.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v hz="$(getconf CLK_TCK)" -v pm="$pm" '
    $1 == pm { t += $14 + $15 + $16 + $17 }
    $4 == pm { t += $14 + $15 }
    END { printf "%.2f\n", t / hz }'
}

# sample_cpu PID FILE: every half second, "time tracker-cpu db-cpu" into FILE (run in the
# background), so that the measured window, the load's last seconds, can be told apart from its
# fill; cores_in_window FILE COLUMN then prints the cores that column used over the last SECS s.
sample_cpu() {
  while :; do
    echo "$(date +%s.%N) $(cpu_s "$1") $(db_cpu_s)" >>"$2"
    sleep 0.5
  done
}
cores_in_window() {
  awk -v col="$2" -v secs="$SECS" '{ t[NR] = $1; v[NR] = $col } END {
      for (i = NR; i > 1 && t[NR] - t[i - 1] <= secs; i--) {}
      if (NR < 2 || t[NR] == t[i]) { print 0; exit }
      printf "%.3f\n", (v[NR] - v[i]) / (t[NR] - t[i]) }' "$1"
}

# metric_sum NAME: the sum of a metric's samples over all its labels (0 when absent).
metric_sum() {
  curl -fsS "http://127.0.0.1:$TRACKER_ADMIN/metrics" |
    awk -v m="$1" '$1 == m || index($1, m "{") == 1 { v += $2 } END { printf "%.0f\n", v + 0 }'
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# metric NAME LABELS: a sample from the tracker's /metrics (0 when absent).
metric() {
  local m=$1
  [[ -n $2 ]] && m="$1{$2}"
  curl -fsS "http://127.0.0.1:$TRACKER_ADMIN/metrics" |
    awk -v m="$m" '$1 == m { v = $2 } END { printf "%.0f\n", v + 0 }'
}

start_tracker tracker
start_opentracker opentracker "$SWARMS"
# The same tokens in every run of the load generator (same claims, deterministic signatures), so
# later runs announce the same peers again and find their tokens cached.
TOKENS=(--key-file "$BENCH_TMP/signing.keys" --issued-at "$ISSUED_AT")
LOAD_TOKENS=("${TOKENS[@]}" --session-prefix http)

# profile_run NAME LOAD_ARGS...: one more load run (`load LOAD_ARGS...`) of p2pims-tracker under
# perf record; the top symbols and shares by library land in $BENCH_BIN/NAME.txt.
profile_run() {
  local name=$1
  shift
  say "profile: perf record of p2pims-tracker during one more run ($name)"
  perf record -F 499 -g -p "$TRACKER_PID" -o "$BENCH_TMP/$name.data" -- sleep $((SECS + 5)) \
    >/dev/null 2>&1 &
  local perf_pid=$!
  load "$@" >&2
  wait "$perf_pid" || true
  {
    perf report -i "$BENCH_TMP/$name.data" --no-children -g none --sort dso,symbol \
      --percent-limit 0.5 --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 50
    perf report -i "$BENCH_TMP/$name.data" --no-children -g none --sort dso --stdio 2>/dev/null |
      grep -E '^ +[0-9]' | head -n 10
  } | sed 's/[[:space:]-]*$//' >"$BENCH_BIN/$name.txt" || true
  say "profile in $BENCH_BIN/$name.txt"
}

say "HTTP: opentracker, $PEERS peers in $SWARMS swarms, $CONNS connections, ${SECS} s"
c0=$(cpu_s "$OT_PID")
ot_http=$(load ot-http --http "127.0.0.1:$OT_PORT" --plain --peers "$PEERS" --connections "$CONNS")
ot_http_us=$(us_per "$c0" "$(cpu_s "$OT_PID")" "$ot_http")
say "  $ot_http"
wrk_per_s=0
if command -v wrk >/dev/null; then
  say "HTTP: opentracker with wrk -t1 -c32 (the DESIGN.md anchor), ${SECS} s"
  head -n "$SWARMS" "$BENCH_TMP/hashes.txt" >"$BENCH_TMP/wrk-hashes.txt"
  wrk_out=$(cd "$BENCH_TMP" && BENCH_PEERS=$PEERS wrk -t1 -c32 -d"${SECS}s" -s "$BENCH_SRC/bench/tracker/announce.lua" \
    "http://127.0.0.1:$OT_PORT" 2>&1) || die "wrk failed: $wrk_out"
  wrk_per_s=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$wrk_out")
  grep -q "Non-2xx" <<<"$wrk_out" && say "  wrk saw non-2xx answers"
  say "  wrk: $wrk_per_s/s"
fi

hits0=$(metric p2pims_tracker_token_cache_lookups_total 'result="hit"')
miss0=$(metric p2pims_tracker_token_cache_lookups_total 'result="miss"')
say "HTTP: p2pims-tracker, $PEERS peers with a token each, $CONNS connections, ${SECS} s"
c0=$(cpu_s "$TRACKER_PID")
our_http=$(load our-http --http "127.0.0.1:$TRACKER_PORT" "${LOAD_TOKENS[@]}" --peers "$PEERS" \
  --connections "$CONNS")
our_http_us=$(us_per "$c0" "$(cpu_s "$TRACKER_PID")" "$our_http")
say "  $our_http"
kill -0 "$TRACKER_PID" 2>/dev/null || die "p2pims-tracker exited during the run"
hits=$(($(metric p2pims_tracker_token_cache_lookups_total 'result="hit"') - hits0))
misses=$(($(metric p2pims_tracker_token_cache_lookups_total 'result="miss"') - miss0))
failures=$(json_get failures "$our_http")
((failures == 0 && $(json_get errors "$our_http") == 0)) ||
  die "p2pims-tracker refused or failed announces in the measured phase: $our_http"
# opentracker answers every announce on a connection of its own (it closes after the answer);
# p2pims-tracker keeps connections alive. The same load with a new connection per announce:
say "HTTP: p2pims-tracker, a new connection for every announce (as opentracker does), ${SECS} s"
c0=$(cpu_s "$TRACKER_PID")
our_close=$(load our-http-close --http "127.0.0.1:$TRACKER_PORT" "${LOAD_TOKENS[@]}" --peers "$PEERS" \
  --connections "$CONNS" --connection-close)
our_close_us=$(us_per "$c0" "$(cpu_s "$TRACKER_PID")" "$our_close")
say "  $our_close"
((failures += $(json_get failures "$our_close"), failures == 0)) ||
  die "p2pims-tracker refused announces in the measured phase: $our_close"

if [[ -n ${BENCH_PROFILE:-} ]]; then
  profile_run tracker-perf our-http-profiled --http "127.0.0.1:$TRACKER_PORT" \
    "${LOAD_TOKENS[@]}" --peers "$PEERS" --connections "$CONNS"
fi

say "UDP: opentracker, $INFLIGHT in flight, ${SECS} s"
c0=$(cpu_s "$OT_PID")
ot_udp=$(load ot-udp --udp "127.0.0.1:$OT_PORT" --plain --peers "$PEERS" --inflight "$INFLIGHT")
ot_udp_us=$(us_per "$c0" "$(cpu_s "$OT_PID")" "$ot_udp")
say "  $ot_udp"
if "$LOADGEN" --udp "127.0.0.1:$TRACKER_PORT" --probe >/dev/null 2>&1; then
  say "UDP: p2pims-tracker, $INFLIGHT in flight, ${SECS} s"
  c0=$(cpu_s "$TRACKER_PID")
  sample_cpu "$TRACKER_PID" "$BENCH_TMP/udp-cpu.txt" &
  sampler=$!
  BENCH_PIDS+=("$sampler")
  our_udp=$(load our-udp --udp "127.0.0.1:$TRACKER_PORT" "${LOAD_TOKENS[@]}" --peers "$PEERS" \
    --inflight "$INFLIGHT")
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  # The measured window only: the tracker's cores, PostgreSQL's (the usage flush), and the
  # latter per announce.
  udp_tracker_cores=$(cores_in_window "$BENCH_TMP/udp-cpu.txt" 2)
  udp_db_cores=$(cores_in_window "$BENCH_TMP/udp-cpu.txt" 3)
  our_udp_db_us=$(awk -v c="$udp_db_cores" -v r="$(json_get announces_per_s "$our_udp")" \
    'BEGIN { if (r > 0) printf "%.2f\n", c * 1e6 / r; else print 0 }')
  our_udp_us=$(us_per "$c0" "$(cpu_s "$TRACKER_PID")" "$our_udp")
  say "  $our_udp"
  if [[ -n ${BENCH_PROFILE:-} ]]; then
    profile_run tracker-perf-udp our-udp-profiled --udp "127.0.0.1:$TRACKER_PORT" \
      "${LOAD_TOKENS[@]}" --peers "$PEERS" --inflight "$INFLIGHT"
  fi
  udp_failures=$(json_get failures "$our_udp")
  ((udp_failures == 0)) || die "p2pims-tracker refused UDP announces in the measured phase: $our_udp"
  udp_json=$(printf '"udp_per_s":%s,"udp_ratio":%s,"udp_p50_ms":%s,"udp_p99_ms":%s,"udp_lost":%s,"udp_cpu_us_per_announce":%s,"udp_db_cpu_us_per_announce":%s,"udp_tracker_cores":%s,"udp_db_cores":%s,' \
    "$(json_get announces_per_s "$our_udp")" \
    "$(ratio "$(json_get announces_per_s "$our_udp")" "$(json_get announces_per_s "$ot_udp")")" \
    "$(json_get p50_ms "$our_udp")" "$(json_get p99_ms "$our_udp")" "$(json_get lost "$our_udp")" \
    "$our_udp_us" "$our_udp_db_us" "$udp_tracker_cores" "$udp_db_cores")
else
  say "UDP: p2pims-tracker does not answer UDP connects: skipped"
  udp_json='"udp":"skipped","udp_skipped":"udp tracker not on main yet",'
fi
kill -TERM "$TRACKER_PID" "$OT_PID"
wait "$TRACKER_PID" "$OT_PID" 2>/dev/null || true

# Memory: fresh processes, VmRSS before and after a fill by HTTP announces. Peers: FILL_PEERS in
# SWARMS swarms; for p2pims-tracker one token per swarm whose FILL_PEERS/SWARMS peers differ by
# peer id (its peer identity is peer id + token) from one address and port (a token may announce
# from 3 addresses), for opentracker (which keys peers by address and port) distinct ports.
# Swarms: FILL_SWARMS swarms of one peer each, a token each.
fill() { # fill NAME PORT SWARMS PEERS ARGS...
  local name=$1 port=$2 swarms=$3 peers=$4
  shift 4
  "$LOADGEN" --http "127.0.0.1:$port" --swarms "$swarms" --peers "$peers" --duration 0 \
    --connections "$CONNS" "$@" 2>"$BENCH_TMP/$name.err" || {
    cat "$BENCH_TMP/$name.err" >&2
    die "the fill failed ($name)"
  }
}
say "memory: p2pims-tracker, $FILL_PEERS peers in $SWARMS swarms"
start_tracker tracker-mem-peers
rss0=$(rss_kb "$TRACKER_PID")
our_fill=$(fill our-fill-peers "$TRACKER_PORT" "$SWARMS" "$FILL_PEERS" "${TOKENS[@]}" \
  --session-prefix fillp --peers-per-token "$per_token" --same-port-per-token)
sleep 1.5  # a housekeeping round (gauges, usage flush)
rss1=$(rss_kb "$TRACKER_PID")
peers_held=$(metric_sum p2pims_tracker_peers)  # by role on newer trackers
say "  $our_fill; RSS ${rss0} -> ${rss1} kB, peers $peers_held"
[[ $(json_get fill_failures "$our_fill") == 0 ]] || die "p2pims-tracker refused announces of the fill: $our_fill"
kill -TERM "$TRACKER_PID"
wait "$TRACKER_PID" 2>/dev/null || true

say "memory: p2pims-tracker, $FILL_SWARMS swarms of one peer"
start_tracker tracker-mem-swarms
rss2=$(rss_kb "$TRACKER_PID")
fill our-fill-swarms "$TRACKER_PORT" "$FILL_SWARMS" "$FILL_SWARMS" "${TOKENS[@]}" \
  --session-prefix fills >/dev/null
sleep 1.5
rss3=$(rss_kb "$TRACKER_PID")
swarms_held=$(metric_sum p2pims_tracker_swarms)
say "  RSS ${rss2} -> ${rss3} kB, swarms $swarms_held"
kill -TERM "$TRACKER_PID"
wait "$TRACKER_PID" 2>/dev/null || true

say "memory: opentracker, $FILL_PEERS peers in $SWARMS swarms"
start_opentracker ot-mem-peers "$SWARMS"
ot_rss0=$(rss_kb "$OT_PID")
fill ot-fill-peers "$OT_PORT" "$SWARMS" "$FILL_PEERS" --plain >/dev/null
ot_rss1=$(rss_kb "$OT_PID")
say "  RSS ${ot_rss0} -> ${ot_rss1} kB"
kill -TERM "$OT_PID"
wait "$OT_PID" 2>/dev/null || true

say "memory: opentracker, $FILL_SWARMS swarms of one peer"
start_opentracker ot-mem-swarms "$FILL_SWARMS"
ot_rss2=$(rss_kb "$OT_PID")
fill ot-fill-swarms "$OT_PORT" "$FILL_SWARMS" "$FILL_SWARMS" --plain >/dev/null
ot_rss3=$(rss_kb "$OT_PID")
say "  RSS ${ot_rss2} -> ${ot_rss3} kB"
kill -TERM "$OT_PID"
wait "$OT_PID" 2>/dev/null || true

per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f\n", (b - a) * 1024 / n }'; }
bytes_per_peer=$(per "$rss0" "$rss1" "$FILL_PEERS")
ot_bytes_per_peer=$(per "$ot_rss0" "$ot_rss1" "$FILL_PEERS")
# A swarm of one peer, less that peer (for p2pims-tracker it includes its one cached token).
bytes_per_swarm=$(awk -v x="$(per "$rss2" "$rss3" "$FILL_SWARMS")" -v p="$bytes_per_peer" \
  'BEGIN { printf "%.1f\n", x - p }')
ot_bytes_per_swarm=$(awk -v x="$(per "$ot_rss2" "$ot_rss3" "$FILL_SWARMS")" -v p="$ot_bytes_per_peer" \
  'BEGIN { printf "%.1f\n", x - p }')

http=$(json_get announces_per_s "$our_http")
ot=$(json_get announces_per_s "$ot_http")
ot_u=$(json_get announces_per_s "$ot_udp")
printf '{"bench":"tracker","http_per_s":%s,"opentracker_http_per_s":%s,"http_ratio":%s,' \
  "$http" "$ot" "$(ratio "$http" "$ot")"
printf '"http_p50_ms":%s,"http_p99_ms":%s,"opentracker_http_p50_ms":%s,"opentracker_http_p99_ms":%s,' \
  "$(json_get p50_ms "$our_http")" "$(json_get p99_ms "$our_http")" \
  "$(json_get p50_ms "$ot_http")" "$(json_get p99_ms "$ot_http")"
printf '"http_failures":%s,"http_errors":%s,"peers_returned_avg":%s,"opentracker_peers_returned_avg":%s,' \
  "$failures" "$(json_get errors "$our_http")" "$(json_get peers_returned_avg "$our_http")" \
  "$(json_get peers_returned_avg "$ot_http")"
close=$(json_get announces_per_s "$our_close")
printf '"http_close_per_s":%s,"http_close_ratio":%s,"http_close_p50_ms":%s,"http_close_p99_ms":%s,' \
  "$close" "$(ratio "$close" "$ot")" "$(json_get p50_ms "$our_close")" "$(json_get p99_ms "$our_close")"
printf '"cpu_us_per_announce":%s,"close_cpu_us_per_announce":%s,' "$our_http_us" "$our_close_us"
printf '"opentracker_cpu_us_per_announce":%s,"cpu_ratio":%s,"client_cores":%s,' "$ot_http_us" \
  "$(ratio "$our_close_us" "$ot_http_us")" "$(json_get client_cores "$our_http")"
printf '"opentracker_reconnects":%s,"opentracker_wrk_http_per_s":%s,"http_vs_wrk_anchor":%s,' \
  "$(json_get retries "$ot_http")" "$wrk_per_s" "$(ratio "$http" "$wrk_per_s")"
printf '%s"opentracker_udp_cpu_us_per_announce":%s,' "$udp_json" "$ot_udp_us"
printf '"opentracker_udp_per_s":%s,"opentracker_udp_p50_ms":%s,"opentracker_udp_p99_ms":%s,' \
  "$ot_u" "$(json_get p50_ms "$ot_udp")" "$(json_get p99_ms "$ot_udp")"
printf '"bytes_per_peer":%s,"opentracker_bytes_per_peer":%s,"memory_ratio":%s,' \
  "$bytes_per_peer" "$ot_bytes_per_peer" "$(ratio "$bytes_per_peer" "$ot_bytes_per_peer")"
printf '"bytes_per_swarm":%s,"opentracker_bytes_per_swarm":%s,"swarm_memory_ratio":%s,' \
  "$bytes_per_swarm" "$ot_bytes_per_swarm" "$(ratio "$bytes_per_swarm" "$ot_bytes_per_swarm")"
printf '"rss_kb_at_fill":%s,"opentracker_rss_kb_at_fill":%s,"fill_peers":%s,"fill_peers_held":%s,' \
  "$rss1" "$ot_rss1" "$FILL_PEERS" "$peers_held"
printf '"fill_per_s":%s,"fill_swarms":%s,"fill_swarms_held":%s,' \
  "$(json_get fill_per_s "$our_fill")" "$FILL_SWARMS" "$swarms_held"
printf '"http_cold_per_s":%s,"opentracker_http_fill_per_s":%s,' \
  "$(json_get fill_per_s "$our_http")" "$(json_get fill_per_s "$ot_http")"
printf '"token_cache_hit_ratio":%s,"token_cache_misses":%s,"tokens":%s,' \
  "$(ratio "$hits" "$((hits + misses))")" "$misses" "$(json_get tokens "$our_http")"
printf '"swarms":%s,"peers":%s,"connections":%s,"inflight":%s,"announce_threads":%s,"seconds":%s,' \
  "$SWARMS" "$PEERS" "$CONNS" "$INFLIGHT" "$ANNOUNCE_THREADS" "$SECS"
printf '"load1_at_start":%s,"load1_at_end":%s}\n' "$load_at_start" "$(load1)"
