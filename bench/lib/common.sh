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
BENCH_PORTS=" "
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

# A loopback TCP port nobody listens on, not handed out before in this run.
bench_free_port() {
  local port tries
  for ((tries = 0; tries < 200; tries++)); do
    port=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral range (32768 up)
    [[ $BENCH_PORTS == *" $port "* ]] && continue
    if ! ss -Htan "sport = :$port" | grep -q .; then
      BENCH_PORTS+="$port "
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
