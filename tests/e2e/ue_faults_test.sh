#!/usr/bin/env bash
# The reference terminal, p2pims-ue, when things go wrong mid-download (issue 7's bad input),
# against the real suite with the origin seeder as the only honest peer, its upload held to
# 1 MiB/s so that each fetch lasts long enough to be interrupted:
#   - the tracker restarts mid-download: the fetch completes, and the CDR holds the bytes once;
#   - a peer sends corrupt pieces: they fail their check, the file comes out right, the terminal
#     says so, and the subscriber pays for good bytes only;
#   - the token expires mid-download (rights' lifetime is 25 s here): the network's BYE says
#     why, the terminal exits 6 keeping what it has, and a second fetch resumes; the CDRs never
#     count a byte twice.
#   - online charging refuses more mid-download (bob's balance covers 4 MiB of per-byte
#     content): at his first report the tracker ends his access, sip-edge's BYE says out of
#     credit (402), the terminal exits 4, and bob's account never goes below zero.
source "$(dirname "$0")/../lib/harness.sh"
ORIGIN_BT=$(free_port) ORIGIN_ADMIN=$(free_port) ORIGIN_BIND=127.0.0.4
SUITE_SERVICES+=(origin)
# rights' token lifetime and the origin's upload limit
export P2PIMS_TOKEN_TTL=25 P2PIMS_UPLOAD_RATE_LIMIT_KIB=1024
harness_start

