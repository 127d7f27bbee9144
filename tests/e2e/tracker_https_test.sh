#!/usr/bin/env bash
# The tracker behind HTTPS (issue 9, transport security), end to end: a test CA and a server
# certificate made with the openssl CLI; the tracker serves HTTPS beside its plain HTTP and UDP,
# and sessions opened by SIP INVITE (SIPp as the S-CSCF) carry an https:// announce URL first.
# A seeder and a leecher (python3-libtorrent, trusting the CA through SSL_CERT_FILE) meet only
# through that URL and the file arrives intact; curl --cacert announces and scrapes; plain HTTP
# on the HTTPS port and a client that distrusts the certificate are refused and counted; the
# certificate is rotated under the running clients (new connections get the new one, the
# clients go on announcing); a key that is not the certificate's stops a tracker at start-up.
source "$(dirname "$0")/../lib/harness.sh"

PY=/usr/bin/python3  # Debian's python3-libtorrent lives there
BT=("$PY" "$SUITE_SRC/tests/e2e/bt_client.py")
for tool in openssl sipp curl; do
  command -v "$tool" >/dev/null || { fail "$tool is installed (tools/debian-packages.txt)"; exit 1; }
done
"$PY" -c 'import libtorrent' || { fail "python3-libtorrent is installed"; exit 1; }

W=$SUITE_DIR/bt
TLS=$SUITE_DIR/tls
mkdir -p "$W" "$TLS"

# --- certificates: a CA, the tracker's certificate (chain file: leaf then CA), a stray key ---
# new_leaf NAME CN DAYS: a key and a certificate for 127.0.0.1 and localhost signed by the CA.
new_leaf() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$TLS/$1.key" -out "$TLS/$1.csr" 2>/dev/null
  openssl x509 -req -in "$TLS/$1.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days "$3" -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n') \
    -out "$TLS/$1.crt" 2>/dev/null
  cat "$TLS/$1.crt" "$TLS/ca.crt" >"$TLS/$1.chain"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=p2pims e2e CA" \
  -days 2 -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2>/dev/null
new_leaf first tracker-first 2
new_leaf second tracker-second 3  # another notAfter, for the expiry gauge
# What the tracker reads: the files a Secret rotation swaps (by rename, as kubelet does).
install_pair() {
  cp "$TLS/$1.chain" "$TLS/tls.crt.new" && cp "$TLS/$1.key" "$TLS/tls.key.new"
  mv "$TLS/tls.crt.new" "$TLS/tls.crt" && mv "$TLS/tls.key.new" "$TLS/tls.key"
}
install_pair first

HTTPS_PORT=$(free_port)
SUITE_TRACKER_ARGS="--https-listen 127.0.0.1:$HTTPS_PORT --https-cert-file $TLS/tls.crt"
SUITE_TRACKER_ARGS+=" --https-key-file $TLS/tls.key --https-announce-host 127.0.0.1:$HTTPS_PORT"
harness_start

CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
PANI='P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e; np'
SEEDER=sip:seeder@ims.localhost ALICE=sip:alice@ims.localhost
# shellcheck source=tests/lib/bt_sessions.sh
source "$SUITE_SRC/tests/lib/bt_sessions.sh"
HTTPS=https://127.0.0.1:$HTTPS_PORT
CA=$TLS/ca.crt

