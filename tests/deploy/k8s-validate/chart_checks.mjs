// Expectations on rendered p2pims charts (helm template output), beyond schema validity:
//   node chart_checks.mjs MODE FILE.yaml [RULES.yaml DASHBOARD_DIR]
// MODE: default | production | dev | tls (existing Secret) | plaintext (grpcTls off). Prints one line per check; exit 1 when one fails.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { parseAllDocuments, parse } from "yaml";

const [mode, file, rulesFile, dashDir] = process.argv.slice(2);
const docs = parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS()).filter(Boolean);
let failed = 0;
let passed = 0;
function check(what, ok, detail = "") {
  if (ok) {
    passed++;
    console.log(`ok   - ${mode}: ${what}`);
  } else {
    failed++;
    console.log(`FAIL - ${mode}: ${what}${detail ? ": " + detail : ""}`);
  }
}
const of = (kind) => docs.filter((d) => d.kind === kind);
const named = (kind, suffix) => of(kind).find((d) => d.metadata.name.endsWith(suffix));
const workloads = [...of("Deployment"), ...of("StatefulSet"), ...of("Job")];
const podSpec = (w) => w.spec.template.spec;
const containers = (w) => [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers];
const fullname = "p2pims";  // helm template p2pims ...
const hook = (d) => d.metadata.annotations?.["helm.sh/hook"] ?? "";
// JSON with object keys sorted, for comparing parsed YAML regardless of key order.
const canonical = (v) => JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// Components and their workloads.
const comps = { "sip-edge": "Deployment", rights: "Deployment", charging: "Deployment", tracker: "StatefulSet", origin: "StatefulSet" };
for (const [comp, kind] of Object.entries(comps)) {
  const w = named(kind, `-${comp}`);
  check(`${comp} is a ${kind}`, !!w);
  if (!w) continue;
  const c = podSpec(w).containers[0];
  check(`${comp} runs p2pims-${comp}`, JSON.stringify(c.command) === JSON.stringify([`p2pims-${comp}`]));
  check(`${comp} has liveness and readiness probes`, !!c.livenessProbe && !!c.readinessProbe);
  check(`${comp} has a startup probe`, !!c.startupProbe);
  check(`${comp} liveness is GET /healthz`, c.livenessProbe?.httpGet?.path === "/healthz");
  check(`${comp} readiness is /readyz or gRPC health`, c.readinessProbe?.httpGet?.path === "/readyz" || !!c.readinessProbe?.grpc);
  if (c.readinessProbe?.grpc) {
    check(`${comp} gRPC probe targets its gRPC port`, c.ports.some((p) => p.name === "grpc" && p.containerPort === c.readinessProbe.grpc.port));
  }
  check(`${comp} requests CPU and memory and limits memory`, !!c.resources?.requests?.cpu && !!c.resources?.requests?.memory && !!c.resources?.limits?.memory);
  check(`${comp} node id is the pod name`, c.env.some((e) => e.name === "P2PIMS_NODE_ID" && e.value === "$(POD_NAME)"));
  const admin = c.ports.find((p) => p.name === "admin");
  check(`${comp} exposes an admin port`, !!admin);
  check(`${comp} pods carry no service account token`, podSpec(w).automountServiceAccountToken === false);
}

// Security of every container of every workload.
for (const w of workloads) {
  const ps = podSpec(w);
  for (const c of containers(w)) {
    const sc = c.securityContext ?? {};
    const nonRoot = (sc.runAsNonRoot ?? ps.securityContext?.runAsNonRoot) === true;
    const uid = sc.runAsUser ?? ps.securityContext?.runAsUser;
    check(`${w.metadata.name}/${c.name} runs as non-root (uid ${uid})`, nonRoot && uid !== 0 && uid !== undefined);
    check(`${w.metadata.name}/${c.name} cannot escalate and drops capabilities`, sc.allowPrivilegeEscalation === false && (sc.capabilities?.drop ?? []).includes("ALL"));
    if (!w.metadata.name.endsWith("-postgresql")) {
      check(`${w.metadata.name}/${c.name} has a read-only root filesystem`, sc.readOnlyRootFilesystem === true);
    }
  }
}

