#!/usr/bin/env bash
# The internal gRPC over mutual TLS: every service serves TLS and requires a client certificate
# from the one CA, and every client (sip-edge, the tracker, p2pimsctl) presents its own. A content
# session then crosses every gRPC path (sip-edge -> rights, charging, tracker; tracker -> rights
# keys and revocations, charging usage) and ends in a CDR; p2pimsctl talks TLS when given the CA,
# and is refused without it or without a client certificate.
source "$(dirname "$0")/../lib/harness.sh"

PKI=$SUITE_DIR/pki
mkdir -p "$PKI"
# pki NAME SUBJECT [SAN]: a key and a certificate signed by the test's CA.
pki() {
  local name=$1 subject=$2 san=${3:-}
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$subject" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 2 ${san:+-extfile <(printf 'subjectAltName=%s\n' "$san")} -out "$PKI/$name.crt" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=p2pims test CA" \
  -days 2 -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
pki service p2pims-services "IP:127.0.0.1,DNS:localhost"
pki operator p2pimsctl-operator
pki stranger someone-else  # from the same CA, granted no role
# The admin RPCs need a role: the operator's certificate is operator, the services' own is
# reader (the origin lists the content index with it), and a bearer token is billing.
BILLING_TOKEN=billing-$RANDOM$RANDOM
cat >"$PKI/admin-access" <<EOT
operator cert:p2pimsctl-operator
reader   cert:p2pims-services
billing  token-sha256:$(printf %s "$BILLING_TOKEN" | sha256sum | cut -d' ' -f1)
EOT
export P2PIMS_GRPC_TLS_CA=$PKI/ca.crt P2PIMS_GRPC_TLS_CERT=$PKI/service.crt
export P2PIMS_GRPC_TLS_KEY=$PKI/service.key P2PIMS_GRPC_TLS_REQUIRE_CLIENT_CERT=true
export P2PIMS_ADMIN_ACCESS_FILE=$PKI/admin-access
harness_start

CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
ctl() { "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" \
  --charging "127.0.0.1:$CHARGING_GRPC" --timeout 5 "$@"; }
plain_ctl() { env -u P2PIMS_GRPC_TLS_CA -u P2PIMS_GRPC_TLS_CERT -u P2PIMS_GRPC_TLS_KEY "$CTL" \
  --rights "127.0.0.1:$RIGHTS_GRPC" --timeout 5 "$@"; }

echo "# the services speak TLS"
# A handshake with the operator's certificate: the server's chain is shown and verified.
for port in "$RIGHTS_GRPC" "$CHARGING_GRPC" "$TRACKER_GRPC"; do
  timeout 10 openssl s_client -connect "127.0.0.1:$port" -alpn h2 -CAfile "$PKI/ca.crt" \
    -cert "$PKI/operator.crt" -key "$PKI/operator.key" -verify_return_error </dev/null \
    >"$SUITE_DIR/s_client-$port.out" 2>&1 || true
  check "port $port presents the services' certificate, signed by the CA" \
    grep -q "CN *= *p2pims-services" "$SUITE_DIR/s_client-$port.out"
  check "... verified" grep -q "Verify return code: 0 (ok)" "$SUITE_DIR/s_client-$port.out"
done

echo "# a content session crosses every gRPC path"
check "alice's INVITE/BYE for sintel succeeds" sipp_call "$SUITE_SRC/tests/sipp/invite_bye.xml" sintel \
  sip:alice@ims.localhost
check "it ends in a CDR" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:alice@ims.localhost'"
# The tracker is ready only once it holds rights' keys; its revocation stream is up as well.
check "the tracker's revocation stream from rights is up" \
  eventually 10 eval '[[ $(tracker_metric p2pims_tracker_revocation_stream_up) == 1 ]]'

echo "# p2pimsctl"
check "with the CA and its own certificate it lists the catalogue" eval \
  "ctl --tls-ca '$PKI/ca.crt' --tls-cert '$PKI/operator.crt' --tls-key '$PKI/operator.key' content list | grep -q sintel"
check "... the same from the environment" eval "ctl content list | grep -q sintel"
rc=0
plain_ctl content list >"$SUITE_DIR/plain.out" 2>"$SUITE_DIR/plain.err" || rc=$?
check "in plaintext it fails" test "$rc" -ne 0
check "... saying rights is unavailable" grep -qi "unavailable" "$SUITE_DIR/plain.err"
rc=0
plain_ctl --tls-ca "$PKI/ca.crt" content list >/dev/null 2>"$SUITE_DIR/nocert.err" || rc=$?
check "with the CA but no client certificate it is refused" test "$rc" -ne 0
rc=0
plain_ctl --tls-ca /nonexistent/ca.pem content list >/dev/null 2>"$SUITE_DIR/badca.err" || rc=$?
check_eq "an unreadable CA file is a usage error (2)" 2 "$rc"
check "... naming the flag and the file" grep -q -- "--tls-ca: cannot read PEM from /nonexistent/ca.pem" "$SUITE_DIR/badca.err"
rc=0
plain_ctl --tls-cert "$PKI/operator.crt" --tls-key "$PKI/operator.key" content list >/dev/null 2>"$SUITE_DIR/noca.err" || rc=$?
check_eq "a client certificate without a CA is a usage error (2)" 2 "$rc"

echo "# admin RPCs need a role"
as_cert() { local who=$1; shift; ctl --tls-cert "$PKI/$who.crt" --tls-key "$PKI/$who.key" "$@"; }
ALICE=sip:alice@ims.localhost
check "the operator's certificate (operator) may change an account" eval \
  "as_cert operator account adjust '$ALICE' --amount 1 --currency EUR --reason goodwill >/dev/null"
check "the services' certificate (reader) reads the catalogue" eval \
  "as_cert service content list | grep -q sintel"
rc=0
as_cert service account show "$ALICE" >/dev/null 2>"$SUITE_DIR/reader.err" || rc=$?
check_eq "... but not an account (billing): exit 1" 1 "$rc"
check "... PERMISSION_DENIED, naming the role needed and held" \
  grep -q "PERMISSION_DENIED: this RPC needs the billing role; the caller has reader" "$SUITE_DIR/reader.err"
check "a billing token reads the account" eval \
  "P2PIMS_ADMIN_TOKEN='$BILLING_TOKEN' as_cert service account show '$ALICE' | grep -q '^balance: *1001 EUR'"
printf '%s\n' "$BILLING_TOKEN" >"$PKI/token"
rc=0
as_cert service --token-file "$PKI/token" account adjust "$ALICE" --amount 5 --currency EUR \
  --reason goodwill >/dev/null 2>"$SUITE_DIR/billing.err" || rc=$?
check "... from --token-file, and may not change it" grep -q "needs the operator role; the caller has billing" \
  "$SUITE_DIR/billing.err"
rc=0
as_cert stranger content list >/dev/null 2>"$SUITE_DIR/stranger.err" || rc=$?
check "a certificate granted no role is UNAUTHENTICATED" grep -q "UNAUTHENTICATED: this RPC needs the reader role" \
  "$SUITE_DIR/stranger.err"
rc=0
P2PIMS_ADMIN_TOKEN=wrong as_cert stranger account show "$ALICE" >/dev/null 2>&1 || rc=$?
check_eq "... and so is a wrong token" 1 "$rc"
check_eq "only the operator's adjustment moved money" 1001 \
  "$(suite_psql -tA -c "SELECT balance_minor FROM charging.account WHERE subject = '$ALICE'")"

echo "# a service with half a configuration does not start"
rc=0
env -u P2PIMS_GRPC_TLS_KEY "$(suite_binary charging)" --grpc-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --db "$(suite_db)" >/dev/null 2>"$SUITE_DIR/half.err" || rc=$?
check_eq "charging with a certificate but no key exits 2" 2 "$rc"
check "... and says why" grep -q -- "--grpc-tls-cert and --grpc-tls-key go together" "$SUITE_DIR/half.err"
harness_finish
