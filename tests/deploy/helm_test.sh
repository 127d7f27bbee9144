#!/usr/bin/env bash
# The Helm chart helm/p2pims: `helm lint` and `helm template` (helm 4, fetched by tools/fetch-helm)
# with the default values, values-production.yaml, the development database, internal TLS from an
# existing Secret and without internal TLS (local development); every rendered
# object validated against the Kubernetes and Prometheus Operator schemas
# (k8s-validate/validate.mjs); the chart's promises checked on the rendered objects
# (k8s-validate/chart_checks.mjs), the generated gRPC certificates among them; the generated
# certificates across upgrades, through helm's lookup against a stand-in API server
# (k8s-validate/fake_apiserver.mjs); NOTES.txt; every P2PIMS_* variable the chart sets is a flag the binary
# knows; bad values are refused by values.schema.json.
source "$(dirname "$0")/lib.sh"
scratch
CHART=$SRC/helm/p2pims

HELM=$("$SRC/tools/fetch-helm") || { fail "tools/fetch-helm could not fetch helm"; finish; exit 1; }
VALIDATOR=$("$SRC/tools/fetch-helm" --validator) || { fail "tools/fetch-helm could not install the validator"; finish; exit 1; }
pass "fetched $("$HELM" version --short 2>/dev/null) and the schema validator"

# helm prints an INFO line for the links to deploy/; anything else on stderr is shown.
helm_q() { "$HELM" "$@" 2> >(grep -v 'found symbolic link in path' >&2); }

# With its own certificates the chart knows no names to grant admin roles to: listed here.
printf 'adminAccess:\n  grants: ["operator cert:ops.example.net"]\n' >"$SCRATCH/admin-grants.yaml"
declare -A SETS=(
  [default]=""
  [production]="-f $CHART/values-production.yaml"
  [tls]="--set grpcTls.existingSecret=p2pims-grpc-tls -f $SCRATCH/admin-grants.yaml"
  [plaintext]="--set grpcTls.enabled=false --set adminAccess.enabled=false"
  [dev]="--set postgresql.enabled=true --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true --set grafana.dashboards.enabled=true --set sipEdge.service.type=NodePort --set sipEdge.service.nodePorts.sipUdp=30060 --set tracker.replicaCount=2 --set tracker.bittorrentService.perReplica=true --set sipEdge.autoscaling.enabled=true --set sipEdge.hostNetwork=true --set tracker.https.enabled=true --set tracker.https.existingSecret=p2pims-tracker-https"
)
for mode in default production dev tls plaintext; do
  echo "# $mode values"
  # shellcheck disable=SC2086
  if helm_q lint --strict "$CHART" ${SETS[$mode]} >"$SCRATCH/lint-$mode.txt"; then
    pass "helm lint --strict ($mode)"
  else
    cat "$SCRATCH/lint-$mode.txt" >&2
    fail "helm lint --strict ($mode)"
  fi
  # shellcheck disable=SC2086
  if helm_q template p2pims "$CHART" --namespace p2pims ${SETS[$mode]} >"$SCRATCH/$mode.yaml"; then
    pass "helm template ($mode): $(grep -c '^kind:' "$SCRATCH/$mode.yaml") objects"
  else
    fail "helm template ($mode)"
    continue
  fi
  if out=$(node "$VALIDATOR/validate.mjs" "$SCRATCH/$mode.yaml"); then
    pass "valid Kubernetes ($mode): $(tail -n 1 <<<"$out")"
  else
    echo "$out" >&2
    fail "the rendered objects are valid Kubernetes ($mode)"
  fi
  out=$(node "$VALIDATOR/chart_checks.mjs" "$mode" "$SCRATCH/$mode.yaml" \
    "$SRC/deploy/prometheus/p2pims-rules.yaml" "$SRC/deploy/grafana") && ok=1 || ok=0
  grep '^FAIL' <<<"$out" >&2 || true
  check "chart checks ($mode): $(tail -n 1 <<<"$out")" test "$ok" = 1
done

