#!/usr/bin/env bash
# Abuse (issue 9, item 5) against the real suite: an announce flood of forged tokens from one
# address, a token shared by a crowd, a token replayed after its session closed, and SQL
# injection through the strings subscribers control (the identity a CSCF asserts, a catalogue
# search, an announce's fields). Each is refused or contained, nothing else changes, and honest
# peers are still served. (Forged and other swarms' tokens with real BitTorrent clients:
# tracker_clients_test; identity spoofing from untrusted sources: walking_skeleton_test; digest
# brute force: sip_digest_test; over-claimed uploads: charging's incentive tests.)
source "$(dirname "$0")/../lib/harness.sh"
SUITE_TRACKER_ARGS="--cold-admissions-per-address 5"  # a burst of 20, then 5 a second
harness_start

ALICE=sip:alice@ims.localhost
SCENARIOS=$SUITE_SRC/tests/sipp
# announce FROM TOKEN PEER [EXTRA]: an HTTP announce from 127.0.0.FROM; prints the reply.
announce() {
  curl -s --interface "127.0.0.$1" -m 5 \
    "http://127.0.0.1:$TRACKER_BT/a/$2/announce?info_hash=$HASH&peer_id=-AB0001-peer$(printf %08d "$3")&port=$((40000 + $3))&uploaded=0&downloaded=0&left=1000&compact=1${4:-}"
}
# reason: the `failure reason` of the bencoded reply on stdin (empty: none).
reason() {
  python3 -c 'import re, sys
m = re.search(rb"failure reason(\d+):", sys.stdin.buffer.read())
print("" if not m else sys.stdin and m.string[m.end():m.end() + int(m.group(1))].decode())'
}

echo "# a token replayed after its session closed"
hold_session sintel "$ALICE" 1000
check "a session's token admits its peer" eval 'announce 2 "$TOKEN" 1 | grep -q interval'
wait "$HOLD_PID"
check "the BYE closed the session" wait_sql 1 \
  "SELECT count(*) FROM tracker.session WHERE session_id = '$SESSION' AND closed_at IS NOT NULL"
check_eq "the same token replayed is refused" "this token's access has ended" \
  "$(announce 2 "$TOKEN" 1 | reason)"

hold_session sintel "$ALICE" 60000
at_exit "kill $HOLD_PID"
check "a session is open (its token and swarm known)" test -n "$TOKEN"
check "its peer is served" eval 'announce 2 "$TOKEN" 1 | grep -q interval'

