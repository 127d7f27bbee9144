# shellcheck shell=bash
# bench/sip, part two (sourced by run.sh): full content sessions per second. SIPp as the S-CSCF
# (session.xml: INVITE, 200, ACK, BYE, 200) at fixed rates, first through Kamailio as a stateful
# relay to a SIPp UAS (the anchor), then against sip-edge with rights, charging, tracker and
# PostgreSQL behind it; for each, the highest rate without a failed call (sipp_rate_search).
# Afterwards every completed session's CDR is looked up in charging's PostgreSQL.
# sessions_part sets SESSIONS_JSON (the figures, without braces).

readonly SESSION_RATE=${BENCH_SIP_SESSION_RATE:-}         # fixed rate: one step, no search
readonly SESSION_START=${BENCH_SIP_SESSION_START:-500}    # the search's first rate
readonly SESSION_MAX=${BENCH_SIP_SESSION_MAX:-8000}       # and its ceiling
readonly STEP_SECONDS=${BENCH_SIP_STEP_SECONDS:-8}        # each step offers rate x seconds calls
readonly STEP_SESSIONS=${BENCH_SIP_SESSIONS:-}            # or this many calls
readonly SUBSCRIBERS=${BENCH_SIP_SUBSCRIBERS:-10000}
readonly CONTENTS=${BENCH_SIP_CONTENTS:-1000}
readonly SESSION_TARGET=2000   # the issue's targets on this 2-core machine
readonly P99_TARGET_MS=20
readonly RATE_HELD=0.95        # a step passes when its completed calls per second reach this share

# step_calls RATE: calls one step offers.
step_calls() { echo "${STEP_SESSIONS:-$(($1 * STEP_SECONDS))}"; }

# session_step WHO TARGET RATE [CALLS]: one fixed-rate SIPp run of session.xml against TARGET, with
# per-thread CPU of the processes in CPU_LABELS (LABEL:PID...) over it. Sets STEP_* figures and
# returns 0 when it passed: no failed call, every call completed, RATE_HELD of the rate held.
STEP_N=0
session_step() {
  local who=$1 target=$2 rate=$3 calls=${4:-}
  [[ -n $calls ]] || calls=$(step_calls "$rate")
  STEP_N=$((STEP_N + 1))
  STEP_ID=${who:0:1}$STEP_N
  STEP_DIR=$BENCH_TMP/sessions-$who-$STEP_N
  mkdir -p "$STEP_DIR"
  [[ $who == edge ]] && edge_metrics >"$STEP_DIR/metrics-before" && pg_counters >"$STEP_DIR/pg-before"
  bench_cpu_snapshot "$STEP_DIR/cpu-before" "${CPU_LABELS[@]}" client:+$$
  local t0=$SECONDS
  sipp_run "$STEP_DIR" -sf "$BENCH_SRC/bench/sip/session.xml" -inf "$BENCH_TMP/subscribers.csv" \
    -key domain p2p.localhost -key step "$STEP_ID" -r "$rate" -m "$calls" -l 10000 -buff_size 4194304 \
    -p "$(bench_free_port)" -timeout "$((calls / rate + 60))s" -recv_timeout 10000 \
    -trace_logs -log_file ok.log "$target"
  # SIPp (the client) ran as this shell's waited-for child: its CPU is in the shell's children's.
  bench_cpu_snapshot "$STEP_DIR/cpu-after" "${CPU_LABELS[@]}" client:+$$
  STEP_CPU=$(bench_cpu_report "$STEP_DIR/cpu-before" "$STEP_DIR/cpu-after" "$SIPP_SECONDS")
  read -r STEP_P50 STEP_P99 < <(sipp_rtd_percentiles "$STEP_DIR" 1)
  read -r STEP_BYE_P50 STEP_BYE_P99 < <(sipp_rtd_percentiles "$STEP_DIR" 2)
  STEP_OK=$SIPP_OK STEP_FAILED=$SIPP_FAILED STEP_RATE=$SIPP_RATE STEP_RETRANS=$SIPP_RETRANS

  local held
  held=$(awk -v a="$SIPP_RATE" -v r="$rate" -v h="$RATE_HELD" 'BEGIN { print (a >= r * h) ? 1 : 0 }')
  STEP_PASS=0
  ((SIPP_FAILED == 0 && SIPP_OK == calls && held == 1)) && STEP_PASS=1
  say "$who $rate/s: $SIPP_OK of $calls completed, $SIPP_FAILED failed, $SIPP_RATE/s," \
    "set-up p50 $STEP_P50 p99 $STEP_P99 ms, $SIPP_RETRANS retransmissions," \
    "$(sed -n 's/^cores //p' <<<"$STEP_CPU") ($((SECONDS - t0)) s)"
  ((STEP_PASS == 1))
}

