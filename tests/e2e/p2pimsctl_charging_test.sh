#!/usr/bin/env bash
# p2pimsctl against charging, end to end with real parts: PostgreSQL and the charging service on
# free loopback ports in a temporary directory; CDRs come from real credit-control and accounting
# sessions played by p2pims-charging-probe (a test helper acting as sip-edge). The operator
# creates, shows and adjusts accounts, puts and lists tariffs, pulls, acknowledges and tails CDRs,
# exports them to CSV and JSON files twice (sequence numbers continue, nothing twice, nothing
# half-written) and checks that the settlement adds up to the exported CDRs. Bad input exits 2 and
# changes nothing; refusals exit 1 with the gRPC code; charging down names the address.
# Files are checked with an independent reader (Node.js: an RFC 4180 parser and JSON.parse).
source "$(dirname "$0")/../lib/harness.sh"

# shellcheck disable=SC2034  # read by tools/lib/suite.sh
SUITE_SERVICES=(charging)  # suite_down stops just what this test started
PG_PORT=$(free_port)
CHARGING_GRPC=$(free_port)
CHARGING_ADMIN=$(free_port)
trap harness_cleanup EXIT
suite_start_pg
suite_start charging
if ! suite_wait_url "http://127.0.0.1:$CHARGING_ADMIN/readyz" 60; then
  fail "charging became ready"
  exit 1
fi

CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
PROBE=$SUITE_BIN/tools/p2pimsctl/p2pims-charging-probe
ALICE=sip:alice@ims.localhost BOB=sip:bob@ims.localhost CAROL=sip:carol@ims.localhost

# ctl ARGS...: runs p2pimsctl against this charging; leaves OUT, ERR and RC.
ctl() {
  RC=0
  "$CTL" --charging "127.0.0.1:$CHARGING_GRPC" --actor e2e-operator "$@" \
    >"$SUITE_DIR/ctl.out" 2>"$SUITE_DIR/ctl.err" || RC=$?
  OUT=$(cat "$SUITE_DIR/ctl.out")
  ERR=$(cat "$SUITE_DIR/ctl.err")
}
# A scalar field of the JSON in OUT (the first occurrence): json_field NAME
json_field() { grep -o "\"$1\":\(\"[^\"]*\"\|[^,}]*\)" <<<"$OUT" | head -n 1 | sed 's/^[^:]*://; s/^"//; s/"$//'; }
has() { grep -qF -- "$1" <<<"$2"; }
sql() { suite_psql -tA -c "$1"; }
ledger_rows() { sql "SELECT count(*) FROM charging.ledger"; }
# session ID SUBJECT CONTENT OWNER MODEL PRICE SHARE DOWN UP: one charged session -> one CDR.
session() {
  "$PROBE" --charging "127.0.0.1:$CHARGING_GRPC" --session-id "$1" --subject "$2" \
    --content "$3" --owner "$4" --price-model "$5" --price "$6" --currency EUR \
    --owner-share-bp "$7" --bytes-down "$8" --bytes-up "$9" >>"$SUITE_DIR/probe.out" 2>&1
}

