// Validates Kubernetes manifests (multi-document YAML files, e.g. `helm template` output) against
// the Kubernetes API schemas of the npm package kubernetes-models and the Prometheus Operator
// schemas of @kubernetes-models/prometheus-operator:
//   1. the JSON-schema validation the packages ship (types, required fields, enums, formats);
//   2. unknown fields: every object is type-checked by TypeScript against the packages'
//      declarations, whose excess-property check rejects a field the API does not define
//      (a misspelt `livenesProbe` passes step 1, the API server would drop it silently);
//   3. a few API-server rules that neither schema carries: resource and port names.
//
//   node validate.mjs FILE.yaml...      prints one line per problem; exit 1 when there is any
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
const ts = require("typescript");

// apiVersion -> module prefix in the packages.
function modulePath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function apiRules(doc, problem) {
  const name = doc.metadata?.name ?? "";
  if (!name) problem("metadata.name is missing");
  else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) problem(`bad name ${name}`);
  if (doc.kind === "Service" && (name.length > 63 || !DNS1035_LABEL.test(name))) {
    problem(`Service name ${name} is not a DNS-1035 label of at most 63 characters`);
  }
  for (const [k, v] of Object.entries(doc.metadata?.labels ?? {})) {
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
      problem(`label ${k}: bad value ${JSON.stringify(v)}`);
    }
  }
  const podSpec = doc.spec?.template?.spec ?? doc.spec?.jobTemplate?.spec?.template?.spec;
  if (podSpec) {
    for (const c of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
      if (!DNS1123_LABEL.test(c.name ?? "") || c.name.length > 63) {
        problem(`container name ${c.name} is not a DNS-1123 label`);
      }
      const seen = new Set();
      for (const p of c.ports ?? []) {
        if (p.name !== undefined && (p.name.length > 15 || !PORT_NAME.test(p.name))) {
          problem(`container ${c.name}: port name ${p.name} is not an IANA service name`);
        }
        const key = `${p.containerPort}/${p.protocol ?? "TCP"}`;
        if (seen.has(key)) problem(`container ${c.name}: port ${key} twice`);
        seen.add(key);
      }
    }
  }
  if (doc.kind === "Service") {
    for (const p of doc.spec?.ports ?? []) {
      if (p.name !== undefined && (p.name.length > 15 || !PORT_NAME.test(p.name))) {
        problem(`port name ${p.name} is not an IANA service name`);
      }
    }
    if ((doc.spec?.ports ?? []).length > 1 && doc.spec.ports.some((p) => !p.name)) {
      problem("a Service with several ports must name each");
    }
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE.yaml...");
  process.exit(2);
}

const problems = [];
const typed = []; // { label, file, source }
const work = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-validate-"));
let count = 0;

for (const file of files) {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const d of docs) {
    if (d.errors.length) {
      problems.push(`${file}: YAML: ${d.errors[0].message}`);
      continue;
    }
    const doc = d.toJS();
    if (doc === null || doc === undefined) continue;
    count++;
    const label = `${file}: ${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
    const problem = (msg) => problems.push(`${label}: ${msg}`);
    if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
      problem("apiVersion and kind are required");
      continue;
    }
    const mod = modulePath(doc.apiVersion, doc.kind);
    let Model;
    try {
      Model = (await import(mod))[doc.kind];
    } catch {
      Model = undefined;
    }
    if (!Model) {
      problem(`unknown apiVersion/kind ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (e) {
      problem(`schema: ${e.message}`);
    }
    apiRules(doc, problem);
    const tsFile = path.join(work, `doc${typed.length}.ts`);
    fs.writeFileSync(
      tsFile,
      `import type { I${doc.kind} as T } from ${JSON.stringify(mod)};\n` +
        `export const doc: T = ${JSON.stringify(doc, null, 1)};\n`,
    );
    typed.push({ label, file: tsFile });
  }
}

// Unknown fields, through TypeScript's excess-property check (resolved from this directory).
if (typed.length) {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const program = ts.createProgram(
    typed.map((t) => t.file),
    {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      typeRoots: [],
      types: [],
      baseUrl: here,
      paths: { "*": [path.join(here, "node_modules", "*")] },
    },
  );
  for (const diag of ts.getPreEmitDiagnostics(program)) {
    const t = typed.find((x) => diag.file && path.resolve(diag.file.fileName) === x.file);
    const msg = ts.flattenDiagnosticMessageText(diag.messageText, " ");
    problems.push(`${t ? t.label : diag.file?.fileName ?? "typescript"}: fields: ${msg}`);
  }
}
fs.rmSync(work, { recursive: true, force: true });

for (const p of problems) console.log(p);
console.log(`${count} objects checked, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