echo "# a flood of forged tokens from one address"
forged=${TOKEN%.*}.AAAA${TOKEN##*.}  # the claims with a signature that does not verify
# One curl on one kept-alive connection, so the flood outruns the refill (5 a second) on any
# machine, a sanitized build's included; the replies are counted by their failure reasons.
started=$(date +%s.%N)
for i in $(seq 300); do
  printf 'url = "http://127.0.0.1:%s/a/%s/announce?info_hash=%s&peer_id=-AB0001-peer%08d&port=40007&uploaded=0&downloaded=0&left=1000&compact=1"\n' \
    "$TRACKER_BT" "$forged$i" "$HASH" 7
done >"$SUITE_DIR/flood.curl"
curl -s --interface 127.0.0.9 -m 60 -K "$SUITE_DIR/flood.curl" >"$SUITE_DIR/flood.out"
seconds=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { printf "%.1f", a - b }')
read -r throttled refused < <(python3 -c 'import re, sys
data = open(sys.argv[1], "rb").read()
reasons = [data[m.end():m.end() + int(m.group(1))] for m in re.finditer(rb"failure reason(\d+):", data)]
t = sum(r == b"too many new tokens from this address; try again later" for r in reasons)
print(t, len(reasons) - t)' "$SUITE_DIR/flood.out")
echo "# 300 forged announces in $seconds s: $refused checked and refused, $throttled throttled before any check"
check "every forged announce was refused" test $((throttled + refused)) -eq 300
check "the burst was checked (and refused)" test "$refused" -ge 20
# However slow the machine sends them: no more checks than the burst and 5 a second allow.
check "the rest were throttled before any check: at most 20 + 5 a second were checked" \
  awk -v n="$refused" -v s="$seconds" 'BEGIN { exit !(n <= 20 + 5 * s + 1) }'
check "some were throttled" test "$throttled" -gt 0
check "the tracker counted them as throttled" eval \
  '(( $(tracker_metric p2pims_tracker_announces_total "result=\"throttled\"" "protocol=\"http\"") == throttled ))'
check "meanwhile the honest peer at another address is served" eval \
  'announce 2 "$TOKEN" 1 | grep -q interval'
check "... and so is the honest peer behind the flooding address, its token being cached" eval \
  'announce 9 "$TOKEN" 2 | grep -q interval'

echo "# one token shared by a crowd"
check "a third address of the session is still one subscriber's devices" eval \
  'announce 3 "$TOKEN" 3 | grep -q interval'
check_eq "a fourth is refused" "token already in use from 3 addresses" "$(announce 4 "$TOKEN" 4 | reason)"

echo "# SQL injection through what subscribers control"
INJECT="x'); DROP TABLE rights.content; --"
check "a catalogue search for it finds nothing, and says so" eval \
  "timeout 30 python3 '$SUITE_SRC/tests/e2e/sip_digest_client.py' message --bind 127.0.0.2 \
     --server 127.0.0.1:$SIP_PORT --user alice-impi --password alice-secret --identity '$ALICE' \
     --domain '$SIP_DOMAIN' --query \"$INJECT\" | grep -q 'Nothing matches'"
check "an asserted identity carrying quotes is an unknown subscriber: 403, no entitlement" \
  sipp_call "$(rejected_scenario 403 Warning: 'entitlement')" sintel "sip:x'OR'1'='1'--@ims.localhost"
check "announce fields carrying it are plain data: the announce is served" eval \
  "announce 2 '$TOKEN' 1 '&key=%27%29%3BDROP%20TABLE%20tracker.session%3B--&trackerid=%27%3B--' | grep -q interval"
echo "# bytes that are not UTF-8 in the headers that reach charging"
# A raw INVITE (SIPp's scenarios are XML, which cannot carry such bytes), then ACK and BYE.
raw_session() {
  python3 - "$SIP_PORT" "$SIP_DOMAIN" "$ALICE" <<'PY'
import re, socket, sys
port, domain, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)
me = "127.0.0.1:%d" % s.getsockname()[1]
def send(method, cseq, to_tag=""):
    msg = (f"{method} sip:sintel@{domain} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-{method}-abuse\r\n"
           f"From: <sip:scscf.ims.localhost>;tag=abuse1\r\nTo: <sip:sintel@{domain}>{to_tag}\r\n"
           f"Call-ID: abuse-utf8\r\nCSeq: {cseq} {method}\r\nContact: <sip:scscf@{me}>\r\nMax-Forwards: 70\r\n"
           f"P-Asserted-Identity: <{subject}>\r\n").encode()
    msg += b"P-Charging-Vector: icid-value=icid-\xfe\xff-abuse\r\n"
    msg += b"P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e\xc3\x28\r\n"
    msg += b"Content-Length: 0\r\n\r\n"
    s.sendto(msg, ("127.0.0.1", port))
def final(method):
    while True:
        data = s.recv(65535)
        code = int(data.split(b" ", 2)[1])
        if code >= 200 and method.encode() in data.split(b"CSeq:", 1)[1].split(b"\r\n", 1)[0]:
            return code, data
send("INVITE", 1)
code, data = final("INVITE")
codes = [code]
if code == 200:
    tag = re.search(rb"\r\nTo:[^\r]*?(;tag=[^;\r>]+)", data).group(1).decode()
    send("ACK", 1, tag)
    send("BYE", 2, tag)
    codes.append(final("BYE")[0])
print(" ".join(map(str, codes)))
PY
}
check_eq "the session is set up and ended: 200, then 200 to the BYE" "200 200" "$(raw_session)"
check "its CDR holds the ICID and access network with those bytes replaced" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE icid LIKE 'icid-%-abuse' AND icid <> 'icid--abuse'"

check_eq "rights' catalogue, charging's accounts and the tracker's sessions are all there" "5|3|1" \
  "$(suite_psql -tA -c "SELECT (SELECT count(*) FROM rights.content), (SELECT count(*) FROM charging.account),
                               (SELECT count(*) FROM tracker.session WHERE closed_at IS NULL)")"

harness_finish