# libtorrent clients (start_lt) trust the test CA and nothing else.
LT_ENV=(SSL_CERT_FILE="$CA" SSL_CERT_DIR=/nonexistent)
ctl() {
  "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --charging "127.0.0.1:$CHARGING_GRPC" \
    --tracker "127.0.0.1:$TRACKER_GRPC" --actor e2e "$@"
}
has() { grep -qF -- "$1" <<<"$2"; }
log_has() { grep -qF -- "$2" "$1" 2>/dev/null; }
count_in() { grep -cF -- "$2" "$1" 2>/dev/null || true; }
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
metric() { local v; v=$(tracker_metric "$1"); echo "${v:-0}"; }
metric_above() { [[ $(metric "$1") -gt $2 ]] 2>/dev/null; }
failures() { metric "p2pims_tracker_https_handshake_failures_total{reason=\"$1\"}"; }
# served_cn: the CN of the certificate a new connection to the HTTPS port gets
served_cn() {
  openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -CAfile "$CA" -verify_return_error </dev/null 2>/dev/null |
    openssl x509 -noout -subject -nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p'
}
served_cn_is() { [[ $(served_cn) == "$1" ]]; }
not() { ! "$@"; }
intact() { [[ $(sha "$1") == "$FILE_SHA" ]]; }
handshakes_failed() { (($(failures protocol) + $(failures closed) >= $1)); }
replies_since() { (($(count_in "$W/$1.log" "tracker-reply v1") > $2)); }
# shellcheck disable=SC2001  # every two hex digits, not one pattern
pct() { sed 's/../%&/g' <<<"$1"; }  # hex -> URL-encoded bytes

echo "# a key that is not the certificate's stops a tracker at start-up"
set +e
bad=$(timeout 30 "$(suite_binary tracker)" --grpc-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --db "$(suite_db)" --rights "127.0.0.1:$RIGHTS_GRPC" --charging '' \
  --announce-host "127.0.0.1:$(free_port)" --https-listen "127.0.0.1:$(free_port)" \
  --https-cert-file "$TLS/first.chain" --https-key-file "$TLS/second.key" 2>&1)
code=$?
set -e
check_eq "it exits 2" 2 "$code"
check "... saying the key is not the certificate's" has "is not the key of the certificate" "$bad"

echo "# content and sessions: the descriptor's announce URLs start with https://"
mkdir -p "$W/media"
head -c $((2 * 1024 * 1024 + 777)) /dev/urandom >"$W/media/clip.bin"
FILE_SHA=$(sha "$W/media/clip.bin")
check "content add (v1)" ctl content add "$W/media/clip.bin" --id clip --v1-only --owner e2e-studio \
  --price-model free --torrent-out "$W/clip.torrent"
check "charging account for the seeder" ctl account create --subject "$SEEDER" --kind prepaid --currency EUR
check "the seeder's session" open_session seeder clip "$SEEDER"
check "alice's session" open_session alice clip "$ALICE"
((FAILURES == 0)) || exit 1
check_eq "the first announce URL is the HTTPS one, carrying the token" \
  "$HTTPS/a/$(field alice token)/announce" "$(field alice announce 0)"
check_eq "the HTTP and UDP URLs follow" "http:// udp://" \
  "$(field alice announce 1 | cut -c1-7) $(field alice announce 2 | cut -c1-6)"
V1=$("${BT[@]}" info "$W/clip.torrent" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["info_hash_v1"])')

echo "# curl --cacert: announce and scrape over HTTPS"
ANNOUNCE=$(field alice announce 0)
q="info_hash=$(pct "$V1")&peer_id=$(pct 2d43552d303030312d6162636465666768696a6b)&port=40001&uploaded=0&downloaded=0&left=100&compact=1"
reply=$(curl -sS --max-time 5 --cacert "$CA" "$ANNOUNCE?$q" | "${BT[@]}" bdecode)
echo "  announce over HTTPS: $reply"
check "an announce with alice's token is answered" has '"interval"' "$reply"
reply=$(curl -sS --max-time 5 --cacert "$CA" "${ANNOUNCE%/announce}/scrape?info_hash=$(pct "$V1")" |
  "${BT[@]}" bdecode)
check "a scrape over HTTPS counts alice's announce" has '"incomplete": 1' "$reply"
curl -sS --max-time 5 --cacert "$CA" "${ANNOUNCE}?${q/left=100/left=100&event=stopped}" >/dev/null
reply=$(curl -sS --max-time 5 --cacert "$CA" "$HTTPS/announce?$q" | "${BT[@]}" bdecode)
check "an announce without a token gets a failure reason over HTTPS too" has '"failure reason"' "$reply"