// sip-edge's teardown drain: 20 attempts, pauses up to 5 s.
const sipEdge = named("Deployment", "-sip-edge");
check("sip-edge gets at least 120 s to drain teardowns", podSpec(sipEdge).terminationGracePeriodSeconds >= 120);
if (mode === "production") {
  const sc = podSpec(sipEdge).containers[0];
  check("production serves SIP over TLS from the certificate Secret",
    sc.env.some((e) => e.name === "P2PIMS_SIPS_URL" && e.value === "sips:*:5061") &&
    podSpec(sipEdge).volumes.some((v) => v.secret?.secretName === "p2pims-sip-tls") &&
    sc.volumeMounts.some((m) => m.mountPath === "/etc/p2pims/tls" && m.readOnly) &&
    of("Service").some((s) => s.metadata.name.endsWith("-sip-edge") && s.spec.ports.some((p) => p.port === 5061 && p.protocol === "TCP")));
}
check("sip-edge reads subscribers' digest credentials from the database",
  podSpec(sipEdge).containers[0].env.some((e) => e.name === "P2PIMS_DB") &&
  podSpec(sipEdge).containers[0].env.some((e) => e.name === "PGPASSWORD" && e.valueFrom?.secretKeyRef));

// rights' key file: a directory mount of the Secret (subPath mounts never see updates).
const rights = named("Deployment", "-rights");
const rc = podSpec(rights).containers[0];
const rcm = named("ConfigMap", "-rights");
const keyFile = rcm.data.P2PIMS_SIGNING_KEY_FILE;
const keyMount = rc.volumeMounts.find((m) => keyFile.startsWith(m.mountPath + "/"));
check("rights' key file lies in a mounted volume", !!keyMount, keyFile);
check("the key volume is mounted whole (no subPath), so rotation reaches the file", keyMount && !keyMount.subPath);
const keyVol = podSpec(rights).volumes.find((v) => v.name === keyMount?.name);
check("the key volume is a Secret", !!keyVol?.secret?.secretName);
check("the key file is readable by the pod's group only", keyVol?.secret?.defaultMode === 0o440);
const keySecret = of("Secret").find((s) => s.metadata.name === keyVol?.secret?.secretName);
if (mode === "production") {
  check("production uses its existing signing-key Secret", !keySecret && keyVol?.secret?.secretName === "p2pims-signing-keys");
} else {
  check("a signing-key Secret is rendered", !!keySecret);
  const text = Buffer.from(Object.values(keySecret?.data ?? {})[0] ?? "", "base64").toString();
  check("the generated key line is '<kid> <base64url 32-byte seed> created=<unix>'", /^[A-Za-z0-9._-]+ [A-Za-z0-9_-]{43} created=\d{9,}\n$/.test(text), JSON.stringify(text.slice(0, 12)));
  check("the generated key Secret is kept on uninstall", keySecret?.metadata.annotations?.["helm.sh/resource-policy"] === "keep");
}

// Services select pods of the release and target named ports those pods have.
for (const s of of("Service")) {
  const pods = workloads.filter((w) => matches(s.spec.selector, w.spec.template.metadata.labels) &&
    !(s.spec.selector["statefulset.kubernetes.io/pod-name"]));
  const ordinal = s.spec.selector["statefulset.kubernetes.io/pod-name"];
  const targets = ordinal ? workloads.filter((w) => w.kind === "StatefulSet" && ordinal.startsWith(w.metadata.name + "-") &&
    matches(Object.fromEntries(Object.entries(s.spec.selector).filter(([k]) => !k.startsWith("statefulset"))), w.spec.template.metadata.labels)) : pods;
  check(`Service ${s.metadata.name} selects a workload`, targets.length > 0);
  for (const p of s.spec.ports) {
    const ok = targets.some((w) => containers(w).some((c) => (c.ports ?? []).some((cp) =>
      (typeof p.targetPort === "string" ? cp.name === p.targetPort : cp.containerPort === (p.targetPort ?? p.port)) && (cp.protocol ?? "TCP") === (p.protocol ?? "TCP"))));
    check(`Service ${s.metadata.name} port ${p.name} reaches a container port`, ok);
  }
}

