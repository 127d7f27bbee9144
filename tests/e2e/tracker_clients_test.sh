#!/usr/bin/env bash
# Real BitTorrent clients from Debian against the tracker's announce endpoints, end to end: a
# file becomes a hybrid (v1+v2) and a v1-only torrent, registered in rights and indexed in the
# tracker; subscribers open content sessions by SIP INVITE (SIPp as the S-CSCF) and take the
# announce URLs of their session descriptor; a seeder (python3-libtorrent) and leechers (aria2c
# and transmission-cli over HTTP, python3-libtorrent over HTTP and UDP) meet only through the
# tracker and download the file; announces without a token, with a forged token and with another
# swarm's token are refused and change nothing; usage reaches the session rows and the CDRs.
#
# Every client runs with DHT, PEX, local service discovery and port mapping off, on 127.0.0.1
# only, so the tracker is the only way peers meet. What each client needs (found by running them):
#   aria2c 1.36        --enable-dht=false --enable-dht6=false --bt-enable-lpd=false
#                      --enable-peer-exchange=false. --seed-time=0.05 (3 s), not 0: with 0 it
#                      goes straight to "stopped" and never sends "completed". It computes a wrong
#                      info-hash for hybrid torrents and speaks UDP trackers only with DHT on ("udp
#                      is not supported yet"): v1-only torrent over HTTP.
#   transmission 3.00  settings.json in --config-dir: dht/pex/lpd/utp/port-forwarding/rpc off,
#                      bound to 127.0.0.1. It cannot parse hybrid torrents ("Error parsing") and
#                      sends no BEP 41 URL data over UDP: v1-only torrent over HTTP. It never
#                      dials peers in 127.0.0.0/8 that a tracker hands out (libtransmission's
#                      isMartianAddr), so the seeder dials it: once the tracker holds transmission,
#                      the seeder re-announces (SIGUSR1 to bt_client.py) and gets it as a leecher.
#                      It sends no "stopped" on SIGTERM; its "completed" announce carries its
#                      totals.
#   libtorrent 2.0.8   (tests/e2e/bt_client.py) enable_dht/enable_lsd/upnp/natpmp off, torrent
#                      flags disable_dht/disable_lsd/disable_pex; allow_multiple_connections_per_ip
#                      on (every peer is 127.0.0.1); ssrf_mitigation off (it refuses a loopback
#                      HTTP tracker whose path does not start with /announce); TCP only. Over UDP
#                      it sends the URL's path as one BEP 41 option cut at 255 bytes, longer than
#                      a whole token with a locality: the UDP URL carries the session's short
#                      announce key (/s/<key>) instead. It also drops the text of UDP error
#                      replies (it reads the message from the packet's start, a NUL).
source "$(dirname "$0")/../lib/harness.sh"

PY=/usr/bin/python3  # Debian's python3-libtorrent lives there, not in another python3 on PATH
BT=("$PY" "$SUITE_SRC/tests/e2e/bt_client.py")
for tool in aria2c transmission-cli sipp curl; do
  command -v "$tool" >/dev/null || { fail "$tool is installed (tools/debian-packages.txt)"; exit 1; }
done
"$PY" -c 'import libtorrent' || { fail "python3-libtorrent is installed"; exit 1; }

# UDP tracker (BEP 15 + BEP 41), served since b27aad5. UDP_ANNOUNCE=0 skips the UDP checks (and
# says so), e.g. to run this test against an older tracker.
UDP_ANNOUNCE=${UDP_ANNOUNCE:-1}

harness_start

CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
PANI='P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e; np'
SEEDER=sip:seeder@ims.localhost ALICE=sip:alice@ims.localhost BOB=sip:bob@ims.localhost
CAROL=sip:carol@ims.localhost DAVE=sip:dave@ims.localhost
W=$SUITE_DIR/bt
mkdir -p "$W" "$W/sessions"

