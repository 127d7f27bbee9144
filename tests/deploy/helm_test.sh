#!/usr/bin/env bash
# The Helm chart helm/p2pims: `helm lint` and `helm template` (helm 4, fetched by tools/fetch-helm)
# with the default values, values-production.yaml, the development database, internal TLS from an
# existing Secret and without internal TLS (local development); every rendered
# object validated against the Kubernetes and Prometheus Operator schemas
# (k8s-validate/validate.mjs); the chart's promises checked on the rendered objects
# (k8s-validate/chart_checks.mjs); every P2PIMS_* variable the chart sets is a flag the binary
# knows; bad values are refused by values.schema.json.
source "$(dirname "$0")/lib.sh"
scratch
CHART=$SRC/helm/p2pims

HELM=$("$SRC/tools/fetch-helm") || { fail "tools/fetch-helm could not fetch helm"; finish; exit 1; }
VALIDATOR=$("$SRC/tools/fetch-helm" --validator) || { fail "tools/fetch-helm could not install the validator"; finish; exit 1; }
pass "fetched $("$HELM" version --short 2>/dev/null) and the schema validator"

# helm prints an INFO line for the links to deploy/; anything else on stderr is shown.
helm_q() { "$HELM" "$@" 2> >(grep -v 'found symbolic link in path' >&2); }

declare -A SETS=(
  [default]=""
  [production]="-f $CHART/values-production.yaml"
  [tls]="--set grpcTls.existingSecret=p2pims-grpc-tls"
  [plaintext]="--set grpcTls.enabled=false"
  [dev]="--set postgresql.enabled=true --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true --set grafana.dashboards.enabled=true --set sipEdge.service.type=NodePort --set sipEdge.service.nodePorts.sipUdp=30060 --set tracker.replicaCount=2 --set tracker.bittorrentService.perReplica=true --set sipEdge.autoscaling.enabled=true --set sipEdge.hostNetwork=true"
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

echo "# every P2PIMS_* variable is a flag of its binary"
vars_of() {  # the P2PIMS_* names in the ConfigMap and container env of one component
  node --input-type=module -e "
    import fs from 'node:fs';
    import { parseAllDocuments } from '$VALIDATOR/node_modules/yaml/dist/index.js';
    const docs = parseAllDocuments(fs.readFileSync('$SCRATCH/default.yaml', 'utf8')).map((d) => d.toJS()).filter(Boolean);
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
check "the default values still render" bash -c "\"\$1\" template p2pims \"\$2\" >/dev/null 2>&1" _ "$HELM" "$CHART"

finish