// Migrations: each binary's --migrate; a pre-install/pre-upgrade hook on an external database.
const job = named("Job", "-migrate");
check("a migration Job is rendered", !!job);
const migrate = containers(job).map((c) => c.command.join(" "));
check("the Job migrates rights, charging and tracker", ["rights", "charging", "tracker"].every((s) => migrate.includes(`p2pims-${s} --migrate`)), migrate.join(", "));
if (mode === "dev") {
  check("with the bundled database the Job is no hook (the database must exist first)", hook(job) === "");
  const pg = named("StatefulSet", "-postgresql");
  check("the bundled PostgreSQL is labelled development-only", pg?.metadata.labels["p2pims.io/development-only"] === "true");
  check("the services use the bundled PostgreSQL", /host=\S+-postgresql /.test(rc.env.find((e) => e.name === "P2PIMS_DB").value));
} else {
  check("the Job is a pre-install,pre-upgrade hook", hook(job) === "pre-install,pre-upgrade");
  check("the Job does not use the chart's ServiceAccount (not there yet at pre-install)", !podSpec(job).serviceAccountName);
  const dbSecretName = job.spec.template.spec.containers[0].env.find((e) => e.name === "PGPASSWORD").valueFrom.secretKeyRef.name;
  const dbSecret = of("Secret").find((s) => s.metadata.name === dbSecretName);
  if (mode === "production") {
    check("production reads database credentials from its existing Secret", !dbSecret && dbSecretName === "p2pims-db");
  } else {
    check("the database Secret is a hook created before the Job", hook(dbSecret ?? { metadata: {} }).includes("pre-install") &&
      Number(dbSecret.metadata.annotations["helm.sh/hook-weight"]) < Number(job.metadata.annotations["helm.sh/hook-weight"]));
  }
}

