#!/usr/bin/env bash
# The charging benchmark (bench/run charging): credit-control requests per second (per-byte
# sessions INITIAL, UPDATE, TERMINATION), CDR ingest per second (Charging.AccountingBatch of EVENT
# records, a CDR each), and the CDR pull rate of one billing consumer, next to PostgreSQL's own
# durable single-row commit rate and COPY rate measured on the same server in the same run.
# Prints one JSON line on stdout.
#
# Environment: BENCH_SECONDS (15) measured seconds of the commit anchor, of credit control and of
# the ingest, BENCH_INFLIGHT (256) CreditControl requests in flight for the latency point and
# BENCH_SATURATION_INFLIGHT (1024) for the throughput (sip-edge replicas and trackers together), BENCH_INGEST_BATCH (1000) records per AccountingBatch, BENCH_INGEST_INFLIGHT
# (4) batches in flight, BENCH_DB_POOL (8) charging's PostgreSQL
# connections, BENCH_ACCOUNTS (10000) prepaid subscribers, BENCH_COPY_ROWS (1000000) rows of the
# COPY anchor, BENCH_PULL_CDRS (100000) CDRs at least in the pull, BENCH_KEEP=1 keeps the
# temporary directory.
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly SECS=${BENCH_SECONDS:-15}
readonly INFLIGHT=${BENCH_INFLIGHT:-256}
readonly SATURATION_INFLIGHT=${BENCH_SATURATION_INFLIGHT:-1024}
readonly INGEST_BATCH=${BENCH_INGEST_BATCH:-1000}
readonly INGEST_INFLIGHT=${BENCH_INGEST_INFLIGHT:-4}
readonly DB_POOL=${BENCH_DB_POOL:-8}
readonly ACCOUNTS=${BENCH_ACCOUNTS:-10000}
readonly COPY_ROWS=${BENCH_COPY_ROWS:-1000000}
readonly PULL_CDRS=${BENCH_PULL_CDRS:-100000}
readonly CC_TARGET=20000      # the charging issue's targets on this 2-core machine
readonly INGEST_TARGET=50000
readonly PULL_TARGET=200000
readonly PGBENCH_CLIENTS=8    # DESIGN.md §6: pgbench 8 clients

bench_build p2pims-charging charging_cc_load charging_cdr_ingest charging_cdr_pull
CHARGING=$BENCH_BIN/services/charging/p2pims-charging
LOADGEN=$BENCH_BIN/bench/charging/charging_cc_load
INGEST=$BENCH_BIN/bench/charging/charging_cdr_ingest
PULL=$BENCH_BIN/bench/charging/charging_cdr_pull
HERE=$BENCH_SRC/bench/charging
load_at_start=$(load1)

bench_tmpdir
bench_pg_start
DB=$(bench_pg_conninfo p2pims)
"$BENCH_SRC/tools/p2pims-pg" createdb "$PG_DIR" "$PG_PORT" anchor >&2

# Anchor 1: durable single-row INSERT commits (DESIGN.md §6), with 8 clients and with one: a CDR
# takes its number from one locked counter row, so CDR-writing transactions commit one at a time
# and the one-client rate bounds theirs.
bench_psql anchor -c 'CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v int NOT NULL,
                      at timestamptz NOT NULL DEFAULT now())'
echo 'INSERT INTO bench_commit (v) VALUES (1);' >"$BENCH_TMP/commit.sql"
# pgbench_commits CLIENTS: durable commits per second over SECS seconds.
pgbench_commits() {
  local log=$BENCH_TMP/pgbench-commit-$1.log tps
  bench_psql -c CHECKPOINT
  pgbench -n -M prepared -c "$1" -j "$(($1 > 1 ? 2 : 1))" -T "$SECS" -h 127.0.0.1 -p "$PG_PORT" \
    -U postgres -f "$BENCH_TMP/commit.sql" anchor >"$log" 2>&1 || die "pgbench failed (see $log)"
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log" | tail -n 1)
  [[ -n $tps ]] || die "no tps in $log"
  printf '%.0f\n' "$tps"
}
say "anchor: pgbench single-row INSERT commits, $PGBENCH_CLIENTS clients, ${SECS} s"
pg_commit=$(pgbench_commits "$PGBENCH_CLIENTS")
say "anchor: the same, 1 client, ${SECS} s"
pg_commit_1=$(pgbench_commits 1)

