# shellcheck shell=bash
# The tracker load generator's workload put into a tracker's PostgreSQL, as the tracker benchmark
# (bench/tracker/run.sh), the overload benchmark (bench/overload/tracker.sh) and the overload
# test (tests/e2e/tracker_overload_test.sh) need it: its info-hashes indexed, and the sessions of
# its tokens open. PSQL names a function that runs psql against the tracker's database
# (bench_psql, suite_psql); files go to DIR.
#
#   tracker_workload_backends "$RIGHTS" "$TRACKER"      # benchmarks: sets DB, RIGHTS_GRPC, ISSUED_AT
#   tracker_workload_index "$LOADGEN" bench_psql "$DIR" 100000
#   tracker_workload_sessions "$LOADGEN" bench_psql "$DIR" http "$ISSUED_AT" "$KEYS" --peers 50000

# tracker_workload_index LOADGEN PSQL DIR N: the first N info-hashes of `tracker_load
# --print-hashes` (pseudo-random, so servers hashing a prefix spread them) into tracker.content,
# as ContentIndex.IndexContent without metainfo writes them; DIR/hashes.txt keeps them, hex.
tracker_workload_index() {
  local loadgen=$1 psql=$2 dir=$3 n=$4
  "$loadgen" --print-hashes "$n" >"$dir/hashes.txt"
  awk '{ print NR - 1 "\t" $1 }' "$dir/hashes.txt" >"$dir/hashes.tsv"
  "$psql" <<SQL
CREATE TEMP TABLE h (i int, hex text);
\copy h FROM '$dir/hashes.tsv'
INSERT INTO tracker.content (content_id, info_hash, name, size_bytes)
  SELECT 'bench-' || i, decode(hex, 'hex'), 'bench content ' || i, 1073741824 FROM h;
SQL
}

# tracker_workload_sessions LOADGEN PSQL DIR PREFIX ISSUED_AT KEY_FILE LOADGEN_ARGS...: the
# session rows of a workload's tokens, as Tracker.OpenSession writes them (sip-edge opens a
# session before its terminal announces; the tracker refuses announces of a session not open).
tracker_workload_sessions() {
  local loadgen=$1 psql=$2 dir=$3 prefix=$4 issued_at=$5 keys=$6
  shift 6
  "$loadgen" --print-sessions --issued-at "$issued_at" --key-file "$keys" \
    --session-prefix "$prefix" "$@" >"$dir/sessions-$prefix.tsv"
  "$psql" <<SQL
CREATE TEMP TABLE s (session_id text, token_id text, hash text, subject text, locality text,
                     expires bigint, announce_key text, token text);
\copy s FROM '$dir/sessions-$prefix.tsv'
INSERT INTO tracker.session (session_id, token_id, info_hash, subject, locality, token_expires_at,
                             announce_key, token)
  SELECT session_id, token_id, decode(hash, 'hex'), subject, locality, to_timestamp(expires),
         announce_key, token FROM s;
SQL
}

# tracker_workload_backends RIGHTS TRACKER (benchmarks, after bench_tmpdir; bench/lib/common.sh):
# PostgreSQL with both schemas, a signing key in $BENCH_TMP/signing.keys (the load generator
# signs with it) and p2pims-rights serving it to the tracker; sets DB, RIGHTS_GRPC and ISSUED_AT
# (the tokens' issued_at, a minute ago, the same for every run of the load generator).
tracker_workload_backends() {
  local rights=$1 tracker=$2 admin
  bench_pg_start
  DB=$(bench_pg_conninfo p2pims)
  "$rights" --migrate --db "$DB" --log-level warn >&2
  "$tracker" --migrate --db "$DB" --log-level warn >&2
  "$rights" --generate-key bench1 >"$BENCH_TMP/signing.keys"
  ISSUED_AT=$(($(date +%s) - 60))
  RIGHTS_GRPC=$(bench_free_port)
  admin=$(bench_free_port)
  bench_spawn rights "$rights" --db "$DB" --signing-key-file "$BENCH_TMP/signing.keys" \
    --grpc-listen "127.0.0.1:$RIGHTS_GRPC" --admin-listen "127.0.0.1:$admin" --log-level warn
  bench_wait_http "http://127.0.0.1:$admin/readyz" 60 "$SPAWNED_PID" ||
    die "p2pims-rights did not become ready (see $BENCH_TMP/rights.log)"
}