# Reads export directories and a settlement CSV with its own RFC 4180 parser:
#   files DIR...        -> "files=N cdrs=M unique=true|false continuous=... meta=... tmp=N"
#   sums DIR...         -> one line per owner: "OWNER cdrs sessions bytes_down bytes_up gross
#                          owner_share operator_share incentive" from the exported CDRs
#   settlement FILE     -> the same lines from a settlement CSV
check_files() {
  node --input-type=module - "$@" <<'JS'
import fs from 'node:fs';
import path from 'node:path';
const [mode, ...args] = process.argv.slice(2);
function parseCsv(text) {  // RFC 4180: records end with CRLF; quoted fields may hold , " CR LF
  const rows = []; let row = [], field = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    if (c === '\n') throw new Error('bare LF outside quotes');
    field += c; i++;
  }
  if (field !== '' || row.length) throw new Error('last record without CRLF');
  return rows;
}
function objects(rows) {
  const [header, ...data] = rows;
  return data.map(r => { if (r.length !== header.length) throw new Error('ragged row');
    return Object.fromEntries(header.map((h, k) => [h, r[k]])); });
}
// Every export file of the directories, with its metadata and CDRs, in file sequence order.
function exports(dirs) {
  const out = [];
  for (const dir of dirs) {
    const names = fs.readdirSync(dir).sort();
    const tmp = names.filter(n => n.endsWith('.tmp')).length;
    const files = [];
    for (const n of names) {
      if (n.startsWith('.')) continue;
      if (n.endsWith('.csv')) {
        const meta = JSON.parse(fs.readFileSync(path.join(dir, n + '.meta'), 'utf8'));
        const cdrs = objects(parseCsv(fs.readFileSync(path.join(dir, n), 'utf8')));
        files.push({ name: n, meta, cdrs });
      } else if (n.endsWith('.json')) {
        const doc = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8'));
        files.push({ name: n, meta: doc, cdrs: doc.cdrs });
      }
    }
    out.push({ dir, tmp, files });
  }
  return out;
}
const num = v => Number(v);
if (mode === 'files') {
  let files = 0, cdrs = 0, unique = true, continuous = true, meta = true, tmp = 0;
  const seen = new Set();
  for (const d of exports(args)) {
    tmp += d.tmp;
    let prevLast = 0, prevSeq = 0;
    for (const f of d.files) {
      files++;
      const seqs = f.cdrs.map(c => num(c.sequence));
      for (const s of seqs) { if (seen.has(d.dir + s)) unique = false; seen.add(d.dir + s); }
      cdrs += seqs.length;
      if (seqs[0] !== prevLast + 1) continuous = false;
      for (let k = 1; k < seqs.length; k++) if (seqs[k] !== seqs[k - 1] + 1) continuous = false;
      const m = f.meta;
      if (m.file_sequence_number !== prevSeq + 1 || m.cdr_count !== seqs.length ||
          m.first_cdr_sequence !== seqs[0] || m.last_cdr_sequence !== seqs[seqs.length - 1] ||
          m.lost_cdr_indicator !== false || m.file_name !== f.name ||
          !(m.file_opening_time_ms <= m.file_closure_time_ms) ||
          !['max-cdrs', 'no-more-cdrs'].includes(m.file_closure_reason) ||
          !f.name.includes('_' + String(m.file_sequence_number).padStart(10, '0') + '_')) {
        meta = false;
      }
      prevLast = seqs[seqs.length - 1]; prevSeq = m.file_sequence_number;
    }
  }
  console.log(`files=${files} cdrs=${cdrs} unique=${unique} continuous=${continuous} meta=${meta} tmp=${tmp}`);
} else if (mode === 'sums') {
  const by = new Map();
  for (const d of exports(args)) for (const f of d.files) for (const c of f.cdrs) {
    const s = by.get(c.owner) || [0, 0, 0, 0, 0, 0, 0, 0];
    const add = [1, c.record_type === 'session' ? 1 : 0, num(c.bytes_down), num(c.bytes_up),
      num(c.charge_minor), num(c.owner_share_minor), num(c.charge_minor) - num(c.owner_share_minor),
      num(c.incentive_minor)];
    by.set(c.owner, s.map((v, k) => v + add[k]));
  }
  for (const [owner, s] of [...by].sort()) console.log(owner, ...s);
} else if (mode === 'settlement') {
  const rows = objects(parseCsv(fs.readFileSync(args[0], 'utf8')));
  for (const r of rows.sort((a, b) => a.owner < b.owner ? -1 : 1)) {
    console.log(r.owner, r.cdr_count, r.sessions, r.bytes_down, r.bytes_up, r.gross_minor,
      r.owner_share_minor, r.operator_share_minor, r.incentive_cost_minor);
  }
}
JS
}

echo "# --help and usage"
ctl --help
check_eq "--help exits 0" 0 "$RC"
check "--help lists the charging commands" has "cdr export" "$OUT"
check "--help names the charging flag" has "--charging HOST:PORT" "$OUT"
ctl account
check_eq "a group without subcommand exits 2" 2 "$RC"
ctl cdr export --help
check "cdr export --help lists its flags" has "--max-per-file" "$OUT"