# --- the anchor: SIPp UAC -> Kamailio (stateful relay) -> SIPp UAS --------------------------

KAM_BEST=0
# Each step gets a fresh Kamailio and UAS: after a step that overloaded them, the transactions
# and calls it left behind (still retransmitting) would fail the next one.
kamailio_step() {
  local pass=0
  anchor_start
  session_step kamailio "127.0.0.1:$KAM_RELAY_PORT" "$1" && pass=1
  anchor_stop
  if ((pass == 1 && $1 > KAM_BEST)); then
    KAM_BEST=$1 KAM_RATE=$STEP_RATE KAM_P50=$STEP_P50 KAM_P99=$STEP_P99 KAM_CPU=$STEP_CPU
  fi
  ((pass == 1))
}

anchor_start() {
  UAS_PORT=$(bench_free_port)
  KAM_RELAY_PORT=$(bench_free_port)
  (cd "$BENCH_TMP/uas" && exec sipp -sf uas.xml -p "$UAS_PORT" -i 127.0.0.1 -nostdin \
    -buff_size 4194304) >>"$BENCH_TMP/uas.log" 2>&1 &
  UAS_PID=$!
  BENCH_PIDS+=("$UAS_PID")
  bench_spawn "kamailio-relay-$UAS_PORT" kamailio -DD -E -m 1024 \
    -f "$BENCH_SRC/bench/sip/kamailio-relay.cfg" -Y "$BENCH_TMP/kamailio-relay" \
    -P "$BENCH_TMP/kamailio-relay/pid" -l "udp:127.0.0.1:$KAM_RELAY_PORT" \
    -A "UAS_URI=\"sip:127.0.0.1:$UAS_PORT\""
  KAM_PID=$SPAWNED_PID
  bench_wait_udp "$KAM_RELAY_PORT" 10 "$KAM_PID" ||
    die "Kamailio did not start (see $BENCH_TMP/kamailio-relay-$UAS_PORT.log)"
  bench_wait_udp "$UAS_PORT" 10 "$UAS_PID" || die "the SIPp UAS did not start (see $BENCH_TMP/uas.log)"
  CPU_LABELS=(kamailio:"$KAM_PID" uas:"$UAS_PID")
  local child
  for child in $(ps --ppid "$KAM_PID" -o pid=); do CPU_LABELS+=(kamailio:"$child"); done
}

anchor_stop() {
  kill -TERM "$KAM_PID" "$UAS_PID" 2>/dev/null || true
  wait "$KAM_PID" "$UAS_PID" 2>/dev/null || true
}

run_kamailio_anchor() {
  mkdir -p "$BENCH_TMP/uas" "$BENCH_TMP/kamailio-relay"
  # The UAS's 200 carries a body the size of sip-edge's session descriptor.
  sed "s|@BODY@|$(descriptor_sized_body)|" "$BENCH_SRC/bench/sip/uas.xml" >"$BENCH_TMP/uas/uas.xml"
  say "anchor: SIPp -> Kamailio relay -> SIPp UAS, steps of $(step_calls 1000) calls at 1000/s"
  if [[ -n $SESSION_RATE ]]; then
    kamailio_step "$SESSION_RATE" || true
  else
    sipp_rate_search kamailio_step "$SESSION_START" "$SESSION_MAX"
  fi
}

