#!/usr/bin/env bash
# Tracker overload, short form (issue 9 item 2): one announce thread, its UDP capacity measured
# closed loop in this run, then three times that offered open loop (tracker_load --rate). The
# tracker stays up and ready, answered announces keep a latency bound, goodput does not
# collapse, memory stays bounded, every announce not answered got "tracker busy" or was counted
# dropped by the tracker, and a normal announce succeeds afterwards. The socket's receive buffer
# is raised to 8 MiB (where the kernel allows it), so that without --udp-max-wait-ms (50 ms,
# the default) queued announces would wait hundreds of milliseconds. Long form:
# bench/overload/tracker.sh.
SUITE_TRACKER_ARGS="--announce-threads 1 --cold-admissions-per-address 0 --udp-receive-buffer 8388608"
source "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=bench/lib/tracker_workload.sh
source "$SUITE_SRC/bench/lib/tracker_workload.sh"
harness_start

LOADGEN=$SUITE_BIN/bench/tracker/tracker_load
SWARMS=100 PEERS=5000
ISSUED_AT=$(($(date +%s) - 60))
tracker_workload_index "$LOADGEN" suite_psql "$SUITE_DIR" "$SWARMS"
tracker_workload_sessions "$LOADGEN" suite_psql "$SUITE_DIR" ovl "$ISSUED_AT" \
  "$SUITE_DIR/keys/signing.keys" --swarms "$SWARMS" --peers "$PEERS"
# The tracker on one core, the load generator on the other (when there are two): the generator
# must offer three times what the tracker answers.
TRACKER_PID=$(cat "$SUITE_DIR/run/tracker.pid")
PIN_LOAD=()
if (($(nproc) >= 2)) && taskset -a -p -c 0 "$TRACKER_PID" >/dev/null; then
  PIN_LOAD=(taskset -c 1)
fi
# load ARGS...: one UDP run of the load generator (tokens signed with the suite's rights key);
# prints its JSON line.
load() {
  "${PIN_LOAD[@]}" "$LOADGEN" --udp "127.0.0.1:$TRACKER_BT" --swarms "$SWARMS" --peers "$PEERS" \
    --key-file "$SUITE_DIR/keys/signing.keys" --issued-at "$ISSUED_AT" --session-prefix ovl \
    "$@" 2>>"$SUITE_DIR/load.err"
}
get() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2" | tr -d '"'; }
# dropped_or_busy: what the tracker counted as not served (busy replies and both kinds of drop).
dropped_or_busy() {
  echo $(($(tracker_metric p2pims_tracker_announces_total 'result="busy"' 'protocol="udp"') +
    $(tracker_metric p2pims_tracker_udp_dropped_total 'reason="buffer_full"') +
    $(tracker_metric p2pims_tracker_udp_dropped_total 'reason="too_late"')))
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$TRACKER_PID/status"; }

# The first announce of each token is cold (a signature check and a database read): a few in
# flight, so that none waits beyond the bound.
warm=$(load --inflight 8 --duration 0)
# A stall of the shared machine beyond the bound may shed some; nothing else may be refused.
check "the workload's tokens are admitted" \
  eval '[[ $(get first_failure "$warm") == "" || $(get first_failure "$warm") == "tracker busy; retry later" ]]'
# An announce the tracker sheds (a stall of the shared machine beyond the bound) is replaced
# after 100 ms, not the usual second, so that stalls do not hold the loop's places.
capacity_run=$(load --inflight 64 --duration 4 --lost-after-ms 100)
capacity=$(get announces_per_s "$capacity_run")
echo "# capacity (closed loop, 64 in flight): $capacity_run"
check "a capacity was measured" awk -v c="$capacity" 'BEGIN { exit !(c > 100) }'
rate=$(awk -v c="$capacity" 'BEGIN { printf "%.0f", 3 * c }')

rss_before=$(rss_kib)
not_served_before=$(dropped_or_busy)
over=$(load --rate "$rate" --duration 8)
rss_after=$(rss_kib)
echo "# 3x capacity, open loop ($rate/s): $over"
echo "# tracker RSS ${rss_before} -> ${rss_after} KiB"
offered=$(get offered "$over") answered=$(get announces "$over") busy=$(get busy "$over")
failures=$(get failures "$over") lost=$(get lost "$over")
check "the generator offered about 3x capacity (at least 2.5x)" \
  awk -v o="$(get offered_per_s "$over")" -v c="$capacity" 'BEGIN { exit !(o >= 2.5 * c) }'
check "the tracker is alive and ready" suite_wait_url "http://127.0.0.1:$TRACKER_ADMIN/readyz" 5
check "answered announces kept a latency bound: p99 under 250 ms" \
  awk -v p="$(get p99_ms "$over")" 'BEGIN { exit !(p < 250) }'
check "goodput did not collapse: at least 30 % of capacity answered" \
  awk -v g="$(get announces_per_s "$over")" -v c="$capacity" 'BEGIN { exit !(g >= 0.3 * c) }'
check "every offered announce was answered, refused or lost" \
  test $((answered + failures + lost)) -eq "$offered"
check "every refusal was 'tracker busy'" test "$failures" -eq "$busy"
# The tracker's counters cover the warm-up too, and reach /metrics within a housekeeping tick.
check "the tracker counted at least every refusal and loss as busy or dropped" \
  eventually 5 eval '(( $(dropped_or_busy) - not_served_before >= busy + lost ))'
check "memory stayed bounded: RSS grew by less than 64 MiB" \
  test $((rss_after - rss_before)) -lt $((64 * 1024))
if (($(ss -Hlunm "sport = :$TRACKER_BT" | grep -o 'rb[0-9]*' | tr -d rb | sort -n | tail -n 1) >= 8388608)); then
  check "with 8 MiB queued, the bound shed announces (some answered busy)" test "$busy" -gt 0
else
  echo "# the kernel kept the receive buffer small (no CAP_NET_ADMIN): the bound may not fire"
fi

after=$(load --inflight 8 --duration 2 --warmup 0)
echo "# afterwards: $after"
check "afterwards announces are answered normally" \
  eval '(( $(get announces "$after") > 0 && $(get failures "$after") == 0 ))'
check "the tracker is still the same process" kill -0 "$TRACKER_PID"

harness_finish