UE=$SUITE_BIN/tools/p2pims-ue/p2pims-ue
CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
W=$SUITE_DIR/faults
MIB=1048576
mkdir -p "$W/media"
ctl() { "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" --actor e2e "$@"; }
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
seeders() { ctl --json swarm stats "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("seeders", 0))'; }
# add ID MIB [content add flags...]: random content of MIB MiB, held by the origin.
add() {
  local id=$1 size=$2
  shift 2
  head -c $((size * MIB)) /dev/urandom >"$W/media/$id.bin"
  ctl content add "$W/media/$id.bin" --id "$id" --owner e2e-studio --v1-only "$@" >/dev/null 2>&1 &&
    cp "$W/media/$id.bin" "$SUITE_DIR/content/" &&
    eventually 30 eval '[[ $(seeders '"$id"') -ge 1 ]]'
}
# fetch NAME WHO ID [DIR]: WHO's terminal fetches ID into $W/DIR (default NAME; stdout, stderr
# in $W/NAME.out/.err); its exit code in $W/NAME.rc.
fetch() {
  local name=$1 who=$2 id=$3 dir=${4:-$1}
  local rc=0
  "$UE" fetch "sip:$id@$SIP_DOMAIN" --out "$W/$dir" --quiet --server "127.0.0.1:$SIP_PORT" \
    --bind 127.0.0.2 --identity "sip:$who@ims.localhost" --user "$who-impi" \
    --password "$who-secret" --timeout-seconds 10 >"$W/$name.out" 2>"$W/$name.err" || rc=$?
  echo "$rc" >"$W/$name.rc"
}
cdr() {  # cdr WHO ID: bytes_down of WHO's CDRs for ID, one per line
  suite_psql -tA -c "SELECT bytes_down FROM charging.cdr WHERE served_identity = 'sip:$1@ims.localhost'
                     AND content_id = '$2' ORDER BY record_opening_time"
}
UE_PID=
stop_ue() { [[ -z $UE_PID ]] || kill -TERM "$UE_PID" 2>/dev/null || true; }
at_exit stop_ue

echo "# the tracker restarts while alice fetches 8 MiB"
check "content a-clip held by the origin" add a-clip 8 --price-model free
fetch restart alice a-clip &
UE_PID=$!
check "alice is fetching (a few MiB on disk)" \
  eventually 20 eval '[[ $(du -k "$W/restart/a-clip.bin" 2>/dev/null | cut -f1) -ge 2048 ]]'
suite_stop tracker
suite_start tracker
check "the tracker is ready again" suite_wait_url "http://127.0.0.1:$TRACKER_ADMIN/readyz" 30
wait "$UE_PID" || true
UE_PID=
check_eq "alice's fetch completes (exit 0)" 0 "$(cat "$W/restart.rc")"
check_eq "with the right bytes" "$(sha "$W/media/a-clip.bin")" "$(sha "$W/restart/a-clip.bin")"
check "alice's CDR" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:alice@ims.localhost' AND content_id = 'a-clip'"
check_eq "it holds the file's bytes once: not counted again after the restart" $((8 * MIB)) "$(cdr alice a-clip)"

echo "# a peer sends corrupt pieces"
check "content b-clip held by the origin" add b-clip 6 --price-model free
check "bob's session for b-clip (SIPp as the S-CSCF) gives the corrupt peer a token" \
  hold_session b-clip sip:bob@ims.localhost 60000
# The corrupt peer serves b-clip's info-hash from 127.0.0.5 (its metainfo from the index), and
# is announced there as a seeder with bob's token.
suite_psql -tA -c "SELECT encode(metainfo, 'hex') FROM tracker.content WHERE content_id = 'b-clip'" |
  python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' >"$W/b-clip.torrent"
CORRUPT_PORT=$(free_port)
/usr/bin/python3 "$SUITE_SRC/tests/e2e/corrupt_peer.py" "$W/b-clip.torrent" 127.0.0.5 "$CORRUPT_PORT" \
  "$W/corrupt.count" >"$W/corrupt.log" 2>&1 &
CORRUPT_PID=$!
at_exit "kill $CORRUPT_PID"
check "the corrupt peer is announced as a seeder" eval \
  "curl -sf --interface 127.0.0.5 'http://127.0.0.1:$TRACKER_BT/a/$TOKEN/announce?info_hash=$HASH&peer_id=-XX0001-corruptpeer!&port=$CORRUPT_PORT&uploaded=0&downloaded=0&left=0&event=started&compact=1' | grep -q 8:interval"
fetch corrupt alice b-clip
check_eq "alice's fetch completes (exit 0)" 0 "$(cat "$W/corrupt.rc")"
check_eq "with the right bytes" "$(sha "$W/media/b-clip.bin")" "$(sha "$W/corrupt/b-clip.bin")"
check "the corrupt peer did send alice blocks" eval '[[ $(cat "$W/corrupt.count") -ge 1 ]]'
check "the terminal says pieces failed their check" grep -q "failed their check" "$W/corrupt.err"
check "alice's CDR" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:alice@ims.localhost' AND content_id = 'b-clip'"
check_eq "she is charged for the file's good bytes, not the corrupt ones" $((6 * MIB)) "$(cdr alice b-clip)"
kill "$CORRUPT_PID" 2>/dev/null || true
wait "$HOLD_PID" 2>/dev/null || true

echo "# the token expires mid-download (40 MiB at 1 MiB/s; tokens last 25 s)"
check "content c-long held by the origin" add c-long 40 --price-model free
fetch expiry alice c-long
check_eq "the network ends the session: exit 6" 6 "$(cat "$W/expiry.rc")"
check "... saying why and that the bytes are kept" \
  grep -q "the network ended the session: session time limit reached (408); what was fetched is kept" "$W/expiry.err"
fetch resumed alice c-long expiry
check_eq "a second fetch resumes and completes" 0 "$(cat "$W/resumed.rc")"
check_eq "with the right bytes" "$(sha "$W/media/c-long.bin")" "$(sha "$W/expiry/c-long.bin")"
check "two CDRs" wait_sql 2 "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:alice@ims.localhost' AND content_id = 'c-long'"
# The first session holds what its announces reported before the network closed it (the
# terminal's last report comes after the close and is refused: docs/terminal.md, "Limits"); the
# bytes are never counted twice.
check "that add up to no more than the file" \
  eval '[[ $(cdr alice c-long | awk "{ s += \$1 } END { print s }") -le $((40 * MIB)) ]]'

echo "# out of credit mid-download: bob's 1.00 EUR buys 4 MiB of 90 at 0.25 EUR per MiB"
# Tokens as long as by default again (rights restarted without the 25 s lifetime), so that the
# session outlives its first usage report.
unset P2PIMS_TOKEN_TTL
suite_stop rights
suite_start rights
check "rights is ready again, with the default token lifetime" \
  suite_wait_url "http://127.0.0.1:$RIGHTS_ADMIN/readyz" 30
check "per-byte content d-payg held by the origin" add d-payg 90 --price-model per_byte --price 25
# Per-byte sessions report every minute (the tracker's --credit-announce-seconds): at bob's
# first report the grant is used up, the tracker ends his access, and sip-edge ends the session.
fetch credit bob d-payg
check_eq "sip-edge ends the session: exit 4 (out of credit)" 4 "$(cat "$W/credit.rc")"
check "... saying so (402)" grep -q "(402); what was fetched is kept" "$W/credit.err"
check "bob's CDR" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:bob@ims.localhost' AND content_id = 'd-payg'"
check_eq "bob's balance is used up, never below zero" 0 \
  "$(suite_psql -tA -c "SELECT balance_minor FROM charging.account WHERE subject = 'sip:bob@ims.localhost'")"
harness_finish