echo "# accounts (CreateAccount, GetAccount, AdjustBalance)"
ctl --json account create --subject "$ALICE" --kind prepaid --currency EUR --balance 10000
check_eq "create exits 0" "0:" "$RC:$ERR"
check_eq "the opening balance is returned" 10000 "$(json_field balance_minor)"
check_eq "the kind is returned" prepaid "$(json_field kind)"
ctl --json account create --subject "$BOB" --kind postpaid --currency EUR --credit-limit 50000
check_eq "a postpaid account exits 0" "0:" "$RC:$ERR"
check_eq "its credit limit counts as available" 50000 "$(json_field available_minor)"
ctl account create --subject "$CAROL" --kind prepaid --currency EUR
check_eq "an account without opening balance exits 0" "0:" "$RC:$ERR"
check_eq "the accounts are stored" "$ALICE|prepaid|EUR|10000|0" \
  "$(sql "SELECT subject, kind, currency, balance_minor, credit_limit_minor FROM charging.account WHERE subject = '$ALICE'")"
ctl account create --subject "$ALICE" --kind prepaid --currency EUR
check_eq "a second account for a subject exits 1" 1 "$RC"
check "... with ALREADY_EXISTS" has "p2pimsctl: ALREADY_EXISTS:" "$ERR"
ctl account show "$ALICE"
check_eq "show exits 0" "0:" "$RC:$ERR"
check "show prints the balance" has "10000 EUR" "$OUT"
ctl --json account adjust "$ALICE" --amount 500 --reason top-up
check_eq "adjust exits 0" "0:" "$RC:$ERR"
check_eq "the top-up is added" 10500 "$(json_field balance_minor)"
check "a random idempotency key is printed" test -n "$(json_field idempotency_key)"
check_eq "the ledger has the top-up with the key and the actor" 1 \
  "$(sql "SELECT count(*) FROM charging.ledger WHERE subject = '$ALICE' AND amount_minor = 500 AND cause = 'top-up' AND actor = 'e2e-operator' AND idempotency_key = '$(json_field idempotency_key)'")"
ctl --json account adjust "$ALICE" --amount -200 --reason correction --key e2e-key-1
check_eq "a debit exits 0" "0:10300" "$RC:$(json_field balance_minor)"
ctl --json account adjust "$ALICE" --amount -200 --reason correction --key e2e-key-1
check_eq "the same key again changes nothing" "0:10300" "$RC:$(json_field balance_minor)"
check_eq "... and writes one ledger row" 1 \
  "$(sql "SELECT count(*) FROM charging.ledger WHERE idempotency_key = 'e2e-key-1'")"
ctl account adjust "$ALICE" --amount=-100 --reason goodwill
check "human output prints the key" has "idempotency_key:" "$OUT"
ctl account adjust "$ALICE" --amount 100 --reason goodwill --currency USD
check_eq "another currency than the account's exits 1" 1 "$RC"
check "... with INVALID_ARGUMENT" has "p2pimsctl: INVALID_ARGUMENT:" "$ERR"

echo "# tariffs (PutTariff, ListTariffs)"
ctl --json tariff put --id e2e-2020 --effective-from 2020-01-01T00:00:00Z --currency EUR \
  --incentive-per-gib 5 --incentive-same-area-per-gib 10 --incentive-same-cell-per-gib 20 \
  --validity-seconds 600
check_eq "tariff put exits 0" "0:" "$RC:$ERR"
check_eq "the version is returned" "e2e-2020|1577836800|5|10|20|600|104857600" \
  "$(json_field tariff_id)|$(json_field effective_from)|$(json_field incentive_per_gib_minor)|$(json_field incentive_same_area_per_gib_minor)|$(json_field incentive_same_cell_per_gib_minor)|$(json_field validity_seconds)|$(json_field per_byte_grant_bytes)"
ctl --json tariff list
check_eq "tariff list exits 0" "0:" "$RC:$ERR"
check "the list has the new version" has '"tariff_id":"e2e-2020"' "$OUT"
ctl tariff list
check "the table marks the version in force" has "in force" "$OUT"
ctl tariff put --id e2e-2020 --effective-from 2021-01-01T00:00:00Z --currency EUR
check_eq "a taken tariff id exits 1" 1 "$RC"
check "... with ALREADY_EXISTS" has "p2pimsctl: ALREADY_EXISTS:" "$ERR"

echo "# sessions: real credit control and accounting make CDRs"
check "a purchase session (alice)" session s1 "$ALICE" sintel blender purchase 299 7000 1048576 0
check "a purchase session (bob)" session s2 "$BOB" sintel blender purchase 299 7000 2097152 1000
# An owner with a comma and a session id (and so ICID) with a double quote: CSV quoting.
check "a free session (carol)" session 's3"q' "$CAROL" news "newsroom, ltd" free 0 0 1000 0
check "a per-byte session (bob)" session s4 "$BOB" live-match league per_byte 2 5000 3145728 0
check_eq "four CDRs were written" 4 "$(sql "SELECT count(*) FROM charging.cdr")"