echo "# NOTES.txt"
for mode in default production; do
  # shellcheck disable=SC2086
  notes=$(helm_q install p2pims "$CHART" --namespace p2pims --dry-run=client ${SETS[$mode]} |
    sed -n '/^NOTES:/,$p')
  check "helm install --dry-run=client prints the notes ($mode)" grep -q 'is installed as release p2pims' <<<"$notes"
done
notes() { helm_q install p2pims "$CHART" --namespace p2pims --dry-run=client "$@" | sed -n '/^NOTES:/,$p'; }
out=$(notes)
check "the notes say where the generated gRPC certificates are" grep -q 'generated its CA and certificates in Secret' <<<"$out"
check "... and how to get the operator's client certificate out" \
  grep -qF "get secret \$s -o jsonpath='{.data.operator\\.key}'" <<<"$out"
check "... and use it with p2pimsctl" grep -q 'p2pimsctl --rights localhost:50051 --tls-ca ca.crt --tls-cert operator.crt --tls-key operator.key' <<<"$out"
check "... and no plaintext warning" bash -c '! grep -q "internal gRPC is plaintext" <<<"$1"' _ "$out"
out=$(notes ${SETS[plaintext]})
check "the notes warn when the internal gRPC is plaintext" grep -q 'internal gRPC is plaintext (grpcTls.enabled=false)' <<<"$out"
check "... and then tell of no certificate" bash -c '! grep -q "operator.crt" <<<"$1"' _ "$out"
out=$(notes ${SETS[tls]})
check "with an existing Secret the notes name it and no generated one" \
  bash -c 'grep -q "certificates of Secret p2pims-grpc-tls" <<<"$1" && ! grep -q "operator.key" <<<"$1"' _ "$out"
check "the notes warn when no CSCF is trusted" grep -q 'trusts no CSCF' <<<"$(helm_q install p2pims "$CHART" --dry-run=client)"

echo "# the generated gRPC certificates across upgrades (helm lookup against a stand-in API server)"
# helm template --dry-run=server reads the Secret the cluster holds (fake_apiserver.mjs serves
# $API/secrets/<name>.json), as helm upgrade does: what it renders is what an upgrade would apply.
API=$SCRATCH/api
mkdir -p "$API/secrets"
node "$VALIDATOR/fake_apiserver.mjs" "$API/port" "$API/secrets" 2>"$API/requests.log" &
API_PID=$!
trap 'kill "$API_PID" 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 50); do [[ -s $API/port ]] && break; sleep 0.1; done
cat >"$API/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: stand-in, cluster: {server: "http://127.0.0.1:$(cat "$API/port" 2>/dev/null)"}}]
users: [{name: test, user: {token: test}}]
contexts: [{name: test, context: {cluster: stand-in, user: test, namespace: p2pims}}]
current-context: test
KUBECONFIG
upgrade_render() {  # upgrade_render OUT [helm flags]: the chart as an upgrade against the stand-in renders it
  local out=$1
  shift
  KUBECONFIG=$API/kubeconfig HELM_CONFIG_HOME=$API/config HELM_CACHE_HOME=$API/cache \
    helm_q template p2pims "$CHART" --namespace p2pims --dry-run=server \
    --disable-openapi-validation "$@" >"$out" 2>"$out.err"
}
upgrade_refused() { ! upgrade_render "$@"; }
tls_of() { node "$VALIDATOR/secret_of.mjs" "$1"; }
# js JSON EXPR: EXPR evaluated with `s` the parsed JSON (of tls_of), printed.
js() { node -e 'const s = JSON.parse(process.argv[1]); console.log(eval(process.argv[2]))' "$1" "$2"; }
pem_of() { js "$1" "Buffer.from(s.secret.data['$2'], 'base64').toString()" >"$3"; }
# store JSON [EXPR]: the Secret of JSON (changed by the statements of EXPR) is now the cluster's,
# with the ownership annotations helm gives what it creates (and checks before it updates).
store() {
  node -e 'const s = JSON.parse(process.argv[1]).secret;
    Object.assign(s.metadata.annotations, { "meta.helm.sh/release-name": "p2pims", "meta.helm.sh/release-namespace": "p2pims" });
    eval(process.argv[2] ?? ""); console.log(JSON.stringify(s))' \
    "$1" "${2:-}" >"$API/secrets/p2pims-grpc-tls.json"
}
same() { [[ $(js "$1" "$3") == "$(js "$2" "$3")" ]]; }