// Internal TLS (docs/operations.md, "Internal TLS"): on unless the mode turns it off; then every
// p2pims container reads the three files from the mounted Secret and no probe speaks plaintext
// gRPC. Without an existing Secret the chart generates one, checked here as a TLS client would.
const tlsOn = mode !== "plaintext";
const tlsSecretName = mode === "tls" ? "p2pims-grpc-tls" : `${fullname}-grpc-tls`;
const tlsEnv = ["P2PIMS_GRPC_TLS_CA", "P2PIMS_GRPC_TLS_CERT", "P2PIMS_GRPC_TLS_KEY", "P2PIMS_GRPC_TLS_REQUIRE_CLIENT_CERT"];
const p2pimsWorkloads = [...of("Deployment"), ...of("StatefulSet")].filter((w) => !w.metadata.name.endsWith("-postgresql"));
check("the workloads to check are every component's", JSON.stringify(p2pimsWorkloads.map((w) => w.metadata.labels["app.kubernetes.io/component"]).sort()) === JSON.stringify(Object.keys(comps).sort()));
// (The headless tracker Service, for names only, never said.)
const grpcPorts = of("Service").filter((s) => s.spec.clusterIP !== "None").flatMap((s) => s.spec.ports.filter((p) => p.name === "grpc").map((p) => ({ s, p })));
check("the gRPC Services are rights', charging's and the tracker's", JSON.stringify(grpcPorts.map(({ s }) => s.metadata.labels["app.kubernetes.io/component"]).sort()) === JSON.stringify(["charging", "rights", "tracker"]));
if (tlsOn) {
  for (const w of p2pimsWorkloads) {
    const ps = podSpec(w);
    const vol = (ps.volumes ?? []).find((v) => v.name === "grpc-tls");
    for (const c of ps.containers) {
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
      check(`${w.metadata.name}/${c.name} reads its CA, certificate and key from /etc/p2pims/grpc-tls`,
        env.P2PIMS_GRPC_TLS_CA === "/etc/p2pims/grpc-tls/ca.crt" && env.P2PIMS_GRPC_TLS_CERT === "/etc/p2pims/grpc-tls/tls.crt" &&
        env.P2PIMS_GRPC_TLS_KEY === "/etc/p2pims/grpc-tls/tls.key", JSON.stringify(env));
      check(`${w.metadata.name}/${c.name} requires client certificates`, env.P2PIMS_GRPC_TLS_REQUIRE_CLIENT_CERT === "true");
      check(`${w.metadata.name}/${c.name} mounts the grpc-tls volume there, read-only`,
        (c.volumeMounts ?? []).some((m) => m.name === "grpc-tls" && m.mountPath === "/etc/p2pims/grpc-tls" && m.readOnly === true && !m.subPath));
      check(`${w.metadata.name}/${c.name} probes no plaintext gRPC`, ![c.livenessProbe, c.readinessProbe, c.startupProbe].some((p) => p?.grpc));
    }
    check(`${w.metadata.name}: the grpc-tls volume is Secret ${tlsSecretName}`, vol?.secret?.secretName === tlsSecretName, JSON.stringify(vol));
    // The pods get the CA and their own certificate, never the CA's key or the operators' certificate.
    check(`${w.metadata.name}: it mounts only ca.crt, tls.crt and tls.key, readable by the pod's group`,
      JSON.stringify((vol?.secret?.items ?? []).map((i) => `${i.key}=${i.path}`).sort()) === JSON.stringify(["ca.crt=ca.crt", "tls.crt=tls.crt", "tls.key=tls.key"]) &&
      vol?.secret?.defaultMode === 0o440);
  }
  check("no gRPC Service port claims plaintext HTTP/2 (h2c)", grpcPorts.every(({ p }) => p.appProtocol !== "kubernetes.io/h2c"),
    grpcPorts.filter(({ p }) => p.appProtocol).map(({ s }) => s.metadata.name).join(", "));
} else {
  for (const w of p2pimsWorkloads) {
    for (const c of containers(w)) {
      check(`${w.metadata.name}/${c.name}: no gRPC TLS setting (plaintext)`, !(c.env ?? []).some((e) => tlsEnv.includes(e.name)) &&
        !(c.volumeMounts ?? []).some((m) => m.name === "grpc-tls"));
    }
    check(`${w.metadata.name}: no grpc-tls volume`, !(podSpec(w).volumes ?? []).some((v) => v.name === "grpc-tls"));
    check(`${w.metadata.name}: no certificate checksum`, !w.spec.template.metadata.annotations?.["checksum/grpc-tls"]);
  }
  for (const comp of ["rights", "charging", "tracker"]) {
    const c = podSpec(named(comps[comp], `-${comp}`)).containers[0];
    check(`${comp}'s readiness is its gRPC health (plaintext)`, !!c.readinessProbe?.grpc);
  }
  check("the gRPC Service ports say h2c (plaintext HTTP/2)", grpcPorts.every(({ p }) => p.appProtocol === "kubernetes.io/h2c"));
}
// Admin access (lib/grpc/admin_access.h): on unless the mode turns it off; every p2pims
// container reads the grants from the admin-access ConfigMap, which grants the generated
// certificates' names (or, with an existing Secret, what the values list).
const adminOn = mode !== "plaintext";
const adminMap = of("ConfigMap").find((m) => m.metadata.name === `${fullname}-admin-access`);
if (adminOn) {
  const want = mode === "tls" ? "operator cert:ops.example.net"
    : `operator cert:${fullname}-operator\nreader cert:${fullname}-services`;
  check("the admin-access ConfigMap grants the operator and the services' certificates their roles",
    adminMap?.data?.grants?.trim() === want, JSON.stringify(adminMap?.data));
  const adminServers = p2pimsWorkloads.filter((w) => ["rights", "charging", "tracker"].includes(w.metadata.labels["app.kubernetes.io/component"]));
  check("the admin RPCs' servers are rights, charging and the tracker", adminServers.length === 3);
  for (const w of adminServers) {
    const ps = podSpec(w);
    const vol = (ps.volumes ?? []).find((v) => v.name === "admin-access");
    check(`${w.metadata.name}: the admin-access volume is that ConfigMap`, vol?.configMap?.name === `${fullname}-admin-access`);
    check(`${w.metadata.name}: restarts when the grants change`, !!w.spec.template.metadata.annotations?.["checksum/admin-access"]);
    for (const c of ps.containers) {
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
      check(`${w.metadata.name}/${c.name} reads its admin grants from /etc/p2pims/admin-access/grants`,
        env.P2PIMS_ADMIN_ACCESS_FILE === "/etc/p2pims/admin-access/grants" &&
        (c.volumeMounts ?? []).some((m) => m.name === "admin-access" && m.mountPath === "/etc/p2pims/admin-access" && m.readOnly === true));
    }
  }
} else {
  check("no admin-access ConfigMap (adminAccess off)", !adminMap);
  for (const w of p2pimsWorkloads) {
    check(`${w.metadata.name}: no admin grants (adminAccess off)`,
      !podSpec(w).containers.some((c) => (c.env ?? []).some((e) => e.name === "P2PIMS_ADMIN_ACCESS_FILE")));
  }
}
const tlsSecret = of("Secret").find((s) => s.metadata.labels?.["app.kubernetes.io/component"] === "grpc-tls");
if (!tlsOn || mode === "tls") {
  check("no gRPC TLS Secret is generated", !tlsSecret);
  for (const w of p2pimsWorkloads) check(`${w.metadata.name}: no certificate checksum with an existing Secret`, !w.spec.template.metadata.annotations?.["checksum/grpc-tls"]);
} else {
  check(`Secret ${tlsSecretName} is generated`, tlsSecret?.metadata.name === tlsSecretName);
  check("... and kept on uninstall", tlsSecret?.metadata.annotations?.["helm.sh/resource-policy"] === "keep");
  const data = tlsSecret?.data ?? {};
  check("... holding ca.crt, ca.key, tls.crt, tls.key, operator.crt and operator.key",
    JSON.stringify(Object.keys(data).sort()) === JSON.stringify(["ca.crt", "ca.key", "operator.crt", "operator.key", "tls.crt", "tls.key"]));
  const pem = (k) => Buffer.from(data[k] ?? "", "base64").toString();
  let ca, cert, op;
  try {
    ca = new crypto.X509Certificate(pem("ca.crt"));
    cert = new crypto.X509Certificate(pem("tls.crt"));
    op = new crypto.X509Certificate(pem("operator.crt"));
  } catch (e) {
    check("the certificates parse", false, e.message);
  }
  if (ca && cert && op) {
    const keyOf = (k) => crypto.createPrivateKey(pem(k));
    const days = (x) => (Date.parse(x.validTo) - Date.now()) / 86400e3;
    const serverAuth = "1.3.6.1.5.5.7.3.1";
    const clientAuth = "1.3.6.1.5.5.7.3.2";
    check("the CA is a self-signed CA certificate", ca.ca === true && ca.verify(ca.publicKey));
    check("ca.key is the CA's key", ca.checkPrivateKey(keyOf("ca.key")));
    check("the CA is valid for caDays (3650)", Math.abs(days(ca) - 3650) < 2, ca.validTo);
    for (const [what, x, key] of [["the services' certificate", cert, "tls.key"], ["the operator's certificate", op, "operator.key"]]) {
      check(`${what} is signed by the CA`, x.checkIssued(ca) && x.verify(ca.publicKey) && !x.ca);
      check(`${what} matches its key`, x.checkPrivateKey(keyOf(key)));
      check(`${what} is valid for certDays (730)`, Math.abs(days(x) - 730) < 2, x.validTo);
      check(`${what} may authenticate a client`, (x.keyUsage ?? []).includes(clientAuth), x.keyUsage);
    }
    check("the services' certificate may authenticate a server", (cert.keyUsage ?? []).includes(serverAuth));
    check("the operator's certificate is another one, with another key", op.fingerprint256 !== cert.fingerprint256 && data["operator.key"] !== data["tls.key"]);
    check("the CA's certificate is neither of them", ca.fingerprint256 !== cert.fingerprint256 && ca.fingerprint256 !== op.fingerprint256);
    // Every address a gRPC client of the chart dials must be a name of the certificate.
    const ns = "p2pims";
    const dialled = new Set();
    for (const cm of of("ConfigMap")) {
      for (const k of ["P2PIMS_RIGHTS", "P2PIMS_CHARGING", "P2PIMS_TRACKER"]) {
        if (cm.data?.[k]) dialled.add(cm.data[k].replace(/:\d+$/, ""));
      }
    }
    check("the clients dial rights, charging and the tracker by Service name", dialled.size === 3, [...dialled].join(" "));
    for (const host of dialled) check(`the certificate names ${host}`, cert.checkHost(host) === host);
    for (const [sts, headless] of [["tracker", "tracker-headless"], ["origin", "origin-headless"]]) {
      const w = named("StatefulSet", `-${sts}`);
      for (let i = 0; i < Math.max(w.spec.replicas, 3); i++) {
        for (const host of [`${w.metadata.name}-${i}.${fullname}-${headless}.${ns}.svc`, `${w.metadata.name}-${i}.${fullname}-${headless}.${ns}.svc.cluster.local`]) {
          // checkHost answers with the name that matched: here the headless Service's wildcard.
          check(`the certificate names ${sts} replica ${i} (${host})`, cert.checkHost(host) === host.replace(/^[^.]+/, "*"));
        }
      }
    }
    for (const comp of Object.keys(comps)) {
      for (const host of [`${fullname}-${comp}`, `${fullname}-${comp}.${ns}`, `${fullname}-${comp}.${ns}.svc.cluster.local`]) {
        check(`the certificate names ${host}`, cert.checkHost(host) === host);
      }
    }
    check("the certificate names localhost and 127.0.0.1 (p2pimsctl through kubectl port-forward)", cert.checkHost("localhost") === "localhost" && cert.checkIP("127.0.0.1") === "127.0.0.1");
    for (const host of [`${fullname}-rights.other.svc`, `a.${fullname}-tracker-0.${fullname}-tracker-headless.${ns}.svc`, "rights.example.net"]) {
      check(`... and not ${host}`, cert.checkHost(host) === undefined);
    }
    check("the operator's certificate names no server", op.subjectAltName === undefined);
    const ann = tlsSecret.metadata.annotations;
    const sans = cert.subjectAltName.split(", ").map((n) => n.replace(/^IP Address:/, "IP:")).join(",");
    check("the Secret records the certificate's names (a change renews it)", ann["p2pims.io/grpc-tls-names"] === sans, ann["p2pims.io/grpc-tls-names"]);
    check("the Secret records the certificates' expiry (renewal before it)", Math.abs(Number(ann["p2pims.io/grpc-tls-not-after"]) * 1000 - Date.parse(cert.validTo)) <= 2000,
      `${ann["p2pims.io/grpc-tls-not-after"]} vs ${cert.validTo}`);
    const sum = crypto.createHash("sha256").update(data["tls.crt"]).digest("hex");
    for (const w of p2pimsWorkloads) {
      check(`${w.metadata.name}'s pods restart when the certificate changes (checksum/grpc-tls)`, w.spec.template.metadata.annotations?.["checksum/grpc-tls"] === sum);
    }
  }
}

