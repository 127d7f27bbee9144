# shellcheck shell=bash
# Helpers every bench/<name>/run.sh sources: the Release build in build-bench/, a throwaway
# PostgreSQL under a temporary directory, free loopback ports, processes stopped on exit, and
# flat JSON figures.
#
#   source "$BENCH_SRC/bench/lib/common.sh"
#   bench_build p2pims-rights rights_authorize_load
#   bench_tmpdir; bench_pg_start            # sets BENCH_TMP, PG_PORT, PG_DIR; cleaned up on exit
#   bench_spawn rights "$BENCH_BIN/services/rights/p2pims-rights" --db "$(bench_pg_conninfo)" ...
#   json_get authorize_per_s "$line"        # a number from a flat JSON line
#
# Progress goes to stderr; a run.sh writes its one JSON line, and nothing else, to stdout.

BENCH_SRC=${BENCH_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BENCH_BIN=${BENCH_BIN:-$BENCH_SRC/build-bench}
BENCH_JOBS=${BENCH_JOBS:-1}
BENCH_PIDS=()
BENCH_TMP=""
PG_DIR=""

say() { echo "bench: $*" >&2; }
die() {
  echo "bench: error: $*" >&2
  exit 1
}

# Configures build-bench/ (Release, no tests) when needed and builds only the given targets.
bench_build() {
  if [[ ! -f $BENCH_BIN/build.ninja ]]; then
    say "configuring $BENCH_BIN (Release)"
    mkdir -p "$BENCH_BIN"
    cmake -S "$BENCH_SRC" -B "$BENCH_BIN" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DP2PIMS_BUILD_TESTS=OFF >"$BENCH_BIN/bench-cmake.log" 2>&1 ||
      {
        tail -n 30 "$BENCH_BIN/bench-cmake.log" >&2
        die "cmake failed (log: $BENCH_BIN/bench-cmake.log)"
      }
  fi
  say "building $* (ninja -j$BENCH_JOBS)"
  local log="$BENCH_BIN/bench-build.log"
  if ! nice ninja -C "$BENCH_BIN" -j"$BENCH_JOBS" "$@" >"$log" 2>&1; then
    grep -A 20 -m 3 FAILED "$log" >&2 || tail -n 30 "$log" >&2
    die "build failed: $* (log: $log)"
  fi
}

# A temporary directory removed on exit, together with everything started in it.
bench_tmpdir() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/p2pims-bench.XXXXXX")
  chmod 755 "$BENCH_TMP"  # PostgreSQL may run as another user and must reach its directory
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local pid
  rm -f "${TMPDIR:-/tmp}/p2pims-bench-ports.$$"
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n $PG_DIR && -d $PG_DIR ]]; then
    "$BENCH_SRC/tools/p2pims-pg" stop "$PG_DIR" >/dev/null 2>&1 || true
  fi
  if [[ -n $BENCH_TMP && -d $BENCH_TMP ]]; then
    if [[ -n ${BENCH_KEEP:-} ]]; then
      say "kept $BENCH_TMP"
    else
      rm -rf "$BENCH_TMP"
    fi
  fi
}

# A loopback TCP port nobody listens on, not handed out before in this run. Callers use
# $(bench_free_port), a subshell, so the ports handed out are kept in a file of this shell's
# ($$ is the same in its subshells), removed on exit with the rest.
bench_free_port() {
  local port tries given=${TMPDIR:-/tmp}/p2pims-bench-ports.$$
  for ((tries = 0; tries < 200; tries++)); do
    port=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral range (32768 up)
    grep -qx "$port" "$given" 2>/dev/null && continue
    if ! ss -Htan "sport = :$port" | grep -q .; then
      echo "$port" >>"$given"
      echo "$port"
      return 0
    fi
  done
  die "no free port"
}

# Starts PostgreSQL (tools/p2pims-pg) in $BENCH_TMP/pg with database p2pims; sets PG_PORT, PG_DIR.
bench_pg_start() {
  PG_DIR=$BENCH_TMP/pg
  PG_PORT=$(bench_free_port)
  "$BENCH_SRC/tools/p2pims-pg" init "$PG_DIR" >&2
  "$BENCH_SRC/tools/p2pims-pg" start "$PG_DIR" "$PG_PORT" >&2
  "$BENCH_SRC/tools/p2pims-pg" createdb "$PG_DIR" "$PG_PORT" p2pims >&2
}

