#!/usr/bin/env bash
# The rights benchmark (bench/run rights): Authorize decisions per second against 100,000 content
# items and 1,000,000 entitlements, next to pgbench anchors on the same PostgreSQL for the same
# duration, and token sign/verify rates next to raw libsodium. Prints one JSON line on stdout.
#
# Environment: BENCH_SECONDS (15) measured seconds per load phase, BENCH_INFLIGHT (64) Authorize
# requests in flight, BENCH_DB_POOL (8) rights' PostgreSQL connections, BENCH_CONTENTS (100000),
# BENCH_SUBJECTS (100000, ten entitlements each), BENCH_KEEP=1 keeps the temporary directory.
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly SECS=${BENCH_SECONDS:-15}
readonly INFLIGHT=${BENCH_INFLIGHT:-64}
readonly DB_POOL=${BENCH_DB_POOL:-8}
readonly CONTENTS=${BENCH_CONTENTS:-100000}
readonly SUBJECTS=${BENCH_SUBJECTS:-100000}
readonly TARGET_PER_S=20000  # the rights issue's target on this 2-core machine
readonly PGBENCH_CLIENTS=8   # DESIGN.md §6: pgbench 8 clients

bench_build p2pims-rights rights_authorize_load rights_verify_rate
RIGHTS=$BENCH_BIN/services/rights/p2pims-rights
LOADGEN=$BENCH_BIN/bench/rights/rights_authorize_load
VERIFY=$BENCH_BIN/bench/rights/rights_verify_rate
load_at_start=$(load1)

# Token sign/verify first, single-threaded, while nothing else of ours runs.
say "token sign/verify rates (4 x 2 s)"
verify_json=$("$VERIFY" --seconds 2)

bench_tmpdir
bench_pg_start
DB=$(bench_pg_conninfo p2pims)

say "schema (p2pims-rights --migrate) and data: $CONTENTS content items, $((SUBJECTS * 10)) entitlements"
"$RIGHTS" --migrate --db "$DB" --log-level warn >&2
t0=$SECONDS
bench_psql -v contents="$CONTENTS" -v subjects="$SUBJECTS" -f "$BENCH_SRC/bench/rights/load.sql" >&2
load_s=$((SECONDS - t0))
[[ $(bench_psql -tA -c 'SELECT count(*) FROM rights.entitlement') == $((SUBJECTS * 10)) ]] ||
  die "the data set did not load"

say "pgbench data (scale 10) in database pgbench"
"$BENCH_SRC/tools/p2pims-pg" createdb "$PG_DIR" "$PG_PORT" pgbench >&2
pgbench -i -q -s 10 -h 127.0.0.1 -p "$PG_PORT" -U postgres pgbench >"$BENCH_TMP/pgbench-init.log" 2>&1 ||
  die "pgbench -i failed (see $BENCH_TMP/pgbench-init.log)"
bench_psql pgbench -c 'CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v int NOT NULL,
                       at timestamptz NOT NULL DEFAULT now())'
echo 'INSERT INTO bench_commit (v) VALUES (1);' >"$BENCH_TMP/commit.sql"

# pgbench_tps NAME ARGS...: runs pgbench for SECS seconds and prints its tps.
pgbench_tps() {
  local name=$1 tps
  shift
  bench_psql -c CHECKPOINT
  pgbench -n -M prepared -c "$PGBENCH_CLIENTS" -j 2 -T "$SECS" -h 127.0.0.1 -p "$PG_PORT" \
    -U postgres "$@" pgbench >"$BENCH_TMP/$name.log" 2>&1 || die "pgbench $name failed"
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$BENCH_TMP/$name.log" | tail -n 1)
  [[ -n $tps ]] || die "no tps in $BENCH_TMP/$name.log"
  printf '%.0f\n' "$tps"
}
say "anchor: pgbench -S (select-only), $PGBENCH_CLIENTS clients, ${SECS} s"
pg_select=$(pgbench_tps pgbench-select -S)
say "anchor: pgbench single-row INSERT commits, $PGBENCH_CLIENTS clients, ${SECS} s"
pg_commit=$(pgbench_tps pgbench-commit -f "$BENCH_TMP/commit.sql")

