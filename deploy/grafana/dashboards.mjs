// The Grafana dashboards of p2pims, as code: `node deploy/grafana/dashboards.mjs` writes the
// *.json files next to it; `--check` exits 1 when a committed file differs from what this
// script makes (tests/deploy/dashboards_test.sh). Edit here, not in the JSON.
//
// Every query uses only metrics the services expose today (services/*/README.md, lib/grpc,
// lib/runtime) and the job label of the scrape config (job = sip-edge, rights, charging,
// tracker, origin); tests/deploy/prometheus_live_test.sh runs each against a live suite.
import fs from "node:fs";
import path from "node:path";

const DS = { type: "prometheus", uid: "${datasource}" };
const RATE = "$__rate_interval";

function target(expr, legendFormat = "", refId = "A") {
  return { datasource: DS, expr, legendFormat, refId, range: true };
}

// A row of panels laid out left to right, `h` high, widths in grid units (24 per row).
function layout(rows) {
  const panels = [];
  let y = 0;
  let id = 1;
  for (const row of rows) {
    if (typeof row === "string") {
      panels.push({ type: "row", title: row, id: id++, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    let x = 0;
    const h = row.h ?? 8;
    const w = Math.floor(24 / row.panels.length);
    for (const p of row.panels) {
      panels.push({ ...p, id: id++, gridPos: { h, w, x, y } });
      x += w;
    }
    y += h;
  }
  return panels;
}

function timeseries(title, description, targets, unit = "short", extra = {}) {
  return {
    type: "timeseries",
    title,
    description,
    datasource: DS,
    targets: targets.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) })),
    fieldConfig: {
      defaults: {
        unit,
        custom: { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never", spanNulls: true },
        ...(extra.defaults ?? {}),
      },
      overrides: [],
    },
    options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
  };
}

function stat(title, description, expr, unit = "short", thresholds = null) {
  return {
    type: "stat",
    title,
    description,
    datasource: DS,
    targets: [target(expr, "", "A")],
    fieldConfig: {
      defaults: {
        unit,
        thresholds: thresholds ?? { mode: "absolute", steps: [{ color: "green", value: null }] },
      },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area", textMode: "auto" },
  };
}

const redAbove = (v) => ({ mode: "absolute", steps: [{ color: "green", value: null }, { color: "red", value: v }] });
const redBelow = (v) => ({ mode: "absolute", steps: [{ color: "red", value: null }, { color: "green", value: v }] });

function dashboard(uid, title, description, rows) {
  return {
    uid,
    title,
    description,
    tags: ["p2pims"],
    timezone: "",
    editable: true,
    graphTooltip: 1,
    refresh: "30s",
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "datasource",
          label: "Prometheus",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
          refresh: 1,
          regex: "",
          options: [],
        },
      ],
    },
    annotations: { list: [] },
    links: [{ title: "p2pims", type: "dashboards", tags: ["p2pims"], asDropdown: true }],
    panels: layout(rows),
  };
}

const q = {
  invites: `sum(rate(p2pims_sip_responses_total{method="INVITE"}[${RATE}]))`,
  quantile: (p, metric, by = "") =>
    `histogram_quantile(${p}, sum by (le${by ? ", " + by : ""}) (rate(${metric}_bucket[${RATE}])))`,
};