# Anchor 2: COPY FROM STDIN of CDR-shaped rows (20 columns, primary key and unique session id)
# in one transaction, from a file written beforehand, so only the load is timed.
say "anchor: COPY of $COPY_ROWS CDR-shaped rows"
bench_psql anchor -v rows="$COPY_ROWS" -f "$HERE/copy_anchor.sql" >"$BENCH_TMP/cdr-rows.copy"
bench_psql -c CHECKPOINT
t0=$(date +%s%N)
bench_psql anchor -c 'COPY bench_cdr FROM STDIN' <"$BENCH_TMP/cdr-rows.copy"
t1=$(date +%s%N)
[[ $(bench_psql anchor -tA -c 'SELECT count(*) FROM bench_cdr') == "$COPY_ROWS" ]] ||
  die "the COPY anchor did not load $COPY_ROWS rows"
pg_copy=$(awk -v n="$COPY_ROWS" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
rm -f "$BENCH_TMP/cdr-rows.copy"

say "p2pims-charging (db pool $DB_POOL), $ACCOUNTS prepaid accounts by CreateAccount"
GRPC_PORT=$(bench_free_port)
ADMIN_PORT=$(bench_free_port)
bench_spawn charging "$CHARGING" --db "$DB" --db-pool-size "$DB_POOL" \
  --grpc-listen "127.0.0.1:$GRPC_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT"
charging_pid=$SPAWNED_PID
if ! bench_wait_http "http://127.0.0.1:$ADMIN_PORT/readyz" 60 "$charging_pid"; then
  tail -n 20 "$BENCH_TMP/charging.log" >&2
  die "p2pims-charging did not become ready"
fi
accounts_json=$("$LOADGEN" --target "127.0.0.1:$GRPC_PORT" --accounts "$ACCOUNTS" \
  --create-accounts --inflight "$INFLIGHT") || die "creating the accounts failed"

bench_psql -c CHECKPOINT
# cc_load INFLIGHT: one CreditControl run of SECS seconds; its JSON line on stdout.
cc_load() {
  say "CreditControl load: $1 in flight, 2 s warm-up, ${SECS} s measured"
  "$LOADGEN" --target "127.0.0.1:$GRPC_PORT" --accounts "$ACCOUNTS" --duration "$SECS" \
    --warmup 2 --inflight "$1" --threads 2 2>"$BENCH_TMP/loadgen.err" || {
    cat "$BENCH_TMP/loadgen.err" >&2
    tail -n 20 "$BENCH_TMP/charging.log" >&2
    die "the load generator failed"
  }
  [[ -s $BENCH_TMP/loadgen.err ]] && cat "$BENCH_TMP/loadgen.err" >&2
  kill -0 "$charging_pid" 2>/dev/null || die "p2pims-charging exited during the run"
}
# Two runs: INFLIGHT requests in flight (the latency an operator sees below saturation) and
# SATURATION_INFLIGHT (requests queue). The throughput is the higher rate the two sustained.
cc_json=$(cc_load "$INFLIGHT")
sat_json=$(cc_load "$SATURATION_INFLIGHT")

bench_psql -c CHECKPOINT
say "CDR ingest: AccountingBatch of $INGEST_BATCH EVENT records, $INGEST_INFLIGHT in flight, ${SECS} s"
ingest_json=$("$INGEST" --target "127.0.0.1:$GRPC_PORT" --batch "$INGEST_BATCH" \
  --inflight "$INGEST_INFLIGHT" --duration "$SECS" --warmup 2 2>"$BENCH_TMP/ingest.err") || {
  cat "$BENCH_TMP/ingest.err" >&2
  tail -n 20 "$BENCH_TMP/charging.log" >&2
  die "the ingest load failed"
}
kill -0 "$charging_pid" 2>/dev/null || die "p2pims-charging exited during the ingest"

# The pull: every CDR the loads wrote, topped up by SQL copies of them to PULL_CDRS if fewer.
cdrs_from_load=$(bench_psql -tA -c 'SELECT count(*) FROM charging.cdr')
cdrs_added=0
if ((cdrs_from_load < PULL_CDRS)); then
  ((cdrs_from_load > 0)) || die "the load wrote no CDRs"
  cdrs_added=$((PULL_CDRS - cdrs_from_load))
  say "adding $cdrs_added copies of the $cdrs_from_load CDRs by SQL for the pull"
  bench_psql -v target="$PULL_CDRS" -f "$HERE/pull_topup.sql" >&2
fi
bench_psql -c 'VACUUM ANALYZE charging.cdr'
bench_psql -c CHECKPOINT
say "PullCdrs: all CDRs, pages of 10,000, one consumer"
pull_json=$("$PULL" --target "127.0.0.1:$GRPC_PORT" --consumer billing-bench --page-size 10000) ||
  die "the pull failed"

cc=$(awk -v a="$(json_get cc_per_s "$cc_json")" -v b="$(json_get cc_per_s "$sat_json")" \
  'BEGIN { print (a > b ? a : b) }')
ingest=$(json_get cdr_ingest_per_s "$ingest_json")
pull=$(json_get pull_per_s "$pull_json")
printf '{"bench":"charging","cc_per_s":%s,"cc_target_ratio":%s,"cc_vs_pg_commit":%s,' \
  "$cc" "$(ratio "$cc" "$CC_TARGET")" "$(ratio "$cc" "$pg_commit")"
printf '"cc_at_%s_inflight_per_s":%s,"cc_sat_p50_ms":%s,"cc_sat_p99_ms":%s,' \
  "$SATURATION_INFLIGHT" "$(json_get cc_per_s "$sat_json")" "$(json_get p50_ms "$sat_json")" \
  "$(json_get p99_ms "$sat_json")"
printf '"cc_at_%s_inflight_per_s":%s,"p50_ms":%s,"p99_ms":%s,' "$INFLIGHT" \
  "$(json_get cc_per_s "$cc_json")" "$(json_get p50_ms "$cc_json")" "$(json_get p99_ms "$cc_json")"
printf '"refused":%s,"errors":%s,' \
  "$(( $(json_get refused "$cc_json") + $(json_get refused "$sat_json") ))" \
  "$(( $(json_get errors "$cc_json") + $(json_get errors "$sat_json") ))"
printf '"cdr_ingest_per_s":%s,"cdr_ingest_target_ratio":%s,"cdr_ingest_vs_pg_copy":%s,' \
  "$ingest" "$(ratio "$ingest" "$INGEST_TARGET")" "$(ratio "$ingest" "$pg_copy")"
printf '"cdr_ingest_vs_pg_commit_1client":%s,"cdr_ingest_batch":%s,"cdr_ingest_batch_p99_ms":%s,' \
  "$(ratio "$ingest" "$pg_commit_1")" "$INGEST_BATCH" "$(json_get batch_p99_ms "$ingest_json")"
printf '"cdrs_from_terminations_per_s":%s,' "$(json_get cdrs_per_s "$cc_json")"
printf '"pull_per_s":%s,"pull_target_ratio":%s,"pull_vs_pg_copy":%s,' \
  "$pull" "$(ratio "$pull" "$PULL_TARGET")" "$(ratio "$pull" "$pg_copy")"
printf '"pull_cdrs":%s,"cdrs_from_load":%s,"cdrs_added_by_sql":%s,"pull_page_size":%s,' \
  "$(json_get cdrs "$pull_json")" "$cdrs_from_load" "$cdrs_added" \
  "$(json_get page_size "$pull_json")"
printf '"pull_paging":"%s","bytes_per_cdr":%s,' "$(json_get paging "$pull_json")" \
  "$(json_get bytes_per_cdr "$pull_json")"
printf '"pg_commit_per_s":%s,"pg_commit_1client_per_s":%s,"pg_copy_rows_per_s":%s,' \
  "$pg_commit" "$pg_commit_1" "$pg_copy"
printf '"copy_rows":%s,' "$COPY_ROWS"
printf '"accounts":%s,"create_account_per_s":%s,"seconds":%s,"inflight":%s,"db_pool":%s,' \
  "$ACCOUNTS" "$(json_get create_account_per_s "$accounts_json")" "$SECS" "$INFLIGHT" "$DB_POOL"
printf '"load1_at_start":%s,"load1_at_end":%s}\n' "$load_at_start" "$(load1)"