# A JSON body of the size of sip-edge's descriptor for content "clip1" (about 1 KB: ids, the
# info-hash, a token of about 265 bytes, announce URLs).
descriptor_sized_body() {
  local pad
  pad=$(head -c 900 /dev/zero | tr '\0' 'x')
  printf '{"session_id":"anchor","padding":"%s"}' "$pad"
}

# --- p2pims: SIPp UAC -> sip-edge -> rights, charging, tracker, PostgreSQL -------------------

# sip-edge's backend call histograms (sums and counts), for each step's per-call means.
edge_metrics() {
  curl -fsS "http://127.0.0.1:$SIP_ADMIN/metrics" |
    grep -E '^p2pims_sip_(backend_call|session_setup)_seconds_(sum|count)' || true
}

# backend_means BEFORE AFTER: "backend.method=mean ms ..." over a step, from the histograms.
backend_means() {
  awk 'FNR == NR { v[$1] = $2; next }
       { d[$1] = $2 - v[$1] }
       END {
         for (k in d) if (k ~ /_sum/) {
           c = k; sub(/_sum/, "_count", c)
           if (d[c] > 0) {
             name = k; sub(/.*backend="/, "", name); sub(/",method="/, ".", name); sub(/".*/, "", name)
             if (k ~ /session_setup/) name = "setup_on_worker"
             printf "%s=%.2f ", name, 1000 * d[k] / d[c]
           }
         }
       }' "$1" "$2"
}

# pg_counters: "commits WAL-flushes flush-ms" so far, all databases (pg_stat_database, pg_stat_wal).
pg_counters() {
  bench_psql -tA -F ' ' -c "SELECT (SELECT sum(xact_commit) FROM pg_stat_database), wal_sync,
                                   wal_sync_time FROM pg_stat_wal"
}

# cdrs_of STEP_ID: CDRs in charging's PostgreSQL whose ICID the step gave (<step>-<call>).
cdrs_of() { bench_psql -tA -c "SELECT count(*) FROM charging.cdr WHERE icid LIKE '$1-%'"; }

# Waits until a step's completed sessions all have their CDR (teardown runs after the BYE's 200),
# or no CDR came for 5 s; so that one step's teardowns do not load the next.
wait_cdrs() {
  local step=$1 want=$2 have last=-1 still=$SECONDS deadline=$((SECONDS + 120))
  while :; do
    have=$(cdrs_of "$step")
    ((have >= want)) && break
    if ((have != last)); then
      last=$have still=$SECONDS
    elif ((SECONDS - still >= 5)); then
      say "$step: $have CDRs of $want completed sessions; none came for 5 s"
      break
    fi
    ((SECONDS < deadline)) || break
    sleep 0.3
  done
}

