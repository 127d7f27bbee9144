// The gRPC TLS Secret of a rendered chart, and what its pods carry, as JSON (helm_test.sh):
//   node secret_of.mjs FILE.yaml
// {"secret": <the Secret of component grpc-tls, as rendered, or null>,
//  "checksums": {<workload>: <its pods' checksum/grpc-tls annotation>}}
import fs from "node:fs";
import { parseAllDocuments } from "yaml";

const docs = parseAllDocuments(fs.readFileSync(process.argv[2], "utf8")).map((d) => d.toJS()).filter(Boolean);
const secret = docs.find((d) => d.kind === "Secret" && d.metadata.labels?.["app.kubernetes.io/component"] === "grpc-tls") ?? null;
const checksums = Object.fromEntries(docs.filter((d) => d.kind === "Deployment" || d.kind === "StatefulSet")
  .map((w) => [w.metadata.name, w.spec.template.metadata.annotations?.["checksum/grpc-tls"] ?? null]));
console.log(JSON.stringify({ secret, checksums }));