if upgrade_render "$API/r1.yaml"; then
  r1=$(tls_of "$API/r1.yaml")
  check "install: the chart looked the Secret up in the cluster" grep -q 'GET /api/v1/namespaces/p2pims/secrets/p2pims-grpc-tls' "$API/requests.log"
  check "... found none and generated one" test "$(js "$r1" 'Object.keys(s.secret?.data ?? {}).length')" = 6
  store "$r1"
  upgrade_render "$API/r2.yaml"
  r2=$(tls_of "$API/r2.yaml")
  check "upgrade: the CA, certificates and keys stay as they are" same "$r1" "$r2" 'JSON.stringify(s.secret.data)'
  check "... and so do the recorded names and expiry" same "$r1" "$r2" 'JSON.stringify(s.secret.metadata.annotations)'
  check "... only the chart's own annotations are rendered (not those the cluster added)" \
    test "$(js "$r2" 'Object.keys(s.secret.metadata.annotations).filter((k) => k.startsWith("meta.helm.sh")).length')" = 0
  check "... so no pod restarts" same "$r1" "$r2" 'JSON.stringify(s.checksums)'
  check "... and every pod carries the certificate's checksum" test "$(js "$r2" 'Object.values(s.checksums).filter((c) => /^[0-9a-f]{64}$/.test(c)).length')" = 5

  upgrade_render "$API/r3.yaml" --set 'grpcTls.generated.extraDnsNames={localhost,grpc.p2pims.example.net}'
  r3=$(tls_of "$API/r3.yaml")
  check "a name added: the CA stays" same "$r1" "$r3" "s.secret.data['ca.crt'] + s.secret.data['ca.key']"
  check "... the services' and the operator's certificates are new" \
    test "$(js "$r1" "s.secret.data['tls.crt'] + s.secret.data['operator.crt']")" != "$(js "$r3" "s.secret.data['tls.crt'] + s.secret.data['operator.crt']")"
  pem_of "$r1" ca.crt "$API/ca1.crt"
  pem_of "$r3" tls.crt "$API/tls3.crt"
  pem_of "$r3" operator.crt "$API/operator3.crt"
  verify() { openssl verify "$@" >/dev/null; }
  check "... signed by the kept CA, naming the new name" verify -CAfile "$API/ca1.crt" \
    -verify_hostname grpc.p2pims.example.net -purpose sslserver "$API/tls3.crt"
  check "... the operator's too" verify -CAfile "$API/ca1.crt" -purpose sslclient "$API/operator3.crt"
  check "... the Secret records the new names" bash -c 'grep -q "DNS:grpc.p2pims.example.net" <<<"$1"' _ "$(js "$r3" "s.secret.metadata.annotations['p2pims.io/grpc-tls-names']")"
  check "... and the pods restart to read them" \
    test "$(js "$r1" 'JSON.stringify(Object.values(s.checksums))')" != "$(js "$r3" 'JSON.stringify(Object.values(s.checksums))')"

  now=$(date +%s)
  store "$r1" "s.metadata.annotations['p2pims.io/grpc-tls-not-after'] = String($now + 100 * 86400)"
  upgrade_render "$API/r4.yaml"
  check "100 days before expiry (renewBeforeDays 60): kept" same "$r1" "$(tls_of "$API/r4.yaml")" 'JSON.stringify(s.secret.data)'
  store "$r1" "s.metadata.annotations['p2pims.io/grpc-tls-not-after'] = String($now + 10 * 86400)"
  upgrade_render "$API/r5.yaml"
  r5=$(tls_of "$API/r5.yaml")
  check "10 days before expiry: renewed from the same CA" \
    bash -c '[[ $1 == "$2" && $3 != "$4" ]]' _ "$(js "$r1" "s.secret.data['ca.key']")" "$(js "$r5" "s.secret.data['ca.key']")" \
    "$(js "$r1" "s.secret.data['tls.crt']")" "$(js "$r5" "s.secret.data['tls.crt']")"
  check "... for another certDays (730)" test "$(js "$r5" "Math.round((Number(s.secret.metadata.annotations['p2pims.io/grpc-tls-not-after']) - $now) / 86400)")" = 730

  store "$r1" "delete s.data['ca.key']"
  check "a Secret of that name without the CA's key is refused, not replaced" upgrade_refused "$API/r6.yaml"
  check "... saying what to do" grep -q 'exists without ca.crt and ca.key.*set grpcTls.existingSecret=p2pims-grpc-tls' "$API/r6.yaml.err"