ctl() {
  "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --charging "127.0.0.1:$CHARGING_GRPC" \
    --tracker "127.0.0.1:$TRACKER_GRPC" --actor e2e "$@"
}
ctl_json() { OUT=$(ctl --json "$@" 2>"$W/ctl.err"); }  # leaves its output in OUT
# swarm ID -> "seeders leechers completed" by Tracker.SwarmStats (p2pimsctl swarm stats)
swarm() {
  ctl --json swarm stats "$1" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("seeders", 0), d.get("leechers", 0), d.get("completed", 0))'
}
sql() { suite_psql -tA -c "$1"; }
has() { grep -qF -- "$1" <<<"$2"; }
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
same_file() { [[ $(sha "$1") == "$FILE_SHA" ]]; }
# The value of one sample of the tracker's /metrics, 0 when absent: metric 'name{labels}'
metric() {
  curl -fsS "http://127.0.0.1:$TRACKER_ADMIN/metrics" | awk -v m="$1" '$1 == m {print $2; f=1} END {if (!f) print 0}'
}
metric_is() { [[ $(metric "$1") == "$2" ]]; }
# shellcheck disable=SC2001  # every two hex digits, not one pattern
pct() { sed 's/../%&/g' <<<"$1"; }  # hex -> URL-encoded bytes
# A raw HTTP announce as a client would send it, the bencoded reply printed as JSON:
# http_announce BASE_URL INFO_HASH_HEX PORT LEFT
http_announce() {
  curl -sS --max-time 5 "$1?info_hash=$(pct "$2")&peer_id=$(pct 2d43552d303030312d6162636465666768696a6b)&port=$3&uploaded=0&downloaded=0&left=$4&compact=1" |
    "${BT[@]}" bdecode
}
# scrape TOKEN INFO_HASH_HEX -> "complete incomplete downloaded" of that swarm
scrape() {
  curl -sS --max-time 5 "http://127.0.0.1:$TRACKER_BT/a/$1/scrape?info_hash=$(pct "$2")" |
    "${BT[@]}" bdecode | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
if "files" not in d: print("failure:", d.get("failure reason")); sys.exit()
(f,) = d["files"].values()
print(f["complete"], f["incomplete"], f["downloaded"])'
}
log_has() { grep -qF -- "$2" "$1" 2>/dev/null; }
# by DEADLINE command...: eventually, within what is left until DEADLINE (a $SECONDS value), so
# that the waits of one phase share one budget and a broken tracker fails the test in bounded time.
by() {
  local left=$(($1 - SECONDS))
  ((left > 0)) || left=1
  eventually "$left" "${@:2}"
}
not() { ! "$@"; }

# --- sessions over SIP (open_session, close_session, field), libtorrent clients (start_lt) --
# shellcheck source=tests/lib/bt_sessions.sh
source "$SUITE_SRC/tests/lib/bt_sessions.sh"

# --- clients -------------------------------------------------------------------------------
# Each starts in the background; its log is $W/NAME.log, its files in $W/NAME/.
start_aria2() {  # start_aria2 NAME TORRENT
  local name=$1 torrent=$2 port
  port=$(free_port)
  mkdir -p "$W/$name"
  aria2c --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false \
    --listen-port="$port" --seed-time=0.05 --dir="$W/$name" --log="$W/$name.log" --log-level=info \
    --console-log-level=warn --summary-interval=0 --file-allocation=none --auto-file-renaming=false \
    --bt-tracker-connect-timeout=5 --bt-tracker-timeout=10 --stop-with-process=$$ \
    "$torrent" >"$W/$name.out" 2>&1 &
  CLIENT_PIDS+=($!)
  PID[$name]=$! PORT[$name]=$port
}
start_transmission() {  # start_transmission NAME TORRENT
  local name=$1 torrent=$2 port
  port=$(free_port)
  mkdir -p "$W/$name" "$W/$name.config"
  cat >"$W/$name.config/settings.json" <<EOF
{"dht-enabled": false, "pex-enabled": false, "lpd-enabled": false, "utp-enabled": false,
 "port-forwarding-enabled": false, "rpc-enabled": false, "blocklist-enabled": false,
 "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
 "peer-port": $port, "peer-port-random-on-start": false, "message-level": 3}
EOF
  transmission-cli --config-dir "$W/$name.config" --download-dir "$W/$name" "$torrent" \
    >"$W/$name.log" 2>&1 &
  CLIENT_PIDS+=($!)
  PID[$name]=$! PORT[$name]=$port
}
stop_client() {  # stop_client NAME: SIGTERM, then wait for it (clients send their stopped announce)
  kill -TERM "${PID[$1]}" 2>/dev/null || true
  wait "${PID[$1]}" 2>/dev/null || true
}

