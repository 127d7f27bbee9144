#!/usr/bin/env bash
# sip-edge's transports and bodies with real parts: an SDP offer over UDP, SIP over TLS (a certificate made here, the client
# checking it against its CA) and over IPv6 (a second sip-edge on ::1), each carrying a direct
# client's digest-authenticated REGISTER and content session. UDP and TCP are covered by SIPp in
# the other tests.
source "$(dirname "$0")/../lib/harness.sh"

TLS_PORT=$(free_port)
mkdir -p "$SUITE_DIR/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sip-edge.test" \
  -keyout "$SUITE_DIR/tls/key.pem" -out "$SUITE_DIR/tls/cafile.pem" 2>/dev/null
cat "$SUITE_DIR/tls/key.pem" "$SUITE_DIR/tls/cafile.pem" >"$SUITE_DIR/tls/agent.pem"
export P2PIMS_SIPS_URL="sips:127.0.0.1:$TLS_PORT" P2PIMS_TLS_DIR=$SUITE_DIR/tls
harness_start

ALICE=sip:alice@ims.localhost
client() {  # client register|invite BIND SERVER [extra args]: prints the final codes
  local what=$1 bind=$2 server=$3
  shift 3
  timeout 30 python3 "$SUITE_SRC/tests/e2e/sip_digest_client.py" "$what" --bind "$bind" \
    --server "$server" --user alice-impi --password alice-secret --identity "$ALICE" \
    --domain "$SIP_DOMAIN" "$@" | tr '\n' ' ' | sed 's/ $//'
}

echo "# an INVITE with an SDP offer (RFC 5547 file transfer): the answer declines it beside the descriptor"
check "bob's session for big-buck-bunny with an offer" \
  sipp_call "$SUITE_SRC/tests/sipp/invite_sdp_bye.xml" big-buck-bunny sip:bob@ims.localhost
check "its CDR is written" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:bob@ims.localhost'"

echo "# TLS"
check_eq "REGISTER over TLS: 401 then 200" "401 200" \
  "$(client register 127.0.0.2 "127.0.0.1:$TLS_PORT" --transport tls --cafile "$SUITE_DIR/tls/cafile.pem")"
check_eq "a content session over TLS: 401, 200, BYE 200" "401 200 200" \
  "$(client invite 127.0.0.2 "127.0.0.1:$TLS_PORT" --transport tls --cafile "$SUITE_DIR/tls/cafile.pem" --content sintel)"
check "its CDR is written" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"

echo "# IPv6"
if ! python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
  echo "# skipped: this machine has no IPv6 loopback"
else
  V6_PORT=$(free_port) V6_ADMIN=$(free_port)
  "$SUITE_BIN/services/sip-edge/p2pims-sip-edge" --sip-url "sip:[::1]:$V6_PORT" \
    --admin-listen "127.0.0.1:$V6_ADMIN" --domains "$SIP_DOMAIN" --trusted-cscf 127.0.0.1/32 \
    --rights "127.0.0.1:$RIGHTS_GRPC" --charging "127.0.0.1:$CHARGING_GRPC" \
    --tracker "127.0.0.1:$TRACKER_GRPC" --db "$(suite_db)" --node-id sip-edge-v6 --sips-url "" \
    >>"$SUITE_DIR/logs/sip-edge-v6.log" 2>&1 &
  V6_PID=$!
  at_exit 'kill $V6_PID'
  check "the IPv6 sip-edge is up" suite_wait_url "http://127.0.0.1:$V6_ADMIN/readyz" 30
  check_eq "REGISTER over IPv6 (untrusted ::1): 401 then 200" "401 200" \
    "$(client register ::1 "[::1]:$V6_PORT")"
  check_eq "a content session over IPv6" "401 200 200" \
    "$(client invite ::1 "[::1]:$V6_PORT" --content sintel)"
  check "its CDR is written, by the IPv6 replica" wait_sql 1 \
    "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE' AND node_id = 'sip-edge-v6'"
fi

echo "# the SIP UDP socket's buffers: 4 MiB each by default, or what the node allows"
# The kernel caps SO_RCVBUF/SO_SNDBUF at net.core.rmem_max/wmem_max and reports twice the value.
skmem=$(ss -u -a -m -n "sport = :$SIP_PORT" | grep -o 'skmem:([^)]*)' | head -n 1)
cap() { local v=$(($(cat "/proc/sys/net/core/$1"))); echo $((2 * (v < 4194304 ? v : 4194304))); }
check_eq "receive buffer (--udp-receive-buffer-kb)" "$(cap rmem_max)" "$(sed -n 's/.*,rb\([0-9]*\),.*/\1/p' <<<"$skmem")"
check_eq "send buffer (--udp-send-buffer-kb)" "$(cap wmem_max)" "$(sed -n 's/.*,tb\([0-9]*\),.*/\1/p' <<<"$skmem")"

harness_finish
