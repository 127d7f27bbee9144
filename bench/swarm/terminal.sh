#!/usr/bin/env bash
# bench/run swarm, part one: the thin terminal. The same BENCH_SWARM_FILE_MB (100) MiB file is
# fetched from the same seeding terminal, one client after the other, by p2pims-ue, by
# transmission-cli and by aria2c, each with its own content session (the two others get a
# .torrent whose announce URL carries their session's token). For each: peak memory (RSS) and CPU
# time from /usr/bin/time, and the wall time of the fetch; ratios are p2pims-ue's over the lower
# of the two others (target: p2pims-ue the lowest, ratio <= 1). Prints one JSON object of these
# figures; bench/swarm/run.sh builds the binaries first.
#
# Environment: BENCH_SWARM_FILE_MB (100), BENCH_KEEP=1 keeps the temporary directory.
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=bench/lib/suite.sh
source "$BENCH_SRC/bench/lib/suite.sh"

readonly FILE_MB=${BENCH_SWARM_FILE_MB:-100}
for tool in transmission-cli aria2c sipp /usr/bin/time; do
  command -v "$tool" >/dev/null || die "$tool is not installed (tools/debian-packages.txt)"
done
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || die "python3-libtorrent is not installed"

load_at_start=$(load1)
bench_tmpdir
bench_suite_up
bench_psql -f "$BENCH_SRC/tools/demo/demo.sql" >/dev/null  # the demo subscribers and credentials
UE=$BENCH_BIN/tools/p2pims-ue/p2pims-ue
CTL=$BENCH_BIN/tools/p2pimsctl/p2pimsctl
W=$BENCH_TMP/swarm
mkdir -p "$W/media" "$W/seeder"

# v1 only, as tests/e2e/tracker_clients_test.sh does for aria2c: with the hybrid torrent aria2c
# announced an info-hash the token is not bound to ("the token is for another swarm").
say "content: $FILE_MB MiB, free, v1, added with p2pimsctl"
head -c $((FILE_MB * 1024 * 1024)) /dev/urandom >"$W/media/clip.bin"
"$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" --actor bench \
  content add "$W/media/clip.bin" --id clip --v1-only --owner bench --price-model free >"$W/add.log" 2>&1 ||
  die "content add failed (see $W/add.log)"
SHA=$(sha256sum "$W/media/clip.bin" | cut -d' ' -f1)

say "the seeder: a terminal that has the file (bob, 127.0.0.3)"
cp "$W/media/clip.bin" "$W/seeder/"
"$UE" fetch "sip:clip@$SIP_DOMAIN" --out "$W/seeder" --seed-seconds 86400 --quiet \
  --server "127.0.0.1:$SIP_PORT" --bind 127.0.0.3 --identity sip:bob@ims.localhost \
  --user bob-impi --password bob-secret >"$W/seeder.out" 2>"$W/seeder.err" &
SEEDER_PID=$!
BENCH_PIDS+=("$SEEDER_PID")
seeders() {
  "$CTL" --tracker "127.0.0.1:$TRACKER_GRPC" --json swarm stats clip 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin).get("seeders", 0))' 2>/dev/null || echo 0
}
for _ in $(seq 600); do [[ $(seeders) -ge 1 ]] && break; sleep 0.1; done
[[ $(seeders) -ge 1 ]] || die "the seeder did not join the swarm (see $W/seeder.err)"

# A content session held open by SIPp as the S-CSCF, its descriptor turned into a .torrent that
# announces to the session's HTTP URL: torrent_for NAME SUBJECT -> $W/NAME.torrent
torrent_for() {
  local name=$1 subject=$2
  (cd "$W" && timeout 60 sipp -sf "$BENCH_SRC/tests/sipp/invite_hold.xml" -s clip \
    -key domain "$SIP_DOMAIN" -key subject "$subject" -key fromtag "from-$name" -key pani "" \
    -cid_str "call-$name@bench" -m 1 -p "$(bench_free_port)" -timeout 20s -timeout_error \
    -nostdin -trace_logs -log_file "$W/$name.sipp.log" "127.0.0.1:$SIP_PORT" \
    >"$W/$name.sipp" 2>&1) || die "no session for $name (see $W/$name.sipp)"
  sed -n 's/^descriptor //p' "$W/$name.sipp.log" >"$W/$name.json"
  /usr/bin/python3 "$BENCH_SRC/tests/e2e/bt_client.py" torrent --descriptor "$W/$name.json" \
    --tracker http "$W/$name.torrent"
}

# measure NAME COMMAND...: runs one client under /usr/bin/time; sets RSS_KB CPU_S WALL_S.
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%M %U %S %e" -o "$W/$name.time" "$@" >"$W/$name.out" 2>"$W/$name.err" || true
  # The last line: a client stopped by a signal gets "Command terminated by signal 15" first.
  read -r RSS_KB user sys WALL_S < <(tail -n 1 "$W/$name.time")
  CPU_S=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}
