# shellcheck shell=bash
# shellcheck disable=SC2034  # SIPP_* are this library's results, read by the callers
# SIPp runs for benchmarks: one run with its counts, response times and wall time, and a search
# for the highest call rate a server takes without a failed call. Source bench/lib/common.sh
# first.
#
#   sipp_run "$BENCH_TMP/sipp-x" -sf scenario.xml -r 500 -m 4000 127.0.0.1:$PORT
#   echo "$SIPP_OK $SIPP_FAILED $SIPP_RETRANS $SIPP_SECONDS"
#   read -r p50 p99 < <(sipp_rtd_percentiles "$BENCH_TMP/sipp-x" 1)

# sipp_run DIR SIPP_ARGS...: runs SIPp in DIR (created), with its screen, statistics (stat.csv)
# and every response time (<scenario>_<pid>_rtt.csv) traced there. Sets SIPP_OK and SIPP_FAILED
# (calls), SIPP_RETRANS (retransmissions SIPp sent), SIPP_SECONDS (wall time from start to exit)
# and SIPP_RATE (successful calls per second of it). SIPp's own exit code (non-zero when a call
# failed) is not an error here: the counts say what happened; no statistics at all is.
sipp_run() {
  local dir=$1
  shift
  mkdir -p "$dir"
  local t0 t1
  t0=$(date +%s%N)
  (cd "$dir" && sipp "$@" -nostdin -trace_stat -stf stat.csv -trace_rtt -rtt_freq 200 \
    -trace_screen >"$dir/sipp.out" 2>&1) || true
  t1=$(date +%s%N)
  [[ -s $dir/stat.csv ]] || {
    tail -n 5 "$dir/sipp.out" >&2
    die "SIPp left no statistics (see $dir)"
  }
  SIPP_OK=$(sipp_stat "$dir" 'SuccessfulCall(C)')
  SIPP_FAILED=$(sipp_stat "$dir" 'FailedCall(C)')
  SIPP_RETRANS=$(sipp_stat "$dir" 'Retransmissions(C)')
  SIPP_SECONDS=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
  SIPP_RATE=$(awk -v n="$SIPP_OK" -v s="$SIPP_SECONDS" 'BEGIN { printf "%.1f", n / s }')
}

# sipp_stat DIR COLUMN: COLUMN (e.g. 'FailedCall(C)') of the last line of DIR/stat.csv.
sipp_stat() {
  awk -F';' -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i }
                          END { print (c ? $c + 0 : 0) }' "$1/stat.csv"
}

# sipp_rtd_percentiles DIR [RTD]: "p50 p99" in ms of response time RTD (default 1) over every
# call of the run in DIR. SIPp reads its clock once per turn of its event loop, so its response
# times come in steps of its loop (4 ms observed here), not of the wire.
sipp_rtd_percentiles() {
  awk -F';' -v rtd="${2:-1}" 'FNR > 1 && $3 == rtd && $2 != "" { print $2 }' "$1"/*_rtt.csv 2>/dev/null |
    sort -n | awk 'function at(q,  i) { i = int(NR * q + 0.5); if (i < 1) i = 1; return v[i] }
                   { v[NR] = $1 }
                   END { if (NR == 0) print "0 0"; else printf "%.3f %.3f\n", at(0.5), at(0.99) }'
}

# sipp_rate_search STEP_FN START MAX [REFINE]: the highest offered rate (calls per second) at
# which STEP_FN passes, in SIPP_SEARCH_RATE (0 when none did). STEP_FN RATE runs one fixed-rate
# step, keeps its figures in globals, and returns 0 when it passed (no failed call, every call
# completed, the rate held). From START the rate doubles while steps pass (up to MAX), or halves
# while they fail (down to 50 per second); then REFINE (2) bisections between the last pass and
# the first failure narrow it to a quarter of that gap. Call it directly, not in $(...), so the
# step's figures survive.
sipp_rate_search() {
  local step=$1 rate=$2 max=$3 refine=${4:-2} good=0 bad=0 i
  while :; do
    if "$step" "$rate"; then
      good=$rate
      ((bad > 0 || rate >= max)) && break
      rate=$((rate * 2 > max ? max : rate * 2))
    else
      bad=$rate
      ((good > 0 || rate / 2 < 50)) && break
      rate=$((rate / 2))
    fi
  done
  if ((bad > 0 && good > 0)); then
    for ((i = 0; i < refine; i++)); do
      rate=$(((good + bad) / 2))
      ((rate - good < 50)) && break  # finer than a step's noise
      if "$step" "$rate"; then good=$rate; else bad=$rate; fi
    done
  fi
  SIPP_SEARCH_RATE=$good
}
