#!/usr/bin/env bash
# The chart's generated gRPC certificates (helm/p2pims, grpcTls without existingSecret) with the
# real services: the suite on free loopback ports serving and calling mutual TLS with the CA,
# certificate and key `helm template` puts in Secret p2pims-grpc-tls (clients dial 127.0.0.1, one
# of its names by default, as p2pimsctl through kubectl port-forward does). A content session
# crosses every gRPC path (sip-edge -> rights, charging, tracker; tracker -> rights, charging);
# p2pimsctl with the Secret's operator certificate is served, without it refused, and a
# certificate from another CA is refused too. (Names the pods dial in a cluster are checked by
# helm_test.sh: no cluster DNS here.)
source "$(dirname "$0")/../lib/harness.sh"

HELM=$("$SUITE_SRC/tools/fetch-helm") || { fail "tools/fetch-helm could not fetch helm"; harness_finish; }
PKI=$SUITE_DIR/pki
mkdir -p "$PKI"
"$HELM" template p2pims "$SUITE_SRC/helm/p2pims" --namespace p2pims \
  --show-only templates/secret-grpc-tls.yaml >"$PKI/secret.yaml" 2>/dev/null
for key in ca.crt tls.crt tls.key operator.crt operator.key; do
  awk -v k="  $key:" '$0 ~ "^"k" " {print $2}' "$PKI/secret.yaml" | base64 -d >"$PKI/$key"
done
check "helm template renders the Secret's CA, certificates and keys" \
  grep -q "BEGIN RSA PRIVATE KEY" "$PKI/tls.key" "$PKI/operator.key"
chmod 600 "$PKI"/*.key
# The admin-access grants of the same rendering: the operator certificate is operator, the
# services' certificate reader.
"$HELM" template p2pims "$SUITE_SRC/helm/p2pims" --namespace p2pims \
  --show-only templates/configmap.yaml 2>/dev/null |
  awk '/name: .*-admin-access$/ {f = 1} f && /^  grants: \|/ {g = 1; next}
       g && /^    / {sub(/^    /, ""); print; next} g {exit}' >"$PKI/admin-access"
check "helm template renders the admin grants for its certificates" \
  grep -q '^operator cert:.*-operator$' "$PKI/admin-access"
export P2PIMS_ADMIN_ACCESS_FILE=$PKI/admin-access
export P2PIMS_GRPC_TLS_CA=$PKI/ca.crt P2PIMS_GRPC_TLS_CERT=$PKI/tls.crt
export P2PIMS_GRPC_TLS_KEY=$PKI/tls.key P2PIMS_GRPC_TLS_REQUIRE_CLIENT_CERT=true
harness_start

echo "# the services serve the chart's certificate"
for port in "$RIGHTS_GRPC" "$CHARGING_GRPC" "$TRACKER_GRPC"; do
  timeout 10 openssl s_client -connect "127.0.0.1:$port" -alpn h2 -CAfile "$PKI/ca.crt" \
    -cert "$PKI/operator.crt" -key "$PKI/operator.key" -verify_return_error </dev/null \
    >"$SUITE_DIR/s_client-$port.out" 2>&1 || true
  check "port $port: the chart's services certificate, verified against its CA" \
    grep -q "Verify return code: 0 (ok)" "$SUITE_DIR/s_client-$port.out"
done

echo "# a content session crosses every gRPC path"
check "alice's INVITE/BYE for sintel succeeds" sipp_call "$SUITE_SRC/tests/sipp/invite_bye.xml" sintel \
  sip:alice@ims.localhost
check "it ends in a CDR" wait_sql 1 "SELECT count(*) FROM charging.cdr WHERE served_identity = 'sip:alice@ims.localhost'"
check "the tracker holds rights' keys over TLS (revocation stream up)" \
  eventually 10 eval '[[ $(tracker_metric p2pims_tracker_revocation_stream_up) == 1 ]]'

echo "# p2pimsctl as an operator"
CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
op_ctl() { env -u P2PIMS_GRPC_TLS_CA -u P2PIMS_GRPC_TLS_CERT -u P2PIMS_GRPC_TLS_KEY "$CTL" \
  --rights "127.0.0.1:$RIGHTS_GRPC" --charging "127.0.0.1:$CHARGING_GRPC" --timeout 5 "$@"; }
check "with the Secret's operator certificate it lists the catalogue" eval \
  "op_ctl --tls-ca '$PKI/ca.crt' --tls-cert '$PKI/operator.crt' --tls-key '$PKI/operator.key' content list | grep -q sintel"
check "... and reads charging's CDRs" eval \
  "op_ctl --tls-ca '$PKI/ca.crt' --tls-cert '$PKI/operator.crt' --tls-key '$PKI/operator.key' cdr pull --consumer chart-tls-test --max 1 >/dev/null"
check "with the services' certificate (reader) it lists the catalogue" eval \
  "op_ctl --tls-ca '$PKI/ca.crt' --tls-cert '$PKI/tls.crt' --tls-key '$PKI/tls.key' content list | grep -q sintel"
rc=0
op_ctl --tls-ca "$PKI/ca.crt" --tls-cert "$PKI/tls.crt" --tls-key "$PKI/tls.key" \
  cdr pull --consumer chart-tls-test --max 1 >/dev/null 2>"$SUITE_DIR/reader.err" || rc=$?
check "... but may not pull CDRs (billing)" grep -q "PERMISSION_DENIED: this RPC needs the billing role" \
  "$SUITE_DIR/reader.err"
rc=0
op_ctl --tls-ca "$PKI/ca.crt" content list >/dev/null 2>"$SUITE_DIR/nocert.err" || rc=$?
check "with the CA but no client certificate it is refused" test "$rc" -ne 0
# Another rendering of the chart: another CA, whose operator certificate this suite must refuse.
"$HELM" template p2pims "$SUITE_SRC/helm/p2pims" --namespace p2pims \
  --show-only templates/secret-grpc-tls.yaml >"$PKI/other.yaml" 2>/dev/null
for key in operator.crt operator.key; do
  awk -v k="  $key:" '$0 ~ "^"k" " {print $2}' "$PKI/other.yaml" | base64 -d >"$PKI/other-$key"
done
check "another rendering made another CA" bash -c '! cmp -s "$1" "$2"' _ "$PKI/operator.crt" "$PKI/other-operator.crt"
rc=0
op_ctl --tls-ca "$PKI/ca.crt" --tls-cert "$PKI/other-operator.crt" --tls-key "$PKI/other-operator.key" \
  content list >/dev/null 2>"$SUITE_DIR/othercert.err" || rc=$?
check "an operator certificate of another release's CA is refused" test "$rc" -ne 0
harness_finish
