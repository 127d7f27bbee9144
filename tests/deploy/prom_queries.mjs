// Evaluates every rule and dashboard query of deploy/ through a running Prometheus' HTTP API
// (used by prometheus_live_test.sh):
//   node prom_queries.mjs PROMETHEUS_URL DASHBOARD_DIR EXPECTED_RULES
// - every loaded rule has been evaluated with health "ok", and its expression parses and runs
//   as an instant query;
// - every query of every dashboard panel parses and returns data (a non-empty result), with
//   Grafana's $__rate_interval / $__interval / $__range replaced as Grafana would for a 1 s scrape;
// - no alert fires on the healthy suite.
// Prints "ok" / "FAIL" lines and a closing "N passed, N failed"; exit 1 on any failure.
import fs from "node:fs";
import path from "node:path";

const [base, dashDir, expectedRules] = process.argv.slice(2);
let passed = 0;
let failed = 0;
const check = (what, ok, detail = "") => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} - ${what}${!ok && detail ? ": " + detail : ""}`);
};
async function api(p, params = {}) {
  const url = new URL(`/api/v1/${p}`, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  const body = await res.json().catch(() => ({ status: "error", error: `HTTP ${res.status}` }));
  return body;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Rules: wait until each has been evaluated at least once.
let groups = [];
for (let i = 0; i < 150; i++) {
  groups = (await api("rules")).data?.groups ?? [];
  const rules = groups.flatMap((g) => g.rules);
  if (rules.length && rules.every((r) => !r.lastEvaluation.startsWith("0001-"))) break;
  await sleep(200);
}
const rules = groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
check(`Prometheus loaded all ${expectedRules} rules`, rules.length === Number(expectedRules), `${rules.length} loaded`);
for (const r of rules) {
  const name = r.type === "alerting" ? `alert ${r.name}` : `record ${r.name}`;
  check(`${name}: evaluated, health ok`, r.health === "ok" && !r.lastError, r.lastError || r.health);
  const q = await api("query", { query: r.query });
  check(`${name}: the expression runs as a query`, q.status === "success", q.error);
  if (r.type === "alerting") {
    check(`${name}: not firing on the healthy suite`, (r.alerts ?? []).every((a) => a.state !== "firing"),
      JSON.stringify((r.alerts ?? []).map((a) => a.labels)));
  }
}

// Dashboards.
const vars = { $__rate_interval: "5m", $__interval: "15s", $__range: "5m" };
for (const file of fs.readdirSync(dashDir).filter((f) => f.endsWith(".json")).sort()) {
  const dash = JSON.parse(fs.readFileSync(path.join(dashDir, file), "utf8"));
  for (const panel of dash.panels.filter((p) => p.type !== "row")) {
    for (const t of panel.targets ?? []) {
      let expr = t.expr;
      for (const [k, v] of Object.entries(vars)) expr = expr.split(k).join(v);
      const q = await api("query", { query: expr });
      const what = `${dash.title} / ${panel.title} [${t.refId}]`;
      if (q.status !== "success") {
        check(`${what}: parses`, false, q.error);
        continue;
      }
      check(`${what}: returns data`, q.data.result.length > 0, expr);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