// Network policies: one per component, only the design's flows.
const np = (comp) => of("NetworkPolicy").find((p) => p.spec.podSelector.matchLabels["app.kubernetes.io/component"] === comp);
for (const comp of Object.keys(comps)) {
  const p = np(comp);
  check(`${comp} has a NetworkPolicy for ingress and egress`, p && p.spec.policyTypes.includes("Ingress") && p.spec.policyTypes.includes("Egress"));
}
const peerComps = (rules, dir) => rules.flatMap((r) => (r[dir] ?? []).map((x) => x.podSelector?.matchLabels?.["app.kubernetes.io/component"]).filter(Boolean));
check("sip-edge may call only rights, charging and tracker (and PostgreSQL for digest credentials, DNS)", JSON.stringify(peerComps(np("sip-edge").spec.egress, "to").sort()) === JSON.stringify(mode === "dev" ? ["charging", "postgresql", "rights", "tracker"] : ["charging", "rights", "tracker"]));
check("only sip-edge, the tracker and the origin may call rights' gRPC", JSON.stringify(peerComps(np("rights").spec.ingress, "from").sort()) === JSON.stringify(["origin", "sip-edge", "tracker"]));
check("the origin may call only rights and the tracker (and DNS, peers)", JSON.stringify([...new Set(peerComps(np("origin").spec.egress, "to"))].sort()) === JSON.stringify(["rights", "tracker"]));
const originSubject = named("ConfigMap", "-origin").data.P2PIMS_SUBJECT;
check("rights lets the origin's identity in as an operator seed", named("ConfigMap", "-rights").data.P2PIMS_OPERATOR_SEEDS.split(",").includes(originSubject), originSubject);
check("only sip-edge and the tracker (metered usage) may call charging's gRPC", JSON.stringify(peerComps(np("charging").spec.ingress, "from").sort()) === JSON.stringify(["sip-edge", "tracker"]));
check("the tracker may call only rights and charging (and PostgreSQL, DNS)", JSON.stringify(peerComps(np("tracker").spec.egress, "to")) === JSON.stringify(mode === "dev" ? ["rights", "charging", "postgresql"] : ["rights", "charging"]));
const sipIngress = np("sip-edge").spec.ingress.find((r) => r.ports.some((p) => p.protocol === "UDP"));
if (mode === "production") {
  check("SIP is open only to the trusted CSCF networks", JSON.stringify(sipIngress?.from) === JSON.stringify([{ ipBlock: { cidr: "10.20.0.0/24" } }, { ipBlock: { cidr: "10.20.1.0/24" } }]));
} else {
  check("no SIP ingress while no CSCF is trusted", !sipIngress);
}