bench_pg_conninfo() { echo "host=127.0.0.1 port=$PG_PORT dbname=${1:-p2pims} user=postgres"; }

# psql against the bench server: bench_psql [DB] -c '...' / -f file.
bench_psql() {
  local db=p2pims
  if [[ $# -gt 0 && $1 != -* ]]; then
    db=$1
    shift
  fi
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" "$@"
}

# bench_spawn NAME CMD...: runs CMD in the background, output in $BENCH_TMP/NAME.log; stopped
# (SIGTERM) on exit. Sets SPAWNED_PID.
bench_spawn() {
  local name=$1
  shift
  "$@" >"$BENCH_TMP/$name.log" 2>&1 &
  SPAWNED_PID=$!
  BENCH_PIDS+=("$SPAWNED_PID")
}

# bench_wait_udp PORT SECONDS PID: waits until something listens on loopback UDP PORT; fails
# early when PID exits.
bench_wait_udp() {
  local port=$1 deadline=$((SECONDS + $2)) pid=$3
  until ss -Hlun "sport = :$port" | grep -q .; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# bench_wait_http URL SECONDS PID: polls URL until it answers 200; fails early when PID exits.
bench_wait_http() {
  local url=$1 deadline=$((SECONDS + $2)) pid=$3
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# json_get KEY LINE: the value of KEY in a flat JSON object (numbers and bare words).
json_get() {
  sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2" | tr -d '"'
}

# ratio A B: A / B with 3 decimals (0 when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print 0; else printf "%.3f\n", a / b }'; }

# The 1-minute load average, so a reader can see whether something else shared the machine.
load1() { cut -d' ' -f1 /proc/loadavg; }

# bench_cpu_snapshot FILE LABEL:PID...: CPU used so far (user + system clock ticks) by every
# thread of each PID, one line each: "LABEL TID TICKS COMM". LABEL:+PID instead counts PID's
# children that have exited and been waited for (a load generator run in the foreground). Two
# snapshots make a profile (bench_cpu_report) without a profiler: which process and which
# thread took the cores.
bench_cpu_snapshot() {
  local out=$1 arg
  shift
  : >"$out"
  for arg in "$@"; do
    if [[ ${arg#*:} == +* ]]; then
      awk -v label="${arg%%:*}" '{ sub(/.*\) /, ""); print label, "children", $14 + $15, "children" }' \
        "/proc/${arg#*:+}/stat" >>"$out"
      continue
    fi
    # The thread's name sits in parentheses (it may hold spaces); utime and stime are the 12th
    # and 13th fields after them.
    awk -v label="${arg%%:*}" '{
        tid = FILENAME; sub(/\/stat$/, "", tid); sub(/.*\//, "", tid)
        open = index($0, "("); close_at = 0
        for (i = length($0); i > 0; i--) if (substr($0, i, 1) == ")") { close_at = i; break }
        comm = substr($0, open + 1, close_at - open - 1); gsub(/ /, "_", comm)
        n = split(substr($0, close_at + 2), f, " ")
        print label, tid, f[12] + f[13], comm
      }' /proc/"${arg#*:}"/task/*/stat 2>/dev/null >>"$out" || true
  done
}

# bench_cpu_report BEFORE AFTER SECONDS: from two snapshots SECONDS apart, the cores each LABEL
# used, one line "cores LABEL=0.93 LABEL=0.41 ...", then one line per thread that used any,
# busiest first: "thread LABEL COMM TID CORES".
bench_cpu_report() {
  awk -v secs="$3" -v hz="$(getconf CLK_TCK)" '
    FNR == NR { before[$1 " " $2] = $3; next }
    {
      key = $1 " " $2
      used = ($3 - (key in before ? before[key] : 0)) / hz / secs
      by_label[$1] += used
      if (used >= 0.005) printf "thread %s %s %s %.3f\n", $1, $4, $2, used
    }
    END {
      line = "cores"
      for (l in by_label) line = line sprintf(" %s=%.3f", l, by_label[l])
      print line
    }' "$1" "$2" | sort -k1,1 -k5,5gr
}