echo "# content: one file as a hybrid and a v1-only torrent, registered in rights, indexed in the tracker"
mkdir -p "$W/media"
head -c $((4 * 1024 * 1024 + 12345)) /dev/urandom >"$W/media/clip.bin"  # the last piece is short
FILE_SHA=$(sha "$W/media/clip.bin")
# p2pimsctl content add: hash (libtorrent), RightsAdmin.RegisterContent, ContentIndex.IndexContent
# with the metainfo (which OpenSession hands to sip-edge for the descriptor).
check "content add: the hybrid torrent, registered and indexed" ctl_json content add \
  "$W/media/clip.bin" --id clip-hybrid --owner e2e-studio --price-model free --torrent-out "$W/hybrid.torrent"
check "... as new content in both" has '"rights":"registered","tracker":"indexed"' "$OUT"
check "content add --v1-only: the v1-only torrent, registered and indexed" ctl_json content add \
  "$W/media/clip.bin" --id clip-v1 --v1-only --owner e2e-studio --price-model free --torrent-out "$W/v1.torrent"
check "... as new content in both" has '"rights":"registered","tracker":"indexed"' "$OUT"
"${BT[@]}" info "$W/hybrid.torrent" >"$W/hybrid.info"
"${BT[@]}" info "$W/v1.torrent" >"$W/v1.info"
info() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$W/$1.info" "$2"; }
HYB_V1=$(info hybrid info_hash_v1) HYB_V2=$(info hybrid info_hash_v2_truncated)
V1_V1=$(info v1 info_hash_v1)
check "the hybrid torrent has a v2 info-hash" test -n "$HYB_V2"
check_eq "the v1-only torrent has none" "" "$(info v1 info_hash_v2)"
check_eq "the tracker indexes both with their info-hashes" \
  "clip-hybrid|$HYB_V1|$HYB_V2 clip-v1|$V1_V1|" \
  "$(sql "SELECT content_id || '|' || encode(info_hash, 'hex') || '|' || coalesce(encode(info_hash_v2_truncated, 'hex'), '')
          FROM tracker.content WHERE content_id LIKE 'clip-%' ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
check_eq "rights has the same v1 info-hashes" "$HYB_V1 $V1_V1" \
  "$(sql "SELECT string_agg(encode(info_hash_v1, 'hex'), ' ' ORDER BY content_id) FROM rights.content
          WHERE content_id LIKE 'clip-%'")"
for who in "$SEEDER" "$DAVE"; do
  check "charging account for $who" ctl_json account create --subject "$who" --kind prepaid --currency EUR
done

echo "# content sessions by SIP INVITE: each client gets the announce URLs of its descriptor"
check "seeder's session for the v1 torrent" open_session seed-v1 clip-v1 "$SEEDER"
check "seeder's session for the hybrid torrent" open_session seed-hybrid clip-hybrid "$SEEDER"
check "alice's session (aria2c, v1)" open_session alice clip-v1 "$ALICE"
check "bob's session (transmission, v1)" open_session bob clip-v1 "$BOB"
check "carol's session (libtorrent over HTTP, hybrid)" open_session carol clip-hybrid "$CAROL"
check "dave's session (libtorrent over UDP, hybrid)" open_session dave clip-hybrid "$DAVE"
((FAILURES == 0)) || exit 1  # everything below needs the sessions
check_eq "the descriptor names the session's content and info-hash" "clip-v1 $V1_V1" \
  "$(field alice content_id) $(field alice info_hash)"
check "the HTTP announce URL carries the token" \
  test "$(field alice announce 0)" = "http://127.0.0.1:$TRACKER_BT/a/$(field alice token)/announce"