echo "# cdr pull and ack (PullCdrs, AckCdrs)"
ctl --json cdr pull --consumer billing-1
check_eq "pull exits 0" "0:" "$RC:$ERR"
check_eq "the page has the four CDRs" 4 "$(grep -c '"sequence":' <<<"$OUT")"
check_eq "last_sequence and acked_sequence" "4|0" "$(json_field last_sequence)|$(json_field acked_sequence)"
check "a first delivery is no retransmission" has '"retransmission":false' "$OUT"
ctl --json cdr pull --consumer billing-1
check_eq "an unacknowledged page comes again" 4 "$(grep -c '"sequence":' <<<"$OUT")"
check "... marked as retransmission" has '"retransmission":true' "$OUT"
ctl cdr pull --consumer billing-1 --max 2
check_eq "--max limits the page" "0|2" "$RC|$(awk 'NR > 1 && /^[0-9]/' <<<"$OUT" | wc -l)"
check "the text output says what to acknowledge" has "last_sequence:  2" "$OUT"
ctl --json cdr pull --consumer billing-1 --after 2
check_eq "--after reads past the cursor" "3|4" \
  "$(grep -o '"sequence":[0-9]*' <<<"$OUT" | cut -d: -f2 | paste -sd '|')"
ctl --json cdr ack --consumer billing-1 --upto 2
check_eq "ack exits 0" "0:2" "$RC:$(json_field acked_sequence)"
ctl --json cdr pull --consumer billing-1
check_eq "after the ack the page starts at 3" 3 "$(grep -o '"sequence":[0-9]*' <<<"$OUT" | head -n 1 | cut -d: -f2)"
check_eq "the cursor is stored" 2 "$(sql "SELECT acked_sequence FROM charging.billing_cursor WHERE consumer = 'billing-1'")"
ctl cdr pull --consumer ack-test --max 1
ctl cdr ack --consumer ack-test --upto 3
check_eq "ack past what was pulled exits 1" 1 "$RC"
check "... with FAILED_PRECONDITION" has "p2pimsctl: FAILED_PRECONDITION:" "$ERR"

echo "# cdr tail (TailCdrs)"
RC=0
timeout 20 "$CTL" --charging "127.0.0.1:$CHARGING_GRPC" --json cdr tail --after 1 --count 3 \
  >"$SUITE_DIR/tail.out" 2>"$SUITE_DIR/tail.err" || RC=$?
check_eq "tail --count exits 0" "0:" "$RC:$(cat "$SUITE_DIR/tail.err")"
check_eq "tail prints CDRs 2..4, one JSON object per line" "2|3|4" \
  "$(grep -o '^{"sequence":[0-9]*' "$SUITE_DIR/tail.out" | cut -d: -f2 | paste -sd '|')"
"$CTL" --charging "127.0.0.1:$CHARGING_GRPC" cdr tail --after 4 \
  >"$SUITE_DIR/tail-live.out" 2>"$SUITE_DIR/tail-live.err" &
TAIL_PID=$!
check "a session while tailing" session s5 "$ALICE" sintel blender rental 199 7000 4096 0
check "tail prints the new CDR as it is written" \
  eventually 20 grep -q "^sequence=5 " "$SUITE_DIR/tail-live.out"
kill -TERM "$TAIL_PID" 2>/dev/null || true
RC=0
wait "$TAIL_PID" || RC=$?
check_eq "SIGTERM ends tail with exit 0" "0:" "$RC:$(cat "$SUITE_DIR/tail-live.err")"

echo "# cdr export: CSV, twice"
CSV_DIR=$SUITE_DIR/export-csv
mkdir -p "$CSV_DIR"
ctl --json cdr export --consumer mediation --format csv --dir "$CSV_DIR" --max-per-file 2
check_eq "export exits 0" "0:" "$RC:$ERR"
check_eq "five CDRs make three files (2, 2, 1) and are acknowledged" "3|5" \
  "$(grep -o '"file_sequence_number":' <<<"$OUT" | wc -l)|$(json_field acked_sequence)"
