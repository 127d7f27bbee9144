#!/usr/bin/env bash
# The reference terminal, p2pims-ue, against the real suite: PostgreSQL, the four services, and
# two terminals as direct clients (digest, on 127.0.0.2). bob already has the file: his fetch
# finds it complete on disk and stays in the session to share it. alice fetches it from bob
# through the swarm the tracker manages, gets the same bytes, and both sessions end in CDRs.
# Refusals come back as the exit codes and messages of outcome.h.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

UE=$SUITE_BIN/tools/p2pims-ue/p2pims-ue
CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
W=$SUITE_DIR/ue
mkdir -p "$W/media" "$W/bob" "$W/alice"
ue() {  # ue NAME [PASSWORD] ARGS...: NAME's terminal; stdout and stderr in $W/NAME.out/.err
  local name=$1
  shift
  "$UE" "$@" --server "127.0.0.1:$SIP_PORT" --bind 127.0.0.2 --identity "sip:$name@ims.localhost" \
    --user "$name-impi" --password "${PASSWORD:-$name-secret}" --timeout-seconds 10 \
    >"$W/$name.out" 2>"$W/$name.err"
}
exit_code() {  # exit_code NAME ARGS...: the exit code of one terminal run
  local rc=0
  ue "$@" || rc=$?
  echo "$rc"
}
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
seeders() {
  "$CTL" --tracker "127.0.0.1:$TRACKER_GRPC" --json swarm stats clip |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("seeders", 0))'
}
BOB_PID=
stop_bob() { [[ -z $BOB_PID ]] || { kill -TERM "$BOB_PID" 2>/dev/null; wait "$BOB_PID" 2>/dev/null; } || true; }
at_exit stop_bob

echo "# content: a 4 MiB clip, free, registered in rights and indexed in the tracker"
head -c $((4 * 1024 * 1024 + 777)) /dev/urandom >"$W/media/clip.bin"
check "p2pimsctl content add" "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" \
  --actor e2e content add "$W/media/clip.bin" --id clip --owner e2e-studio --price-model free

echo "# bob shares the file (seed): first with half of it, then whole"
head -c $((2 * 1024 * 1024)) "$W/media/clip.bin" >"$W/bob/clip.bin"
check_eq "seeding an incomplete copy fails: 8" 8 "$(exit_code bob seed "sip:clip@$SIP_DOMAIN" --out "$W/bob")"
check "... saying so" grep -q "does not hold the whole content" "$W/bob.err"
cp "$W/media/clip.bin" "$W/bob/"
# Started directly, not through ue(), so that $! is the terminal itself.
"$UE" seed "sip:clip@$SIP_DOMAIN" --out "$W/bob" --server "127.0.0.1:$SIP_PORT" \
  --bind 127.0.0.2 --identity sip:bob@ims.localhost --user bob-impi --password bob-secret \
  >"$W/bob-seed.out" 2>"$W/bob-seed.err" &
BOB_PID=$!
check "bob's terminal is in the swarm as a seeder" eventually 30 eval '[[ $(seeders) -ge 1 ]]'

echo "# alice fetches it"
check_eq "alice's fetch succeeds" 0 "$(exit_code alice fetch "sip:clip@$SIP_DOMAIN" --out "$W/alice" --quiet)"
check_eq "it prints where the file is" "$W/alice/clip.bin" "$(cat "$W/alice.out")"
check_eq "with bob's bytes" "$(sha "$W/media/clip.bin")" "$(sha "$W/alice/clip.bin")"
check "and says how much came from peers" grep -q "fetched 4.0 MiB in .*: 4.0 MiB from peers" "$W/alice.err"
check "alice's session ended in a CDR" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:alice@ims.localhost' AND content_id = 'clip'"
check_eq "a second fetch finds everything on disk and takes nothing from peers" 0 \
  "$(exit_code alice fetch "sip:clip@$SIP_DOMAIN" --out "$W/alice" --quiet)"
check "... 0 B from peers" grep -q ": 0 B from peers" "$W/alice.err"

echo "# bob stops sharing (SIGTERM, as Ctrl-C's SIGINT)"
kill -TERM "$BOB_PID"
rc=0
wait "$BOB_PID" || rc=$?
BOB_PID=
check_eq "bob's terminal exits 0: stopping is how sharing ends" 0 "$rc"
check "... and says what it shared" grep -q "shared 4.0 MiB in .*: 0 B from peers, 4.0 MiB shared" "$W/bob-seed.err"
check "bob's sessions ended in CDRs: the refused seed (nothing moved) and the one that shared" \
  wait_sql "0|0,0|$((4 * 1024 * 1024 + 777))" \
  "SELECT string_agg(bytes_down || '|' || bytes_up, ',' ORDER BY bytes_up) FROM charging.cdr
   WHERE served_identity = 'sip:bob@ims.localhost' AND content_id = 'clip'"