check "the UDP announce URL carries the session's announce key" \
  eval '[[ $(field alice announce 1) =~ ^udp://127\.0\.0\.1:'"$TRACKER_BT"'/s/[A-Za-z0-9_-]{22}$ ]]'
check_eq "the tracker holds the six sessions open" 6 \
  "$(sql "SELECT count(*) FROM tracker.session WHERE closed_at IS NULL")"
for s in seed-v1 seed-hybrid alice bob carol; do
  check "$s: .torrent from the descriptor's metainfo, announcing to its HTTP URL" \
    "${BT[@]}" torrent --descriptor "$W/sessions/$s.json" --tracker http "$W/$s.torrent"
done
check "dave: .torrent announcing to the descriptor's UDP URL" \
  "${BT[@]}" torrent --descriptor "$W/sessions/dave.json" --tracker udp "$W/dave.torrent"
check_eq "the descriptor's metainfo is the indexed torrent (same info-hash)" "$HYB_V1" \
  "$("${BT[@]}" info "$W/carol.torrent" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["info_hash_v1"])')"
DAVE_PATH=$(field dave announce 1 | sed 's|^udp://[^/]*||')
CAROL_PATH=$(field carol announce 1 | sed 's|^udp://[^/]*||')
echo "  UDP URL paths: dave ${#DAVE_PATH} bytes, carol ${#CAROL_PATH} bytes (tokens: $(field dave token | wc -c) bytes)"
check "dave's UDP URL path fits in one BEP 41 URL-data option (255 bytes)" test "${#DAVE_PATH}" -le 255

echo "# the seeder joins both swarms"
start_lt seed seed-v1 "$W/seed-v1.torrent"
start_lt seed seed-hybrid "$W/seed-hybrid.torrent"
BY=$((SECONDS + 20))
check "the v1 seeder's announce is answered" by $BY log_has "$W/seed-v1.log" "tracker-reply v1"
check "the hybrid seeder's v1 announce is answered" \
  by $BY log_has "$W/seed-hybrid.log" "tracker-reply v1"
check "the hybrid seeder's v2 announce (truncated v2 info-hash) is answered too" \
  by $BY log_has "$W/seed-hybrid.log" "tracker-reply v2"
check "... and is not refused" not log_has "$W/seed-hybrid.log" tracker-error
ALICE_TOKEN=$(field alice token) CAROL_TOKEN=$(field carol token)
check_eq "scrape: the v1 swarm holds one seeder" "1 0 0" "$(scrape "$ALICE_TOKEN" "$V1_V1")"
check_eq "scrape: the hybrid swarm holds one seeder (v1 and v2 announces are one peer)" "1 0 0" \
  "$(scrape "$CAROL_TOKEN" "$HYB_V1")"
check_eq "scrape by the truncated v2 info-hash shows the same swarm" "1 0 0" \
  "$(scrape "$CAROL_TOKEN" "$HYB_V2")"
check_eq "SwarmStats (p2pimsctl swarm stats): one seeder in each swarm" "1 0 0|1 0 0" \
  "$(swarm clip-v1)|$(swarm clip-hybrid)"
((FAILURES == 0)) || exit 1  # everything below needs the seeders in their swarms
SEEDERS_METRIC='p2pims_tracker_peers{role="seeder"}' LEECHERS_METRIC='p2pims_tracker_peers{role="leecher"}'
check "the tracker's metrics count the two seeders (after a housekeeping pass)" \
  eventually 5 metric_is "$SEEDERS_METRIC" 2
check_eq "... and no leecher" 0 "$(metric "$LEECHERS_METRIC")"

echo "# refusals: no token, a forged token, another swarm's token"
BASE=http://127.0.0.1:$TRACKER_BT
# A forged token: one character of the signature changed (the last one keeps the base64url
# canonical only for some values, so change one in the middle).
FORGED=$("$PY" -c '
import sys
t = sys.argv[1]; p, s = t.split(".")
i = len(s) // 2
s = s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:]
print(p + "." + s)' "$ALICE_TOKEN")
check "the forged token differs from alice's in one signature character" \
  test "${FORGED%%.*}" = "${ALICE_TOKEN%%.*}" -a "$FORGED" != "$ALICE_TOKEN"