check_eq "three data files and their metadata" "3|3" \
  "$(find "$CSV_DIR" -name 'p2pims-cdr_mediation_*.csv' | wc -l)|$(find "$CSV_DIR" -name '*.csv.meta' | wc -l)"
check "file 1 is named by consumer, sequence and opening time" \
  test -n "$(find "$CSV_DIR" -regextype posix-extended -regex '.*/p2pims-cdr_mediation_0000000001_[0-9]{8}T[0-9]{6}Z\.csv')"
check_eq "the files read back: all CDRs, once, in order, metadata right, no temporary file" \
  "files=3 cdrs=5 unique=true continuous=true meta=true tmp=0" "$(check_files files "$CSV_DIR")"
check "the export state is kept" test -s "$CSV_DIR/.p2pims-cdr_mediation.state"
check "session 6" session s6 "$CAROL" news "newsroom, ltd" free 0 0 2000 0
check "session 7" session s7 "$BOB" sintel blender purchase 299 7000 1048576 524288
ctl cdr export --consumer mediation --format csv --dir "$CSV_DIR" --max-per-file 2
check_eq "a second export exits 0" "0:" "$RC:$ERR"
check "... and writes file 4" has "p2pims-cdr_mediation_0000000004_" "$OUT"
check_eq "both runs together: every CDR once, sequences continuous, lost indicator false" \
  "files=4 cdrs=7 unique=true continuous=true meta=true tmp=0" "$(check_files files "$CSV_DIR")"
ctl cdr export --consumer mediation --format csv --dir "$CSV_DIR"
check_eq "nothing new: no file" "0|4" "$RC|$(find "$CSV_DIR" -name '*.csv' | wc -l)"
ctl --json cdr pull --consumer mediation
check_eq "the export acknowledged everything" "7|0" \
  "$(json_field acked_sequence)|$(grep -c '"sequence":' <<<"$OUT")"

echo "# cdr export: JSON"
JSON_DIR=$SUITE_DIR/export-json
mkdir -p "$JSON_DIR"
ctl cdr export --consumer mediation-json --format json --dir "$JSON_DIR" --max-files 1 --max-per-file 4
check_eq "--max-files 1 writes one file" "0|1" "$RC|$(find "$JSON_DIR" -name '*.json' | wc -l)"
ctl cdr export --consumer mediation-json --format json --dir "$JSON_DIR"
check_eq "the JSON files read back like the CSV ones" \
  "files=2 cdrs=7 unique=true continuous=true meta=true tmp=0" "$(check_files files "$JSON_DIR")"
check_eq "CSV and JSON carry the same values" "$(check_files sums "$CSV_DIR")" \
  "$(check_files sums "$JSON_DIR")"