echo "# refusals on the HTTPS port, counted"
plain=$(curl -sS --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$HTTPS_PORT/announce?$q" || true)
echo "  plain HTTP on the HTTPS port: $plain"
check "plain HTTP on the HTTPS port gets a plain 400 saying so" has "this port speaks HTTPS" "$plain"
check_eq "... counted as plain_http" 1 "$(failures plain_http)"
check "a client without the CA refuses the certificate" not curl -sS --max-time 5 -o /dev/null "$HTTPS/announce" 2>/dev/null
check "... and the tracker counts the failed handshake" \
  eventually 5 handshakes_failed 1
check "the plain HTTP port still answers" \
  has '"failure reason"' "$(curl -sS --max-time 5 "http://127.0.0.1:$TRACKER_BT/announce?$q" | "${BT[@]}" bdecode)"

echo "# libtorrent seeder and leecher meet through the HTTPS URL"
for s in seeder alice; do
  check "$s: .torrent announcing to the descriptor's HTTPS URL" \
    "${BT[@]}" torrent --descriptor "$W/sessions/$s.json" --tracker https "$W/$s.torrent"
done
start_lt seed seeder "$W/seeder.torrent"
check "the seeder's HTTPS announce is answered" \
  eventually 20 log_has "$W/seeder.log" "tracker-reply v1"
check "... at the https:// URL" log_has "$W/seeder.log" "$HTTPS/a/"
start_lt leech alice "$W/alice.torrent"
check "the leecher completes, file intact" eventually 60 intact "$W/alice/clip.bin"
check "no tracker errors in either client" not grep -q tracker-error "$W/seeder.log" "$W/alice.log"
# The same client without the CA: libtorrent verifies the tracker's certificate, so it refuses.
LT_ENV=(SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent)
start_lt leech distrusting "$W/alice.torrent"
LT_ENV=(SSL_CERT_FILE="$CA" SSL_CERT_DIR=/nonexistent)
check "libtorrent without the CA refuses the tracker's certificate" \
  eventually 20 log_has "$W/distrusting.log" "tracker-error"
grep -m1 tracker-error "$W/distrusting.log" | cut -c1-160 | sed 's/^/  /'
kill -TERM "${PID[distrusting]}"
check "the tracker counted completed handshakes" metric_above p2pims_tracker_https_handshakes_total 1
check "... and the announces, as protocol https" \
  metric_above 'p2pims_tracker_announces_total{protocol="https",result="ok"}' 2
check "alice's session metered the download" \
  wait_sql t "SELECT bytes_down >= $(stat -c %s "$W/media/clip.bin") FROM tracker.session
              WHERE session_id = '$(field alice session_id)'" 20

echo "# the certificate rotates under the running seeder"
check_eq "new connections get the first certificate" tracker-first "$(served_cn)"
expiry_before=$(metric p2pims_tracker_https_certificate_expiry_timestamp_seconds)
replies_before=$(count_in "$W/seeder.log" "tracker-reply v1")
install_pair second
check "within the check period new connections get the second certificate" \
  eventually 15 served_cn_is tracker-second
check_eq "the reload is counted" 1 "$(metric 'p2pims_tracker_https_certificate_reloads_total{result="ok"}')"
check "... and logged" log_has "$SUITE_DIR/logs/tracker.log" "HTTPS certificate reloaded"
check "the expiry gauge follows the new certificate" \
  test "$(metric p2pims_tracker_https_certificate_expiry_timestamp_seconds)" != "$expiry_before"
kill -USR1 "${PID[seeder]}"  # announce now
check "the seeder announces again after the rotation" \
  eventually 20 replies_since seeder "$replies_before"
reply=$(curl -sS --max-time 5 --cacert "$CA" "${ANNOUNCE%/announce}/scrape?info_hash=$(pct "$V1")" |
  "${BT[@]}" bdecode)
check "a scrape after the rotation sees the seeder and alice's completion" has '"complete": 1' "$reply"

stop_clients
for s in seeder alice; do check "$s's BYE is answered 200" close_session "$s"; done
harness_finish
