#!/usr/bin/env bash
# Tracker overload, short form (issue 9 item 2), on both fronts: one announce thread, its
# capacity measured closed loop in this run, then three times that offered open loop
# (tracker_load --rate). The tracker stays up and ready, answered announces keep a latency
# bound, goodput does not collapse, memory stays bounded, every announce not answered got
# "tracker busy" or (UDP) was counted dropped by the tracker, and a normal announce succeeds
# afterwards (at a quarter of the capacity).
#   UDP: the socket's receive buffer is raised to 8 MiB (where the kernel allows it), so that
#     without --udp-max-wait-ms (50 ms, the default) queued announces would wait hundreds of
#     milliseconds; the tracker gets half a core (where cgroups are writable).
#   HTTP: each announce on a connection of its own, as many peers announcing once each; the
#     tracker gets a CPU quota (15 % of a core, where cgroups are writable: root), because
#     on loopback the client's core does half of the server's TCP work and could not offer three
#     times an unlimited tracker. The listen queue is kept to what the tracker answers within
#     --http-max-wait-ms (50 ms); the kernel refuses the excess, whose clients retry after a TCP
#     timeout (counted lost here, and by the tracker as listen overflows). Without the bound
#     (--http-max-wait-ms 0: a queue of net.core.somaxconn) connections wait for seconds and
#     goodput collapses.
#   HTTPS: as HTTP, each announce with a full TLS handshake (a certificate made for the test),
#     the tracker on 40 % of a core (a handshake costs the generator about what it costs the
#     tracker). A ClientHello that waited beyond the bound is closed before the handshake
#     (counted by the tracker as a late handshake failure); a worker keeps only as many
#     handshakes in progress as it completes within the bound.
# Long form: bench/overload/tracker.sh.
SUITE_TRACKER_ARGS="--announce-threads 1 --cold-admissions-per-address 0 --udp-receive-buffer-kb 8192"
source "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=bench/lib/tracker_workload.sh
source "$SUITE_SRC/bench/lib/tracker_workload.sh"
# shellcheck source=bench/lib/cpu_quota.sh
source "$SUITE_SRC/bench/lib/cpu_quota.sh"
HTTPS_PORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -days 1 -keyout "$SUITE_DIR/tls.key" -out "$SUITE_DIR/tls.crt" 2>/dev/null
SUITE_TRACKER_ARGS+=" --https-listen 127.0.0.1:$HTTPS_PORT --https-cert-file $SUITE_DIR/tls.crt"
SUITE_TRACKER_ARGS+=" --https-key-file $SUITE_DIR/tls.key"
harness_start
at_exit cpu_quota_release

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
# load PROTOCOL ARGS...: one run of the load generator (tokens signed with the suite's rights
# key) against the tracker's udp, http or https front; prints its JSON line.
load() {
  local protocol=$1 port=$TRACKER_BT
  shift
  [[ $protocol == https ]] && port=$HTTPS_PORT
  "${PIN_LOAD[@]}" "$LOADGEN" "--$protocol" "127.0.0.1:$port" --swarms "$SWARMS" \
    --peers "$PEERS" --key-file "$SUITE_DIR/keys/signing.keys" --issued-at "$ISSUED_AT" \
    --session-prefix ovl "$@" 2>>"$SUITE_DIR/load.err"
}
get() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2" | tr -d '"'; }
# not_served PROTOCOL: what the tracker counted as not served: busy replies, and UDP datagrams
# dropped (both kinds) or TCP connections the kernel refused (listen queue full), and HTTPS
# connections closed before the handshake (their hello waited too long).
not_served() {
  local n
  n=$(tracker_metric p2pims_tracker_announces_total 'result="busy"' "protocol=\"$1\"")
  if [[ $1 == udp ]]; then
    n=$((n + $(tracker_metric p2pims_tracker_udp_dropped_total 'reason="buffer_full"') +
      $(tracker_metric p2pims_tracker_udp_dropped_total 'reason="too_late"')))
  else
    n=$((n + $(tracker_metric p2pims_tracker_listen_overflows_total)))
  fi
  [[ $1 != https ]] ||
    n=$((n + $(tracker_metric p2pims_tracker_https_handshake_failures_total 'reason="late"')))
  echo "$n"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$TRACKER_PID/status"; }

# overload PROTOCOL CAPACITY_ARGS...: the capacity measured closed loop with CAPACITY_ARGS, then
# three times it offered open loop, and the checks.
overload() {
  local protocol=$1 warm capacity_run capacity rate rss_before rss_after before over after
  shift
  # The first announce of each token is cold (a signature check and a database read): a few in
  # flight, so that none waits beyond the bound.
  warm=$(load "$protocol" --inflight 8 --connections 8 --duration 0)
  # A stall of the shared machine beyond the bound may shed some; nothing else may be refused.
  check "$protocol: the workload's tokens are admitted" \
    eval '[[ $(get first_failure "$warm") == "" || $(get first_failure "$warm") == *"tracker busy; retry later"* ]]'
  capacity_run=$(load "$protocol" "$@" --duration 4)
  capacity=$(get announces_per_s "$capacity_run")
  echo "# $protocol capacity (closed loop, $*): $capacity_run"
  check "$protocol: a capacity was measured" awk -v c="$capacity" 'BEGIN { exit !(c > 100) }'
  rate=$(awk -v c="$capacity" 'BEGIN { printf "%.0f", 3 * c }')

  rss_before=$(rss_kib)
  before=$(not_served "$protocol")
  over=$(load "$protocol" --rate "$rate" --duration 8)
  rss_after=$(rss_kib)
  echo "# $protocol 3x capacity, open loop ($rate/s): $over"
  echo "# tracker RSS ${rss_before} -> ${rss_after} KiB"
  local offered answered busy failures lost errors
  offered=$(get offered "$over") answered=$(get announces "$over") busy=$(get busy "$over")
  failures=$(get failures "$over") lost=$(get lost "$over") errors=$(get errors "$over")
  check "$protocol: the generator offered about 3x capacity (at least 2.5x)" \
    awk -v o="$(get offered_per_s "$over")" -v c="$capacity" 'BEGIN { exit !(o >= 2.5 * c) }'
  check "$protocol: the tracker is alive and ready" \
    suite_wait_url "http://127.0.0.1:$TRACKER_ADMIN/readyz" 5
  if [[ $protocol == udp ]]; then
    check "udp: answered announces kept a latency bound: p99 under 250 ms" \
      awk -v p="$(get p99_ms "$over")" 'BEGIN { exit !(p < 250) }'
  else
    # What the kernel refused (listen queue full) its client sent again after a TCP timeout:
    # TCP's back-off, counted apart. What it took at once, the tracker answered in time.
    echo "# $protocol: all answers p99 $(get p99_ms "$over") ms; $(get retransmitted "$over") answered after a TCP retransmission"
    check "$protocol: announces taken at the first try kept a latency bound: p99 under 250 ms" \
      awk -v p="$(get first_try_p99_ms "$over")" 'BEGIN { exit !(p < 250) }'
  fi
  check "$protocol: goodput did not collapse: at least 30 % of capacity answered" \
    awk -v g="$(get announces_per_s "$over")" -v c="$capacity" 'BEGIN { exit !(g >= 0.3 * c) }'
  check "$protocol: every offered announce was answered, refused, lost or an error" \
    test $((answered + failures + lost + errors)) -eq "$offered"
  check "$protocol: every refusal was 'tracker busy'" test "$failures" -eq "$busy"
  # The tracker's counters cover the warm-up too, and reach /metrics within a housekeeping tick.
  # HTTPS: the connections closed in the handshake are the late hellos the tracker closed.
  local shed=$((busy + lost))
  [[ $protocol != https ]] || shed=$((shed + errors))
  check "$protocol: the tracker counted at least every refusal and loss as busy or dropped" \
    eventually 5 eval '(( $(not_served "$protocol") - before >= shed ))'
  if sanitized; then
    skip "$protocol: the RSS bound (AddressSanitizer's quarantine holds freed memory)"
  else
    check "$protocol: memory stayed bounded: RSS grew by less than 64 MiB" \
      test $((rss_after - rss_before)) -lt $((64 * 1024))
  fi
  if [[ $protocol == http ]]; then
    check "http: no connection cut off or refused outright: $errors errors" test "$errors" -eq 0
  elif [[ $protocol == https ]]; then
    check "https: no connection cut off but in the handshake: $errors errors" \
      test "$errors" -eq "$(get closed_in_handshake "$over")"
  elif (($(ss -Hlunm "sport = :$TRACKER_BT" | grep -o 'rb[0-9]*' | tr -d rb | sort -n | tail -n 1) >= 8388608)); then
    check "udp: with 8 MiB queued, the bound shed announces (some answered busy)" test "$busy" -gt 0
  else
    echo "# the kernel kept the receive buffer small (no CAP_NET_ADMIN): the bound may not fire"
  fi

  # What the overload left queued (HTTP: connections in the listen queue) is answered first.
  [[ $protocol == udp ]] || check "$protocol: the listen queue drained afterwards" \
    eventually 10 eval '(( $(tracker_metric p2pims_tracker_http_listen_queue) == 0 ))'
  # Afterwards at a quarter of the capacity, open loop, after a second's warm-up: a closed loop
  # would saturate the tracker again (its queue at the bound). A tracker still overloaded would
  # answer at about the bound (50 ms) or refuse; a recovered one answers at once. A stall of the
  # shared machine beyond the bound may shed the few in flight (seen in CI: 8 of 6,009).
  after=$(load "$protocol" --rate $((${capacity%.*} / 4)) --warmup 1 --duration 2)
  echo "# $protocol afterwards (open loop, a quarter of capacity): $after"
  check "$protocol: afterwards announces are answered at once: p50 under 10 ms" \
    awk -v p="$(get p50_ms "$after")" -v n="$(get announces "$after")" 'BEGIN { exit !(n > 0 && p < 10) }'
  check "$protocol: afterwards at most 1 % refused or lost, none cut off" \
    eval '(( 100 * ($(get failures "$after") + $(get lost "$after")) <= $(get offered "$after") && $(get errors "$after") == 0 ))'
  check "$protocol: the tracker is still the same process" kill -0 "$TRACKER_PID"
}

# Half a core (where cgroups are writable), so that the generator can offer three times the
# tracker's capacity in a Release build too (a whole core answers about 140,000 a second there,
# more than the generator sends). An announce the tracker sheds (a stall of the shared machine
# beyond the bound) is replaced after 100 ms, not the usual second, so that stalls do not hold
# the loop's places.
cpu_quota "$TRACKER_PID" 50
overload udp --inflight 64 --lost-after-ms 100
cpu_quota_release

# overload_held PERCENT PROTOCOL ARGS...: overload over TCP with the tracker held to PERCENT of
# its core; skipped where no quota can be set (not root): one generator core cannot offer three
# times an unlimited tracker over TCP on loopback.
overload_held() {
  local percent=$1 protocol=$2
  shift 2
  cpu_quota "$TRACKER_PID" "$percent"
  if [[ $CPU_QUOTA == none ]]; then
    skip "$protocol overload: no CPU quota for the tracker here (cgroups not writable: not root)"
  else
    overload "$protocol" "$@"
  fi
  cpu_quota_release
}
# 15 %: about 4,000 connections a second in the Debug build, so that three times that (the
# generator tops out near 17,000 a second on loopback) leaves the generator room.
overload_held 15 http --connections 64 --connection-close
# 40 %: about 1,000 handshakes a second; 16 connections: as many handshakes at once as the
# tracker completes within the bound.
overload_held 40 https --connections 16 --connection-close

harness_finish