// The tracker over HTTPS: off unless asked (dev asks); on, its Secret is mounted as a directory
// (a rotation reaches the pod), the flags name the files, and the port is open on the pods, the
// BitTorrent Services and the NetworkPolicy.
{
  const tc = podSpec(named("StatefulSet", "-tracker")).containers[0];
  const env = (n) => tc.env.find((e) => e.name === n)?.value;
  const httpsPort = tc.ports.find((p) => p.name === "bt-https")?.containerPort;
  if (mode === "dev") {
    const vol = podSpec(named("StatefulSet", "-tracker")).volumes.find((v) => v.name === "tracker-https");
    const mount = tc.volumeMounts.find((m) => m.name === "tracker-https");
    check("tracker HTTPS: its kubernetes.io/tls Secret is a volume", vol?.secret?.secretName === "p2pims-tracker-https" && JSON.stringify(vol.secret.items.map((i) => i.key)) === '["tls.crt","tls.key"]');
    check("... mounted read-only as a directory (no subPath: rotation reaches the pod)", !!mount && !mount.subPath && mount.readOnly === true);
    check("... the flags name its files", env("P2PIMS_HTTPS_CERT_FILE") === `${mount?.mountPath}/tls.crt` && env("P2PIMS_HTTPS_KEY_FILE") === `${mount?.mountPath}/tls.key`);
    check("... the listener is on the pods' bt-https port", httpsPort === 6970 && env("P2PIMS_HTTPS_LISTEN") === "0.0.0.0:6970", env("P2PIMS_HTTPS_LISTEN"));
    check("... the https:// announce host names every replica", /^p2pims-tracker-\{i\}\..*:6970$/.test(env("P2PIMS_HTTPS_ANNOUNCE_HOST") ?? ""), env("P2PIMS_HTTPS_ANNOUNCE_HOST"));
    check("... the plain announce URLs are still handed out", env("P2PIMS_PLAIN_ANNOUNCE_URLS") === "true");
    const btServices = of("Service").filter((s) => s.spec.ports.some((p) => p.name === "bt-udp"));
    check("... every BitTorrent Service carries the HTTPS port", btServices.length > 1 && btServices.every((s) => s.spec.ports.some((p) => p.name === "bt-https" && p.port === 6970 && p.targetPort === "bt-https")));
    check("... and the NetworkPolicy lets peers reach it", np("tracker").spec.ingress.some((r) => r.ports?.some((p) => p.port === 6970 && p.protocol === "TCP")));
  } else {
    check("no tracker HTTPS unless asked", httpsPort === undefined && env("P2PIMS_HTTPS_LISTEN") === undefined);
  }
}