check "the CSV quotes the comma and doubles the quote" \
  grep -qF '"s3""q-icid",sip:carol@ims.localhost,news,"newsroom, ltd",' "$CSV_DIR"/*.csv

echo "# settlement (GetSettlement)"
ctl --json settlement --from 2020-01-01T00:00:00Z --to 2100-01-01T00:00:00Z \
  --csv "$SUITE_DIR/settlement.csv"
check_eq "settlement exits 0" "0:" "$RC:$ERR"
check "the CSV is written" test -s "$SUITE_DIR/settlement.csv"
check_eq "the settlement adds up to the exported CDRs, owner by owner" \
  "$(check_files sums "$CSV_DIR")" "$(check_files settlement "$SUITE_DIR/settlement.csv" 2>&1)"
ctl --json settlement --from 2020-01-01T00:00:00Z --to 2100-01-01T00:00:00Z --owner "newsroom, ltd"
check_eq "--owner filters" "0|newsroom, ltd|2|1" \
  "$RC|$(json_field owner)|$(json_field cdr_count)|$(grep -c '"owner":' <<<"$OUT")"
ctl settlement --from 2020-01-01T00:00:00Z --to 2020-01-02T00:00:00Z
check_eq "an empty period prints only the header" "0|1" "$RC|$(wc -l <<<"$OUT")"

echo "# refusals: exit 1 with the gRPC code"
ctl account show sip:nobody@ims.localhost
check_eq "an unknown subject exits 1" 1 "$RC"
check "... with NOT_FOUND" has "p2pimsctl: NOT_FOUND:" "$ERR"
check_eq "nothing on stdout after an error" "" "$OUT"
ctl account adjust sip:nobody@ims.localhost --amount 5 --reason x
check_eq "adjusting an unknown subject exits 1" 1 "$RC"
check "... with NOT_FOUND" has "p2pimsctl: NOT_FOUND:" "$ERR"

echo "# bad input: exit 2, nothing changes"
before=$(ledger_rows)
ctl account create --subject sip:dave@ims.localhost --kind prepaid --currency euro
check_eq "a bad currency exits 2" 2 "$RC"
check "... naming the flag" has "p2pimsctl: --currency: 'euro' is not an ISO 4217" "$ERR"
ctl account create --subject sip:dave@ims.localhost --kind gold --currency EUR
check_eq "a bad kind exits 2" 2 "$RC"
ctl account create --subject sip:dave@ims.localhost --kind prepaid --currency EUR --credit-limit 5
check_eq "a prepaid credit limit exits 2" 2 "$RC"
ctl account adjust "$ALICE" --amount 0 --reason x
check_eq "a zero amount exits 2" 2 "$RC"
ctl account adjust "$ALICE" --amount 1.50 --reason x
check_eq "a fractional amount exits 2" 2 "$RC"
ctl account adjust "$ALICE" --amount 5
check_eq "adjust without --reason exits 2" 2 "$RC"
ctl tariff put --id "bad id" --effective-from 0 --currency EUR
check_eq "a bad tariff id exits 2" 2 "$RC"
ctl tariff put --id ok --effective-from 0 --currency EUR --validity-seconds 0
check_eq "a zero validity exits 2" 2 "$RC"
ctl tariff put --id ok --effective-from yesterday --currency EUR
check_eq "a bad time exits 2" 2 "$RC"
ctl cdr pull
check_eq "pull without --consumer exits 2" 2 "$RC"
ctl cdr pull --consumer x --max 10001
check_eq "a page over 10000 exits 2" 2 "$RC"
ctl cdr ack --consumer x --upto -1
check_eq "a negative sequence exits 2" 2 "$RC"
ctl cdr export --consumer bad_name --format csv --dir "$CSV_DIR"
check_eq "an export consumer with '_' exits 2" 2 "$RC"
ctl cdr export --consumer m --format xml --dir "$CSV_DIR"
check_eq "an unknown format exits 2" 2 "$RC"
ctl cdr export --consumer m --format csv --dir "$SUITE_DIR/missing"
check_eq "a missing directory exits 1" 1 "$RC"
check "... naming it" has "$SUITE_DIR/missing" "$ERR"
ctl settlement --from 2021-01-01T00:00:00Z --to 2020-01-01T00:00:00Z
check_eq "--from after --to exits 2" 2 "$RC"
check_eq "no bad input reached the ledger" "$before" "$(ledger_rows)"
check_eq "no bad input made an account" 0 "$(sql "SELECT count(*) FROM charging.account WHERE subject = 'sip:dave@ims.localhost'")"
check_eq "no bad input made a cursor" 0 "$(sql "SELECT count(*) FROM charging.billing_cursor WHERE consumer IN ('x', 'm', 'bad_name')")"

echo "# charging down: exit 1, UNAVAILABLE, the address"
suite_stop charging
ctl account show "$ALICE"
check_eq "charging down exits 1" 1 "$RC"
check "... saying UNAVAILABLE and naming the address" \
  has "p2pimsctl: UNAVAILABLE: charging at 127.0.0.1:$CHARGING_GRPC" "$ERR"
ctl account adjust "$ALICE" --amount 5 --reason top-up --currency EUR
check "a failed adjustment names its random key for the retry" has "run again with --key p2pimsctl-" "$ERR"
ctl cdr export --consumer mediation --format csv --dir "$CSV_DIR"
check_eq "an export with charging down exits 1 and writes nothing" "1|4" \
  "$RC|$(find "$CSV_DIR" -name '*.csv' | wc -l)"
RC=0
P2PIMS_CHARGING=127.0.0.1:$CHARGING_GRPC "$CTL" account show "$ALICE" >/dev/null \
  2>"$SUITE_DIR/ctl.err" || RC=$?
check_eq "P2PIMS_CHARGING sets the address" 1 "$RC"
check "... and is named in the error" grep -qF "127.0.0.1:$CHARGING_GRPC" "$SUITE_DIR/ctl.err"

harness_finish