echo "# refusals: exit codes and the network's reasons"
check_eq "bob has no entitlement to sintel: 3" 3 "$(exit_code bob fetch "sip:sintel@$SIP_DOMAIN" --out "$W/x")"
check "... and says so" grep -q "no entitlement" "$W/bob.err"
check_eq "carol is out of credit for per-byte content: 4" 4 \
  "$(exit_code carol fetch "sip:live-match@$SIP_DOMAIN" --out "$W/x")"
check "... and says so (402)" grep -q "out of credit.*(402)" "$W/carol.err"
check_eq "unknown content: 5" 5 "$(exit_code alice fetch "sip:no-such-thing@$SIP_DOMAIN" --out "$W/x")"
check_eq "a wrong password: 7" 7 \
  "$(PASSWORD=wrong exit_code alice fetch "sip:clip@$SIP_DOMAIN" --out "$W/x")"
check "... authentication failed" grep -q "authentication failed" "$W/alice.err"
check_eq "no server listening: 6" 6 \
  "$(SIP_PORT=$(free_port) exit_code alice fetch "sip:clip@$SIP_DOMAIN" --out "$W/x" --timeout-seconds 2)"
check_eq "a content address that is not one: 2" 2 "$(exit_code alice fetch "clip" --out "$W/x")"
check_eq "two piece strategies at once: 2" 2 \
  "$(exit_code alice fetch "sip:clip@$SIP_DOMAIN" --out "$W/x" --super-seed --one-copy-first)"
check "... and says why" grep -q "exclude each other" "$W/alice.err"
check_eq "a receive buffer below 16 KiB: 2" 2 \
  "$(exit_code alice fetch "sip:clip@$SIP_DOMAIN" --out "$W/x" --receive-buffer-kb=8)"
check "... and says what it may be" grep -q "receive-buffer-kb must be 0" "$W/alice.err"

echo "# content whose descriptor does not fit in a UDP datagram (1,536 pieces of a hybrid torrent)"
head -c $((24 * 1024 * 1024)) /dev/urandom >"$W/media/big.bin"
check "p2pimsctl content add --piece-kb 16" "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" \
  --tracker "127.0.0.1:$TRACKER_GRPC" --actor e2e content add "$W/media/big.bin" --id big \
  --owner e2e-studio --price-model free --piece-kb 16
refused_before=$(sip_metric p2pims_sip_responses_total 'method="INVITE"' 'code="500"')
mkdir -p "$W/bob-big" "$W/alice-big"
cp "$W/media/big.bin" "$W/bob-big/"
"$UE" seed "sip:big@$SIP_DOMAIN" --out "$W/bob-big" --server "127.0.0.1:$SIP_PORT" \
  --bind 127.0.0.2 --identity sip:bob@ims.localhost --user bob-impi --password bob-secret \
  >"$W/bob-big.out" 2>"$W/bob-big.err" &
BOB_BIG_PID=$!
at_exit 'kill -TERM $BOB_BIG_PID 2>/dev/null; wait $BOB_BIG_PID 2>/dev/null || true'
big_seeders() {
  "$CTL" --tracker "127.0.0.1:$TRACKER_GRPC" --json swarm stats big |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("seeders", 0))'
}
check "bob seeds it: his INVITE over UDP was refused, the one over TCP served" \
  eventually 30 eval '[[ $(big_seeders) -ge 1 ]]'
check "... and his terminal said why it moved to TCP" \
  grep -q "too large for UDP: send the INVITE over TCP; trying again over TCP" "$W/bob-big.err"
check_eq "alice fetches it the same way" 0 \
  "$(exit_code alice fetch "sip:big@$SIP_DOMAIN" --out "$W/alice-big" --quiet)"
check_eq "... the whole file" "$(sha "$W/media/big.bin")" "$(sha "$W/alice-big/big.bin")"
check_eq "sip-edge refused the two INVITEs over UDP with 500 and a reason" 2 \
  "$(($(sip_metric p2pims_sip_responses_total 'method="INVITE"' 'code="500"') - ${refused_before:-0}))"
check_eq "... leaving no session of theirs open (bob's TCP one aside)" 1 \
  "$(sip_metric p2pims_sip_active_sessions)"
echo "# register: online until stopped"
"$UE" register --server "127.0.0.1:$SIP_PORT" --bind 127.0.0.2 --identity sip:alice@ims.localhost \
  --user alice-impi --password alice-secret >"$W/register.out" 2>"$W/register.err" &
REGISTER_PID=$!
check "alice is registered at sip-edge" eventually 10 eval '[[ $(sip_metric p2pims_sip_registrations) == 1 ]]'
kill -TERM "$REGISTER_PID"
rc=0
wait "$REGISTER_PID" || rc=$?
check_eq "stopped, the terminal unregisters and exits 0" 0 "$rc"
check_eq "no registration left" 0 "$(sip_metric p2pims_sip_registrations)"

harness_finish