denied_before=$(metric 'p2pims_tracker_announces_total{protocol="http",result="denied"}')
bad_before=$(metric 'p2pims_tracker_announces_total{protocol="http",result="bad_request"}')
usage_before=$(sql "SELECT sum(bytes_down + bytes_up) FROM tracker.session")

# status: the HTTP status of a GET (libtorrent reads a failure reason only from a 200 answer)
status() { curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
q="info_hash=$(pct "$V1_V1")&peer_id=$(pct 2d43552d303030312d6162636465666768696a6b)&port=40001&uploaded=0&downloaded=0&left=100"
codes="$(status "$BASE/announce?$q") $(status "$BASE/a/$FORGED/announce?$q") $(status "$BASE/a/$CAROL_TOKEN/announce?$q")"
check_eq "the refusals (no token, forged, other swarm) answer HTTP 200 with the failure" "200 200 200" "$codes"
reply=$(http_announce "$BASE/announce" "$V1_V1" 40001 100)
echo "  no token: $reply"
check "an announce without a token gets a bencoded failure reason" has '"failure reason"' "$reply"
reply=$(http_announce "$BASE/a/$FORGED/announce" "$V1_V1" 40001 100)
echo "  forged token: $reply"
check "an announce with a forged token is refused: bad signature" has 'bad token signature' "$reply"
reply=$(http_announce "$BASE/a/$CAROL_TOKEN/announce" "$V1_V1" 40001 100)
echo "  another swarm's token: $reply"
check "an announce with another swarm's token is refused" has 'the token is for another swarm' "$reply"
reply=$(curl -sS --max-time 5 "$BASE/a/$CAROL_TOKEN/scrape?info_hash=$(pct "$V1_V1")" | "${BT[@]}" bdecode)
check "a scrape of another swarm is refused" has 'the token is for another swarm' "$reply"
reply=$(curl -sS --max-time 5 "$BASE/a/$FORGED/scrape?info_hash=$(pct "$V1_V1")" | "${BT[@]}" bdecode)
check "a scrape with a forged token is refused" has 'bad token signature' "$reply"

# The same three refusals as real clients see them.
"${BT[@]}" torrent --from "$W/v1.torrent" --announce "$BASE/announce" "$W/notoken.torrent"
"${BT[@]}" torrent --from "$W/v1.torrent" --announce "$BASE/a/$FORGED/announce" "$W/forged.torrent"
"${BT[@]}" torrent --from "$W/v1.torrent" --announce "$(field carol announce 0)" "$W/otherswarm.torrent"
start_aria2 notoken "$W/notoken.torrent"
start_transmission forged "$W/forged.torrent"
start_lt leech otherswarm "$W/otherswarm.torrent"
check "aria2c reports the tracker's failure reason (no token)" \
  by $((BY = SECONDS + 20)) log_has "$W/notoken.log" "Tracker returned failure reason:"
grep -m1 -o "Tracker returned failure reason:.*" "$W/notoken.log" | sed 's/^/  aria2c: /'
check "transmission-cli reports the forged token's refusal" \
  by $BY log_has "$W/forged.log" 'Tracker error: "bad token signature"'
check "libtorrent reports another swarm's token's refusal" \
  by $BY log_has "$W/otherswarm.log" "'the token is for another swarm'"
check "the refused aria2c got no data" not same_file "$W/notoken/clip.bin"
stop_client notoken
stop_client forged
stop_client otherswarm
check "the refused transmission-cli got no data" not same_file "$W/forged/clip.bin"
check "the refused libtorrent got no data" not same_file "$W/otherswarm/clip.bin"
# The scrape reads the swarms as they are (the peers gauge above lags by a housekeeping pass).
check_eq "the refusals left the v1 swarm as it was" "1 0 0" "$(scrape "$ALICE_TOKEN" "$V1_V1")"
check_eq "... and the hybrid swarm" "1 0 0" "$(scrape "$CAROL_TOKEN" "$HYB_V1")"
check_eq "... as SwarmStats reports them too" "1 0 0|1 0 0" "$(swarm clip-v1)|$(swarm clip-hybrid)"
check "the tracker counted denied announces" \
  test "$(metric 'p2pims_tracker_announces_total{protocol="http",result="denied"}')" -gt "$denied_before"
echo "  announces: denied $denied_before -> $(metric 'p2pims_tracker_announces_total{protocol="http",result="denied"}'), bad_request $bad_before -> $(metric 'p2pims_tracker_announces_total{protocol="http",result="bad_request"}')"
check_eq "no usage was metered for refused announces" "$usage_before" \
  "$(sql "SELECT sum(bytes_down + bytes_up) FROM tracker.session")"

echo "# leechers download through the managed swarms"
start_aria2 alice "$W/alice.torrent"
start_transmission bob "$W/bob.torrent"
start_lt leech carol "$W/carol.torrent"
# transmission never dials 127.0.0.0/8 peers from a tracker: once the tracker holds it (its
# announce was answered), the seeder announces again and dials the leechers it is given.
check "transmission's announce is answered" \
  by $((BY = SECONDS + 90)) log_has "$W/bob.log" "peers from tracker"
kill -USR1 "${PID[seed-v1]}"
check "aria2c completes over HTTP, file intact" by $BY same_file "$W/alice/clip.bin"
check "transmission-cli completes over HTTP, file intact" by $BY same_file "$W/bob/clip.bin"
check "libtorrent completes the hybrid over HTTP, file intact" by $BY same_file "$W/carol/clip.bin"
check "libtorrent's v2 announces were answered too" log_has "$W/carol.log" "tracker-reply v2"
# Only the tracker knew the seeder's port: aria2c dialled it.
check "aria2c dialled the seeder the tracker handed out" \
  log_has "$W/alice.log" "Connecting to 127.0.0.1:${PORT[seed-v1]}"

if ((UDP_ANNOUNCE)); then
  echo "# UDP (BEP 15, the token's path as BEP 41 URL data)"
  start_lt leech dave "$W/dave.torrent"
  check "dave's UDP announce is answered" by $((BY = SECONDS + 60)) log_has "$W/dave.log" "tracker-reply v1"
  check "libtorrent completes the hybrid over UDP, file intact" \
    by $BY same_file "$W/dave/clip.bin"
  check "the tracker counted UDP announces" \
    test "$(metric 'p2pims_tracker_announces_total{protocol="udp",result="ok"}')" -gt 0
  UDP=127.0.0.1:$TRACKER_BT
  udp_announce() { "${BT[@]}" udp-announce "$UDP" "$@"; }
  # The whole token still works as "/a/<token>": a path longer than 255 bytes split over two
  # URL-data options (BEP 41) is joined.
  CAROL_TOKEN_PATH="/a/$(field carol token)"
  reply=$(udp_announce "$CAROL_TOKEN_PATH" "$HYB_V1" 40003 0 started)
  echo "  carol's ${#CAROL_TOKEN_PATH}-byte token path in two options: $reply"
  check "a token split over two BEP 41 options is admitted" has '"interval"' "$reply"
  udp_announce "$CAROL_TOKEN_PATH" "$HYB_V1" 40003 0 stopped >/dev/null
  reply=$(udp_announce "" "$V1_V1" 40003 100)
  echo "  UDP, no token: $reply"
  check "a UDP announce without a token is refused" has '"failure reason"' "$reply"
  reply=$(udp_announce "/a/$FORGED" "$V1_V1" 40003 100)
  echo "  UDP, forged token: $reply"
  check "a UDP announce with a forged token is refused" has 'bad token signature' "$reply"
  reply=$(udp_announce "$CAROL_PATH" "$V1_V1" 40003 100)
  echo "  UDP, another swarm's announce key: $reply"
  check "a UDP announce with another swarm's key is refused" has 'the token is for another swarm' "$reply"
  reply=$(udp_announce "/s/AAAAAAAAAAAAAAAAAAAAAA" "$HYB_V1" 40003 100)
  check "an unknown announce key is refused" has 'unknown announce key' "$reply"
  reply=$(udp_announce "${CAROL_TOKEN_PATH:0:255}" "$HYB_V1" 40003 100)
  echo "  UDP, carol's token path cut at 255 bytes (what libtorrent sends of it): $reply"
  check "a token cut short is refused as malformed" has 'malformed token' "$reply"
  # libtorrent sends one URL-data option cut at 255 bytes, too short for a token with a
  # locality; the descriptor's UDP URL names the session's announce key, which always fits.
  "${BT[@]}" torrent --descriptor "$W/sessions/carol.json" --tracker udp "$W/carol-udp.torrent"
  start_lt leech carol-udp "$W/carol-udp.torrent"
  check "libtorrent over UDP with carol's session (a token with a locality) is answered" \
    eventually 15 log_has "$W/carol-udp.log" "tracker-reply v1"
  check "... and completes the download, file intact" eventually 60 same_file "$W/carol-udp/clip.bin"
  stop_client carol-udp
else
  echo "  SKIPPED: UDP announces (UDP_ANNOUNCE=0)"
fi

((FAILURES == 0)) || exit 1  # what follows reads what the downloads left behind
echo "# the leechers leave the swarms; usage metered from their announces"
gone() { ! kill -0 "${PID[$1]}" 2>/dev/null; }
BY=$((SECONDS + 20))
check "aria2c quits after its seed time (completed, then stopped)" by $BY gone alice
check "libtorrent (carol) quits (completed, then stopped)" by $BY gone carol
((UDP_ANNOUNCE)) && check "libtorrent (dave, UDP) quits" by $BY gone dave
leavers="alice bob carol"
((UDP_ANNOUNCE)) && leavers+=" dave"
for s in $leavers; do  # transmission seeds on; its completed announce carried its totals
  check "$s's session metered at least the file downloaded" \
    wait_sql t "SELECT bytes_down >= $(stat -c %s "$W/media/clip.bin") FROM tracker.session
                WHERE session_id = '$(field "$s" session_id)'" 20
done
check_eq "SwarmStats: the v1 swarm holds the seeder and transmission, now seeding" "2 0 2" \
  "$(swarm clip-v1)"
check_eq "SwarmStats: the hybrid swarm holds the seeder alone (the leechers said stopped)" \
  "1 0 $((1 + 2 * UDP_ANNOUNCE))" "$(swarm clip-hybrid)"
stop_client bob
kill -USR1 "${PID[seed-v1]}" "${PID[seed-hybrid]}"  # the seeders report what they uploaded
check "the v1 seeder's session metered its uploads" \
  wait_sql t "SELECT bytes_up > 0 FROM tracker.session WHERE session_id = '$(field seed-v1 session_id)'" 20
check_eq "scrape: the v1 swarm counted two completions (aria2c, transmission)" 2 \
  "$(scrape "$ALICE_TOKEN" "$V1_V1" | cut -d' ' -f3)"
check_eq "scrape: the hybrid swarm counted libtorrent's (HTTP, and dave's and carol's UDP when on)" \
  $((1 + 2 * UDP_ANNOUNCE)) \
  "$(scrape "$CAROL_TOKEN" "$HYB_V1" | cut -d' ' -f3)"
stop_clients
echo "# the sessions end by BYE"
for s in seed-v1 seed-hybrid alice bob carol dave; do
  check "$s's BYE is answered 200" close_session "$s"
done
check "every session is closed at the tracker" \
  wait_sql 0 "SELECT count(*) FROM tracker.session WHERE closed_at IS NULL" 10
check "alice's CDR carries the bytes her client reported" \
  wait_sql t "SELECT bytes_down >= $(stat -c %s "$W/media/clip.bin") FROM charging.cdr
              WHERE served_identity = '$ALICE' AND content_id = 'clip-v1'" 10
reply=$(http_announce "$(field alice announce 0)" "$V1_V1" 40002 0)
echo "  closed session's token: $reply"
check "a closed session's token is refused" has '"failure reason"' "$reply"

harness_finish
