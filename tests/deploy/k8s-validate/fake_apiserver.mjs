// A stand-in for the Kubernetes API, enough for `helm template --dry-run=server` (discovery of
// the kinds the chart renders, and GET of one Secret), so that the chart's `lookup` of an
// existing Secret can be checked without a cluster (helm_test.sh: the generated gRPC
// certificates across upgrades):
//   node fake_apiserver.mjs PORT_FILE SECRETS_DIR
// Listens on a free loopback port, written to PORT_FILE. GET
// /api/v1/namespaces/NS/secrets/NAME answers SECRETS_DIR/NAME.json (read at each request), or
// 404. Every request is logged on stderr.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const [portFile, secretsDir] = process.argv.slice(2);
const kinds = {
  v1: [["secrets", "Secret"], ["configmaps", "ConfigMap"], ["services", "Service"], ["serviceaccounts", "ServiceAccount"], ["persistentvolumeclaims", "PersistentVolumeClaim"]],
  "apps/v1": [["deployments", "Deployment"], ["statefulsets", "StatefulSet"]],
  "batch/v1": [["jobs", "Job"]],
  "networking.k8s.io/v1": [["networkpolicies", "NetworkPolicy"]],
  "policy/v1": [["poddisruptionbudgets", "PodDisruptionBudget"]],
  "autoscaling/v2": [["horizontalpodautoscalers", "HorizontalPodAutoscaler"]],
  "monitoring.coreos.com/v1": [["servicemonitors", "ServiceMonitor"], ["prometheusrules", "PrometheusRule"]],
};
const resources = (gv) => ({
  kind: "APIResourceList", apiVersion: "v1", groupVersion: gv,
  resources: kinds[gv].map(([name, kind]) => ({ name, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: ["get", "list"] })),
});
const notFound = { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 };

const server = http.createServer((req, res) => {
  process.stderr.write(`${req.method} ${req.url}\n`);
  const url = req.url.split("?")[0];
  const answer = (code, body) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (url === "/version") return answer(200, { major: "1", minor: "30", gitVersion: "v1.30.0", platform: "linux/amd64" });
  if (url === "/api") return answer(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
  if (url === "/api/v1") return answer(200, resources("v1"));
  if (url === "/apis") {
    return answer(200, {
      kind: "APIGroupList", apiVersion: "v1",
      groups: Object.keys(kinds).filter((gv) => gv.includes("/")).map((gv) => {
        const [name, version] = gv.split("/");
        return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      }),
    });
  }
  const group = url.match(/^\/apis\/(.+\/v\w+)$/);
  if (group && kinds[group[1]]) return answer(200, resources(group[1]));
  const secret = url.match(/^\/api\/v1\/namespaces\/[^/]+\/secrets\/([^/]+)$/);
  if (secret && req.method === "GET") {
    const file = path.join(secretsDir, `${path.basename(secret[1])}.json`);
    if (fs.existsSync(file)) return answer(200, JSON.parse(fs.readFileSync(file, "utf8")));
  }
  return answer(404, notFound);
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(portFile, String(server.address().port)));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