say "p2pims-rights (db pool $DB_POOL)"
"$RIGHTS" --generate-key bench1 >"$BENCH_TMP/signing.keys"
GRPC_PORT=$(bench_free_port)
ADMIN_PORT=$(bench_free_port)
bench_spawn rights "$RIGHTS" --db "$DB" --db-pool-size "$DB_POOL" \
  --signing-key-file "$BENCH_TMP/signing.keys" \
  --grpc-listen "127.0.0.1:$GRPC_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT"
rights_pid=$SPAWNED_PID
if ! bench_wait_http "http://127.0.0.1:$ADMIN_PORT/readyz" 60 "$rights_pid"; then
  tail -n 20 "$BENCH_TMP/rights.log" >&2
  die "p2pims-rights did not become ready"
fi

bench_psql -c CHECKPOINT
# run_load WARMUP: one measured phase of the load generator; prints its JSON line.
run_load() {
  "$LOADGEN" --target "127.0.0.1:$GRPC_PORT" --duration "$SECS" --warmup "$1" \
    --inflight "$INFLIGHT" --threads 2 --subjects "$SUBJECTS" --contents "$CONTENTS" \
    2>"$BENCH_TMP/loadgen.err" || {
    cat "$BENCH_TMP/loadgen.err" >&2
    tail -n 20 "$BENCH_TMP/rights.log" >&2
    die "the load generator failed"
  }
  [[ -s $BENCH_TMP/loadgen.err ]] && cat "$BENCH_TMP/loadgen.err" >&2
  kill -0 "$rights_pid" 2>/dev/null || die "p2pims-rights exited during the run"
}
# Cold: a fresh replica has the catalogue in memory but no subscriber yet, so most decisions read
# the subscriber's entitlements from PostgreSQL. Steady: the same load once most subscribers have
# been seen, the state a long-running replica is in (its cache holds 500,000 subscribers).
say "Authorize load, cold caches: $INFLIGHT in flight, ${SECS} s measured"
cold_json=$(run_load 0)
say "Authorize load, steady state: 2 s warm-up, ${SECS} s measured"
load_json=$(run_load 2)
hit_ratio=$(curl -fsS "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '
  /^p2pims_rights_cache_lookups_total\{cache="entitlement",result="hit"\}/ { hit = $2 }
  /^p2pims_rights_cache_lookups_total\{cache="entitlement",result="miss"\}/ { miss = $2 }
  END { if (hit + miss > 0) printf "%.3f", hit / (hit + miss); else print 0 }')

authorize=$(json_get authorize_per_s "$load_json")
printf '{"bench":"rights","authorize_per_s":%s,"target_ratio":%s,"allowed_share":%s,"errors":%s,' \
  "$authorize" "$(ratio "$authorize" "$TARGET_PER_S")" "$(json_get allowed_share "$load_json")" \
  "$(json_get errors "$load_json")"
printf '"p50_ms":%s,"p99_ms":%s,' "$(json_get p50_ms "$load_json")" "$(json_get p99_ms "$load_json")"
cold=$(json_get authorize_per_s "$cold_json")
printf '"authorize_cold_per_s":%s,"cold_target_ratio":%s,"entitlement_cache_hit_ratio":%s,' \
  "$cold" "$(ratio "$cold" "$TARGET_PER_S")" "$hit_ratio"
printf '"pg_select_per_s":%s,"authorize_vs_pg_select":%s,' "$pg_select" "$(ratio "$authorize" "$pg_select")"
printf '"pg_commit_per_s":%s,"authorize_vs_pg_commit":%s,' "$pg_commit" "$(ratio "$authorize" "$pg_commit")"
printf '%s,' "$(sed 's/^{//; s/}$//' <<<"$verify_json")"
printf '"contents":%s,"entitlements":%s,"load_s":%s,"seconds":%s,"inflight":%s,"db_pool":%s,' \
  "$CONTENTS" "$((SUBJECTS * 10))" "$load_s" "$SECS" "$INFLIGHT" "$DB_POOL"
printf '"load1_at_start":%s,"load1_at_end":%s}\n' "$load_at_start" "$(load1)"