// Autoscaling and disruption budgets.
const hpas = of("HorizontalPodAutoscaler").map((h) => h.metadata.labels["app.kubernetes.io/component"]);
if (mode === "production") {
  // charging runs one writer plus standbys: more replicas add no capacity.
  check("sip-edge and rights autoscale, charging does not", JSON.stringify(hpas.sort()) === JSON.stringify(["rights", "sip-edge"]));
  for (const h of of("HorizontalPodAutoscaler")) {
    const target = of("Deployment").find((d) => d.metadata.name === h.spec.scaleTargetRef.name);
    check(`${h.metadata.name} scales an existing Deployment that leaves replicas to it`, !!target && target.spec.replicas === undefined);
  }
  const bt = of("Service").filter((s) => s.spec.selector["statefulset.kubernetes.io/pod-name"]);
  check("one BitTorrent Service per tracker replica", bt.length === named("StatefulSet", "-tracker").spec.replicas);
  const tracker = named("StatefulSet", "-tracker");
  const announce = podSpec(tracker).containers[0].env.find((e) => e.name === "P2PIMS_ANNOUNCE_HOST").value;
  // {i} is a replica's ordinal: the pod names are <StatefulSet>-<ordinal>.
  check("the announce host names every tracker replica by ordinal", announce === `${tracker.metadata.name}-{i}.p2p.ims.example.net:6969`, announce);
  const trackerConfig = named("ConfigMap", "-tracker").data;
  check("the tracker knows how many replicas share the swarms", trackerConfig.P2PIMS_REPLICAS === String(tracker.spec.replicas), trackerConfig.P2PIMS_REPLICAS);
  const sipSvc = of("Service").find((s) => s.metadata.name.endsWith("-sip-edge"));
  check("the SIP Service keeps client addresses (externalTrafficPolicy Local)", sipSvc.spec.type === "LoadBalancer" && sipSvc.spec.externalTrafficPolicy === "Local");
} else if (mode === "default") {
  check("no autoscaler by default", hpas.length === 0);
}
// None for charging: only its writer is ready, so any budget would forbid draining its node.
const pdbs = of("PodDisruptionBudget").map((p) => p.metadata.labels["app.kubernetes.io/component"]);
check("a PodDisruptionBudget per component but charging", JSON.stringify(pdbs.sort()) === JSON.stringify(["rights", "sip-edge", "tracker"]), pdbs);