const dashboards = {
  "p2pims-overview.json": dashboard("p2pims-overview", "p2pims / Overview",
    "Content sessions as the S-CSCF sees them: sessions per second, setup latency, answers by code, active sessions, CDRs.", [
      { h: 5, panels: [
        stat("Sessions/s", "INVITEs answered 200 OK per second.", `sum(rate(p2pims_sip_responses_total{method="INVITE",code="200"}[${RATE}]))`, "reqps"),
        stat("Active sessions", "Sessions established and not yet torn down, all sip-edge replicas.", "sum(p2pims_sip_active_sessions)"),
        stat("Server errors", "Share of INVITEs answered 500 or 503.", `sum(rate(p2pims_sip_responses_total{method="INVITE",code=~"5.."}[${RATE}])) / clamp_min(${q.invites}, 1e-9)`, "percentunit", redAbove(0.05)),
        stat("Setups within 0.5 s", "SLO: 99% of INVITEs answered within 0.5 s.", `sum(rate(p2pims_sip_session_setup_seconds_bucket{le="0.5"}[${RATE}])) / clamp_min(sum(rate(p2pims_sip_session_setup_seconds_count[${RATE}])), 1e-9)`, "percentunit", redBelow(0.99)),
        stat("CDRs/s", "CDRs written by charging per second.", `sum(rate(p2pims_charging_cdrs_written_total[${RATE}]))`, "ops"),
        stat("Replicas up", "Replicas Prometheus scrapes, all components.", `sum(up{job=~"sip-edge|rights|charging|tracker|origin"})`),
      ] },
      { panels: [
        timeseries("INVITE answers by code", "Final answers sip-edge decided, per second: 200 session, 402 out of credit, 403 refused, 404 unknown content, 400 malformed, 500/503 platform failures.",
          [target(`sum by (code) (rate(p2pims_sip_responses_total{method="INVITE"}[${RATE}]))`, "{{code}}")], "reqps"),
        timeseries("Session setup latency", "Time from the start of INVITE handling to the final answer (sip-edge), all outcomes.",
          [target(q.quantile(0.5, "p2pims_sip_session_setup_seconds"), "p50"), target(q.quantile(0.95, "p2pims_sip_session_setup_seconds"), "p95"), target(q.quantile(0.99, "p2pims_sip_session_setup_seconds"), "p99")], "s"),
      ] },
      { panels: [
        timeseries("Active sessions by replica", "Established sessions held in each sip-edge's memory.",
          [target("sum by (instance) (p2pims_sip_active_sessions)", "{{instance}}")]),
        timeseries("Teardown failures", "BYE teardowns in which a step was refused or abandoned (a CDR or charge may be missing).",
          [target(`sum by (instance) (increase(p2pims_sip_teardown_failures_total[${RATE}]))`, "{{instance}}")]),
        timeseries("Access decisions", "rights decisions per second by result.",
          [target(`sum by (result) (rate(p2pims_rights_decisions_total[${RATE}]))`, "{{result}}")], "ops"),
      ] },
      { panels: [
        timeseries("SIP requests by method", "Requests reaching sip-edge per second (INVITE, BYE, REGISTER, MESSAGE, SUBSCRIBE, UPDATE refreshes, ...).",
          [target(`sum by (method) (rate(p2pims_sip_requests_total[${RATE}]))`, "{{method}}")], "reqps"),
        timeseries("Progress subscriptions", "Terminals subscribed to their session's progress (SUBSCRIBE/NOTIFY), by replica.",
          [target("sum by (instance) (p2pims_sip_progress_subscriptions)", "{{instance}}")]),
      ] },
    ]),

  "p2pims-swarms.json": dashboard("p2pims-swarms", "p2pims / Swarms",
    "The tracker: announces, swarms and peers, locality of the peers offered and of the bytes moved, the usage queue to charging, sessions, token verifications, revocations; the origin seeders.", [
      { h: 5, panels: [
        stat("Swarms", "Swarms in the replicas' memory.", "sum(p2pims_tracker_swarms)"),
        stat("Peers", "Peers in the swarms, all roles.", "sum(p2pims_tracker_peers)"),
        stat("Origin share", "Share of the peers offered that were operator origin seeds (last hour): high means the swarms lack local supply.",
          `sum(increase(p2pims_tracker_peers_offered_total{tier="origin"}[1h])) / clamp_min(sum(increase(p2pims_tracker_peers_offered_total[1h])), 1)`, "percentunit", redAbove(0.5)),
        stat("Token cache hit ratio", "Announces whose token was already verified (last hour): a session costs one signature check.",
          `sum(increase(p2pims_tracker_token_cache_lookups_total{result="hit"}[1h])) / clamp_min(sum(increase(p2pims_tracker_token_cache_lookups_total[1h])), 1)`, "percentunit"),
        stat("Usage queue to charging", "Usage rows waiting in PostgreSQL for charging; growing: charging is unreachable (nothing is lost).",
          "sum(p2pims_tracker_usage_outbox_rows)", "short", redAbove(10000)),
      ] },
      { panels: [
        timeseries("Announces by protocol and result", "BitTorrent announces answered per second (HTTP, UDP): ok, bad_request, denied (token refused, other swarm or replica), unavailable.",
          [target(`sum by (protocol, result) (rate(p2pims_tracker_announces_total[${RATE}]))`, "{{protocol}} {{result}}")], "ops"),
        timeseries("Peers by role", "Seeders, leechers and operator origin seeds in the swarms.",
          [target("sum by (role) (p2pims_tracker_peers)", "{{role}}")]),
        timeseries("Downloaded bytes by locality tier", "Bytes peers report downloading, by the best tier they were offered (cell, area, network, elsewhere, origin): where the traffic stays.",
          [target(`sum by (tier) (rate(p2pims_tracker_downloaded_bytes_total[${RATE}]))`, "{{tier}}")], "Bps"),
      ] },
      { panels: [
        timeseries("Tracker sessions opened and closed", "OpenSession and CloseSession calls per second, by outcome.",
          [target(`sum by (method, code) (rate(p2pims_grpc_server_handled_total{job="tracker",method=~".*/(OpenSession|CloseSession)"}[${RATE}]))`, "{{method}} {{code}}")], "ops"),
        timeseries("Sessions in swarms", "Established content sessions (sip-edge), i.e. terminals admitted to a managed swarm.",
          [target("sum(p2pims_sip_active_sessions)", "sessions")]),
        timeseries("Credit control from the tracker", "Ro UPDATEs per second by outcome (granted, refused, failed: charging unreachable, resent), and sessions whose swarm access ended because charging granted no more.",
          [target(`sum by (result) (rate(p2pims_tracker_credit_updates_total[${RATE}]))`, "update {{result}}"),
           target(`sum(rate(p2pims_tracker_credit_sessions_ended_total[${RATE}]))`, "access ended")], "ops"),
      ] },
      { panels: [
        timeseries("Token verifications by result", "Access tokens checked at OpenSession: ok, expired, revoked, bad signature, unknown key...",
          [target(`sum by (result) (rate(p2pims_tracker_token_verifications_total[${RATE}]))`, "{{result}}")], "ops"),
        timeseries("Revocations enforced", "Revocations each tracker replica holds.",
          [target("sum by (instance) (p2pims_tracker_revocations)", "{{instance}}")]),
        timeseries("Revocation stream", "1 while the replica's WatchRevocations stream from rights is open.",
          [target("min by (instance) (p2pims_tracker_revocation_stream_up)", "{{instance}}")], "short", { defaults: { min: 0, max: 1 } }),
      ] },
      { panels: [
        timeseries("OpenSession latency", "Wire-level latency of OpenSession at the tracker.",
          [target(`histogram_quantile(0.5, sum by (le) (rate(p2pims_grpc_server_handling_seconds_bucket{job="tracker",method=~".*/OpenSession"}[${RATE}])))`, "p50"),
           target(`histogram_quantile(0.99, sum by (le) (rate(p2pims_grpc_server_handling_seconds_bucket{job="tracker",method=~".*/OpenSession"}[${RATE}])))`, "p99")], "s"),
        timeseries("Announces shed (overload)", "Announces not served while a replica was behind its load: answered 'tracker busy' after waiting beyond the bound, UDP datagrams dropped (buffer full, too late), TCP connections the kernel refused with a listen queue full (P2pimsTrackerOverloaded).",
          [target(`sum by (protocol) (rate(p2pims_tracker_announces_total{result="busy"}[${RATE}]))`, "busy {{protocol}}"),
           target(`sum by (reason) (rate(p2pims_tracker_udp_dropped_total[${RATE}]))`, "udp dropped {{reason}}"),
           target(`sum(rate(p2pims_tracker_listen_overflows_total[${RATE}]))`, "listen overflows")], "ops"),
        timeseries("HTTP listen queue", "Connections waiting in the kernel to be accepted, by replica: near the queue's size the replica is at capacity (it sizes the queue to what it answers within --http-max-wait-ms).",
          [target("sum by (instance) (p2pims_tracker_http_listen_queue)", "{{instance}}")]),
      ] },
      "Origin seeders",
      { h: 5, panels: [
        stat("Origin replicas up", "Origin seeder replicas Prometheus scrapes.", `sum(up{job="origin"})`, "short", redBelow(1)),
        stat("Content seeding", "Content the origins seed (with a token and a tracker session), all replicas.", `sum(p2pims_origin_torrents{state="seeding"})`),
        stat("Content checking", "Content the origins hold but do not seed yet: bytes being checked, or no token or session (P2pimsOriginSessionsFailing).", `sum(p2pims_origin_torrents{state="checking"})`),
        stat("Origin peers", "Peers connected to the origins.", "sum(p2pims_origin_peers)"),
        stat("Origin upload", "Payload the origins upload to peers.", `sum(rate(p2pims_origin_uploaded_bytes_total[${RATE}]))`, "Bps"),
      ] },
      { panels: [
        timeseries("Origin content by state", "Content each origin holds: seeding, or checking (not announced yet).",
          [target("sum by (instance, state) (p2pims_origin_torrents)", "{{instance}} {{state}}")]),
        timeseries("Origin upload by replica", "Payload bytes per second each origin uploads to peers.",
          [target(`sum by (instance) (rate(p2pims_origin_uploaded_bytes_total[${RATE}]))`, "{{instance}}")], "Bps"),
        timeseries("Origin peers by replica", "Peers connected to each origin, over all its content.",
          [target("sum by (instance) (p2pims_origin_peers)", "{{instance}}")]),
        timeseries("Origin repeats refused", "Requests for a piece an origin had already sent to another peer, refused while some piece of that content had not left it yet (--one-copy-first): the peers take those pieces from each other.",
          [target(`sum by (instance) (rate(p2pims_origin_repeats_refused_total[${RATE}]))`, "{{instance}}")], "ops"),
      ] },
      { panels: [
        timeseries("Origin announces by result", "The origins' announces per second: ok, refused (the tracker's failure reason: the token is renewed), failed (no answer).",
          [target(`sum by (result) (rate(p2pims_origin_announces_total[${RATE}]))`, "{{result}}")], "ops"),
        timeseries("Origin tokens and failures", "Tokens renewed, and content not seeded by reason: refused (rights or the tracker said no), unavailable (no answer), mismatch (bytes differ from the index), metainfo.",
          [target(`sum(rate(p2pims_origin_token_renewals_total[${RATE}]))`, "renewed"),
           target(`sum by (reason) (rate(p2pims_origin_failures_total[${RATE}]))`, "not seeded: {{reason}}")], "ops"),
      ] },
    ]),

  "p2pims-charging.json": dashboard("p2pims-charging", "p2pims / Charging",
    "The writer replica and its batches, credit control and accounting requests, denials, reservations, CDRs written, billing consumer lag, incentive over-claims.", [
      { h: 5, panels: [
        stat("Writer", "Replicas that are the writer (hold the PostgreSQL lock): must be 1. 0: every money-moving request is refused; more: one claimant lost its connection.", "sum(p2pims_charging_writer)", "short",
          { mode: "absolute", steps: [{ color: "red", value: null }, { color: "green", value: 1 }, { color: "red", value: 2 }] }),
        stat("Standbys", "Replicas waiting to take over from the writer (not ready by design).", "count(p2pims_charging_writer == 0) or vector(0)", "short", redBelow(1)),
        stat("Open reservations", "Credit-control sessions holding a reservation.", "max(p2pims_charging_reservations_open)"),
        stat("Money reserved", "Held by open reservations, minor units (all currencies).", "max(p2pims_charging_reserved_minor)"),
        stat("Billing lag (worst consumer)", "CDRs written and not yet acknowledged by the slowest billing consumer.", "max(p2pims_charging_consumer_lag_cdrs)", "short", redAbove(50000)),
        stat("Over-claimed uploads", "Share of uploads claimed this hour that downloaders had not reported receiving.", "max(p2pims_charging_over_claim_ratio)", "percentunit", redAbove(0.2)),
      ] },
      { panels: [
        timeseries("Requests by type and result", "Credit-control (INITIAL, UPDATE, TERMINATION, EVENT) and accounting (START, INTERIM, STOP) requests per second.",
          [target(`sum by (type, result) (rate(p2pims_charging_requests_total[${RATE}]))`, "{{type}} {{result}}")], "ops"),
        timeseries("Denials: out of credit", "Answers that ran out of credit (4012, or final units).",
          [target(`sum(rate(p2pims_charging_balance_exhausted_total[${RATE}]))`, "out of credit")], "ops"),
        timeseries("Batches committed", "Engine batches committed per second, per replica (only the writer commits); a batch holds every request that arrived while the previous one was applied, up to 2048.",
          [target(`sum by (instance) (rate(p2pims_charging_batches_committed[${RATE}]))`, "{{instance}}")], "ops"),
      ] },
      { panels: [
        timeseries("CDRs written", "CDRs closed per second.",
          [target(`sum(rate(p2pims_charging_cdrs_written_total[${RATE}]))`, "CDRs")], "ops"),
        timeseries("Billing consumer lag", "CDRs not yet acknowledged, per billing consumer.",
          [target("max by (consumer) (p2pims_charging_consumer_lag_cdrs)", "{{consumer}}")]),
        timeseries("Credit-control latency", "Wire-level latency of CreditControl and Accounting.",
          [target(`histogram_quantile(0.99, sum by (le, method) (rate(p2pims_grpc_server_handling_seconds_bucket{job="charging",method=~".*/(CreditControl|Accounting)"}[${RATE}])))`, "p99 {{method}}")], "s"),
      ] },
    ]),

  "p2pims-rights.json": dashboard("p2pims-rights", "p2pims / Rights",
    "Access decisions by reason, tokens issued and verified, revocations, caches, audit and signing keys.", [
      { h: 5, panels: [
        stat("Change listener", "Replicas whose LISTEN rights_change connection is up (else decisions bypass the caches).", "sum(p2pims_rights_change_listener_up)"),
        stat("Audit backlog", "Decision audit records waiting to be written (worst replica); refusals start at 200000.", "max(p2pims_rights_audit_backlog)", "short", redAbove(20000)),
        stat("Signing key age", "Age of the key that signs (oldest replica).", "max(p2pims_rights_signing_key_age_seconds)", "s"),
        stat("Verification keys", "Keys published to trackers.", "max(p2pims_rights_verify_keys)"),
        stat("Revocations in force", "Revocations rights streams to trackers (and bans).", "max(p2pims_rights_revocations_in_force)"),
      ] },
      { panels: [
        timeseries("Decisions by result and reason", "allow, or the deny reason (not entitled, territory, window, revoked, unknown content, withdrawn, device limit).",
          [target(`sum by (result, reason) (rate(p2pims_rights_decisions_total[${RATE}]))`, "{{result}} {{reason}}")], "ops"),
        timeseries("Authorize latency", "Inside rights: decide, sign and audit.",
          [target(q.quantile(0.5, "p2pims_rights_authorize_seconds"), "p50"), target(q.quantile(0.99, "p2pims_rights_authorize_seconds"), "p99")], "s"),
      ] },
      { panels: [
        timeseries("Tokens issued and verified", "Tokens rights signed, and tokens trackers verified by result.",
          [target(`sum(rate(p2pims_rights_tokens_issued_total[${RATE}]))`, "issued"),
           target(`sum by (result) (rate(p2pims_tracker_token_verifications_total[${RATE}]))`, "verified {{result}}")], "ops"),
        timeseries("Cache lookups", "Catalogue and entitlement cache lookups by result.",
          [target(`sum by (cache, result) (rate(p2pims_rights_cache_lookups_total[${RATE}]))`, "{{cache}} {{result}}")], "ops"),
        timeseries("Audit and keys", "Audit refusals, key reload failures and cache bypasses per second.",
          [target(`sum(rate(p2pims_rights_audit_refusals_total[${RATE}]))`, "audit refusals"),
           target(`sum(rate(p2pims_rights_key_reload_failures_total[${RATE}]))`, "key reload failures"),
           target(`sum(rate(p2pims_rights_cache_bypassed_total[${RATE}]))`, "cache bypassed")], "ops"),
      ] },
    ]),

  "p2pims-service-health.json": dashboard("p2pims-service-health", "p2pims / Service health",
    "Saturation and errors of every replica: scrapes, gRPC rates, errors and latency, PostgreSQL pools, CPU, memory, file descriptors.", [
      { panels: [
        timeseries("Replicas up", "1 per replica Prometheus scrapes.",
          [target(`sum by (job) (up{job=~"sip-edge|rights|charging|tracker|origin"})`, "{{job}}")]),
        timeseries("gRPC calls", "Calls served per second, by service.",
          [target(`sum by (job) (rate(p2pims_grpc_server_handled_total[${RATE}]))`, "{{job}}")], "ops"),
        timeseries("gRPC server errors", "Share of calls ending in UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNKNOWN or DATA_LOSS.",
          // "or ... * 0": 0 for a service whose error codes have never been seen (no series yet).
          [target(`(sum by (job) (rate(p2pims_grpc_server_handled_total{code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DEADLINE_EXCEEDED|DATA_LOSS|RESOURCE_EXHAUSTED"}[${RATE}])) or 0 * sum by (job) (rate(p2pims_grpc_server_handled_total[${RATE}]))) / clamp_min(sum by (job) (rate(p2pims_grpc_server_handled_total[${RATE}])), 1e-9)`, "{{job}}")], "percentunit"),
      ] },
      { panels: [
        timeseries("gRPC latency p99 by method", "Wire-level latency per RPC.",
          [target(`histogram_quantile(0.99, sum by (le, job, method) (rate(p2pims_grpc_server_handling_seconds_bucket[${RATE}])))`, "{{method}}")], "s"),
        timeseries("PostgreSQL pool use", "Connections lent out over the pool size, per replica (1 = exhausted).",
          [target("p2pims_pg_pool_connections_in_use / clamp_min(p2pims_pg_pool_connections_max, 1)", "{{job}} {{instance}}")], "percentunit", { defaults: { min: 0, max: 1 } }),
        timeseries("PostgreSQL reconnects", "Broken connections reopened per second.",
          [target(`sum by (job, instance) (rate(p2pims_pg_pool_reconnects_total[${RATE}]))`, "{{job}} {{instance}}")], "ops"),
      ] },
      { panels: [
        timeseries("CPU", "CPU seconds per second, per replica.",
          [target(`rate(process_cpu_seconds_total{job=~"sip-edge|rights|charging|tracker|origin"}[${RATE}])`, "{{job}} {{instance}}")], "percentunit"),
        timeseries("Resident memory", "Per replica.",
          [target(`process_resident_memory_bytes{job=~"sip-edge|rights|charging|tracker|origin"}`, "{{job}} {{instance}}")], "bytes"),
        timeseries("File descriptors", "Open over maximum, per replica.",
          [target(`process_open_fds{job=~"sip-edge|rights|charging|tracker|origin"} / process_max_fds{job=~"sip-edge|rights|charging|tracker|origin"}`, "{{job}} {{instance}}")], "percentunit"),
      ] },
    ]),
};

const dir = path.dirname(new URL(import.meta.url).pathname);
const check = process.argv.includes("--check");
let stale = 0;
for (const [file, dash] of Object.entries(dashboards)) {
  const text = JSON.stringify(dash, null, 2) + "\n";
  const where = path.join(dir, file);
  if (check) {
    const have = fs.existsSync(where) ? fs.readFileSync(where, "utf8") : "";
    if (have !== text) {
      console.log(`${file}: differs from deploy/grafana/dashboards.mjs (run node deploy/grafana/dashboards.mjs)`);
      stale++;
    }
  } else {
    fs.writeFileSync(where, text);
    console.log(`wrote ${file}`);
  }
}
if (check) {
  const extra = fs.readdirSync(dir).filter((f) => f.endsWith(".json") && !(f in dashboards));
  for (const f of extra) console.log(`${f}: not made by dashboards.mjs`);
  process.exit(stale + extra.length ? 1 : 0);
}
