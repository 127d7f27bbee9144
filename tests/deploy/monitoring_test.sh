#!/usr/bin/env bash
# Prometheus rules (deploy/prometheus) and Grafana dashboards (deploy/grafana), statically:
# promtool check and unit tests, a test and a runbook section in docs/operations.md for every
# alert, dashboards made by dashboards.mjs with a datasource variable, and every metric they use
# registered by a service or lib/ (the live check is prometheus_live_test.sh).
source "$(dirname "$0")/lib.sh"
RULES=$SRC/deploy/prometheus/p2pims-rules.yaml
RULES_TEST=$SRC/deploy/prometheus/p2pims-rules_test.yaml
DASHBOARDS=$SRC/deploy/grafana
OPS=$SRC/docs/operations.md

echo "# rules"
if out=$(promtool check rules "$RULES" 2>&1); then
  pass "promtool check rules: $(grep -o 'SUCCESS.*' <<<"$out")"
else
  echo "$out" >&2
  fail "promtool check rules"
fi
if out=$(cd "$(dirname "$RULES_TEST")" && promtool test rules "$(basename "$RULES_TEST")" 2>&1); then
  pass "promtool test rules"
else
  echo "$out" >&2
  fail "promtool test rules"
fi
alerts=$(grep -oP '^\s+- alert: \K\S+' "$RULES" | sort -u)
check "the rules define alerts" test -n "$alerts"
# GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
anchors=$(grep -E '^#{1,6} ' "$OPS" 2>/dev/null | sed -E 's/^#+ //' | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g' || true)
for a in $alerts; do
  check "$a has a unit test" grep -q "alertname: $a\$" "$RULES_TEST"
  runbook=$(awk -v a="$a" '$0 ~ "- alert: "a"$" {f=1} f && /runbook:/ {print $2; exit}' "$RULES")
  check "$a names its runbook ($runbook)" bash -c "[[ '$runbook' == docs/operations.md#* ]]"
  check "docs/operations.md has the section ${runbook#*#}" grep -qx "${runbook#*#}" <<<"$anchors"
  block=$(awk -v a="$a" '$0 ~ "- alert: "a"$" {f=1; print; next} f && /- alert:/ {exit} f' "$RULES")
  check "$a has a severity of critical or warning" grep -qE 'severity: (critical|warning)$' <<<"$block"
  check "$a has a summary and a description" bash -c "grep -q 'summary:' <<<\"\$1\" && grep -q 'description:' <<<\"\$1\"" _ "$block"
done

echo "# dashboards"
if out=$(node "$DASHBOARDS/dashboards.mjs" --check); then
  pass "the dashboards are what deploy/grafana/dashboards.mjs makes"
else
  echo "$out" >&2
  fail "the dashboards are what deploy/grafana/dashboards.mjs makes"
fi
for want in overview swarms charging rights service-health; do
  check "dashboard p2pims-$want.json exists" test -f "$DASHBOARDS/p2pims-$want.json"
done
if out=$(node --input-type=module -e '
  import fs from "node:fs";
  const dir = process.argv[1];
  const problems = [];
  const uids = new Set();
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const d = JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8"));
    if (!d.uid || uids.has(d.uid)) problems.push(`${f}: missing or duplicate uid`);
    uids.add(d.uid);
    const ds = d.templating?.list?.find((v) => v.type === "datasource" && v.query === "prometheus");
    if (!ds) problems.push(`${f}: no Prometheus datasource variable`);
    for (const p of d.panels.filter((p) => p.type !== "row")) {
      if (!p.title || !p.description) problems.push(`${f}: a panel without title or description`);
      if (!p.targets?.length) problems.push(`${f}: ${p.title}: no queries`);
      for (const t of p.targets ?? []) {
        if (!t.expr) problems.push(`${f}: ${p.title}: empty query`);
        if (t.datasource?.uid !== "${" + ds?.name + "}") problems.push(`${f}: ${p.title}: query not on the datasource variable`);
      }
      if (p.datasource?.uid !== "${" + ds?.name + "}") problems.push(`${f}: ${p.title}: panel not on the datasource variable`);
    }
  }
  problems.forEach((p) => console.log(p));
  process.exit(problems.length ? 1 : 0);' "$DASHBOARDS"); then
  pass "every panel has a title, a description and queries on the datasource variable; uids unique"
else
  echo "$out" >&2
  fail "dashboard structure"
fi

echo "# metric names"
# Every p2pims_* / process_* metric a rule or panel uses must be registered somewhere in the code.
used=$(cat "$RULES" "$DASHBOARDS"/*.json | grep -oE '\b(p2pims|process)_[a-z_]+\b' |
  sed -E 's/_(bucket|count|sum)$//' | sort -u)
for m in $used; do
  check "$m is registered by the code" grep -rqF "\"$m\"" "$SRC/services" "$SRC/lib"
done

finish