else
  cat "$API/r1.yaml.err" >&2
  fail "helm template --dry-run=server against the stand-in API server"
fi
kill "$API_PID" 2>/dev/null || true

echo "# every P2PIMS_* variable is a flag of its binary"
vars_of() {  # vars_of COMPONENT [MODE]: the P2PIMS_* names in its ConfigMap and container env
  node --input-type=module -e "
    import fs from 'node:fs';
    import { parseAllDocuments } from '$VALIDATOR/node_modules/yaml/dist/index.js';
    const docs = parseAllDocuments(fs.readFileSync('$SCRATCH/${2:-default}.yaml', 'utf8')).map((d) => d.toJS()).filter(Boolean);
    const comp = '$1';
    const names = new Set();
    for (const d of docs) {
      if (d.metadata?.labels?.['app.kubernetes.io/component'] !== comp) continue;
      if (d.kind === 'ConfigMap') Object.keys(d.data).forEach((k) => names.add(k));
      if (d.kind === 'Deployment' || d.kind === 'StatefulSet') d.spec.template.spec.containers[0].env.forEach((e) => names.add(e.name));
    }
    console.log([...names].filter((n) => n.startsWith('P2PIMS_')).join('\n'));"
}
for comp in sip-edge rights charging tracker origin; do
  binary=$BIN/services/$comp/p2pims-$comp
  if [[ ! -x $binary ]]; then fail "$binary is not built"; continue; fi
  help=$("$binary" --help 2>&1 || true)
  vars=$(vars_of "$comp")
  [[ $comp == tracker ]] && vars+=" $(vars_of tracker dev | grep -E 'HTTPS|PLAIN_ANNOUNCE' | tr '\n' ' ')"  # HTTPS on
  check "the chart sets variables for $comp" test -n "$vars"
  for v in $vars; do
    check "$comp knows $v" grep -q "(env $v," <<<"$help"
  done
done

echo "# values.schema.json refuses bad values"
refused() { ! "$HELM" template p2pims "$CHART" "$@" >/dev/null 2>&1; }
check "an unknown service type" refused --set sipEdge.service.type=Internal
check "an unknown key" refused --set rights.signingKey=x
check "a CIDR that is not one" refused --set 'sipEdge.trustedCscf={cscf.example.net}'
check "a port out of range" refused --set rights.ports.grpc=70000
check "no signing key source" refused --set rights.signingKeys.generate=false
check "no database host" refused --set database.host=
check "a gRPC certificate IP address that is not one" refused --set 'grpcTls.generated.extraIpAddresses={localhost}'
check "a gRPC certificate name with a space" refused --set 'grpcTls.generated.extraDnsNames={a b}'
check "a certificate valid for no day" refused --set grpcTls.generated.certDays=0
check "admin access with no grant to anybody" refused --set grpcTls.enabled=false
check "the tracker's HTTPS without its certificate's Secret" refused --set tracker.https.enabled=true
check "an admin grant that is not one" refused --set 'adminAccess.grants={root cert:x}'
check "the default values still render" bash -c "\"\$1\" template p2pims \"\$2\" >/dev/null 2>&1" _ "$HELM" "$CHART"

finish