// Prometheus Operator objects and dashboards carry exactly the files of deploy/.
if (mode === "production") {
  const sm = of("ServiceMonitor")[0];
  check("a ServiceMonitor scrapes the admin port", sm?.spec.endpoints[0].port === "admin");
  const scraped = of("Service").filter((s) => matches(sm.spec.selector.matchLabels, s.metadata.labels));
  check("the ServiceMonitor selects one Service per component", JSON.stringify(scraped.map((s) => s.metadata.labels["app.kubernetes.io/component"]).sort()) === JSON.stringify(["charging", "origin", "rights", "sip-edge", "tracker"]));
  check("every scraped Service has an admin port", scraped.every((s) => s.spec.ports.some((p) => p.name === "admin")));
  const rule = of("PrometheusRule")[0];
  const rules = parse(fs.readFileSync(rulesFile, "utf8"));
  check("the PrometheusRule holds deploy/prometheus/p2pims-rules.yaml", canonical(rule?.spec) === canonical(rules));
  const cm = of("ConfigMap").find((c) => c.metadata.labels?.grafana_dashboard === "1");
  const files = fs.readdirSync(dashDir).filter((f) => f.endsWith(".json")).sort();
  check("the dashboards ConfigMap holds every dashboard of deploy/grafana", JSON.stringify(Object.keys(cm?.data ?? {}).sort()) === JSON.stringify(files));
  check("dashboards are byte-identical to deploy/grafana", files.every((f) => cm.data[f] === fs.readFileSync(path.join(dashDir, f), "utf8")));
  check("the dashboards go to the monitoring namespace", cm?.metadata.namespace === "monitoring");
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
