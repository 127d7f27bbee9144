#!/usr/bin/env bash
# The operator's origin seeder, p2pims-origin, against the real suite. It seeds the indexed
# content its directory holds (and only content whose bytes match the index) as an operator seed
# (token role origin, rights' --operator-seeds); a subscriber's terminal fetches from it with no
# other peer; the origin's uploads are counted at the tracker but never reach charging; tokens
# are renewed before they expire (rights' token lifetime is 20 s here) and the session goes on
# with them, its upload counted once; a stopped origin closes its sessions, and started again
# does not seed withdrawn content.
source "$(dirname "$0")/../lib/harness.sh"
ORIGIN_BT=$(free_port) ORIGIN_ADMIN=$(free_port) ORIGIN_BIND=127.0.0.4
SUITE_SERVICES+=(origin)
export P2PIMS_TOKEN_TTL=20  # rights' --token-ttl
harness_start

UE=$SUITE_BIN/tools/p2pims-ue/p2pims-ue
CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
W=$SUITE_DIR/origin-test
mkdir -p "$W/media" "$W/alice"
ctl() { "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" --actor e2e "$@"; }
origin_metric() { service_metric origin "$@"; }
stats() {  # stats CONTENT FIELD
  ctl --json swarm stats "$1" | python3 -c "import json, sys; print(json.load(sys.stdin).get('$2', 0))"
}
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
origin_sessions() {  # origin_sessions open|closed: how many of the origin's tracker sessions
  local where="closed_at IS NULL"
  [[ $1 == closed ]] && where="closed_at IS NOT NULL"
  suite_psql -tA -c "SELECT count(*) FROM tracker.session WHERE subject = '$ORIGIN_SUBJECT' AND $where"
}

echo "# content: news (held by the origin), feature (its copy on disk is corrupt), extra (not held)"
for id in news feature extra; do
  head -c $((3 * 1024 * 1024 + 555)) /dev/urandom >"$W/media/$id.bin"
  check "p2pimsctl content add $id" ctl content add "$W/media/$id.bin" --id "$id" --owner e2e-studio \
    --price-model free
done
cp "$W/media/news.bin" "$SUITE_DIR/content/"
# Same name and size, other bytes: the index's piece hashes cannot match.
head -c $((3 * 1024 * 1024 + 555)) /dev/urandom >"$SUITE_DIR/content/feature.bin"

check "the origin seeds news: the tracker counts a seeder" eventually 30 eval '[[ $(stats news seeders) -ge 1 ]]'
check "... with its own tracker session, marked an operator seed" wait_sql 1 \
  "SELECT count(*) FROM tracker.session WHERE subject = '$ORIGIN_SUBJECT' AND operator_seed AND closed_at IS NULL"
check "feature's bytes do not match: counted, never announced" \
  eventually 20 eval '[[ $(origin_metric p2pims_origin_failures_total reason=\"mismatch\") -ge 1 ]]'
check_eq "... no seeder for feature" 0 "$(stats feature seeders)"
check_eq "one torrent seeding" 1 "$(origin_metric p2pims_origin_torrents state=\"seeding\")"
# Idle, the origin waits for libtorrent's alerts: it once asked for torrent updates on every
# round and spun a core. Its CPU time (utime + stime, clock ticks) over 3 s of nothing to do.
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$(suite_pid origin)/stat"; }
before=$(cpu_ticks)
sleep 3  # the window measured, not a wait for something
idle=$(($(cpu_ticks) - before))
check "idle, the origin used at most 10 % of a core over 3 s ($idle of 300 ticks)" test "$idle" -le 30

echo "# alice fetches news: the origin is the only peer"
rc=0
"$UE" fetch "sip:news@$SIP_DOMAIN" --out "$W/alice" --quiet --server "127.0.0.1:$SIP_PORT" \
  --bind 127.0.0.2 --identity sip:alice@ims.localhost --user alice-impi --password alice-secret \
  --timeout-seconds 10 >"$W/alice.out" 2>"$W/alice.err" || rc=$?
check_eq "alice's fetch succeeds" 0 "$rc"
check_eq "with the origin's bytes" "$(sha "$W/media/news.bin")" "$(sha "$W/alice/news.bin")"
size=$(stat -c %s "$W/media/news.bin")
check "the origin counted its upload" \
  eventually 10 eval '[[ $(origin_metric p2pims_origin_uploaded_bytes_total) -ge '"$size"' ]]'
check "alice's session ended in a CDR" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:alice@ims.localhost' AND content_id = 'news'"
check_eq "nothing of the origin's went to charging" 0 "$(suite_psql -tA -c \
  "SELECT (SELECT count(*) FROM charging.cdr WHERE served_identity = '$ORIGIN_SUBJECT')
        + (SELECT count(*) FROM tracker.usage_outbox o JOIN tracker.session s USING (session_id)
           WHERE s.operator_seed)")"

echo "# the token is renewed before it expires (3/4 of 20 s); the session goes on with it"
first_token=$(suite_psql -tA -c "SELECT token FROM tracker.session WHERE subject = '$ORIGIN_SUBJECT'")
check "a renewal" eventually 30 eval '[[ $(origin_metric p2pims_origin_token_renewals_total) -ge 1 ]]'
check_eq "... still one session, open, with the new token" "1|0|f" "$(suite_psql -tA -c \
  "SELECT count(*), count(closed_at), bool_or(token = '$first_token') FROM tracker.session
   WHERE subject = '$ORIGIN_SUBJECT'")"
check "... which the tracker took: the origin's announces to the new URL are answered" \
  eventually 10 eval '[[ $(origin_metric p2pims_origin_announces_total result=\"ok\") -ge 2 ]]'
check_eq "... none refused" "" "$(origin_metric p2pims_origin_announces_total result=\"refused\")"
check "... its upload, metered at that announce, counted once (the new URL's 'started' carries the totals)" \
  wait_sql t "SELECT bytes_up BETWEEN $size AND $((size * 3 / 2)) FROM tracker.session
              WHERE subject = '$ORIGIN_SUBJECT'"

echo "# news is withdrawn: no new access, the origin's token is revoked"
check "p2pimsctl content withdraw news" ctl content withdraw news --reason "e2e: licence ended"
rc=0
"$UE" fetch "sip:news@$SIP_DOMAIN" --out "$W/alice2" --quiet --server "127.0.0.1:$SIP_PORT" \
  --bind 127.0.0.2 --identity sip:alice@ims.localhost --user alice-impi --password alice-secret \
  --timeout-seconds 10 >"$W/alice2.out" 2>"$W/alice2.err" || rc=$?
check "alice's new fetch is refused: withdrawn" eval '[[ $rc -ne 0 ]] && grep -q withdrawn "$W/alice2.err"'

echo "# the origin stops (SIGTERM): it exits 0 and closes its sessions"
pid=$(suite_pid origin)
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
check_eq "it exits 0" 0 "$rc"
check_eq "no origin session stays open" 0 "$(origin_sessions open)"
echo "# started again, it does not seed withdrawn news"
suite_start origin
check "ready again" eventually 20 curl -fsS -o /dev/null "http://127.0.0.1:$ORIGIN_ADMIN/readyz"
check "rights refuses news" \
  eventually 20 eval '[[ $(origin_metric p2pims_origin_failures_total reason=\"refused\") -ge 1 ]]'
check_eq "... and nothing seeds" 0 "$(origin_metric p2pims_origin_torrents state=\"seeding\")"
harness_finish