fetched() { [[ $(sha256sum "$1" 2>/dev/null | cut -d' ' -f1) == "$SHA" ]]; }

say "p2pims-ue fetches it (alice, 127.0.0.2)"
measure ue "$UE" fetch "sip:clip@$SIP_DOMAIN" --out "$W/ue" --quiet --server "127.0.0.1:$SIP_PORT" \
  --bind 127.0.0.2 --identity sip:alice@ims.localhost --user alice-impi --password alice-secret
fetched "$W/ue/clip.bin" || die "p2pims-ue did not fetch the file (see $W/ue.err)"
UE_RSS=$RSS_KB UE_CPU=$CPU_S UE_WALL=$WALL_S

say "aria2c fetches it (its own session, carol)"
torrent_for aria2 sip:carol@ims.localhost
measure aria2 aria2c --enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
  --enable-peer-exchange=false --listen-port="$(bench_free_port)" --seed-time=0 --dir="$W/aria2" \
  --console-log-level=warn --summary-interval=0 --file-allocation=none --auto-file-renaming=false \
  "$W/aria2.torrent"
fetched "$W/aria2/clip.bin" || die "aria2c did not fetch the file (see $W/aria2.err)"
ARIA2_RSS=$RSS_KB ARIA2_CPU=$CPU_S ARIA2_WALL=$WALL_S

say "transmission-cli fetches it (its own session, carol again); stopped once it seeds"
torrent_for transmission sip:carol@ims.localhost
mkdir -p "$W/transmission.config"
cat >"$W/transmission.config/settings.json" <<EOF
{"dht-enabled": false, "pex-enabled": false, "lpd-enabled": false, "utp-enabled": false,
 "port-forwarding-enabled": false, "rpc-enabled": false, "blocklist-enabled": false,
 "bind-address-ipv4": "127.0.0.1", "peer-port": $(bench_free_port),
 "peer-port-random-on-start": false}
EOF
# transmission-cli seeds on after the download: a watcher stops it when the file is complete.
(
  for _ in $(seq 3000); do
    fetched "$W/transmission/clip.bin" && break
    sleep 0.2
  done
  pkill -TERM -f "^transmission-cli --config-dir $W/transmission.config" || true  # not /usr/bin/time
) &
WATCHER=$!
# transmission-cli does not dial peers on loopback addresses other than its own: once the tracker
# holds it as a leecher, the seeder announces again and dials it (SIGUSR1 to p2pims-ue).
(
  for _ in $(seq 300); do
    [[ $("$CTL" --tracker "127.0.0.1:$TRACKER_GRPC" --json swarm stats clip 2>/dev/null |
      /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin).get("leechers", 0))') -ge 1 ]] && break
    sleep 0.2
  done
  kill -USR1 "$SEEDER_PID" 2>/dev/null || true
) &
measure transmission transmission-cli --config-dir "$W/transmission.config" \
  --download-dir "$W/transmission" "$W/transmission.torrent"
wait "$WATCHER" 2>/dev/null || true
fetched "$W/transmission/clip.bin" || die "transmission-cli did not fetch the file (see $W/transmission.err)"
TR_RSS=$RSS_KB TR_CPU=$CPU_S TR_WALL=$WALL_S

best_rss=$((ARIA2_RSS < TR_RSS ? ARIA2_RSS : TR_RSS))
best_cpu=$(awk -v a="$ARIA2_CPU" -v b="$TR_CPU" 'BEGIN { print (a < b ? a : b) }')
lowest() { awk -v u="$1" -v a="$2" -v b="$3" 'BEGIN { print (u <= a && u <= b) ? "true" : "false" }'; }
printf '{"file_mb":%d,"ue_rss_kb":%d,"transmission_rss_kb":%d,"aria2_rss_kb":%d,' \
  "$FILE_MB" "$UE_RSS" "$TR_RSS" "$ARIA2_RSS"
printf '"ue_cpu_s":%s,"transmission_cpu_s":%s,"aria2_cpu_s":%s,' "$UE_CPU" "$TR_CPU" "$ARIA2_CPU"
printf '"ue_fetch_s":%s,"transmission_fetch_s":%s,"aria2_fetch_s":%s,' "$UE_WALL" "$TR_WALL" "$ARIA2_WALL"
printf '"ue_rss_ratio":%s,"ue_cpu_ratio":%s,"ue_lowest_rss":%s,"ue_lowest_cpu":%s,' \
  "$(ratio "$UE_RSS" "$best_rss")" "$(ratio "$UE_CPU" "$best_cpu")" \
  "$(lowest "$UE_RSS" "$ARIA2_RSS" "$TR_RSS")" "$(lowest "$UE_CPU" "$ARIA2_CPU" "$TR_CPU")"
printf '"load1_at_start":%s,"load1_at_end":%s}\n' "$load_at_start" "$(load1)"