EDGE_BEST=0
EDGE_STEPS=()
edge_step() {
  local pass=0
  session_step edge "127.0.0.1:$SIP_PORT" "$1" && pass=1
  edge_metrics >"$STEP_DIR/metrics-after"
  pg_counters >"$STEP_DIR/pg-after"
  EDGE_STEPS+=("$STEP_ID:$STEP_DIR")
  # PostgreSQL over the step: commits and WAL flushes per completed session.
  local pg_per
  pg_per=$(paste "$STEP_DIR/pg-before" "$STEP_DIR/pg-after" | awk -v n="$STEP_OK" -v s="$SIPP_SECONDS" '
    { c = $4 - $1; w = $5 - $2; ms = $6 - $3
      printf "%.2f %.2f %.0f %.2f", (n ? c / n : 0), (n ? w / n : 0), w / s, (w ? ms / w : 0) }')
  read -r STEP_COMMITS_PER STEP_SYNCS_PER STEP_SYNCS_PER_S STEP_SYNC_MS <<<"$pg_per"
  say "  PostgreSQL: $STEP_COMMITS_PER commits and $STEP_SYNCS_PER WAL flushes per session," \
    "$STEP_SYNCS_PER_S flushes/s of $STEP_SYNC_MS ms each"
  local means
  means=$(backend_means "$STEP_DIR/metrics-before" "$STEP_DIR/metrics-after")
  say "  mean ms per call: $means"
  awk '/^thread/ && n++ < 8 { sub(/^thread /, "  busiest: "); print }' <<<"$STEP_CPU" >&2
  kill -0 "${SUITE_PIDS[sip-edge]}" 2>/dev/null || die "sip-edge exited during the run"
  wait_cdrs "$STEP_ID" "$STEP_OK"
  if ((pass == 0 && (EDGE_FAIL_AT == 0 || $1 < EDGE_FAIL_AT))); then
    EDGE_FAIL_AT=$1 EDGE_FAIL_RATE=$STEP_RATE EDGE_FAIL_FAILED=$STEP_FAILED
    EDGE_FAIL_P99=$STEP_P99
  fi
  if ((pass == 1 && $1 > EDGE_P99OK_AT)) &&
    awk -v p="$STEP_P99" -v t="$P99_TARGET_MS" 'BEGIN { exit !(p <= t) }'; then
    EDGE_P99OK_AT=$1 EDGE_P99OK_RATE=$STEP_RATE
  fi
  if ((pass == 1 && $1 > EDGE_BEST)); then
    EDGE_BEST=$1 EDGE_RATE=$STEP_RATE EDGE_P50=$STEP_P50 EDGE_P99=$STEP_P99
    EDGE_BYE_P50=$STEP_BYE_P50 EDGE_BYE_P99=$STEP_BYE_P99 EDGE_CPU=$STEP_CPU EDGE_MEANS=$means
    EDGE_RETRANS=$STEP_RETRANS EDGE_COMMITS_PER=$STEP_COMMITS_PER EDGE_SYNCS_PER=$STEP_SYNCS_PER
    EDGE_SYNCS_PER_S=$STEP_SYNCS_PER_S EDGE_SYNC_MS=$STEP_SYNC_MS
  fi
  ((pass == 1))
}

# CPU_LABELS for a profile of the suite: each service, and each PostgreSQL process by whose
# connection it serves (pg-<service>, found by the client's port) or pg-server (the postmaster,
# WAL writer, checkpointer and other background processes).
edge_cpu_labels() {
  local name pid port owner
  CPU_LABELS=()
  for name in sip-edge rights charging tracker; do CPU_LABELS+=("$name:${SUITE_PIDS[$name]}"); done
  declare -A by_port=()
  while read -r port owner; do
    by_port[$port]=$owner
  done < <(ss -Htnp "dport = :$PG_PORT" |
    sed -n 's/.*127\.0\.0\.1:\([0-9]*\) *127\.0\.0\.1:[0-9]*.*(("p2pims-\([a-z-]*\)".*/\1 \2/p')
  while IFS='|' read -r pid port; do
    owner=server
    [[ -n $port && -n ${by_port[$port]:-} ]] && owner=${by_port[$port]}
    CPU_LABELS+=("pg-$owner:$pid")
  done < <(bench_psql -tA -c "SELECT pid, client_port FROM pg_stat_activity WHERE pid <> pg_backend_pid()")
  CPU_LABELS+=("pg-server:$(head -n 1 "$PG_DIR/data/postmaster.pid")")
}

run_edge() {
  # Per-session log lines at info (two per session) would be most of the services' output.
  export P2PIMS_LOG_LEVEL=${BENCH_LOG_LEVEL:-warn}
  # sip-edge's --workers; its default unless BENCH_SIP_WORKERS says otherwise.
  [[ -n ${BENCH_SIP_WORKERS:-} ]] && export P2PIMS_WORKERS=$BENCH_SIP_WORKERS
  # The default, as the binary states it in --help ("--workers ... (default 32)").
  DEFAULT_WORKERS=$("$BENCH_BIN/services/sip-edge/p2pims-sip-edge" --help 2>&1 |
    sed -n 's/^ *--workers .*default "\([0-9]*\)".*/\1/p' | head -n 1)
  # Every service's --db-pool-size; their default (4) unless BENCH_DB_POOL says otherwise.
  [[ -n ${BENCH_DB_POOL:-} ]] && export P2PIMS_DB_POOL_SIZE=$BENCH_DB_POOL
  bench_suite_up "$BENCH_SRC/bench/sip/sessions.sql" -v subscribers="$SUBSCRIBERS" \
    -v contents="$CONTENTS"
  bench_psql -c 'ALTER SYSTEM SET track_wal_io_timing = on' -c 'SELECT pg_reload_conf()' >/dev/null
  # Diagnosis only (bench/README.md): BENCH_PG_SYNCHRONOUS_COMMIT=off shows what WAL flushes cost.
  if [[ -n ${BENCH_PG_SYNCHRONOUS_COMMIT:-} ]]; then
    bench_psql -c "ALTER SYSTEM SET synchronous_commit = '$BENCH_PG_SYNCHRONOUS_COMMIT'" \
      -c 'SELECT pg_reload_conf()' >/dev/null
    say "PostgreSQL synchronous_commit = $BENCH_PG_SYNCHRONOUS_COMMIT"
    [[ $BENCH_PG_SYNCHRONOUS_COMMIT == off ]] && say "CDRs are not durable in this run: diagnosis only"
  fi
  edge_cpu_labels
  say "p2pims: $SUBSCRIBERS subscribers, $CONTENTS content items, sip-edge workers" \
    "${P2PIMS_WORKERS:-${DEFAULT_WORKERS:-?} (default)}; warm-up, then steps"
  session_step edge "127.0.0.1:$SIP_PORT" 100 300 || true  # connections, caches
  EDGE_STEPS+=("$STEP_ID:$STEP_DIR")
  wait_cdrs "$STEP_ID" "$STEP_OK"
  # The session, accounting and CDR tables started empty, and the services' prepared statements
  # were planned for that: sequential scans (27 million rows read for 5,000 sessions in one run)
  # until autovacuum's next ANALYZE. A system that has been running has statistics; so here.
  bench_psql -c 'ANALYZE' >/dev/null
  edge_cpu_labels  # the pools' connections are open now
  if [[ -n $SESSION_RATE ]]; then
    edge_step "$SESSION_RATE" || true
  else
    sipp_rate_search edge_step "$SESSION_START" "$SESSION_MAX"
  fi
  [[ -n ${BENCH_PROFILE:-} ]] && profile_edge "${EDGE_BEST:-0}"
  return 0
}

# profile_edge RATE: one more step at RATE under perf; where the suite's time went (every
# service and PostgreSQL process), by process and library and by symbol, lands in
# build-bench/sip-sessions-perf.txt (the data in the temporary directory, BENCH_KEEP=1 keeps it).
# perf samples the whole machine (attaching to processes gave no samples in this VM) and the
# report keeps the suite's processes.
profile_edge() {
  local rate=$1
  ((rate > 0)) || rate=100
  command -v perf >/dev/null || {
    say "BENCH_PROFILE: perf is not installed (apt-get install linux-perf)"
    return 0
  }
  local pids secs out=$BENCH_BIN/sip-sessions-perf.txt
  pids=$(printf '%s\n' "${CPU_LABELS[@]}" | sed 's/.*://' | paste -sd, -)
  secs=$(($(step_calls "$rate") / rate))
  say "profile: one more step at $rate/s under perf record -a -g"
  timeout -s INT "$secs" perf record -q -a -e cpu-clock -F 499 -g -o "$BENCH_TMP/perf.data" \
    >"$BENCH_TMP/perf.log" 2>&1 &
  local perf_pid=$!
  edge_step "$rate" || true
  wait "$perf_pid" || true
  {
    echo "# bench/run sip, BENCH_PROFILE=1: $rate sessions/s offered, $(date -u +%FT%TZ)"
    echo "# per-thread CPU over the step (cores):"
    sed 's/^/#   /' <<<"$STEP_CPU"
    perf report -i "$BENCH_TMP/perf.data" --pid "$pids" --no-children -g none --sort comm,dso \
      --percent-limit 0.5 --stdio 2>/dev/null | grep -E '^ +[0-9]' || true
    perf report -i "$BENCH_TMP/perf.data" --pid "$pids" --no-children -g none --sort comm,dso,sym \
      --percent-limit 0.3 --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 80 || true
  } >"$out"
  say "profile in $out"
}

# Every completed session (SIPp logged its call number) against charging's CDRs (by ICID), once
# sip-edge holds no session and no CDR came for 10 s (teardowns retry for a while: 4.3 of its
# README), or after 3 minutes.
check_durability() {
  local entry step dir have last=-1 still=$SECONDS deadline=$((SECONDS + 180)) active
  while ((SECONDS < deadline)); do
    have=$(bench_psql -tA -c 'SELECT count(*) FROM charging.cdr')
    active=$(bench_metric sip-edge p2pims_sip_active_sessions)
    if ((have != last)); then
      last=$have still=$SECONDS
    elif [[ ${active%.*} == 0 ]] && ((SECONDS - still >= 10)); then
      break
    fi
    sleep 1
  done
  SEQ_ROWS=$(bench_psql -tA -c "SELECT coalesce(sum(seq_tup_read), 0) FROM pg_stat_user_tables
                                 WHERE relname = 'session' AND schemaname = 'tracker'")
  TEARDOWN_FAILURES=$(bench_metric sip-edge p2pims_sip_teardown_failures_total)
  TEARDOWN_FAILURES=${TEARDOWN_FAILURES%.*}
  BACKEND_ERRORS=$(curl -fsS "http://127.0.0.1:$SIP_ADMIN/metrics" |
    awk '/^p2pims_sip_backend_errors_total/ { s += $2 } END { print s + 0 }')
  : >"$BENCH_TMP/completed-icids"
  for entry in "${EDGE_STEPS[@]}"; do
    step=${entry%%:*} dir=${entry#*:}
    [[ -f $dir/ok.log ]] || continue
    sed -n "s/^\([0-9][0-9]*\)\$/$step-\1/p" "$dir/ok.log" >>"$BENCH_TMP/completed-icids"
  done
  SESSIONS_COMPLETED=$(wc -l <"$BENCH_TMP/completed-icids")
  CDRS_WRITTEN=$(bench_psql -tA -c 'SELECT count(*) FROM charging.cdr')
  CDRS_MISSING=$(bench_psql -tA <<SQL
CREATE TEMP TABLE completed (icid text PRIMARY KEY);
\copy completed FROM '$BENCH_TMP/completed-icids'
SELECT count(*) FROM completed c WHERE NOT EXISTS (SELECT 1 FROM charging.cdr d WHERE d.icid = c.icid);
SQL
  )
  say "durability: $SESSIONS_COMPLETED completed sessions, $CDRS_WRITTEN CDRs, $CDRS_MISSING missing;" \
    "$TEARDOWN_FAILURES teardowns incomplete, $BACKEND_ERRORS backend call errors"
  if ((CDRS_MISSING > 0)); then
    bench_psql -tA <<SQL >"$BENCH_TMP/missing-icids"
CREATE TEMP TABLE completed (icid text PRIMARY KEY);
\copy completed FROM '$BENCH_TMP/completed-icids'
SELECT icid FROM completed c WHERE NOT EXISTS (SELECT 1 FROM charging.cdr d WHERE d.icid = c.icid);
SQL
    say "the ICIDs without CDR are in $BENCH_TMP/missing-icids (BENCH_KEEP=1 keeps it)"
  fi
}

# cpu_ms_per CPU_REPORT RATE LABEL_REGEX: CPU milliseconds per session of the labels matching.
cpu_ms_per() {
  sed -n 's/^cores //p' <<<"$1" | tr ' ' '\n' |
    awk -F= -v r="$2" -v re="^($3)\$" 'NF == 2 && $1 ~ re { s += $2 } END { printf "%.3f", (r > 0 ? 1000 * s / r : 0) }'
}

# cores_of LABEL CPU_REPORT: the cores LABEL used in a step's report (0 when absent).
cores_of() { sed -n "s/^cores.* $1=\([0-9.]*\).*/\1/p" <<<"$2" | awk 'NR == 1 { v = $1 } END { print v == "" ? 0 : v }'; }

sessions_part() {
  awk -v n="$SUBSCRIBERS" -v c="$CONTENTS" \
    'BEGIN { print "RANDOM"; for (k = 0; k < n; k++) printf "sub%d;clip%d\n", k, k % c }' \
    >"$BENCH_TMP/subscribers.csv"
  KAM_RATE=0 KAM_P50=0 KAM_P99=0 KAM_CPU=""
  LOAD_AT_ANCHOR=$(load1)
  run_kamailio_anchor
  EDGE_RATE=0 EDGE_P50=0 EDGE_P99=0 EDGE_BYE_P50=0 EDGE_BYE_P99=0 EDGE_CPU="" EDGE_MEANS=""
  EDGE_RETRANS=0 EDGE_P99OK_AT=0 EDGE_P99OK_RATE=0 EDGE_FAIL_AT=0 EDGE_FAIL_RATE=0 EDGE_FAIL_FAILED=0 EDGE_FAIL_P99=0
  LOAD_AT_P2PIMS=$(load1)
  run_edge
  check_durability
  local p99_ok=false
  awk -v p="$EDGE_P99" -v t="$P99_TARGET_MS" 'BEGIN { exit !(p <= t) }' && ((EDGE_BEST > 0)) &&
    p99_ok=true
  local means_json
  means_json=$(tr ' ' '\n' <<<"$EDGE_MEANS" | awk -F= 'NF == 2 {
      k = $1; gsub(/[^A-Za-z0-9]/, "_", k); printf ",\"%s_ms\":%s", tolower(k), $2 }')
  SESSIONS_JSON=$(printf '"sessions_per_s":%s,"sessions_offered_per_s":%s,"sessions_failed":%s,' \
    "$EDGE_RATE" "$EDGE_BEST" 0)
  SESSIONS_JSON+=$(printf '"setup_p50_ms":%s,"setup_p99_ms":%s,"bye_p50_ms":%s,"bye_p99_ms":%s,' \
    "$EDGE_P50" "$EDGE_P99" "$EDGE_BYE_P50" "$EDGE_BYE_P99")
  SESSIONS_JSON+=$(printf '"session_retransmissions":%s,' "$EDGE_RETRANS")
  # The highest rate that passed with its p99 within the target, when the highest did not.
  SESSIONS_JSON+=$(printf '"sessions_per_s_within_p99_target":%s,' "$EDGE_P99OK_RATE")
  SESSIONS_JSON+=$(printf '"pg_commits_per_session":%s,"wal_flushes_per_session":%s,' \
    "${EDGE_COMMITS_PER:-0}" "${EDGE_SYNCS_PER:-0}")
  SESSIONS_JSON+=$(printf '"wal_flushes_per_s":%s,"wal_flush_ms":%s,' "${EDGE_SYNCS_PER_S:-0}" \
    "${EDGE_SYNC_MS:-0}")
  # The lowest rate that failed: what broke first there.
  SESSIONS_JSON+=$(printf '"sessions_failing_offered_per_s":%s,"sessions_failing_per_s":%s,' \
    "$EDGE_FAIL_AT" "$EDGE_FAIL_RATE")
  SESSIONS_JSON+=$(printf '"sessions_failing_failed":%s,"sessions_failing_setup_p99_ms":%s,' \
    "$EDGE_FAIL_FAILED" "$EDGE_FAIL_P99")
  SESSIONS_JSON+=$(printf '"kamailio_relay_sessions_per_s":%s,"kamailio_relay_offered_per_s":%s,' \
    "$KAM_RATE" "$KAM_BEST")
  SESSIONS_JSON+=$(printf '"kamailio_relay_setup_p50_ms":%s,"kamailio_relay_setup_p99_ms":%s,' \
    "$KAM_P50" "$KAM_P99")
  SESSIONS_JSON+=$(printf '"session_ratio":%s,"session_target_ratio":%s,"p99_target_ok":%s,' \
    "$(ratio "$EDGE_RATE" "$KAM_RATE")" "$(ratio "$EDGE_RATE" "$SESSION_TARGET")" "$p99_ok")
  SESSIONS_JSON+=$(printf '"sessions_completed":%s,"cdrs_written":%s,"cdrs_missing":%s,' \
    "$SESSIONS_COMPLETED" "$CDRS_WRITTEN" "$CDRS_MISSING")
  SESSIONS_JSON+=$(printf '"teardown_failures":%s,"backend_errors":%s,' "${TEARDOWN_FAILURES:-0}" \
    "$BACKEND_ERRORS")
  SESSIONS_JSON+=$(printf '"tracker_session_rows_scanned":%s' "${SEQ_ROWS:-0}")
  SESSIONS_JSON+=$means_json
  local l
  for l in sip-edge rights charging tracker client pg-sip-edge pg-rights pg-charging pg-tracker \
    pg-server; do
    SESSIONS_JSON+=$(printf ',"cores_%s":%s' "${l//-/_}" "$(cores_of "$l" "$EDGE_CPU")")
  done
  SESSIONS_JSON+=$(printf ',"cores_postgres":%s' "$(sed -n 's/^cores //p' <<<"$EDGE_CPU" |
    tr ' ' '\n' | awk -F= '$1 ~ /^pg-/ { s += $2 } END { printf "%.3f", s }')")
  SESSIONS_JSON+=$(printf ',"cores_all":%s' "$(sed -n 's/^cores //p' <<<"$EDGE_CPU" |
    tr ' ' '\n' | awk -F= 'NF == 2 { s += $2 } END { printf "%.3f", s }')")
  # CPU per session: steadier than rates on a shared machine (every process of each side, the
  # SIPp client included; for the anchor Kamailio, the UAS and the client).
  local ours theirs
  ours=$(cpu_ms_per "$EDGE_CPU" "$EDGE_RATE" '.*')
  theirs=$(cpu_ms_per "$KAM_CPU" "$KAM_RATE" '.*')
  SESSIONS_JSON+=$(printf ',"cpu_ms_per_session":%s,"kamailio_relay_cpu_ms_per_session":%s' \
    "$ours" "$theirs")
  SESSIONS_JSON+=$(printf ',"session_cpu_ratio":%s' "$(ratio "$ours" "$theirs")")
  SESSIONS_JSON+=$(printf ',"sip_edge_cpu_ms_per_session":%s,"kamailio_cpu_ms_per_session":%s' \
    "$(cpu_ms_per "$EDGE_CPU" "$EDGE_RATE" 'sip-edge')" "$(cpu_ms_per "$KAM_CPU" "$KAM_RATE" 'kamailio')")
  SESSIONS_JSON+=$(printf ',"workers":%s,"db_pool":%s' "${P2PIMS_WORKERS:-${DEFAULT_WORKERS:-0}}" \
    "${P2PIMS_DB_POOL_SIZE:-4}")
  for l in kamailio uas client; do
    SESSIONS_JSON+=$(printf ',"kamailio_relay_cores_%s":%s' "$l" "$(cores_of "$l" "$KAM_CPU")")
  done
  SESSIONS_JSON+=$(printf ',"subscribers":%s,"contents":%s,"step_seconds":%s' \
    "$SUBSCRIBERS" "$CONTENTS" "$STEP_SECONDS")
  # The two sides run one after the other: the machine's load as each began.
  SESSIONS_JSON+=$(printf ',"load1_at_anchor":%s,"load1_at_p2pims":%s' "$LOAD_AT_ANCHOR" \
    "$LOAD_AT_P2PIMS")
}
