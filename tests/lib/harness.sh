# Test harness for end-to-end tests: a private copy of the suite on free loopback ports in a
# temporary directory, SIPp helpers and assertions. Source it, then call harness_start.
#   P2PIMS_SOURCE_DIR / P2PIMS_BINARY_DIR come from CTest (tests/CMakeLists.txt).
set -euo pipefail

SUITE_SRC=${P2PIMS_SOURCE_DIR:?run through ctest or set P2PIMS_SOURCE_DIR}
SUITE_BIN=${P2PIMS_BINARY_DIR:?run through ctest or set P2PIMS_BINARY_DIR}
SUITE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/p2pims-e2e.XXXXXX")
chmod 711 "$SUITE_DIR"  # PostgreSQL may run as another user and must reach pg/ inside
export SUITE_SRC SUITE_BIN SUITE_DIR
# shellcheck source=tools/lib/suite.sh
source "$SUITE_SRC/tools/lib/suite.sh"

# shellcheck source=tests/lib/checks.sh
source "$SUITE_SRC/tests/lib/checks.sh"


# A loopback port nobody listens on (TCP or UDP) and not handed out before in this run. It lies
# below the kernel's ephemeral range, so that no outgoing connection of another process can take
# it before a service binds it. The ports handed out are kept in a file, not a variable: callers
# use $(free_port), a subshell, and a variable set there would be lost (two services then got
# the same port now and then).
free_port() {
  local p low given=$SUITE_DIR/.ports-given
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  ((low > 21000)) || low=32768
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % (low - 20000)))
    grep -qx "$p" "$given" 2>/dev/null && continue
    if ! ss -Htanu 2>/dev/null | awk '{print $5}' | grep -qE "[:.]$p\$"; then
      echo "$p" >>"$given"
      echo "$p"
      return 0
    fi
  done
  echo "harness: no free port" >&2
  return 1
}

# at_exit COMMAND: runs COMMAND (a string for eval; its failure ignored) when the test exits,
# before the suite is taken down. Use it instead of a trap of one's own, which would replace the
# harness's (and, failing under set -e, skip it: the suite would be left running).
HARNESS_AT_EXIT=()
at_exit() { HARNESS_AT_EXIT+=("$1"); }

harness_cleanup() {
  local c
  for c in "${HARNESS_AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
  suite_down || true
  if ((FAILURES == 0)) && [[ -z ${KEEP_E2E_DIR:-} ]]; then
    rm -rf "$SUITE_DIR"
  else
    echo "harness: state kept in $SUITE_DIR (logs/, pg/postgres.log)" >&2
    for f in "$SUITE_DIR"/logs/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
  fi
}

harness_start() {
  PG_PORT=$(free_port)
  SIP_PORT=$(free_port)
  RIGHTS_GRPC=$(free_port) CHARGING_GRPC=$(free_port) TRACKER_GRPC=$(free_port)
  TRACKER_BT=$(free_port)
  SIP_ADMIN=$(free_port) RIGHTS_ADMIN=$(free_port) CHARGING_ADMIN=$(free_port)
  TRACKER_ADMIN=$(free_port)
  trap harness_cleanup EXIT
  suite_up
}

harness_finish() {
  if ((FAILURES > 0)); then
    echo "$FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

# Runs one SIPp call as the S-CSCF: sipp_call SCENARIO CONTENT SUBJECT [extra sipp args...]
sipp_call() {
  local scenario=$1 content=$2 subject=$3
  shift 3
  local local_port
  local_port=$(free_port)
  (cd "$SUITE_DIR" && timeout 60 sipp -sf "$scenario" -s "$content" -key domain "$SIP_DOMAIN" \
    -key subject "$subject" -m 1 -p "$local_port" -timeout 20s -timeout_error -nostdin \
    -trace_err -error_file "$SUITE_DIR/sipp-errors.log" "$@" "127.0.0.1:$SIP_PORT" \
    >"$SUITE_DIR/sipp-last.out" 2>&1)
}

# A scenario expecting a refusal: rejected_scenario CODE HEADER REGEXP [no-pai] -> file path
rejected_scenario() {
  local code=$1 header=$2 regexp=$3 pai='      P-Asserted-Identity: <[subject]>'
  [[ ${4:-} == no-pai ]] && pai=''
  local out=$SUITE_DIR/invite_${code}_$RANDOM.xml
  sed -e "s|@CODE@|$code|g" -e "s|@HEADER@|$header|g" -e "s|@REGEXP@|$regexp|g" \
    -e "s|@PAI@|$pai|" "$SUITE_SRC/tests/sipp/invite_rejected.xml.in" >"$out"
  echo "$out"
}

# service_metric SERVICE NAME [LABEL-MATCH...]: the value of NAME at SERVICE's /metrics: the
# first sample whose labels contain every LABEL-MATCH (e.g. 'method="REGISTER"'), or the sample
# NAME{...} written out whole.
service_metric() {
  local service=$1 name=$2
  shift 2
  curl -sf "http://127.0.0.1:$(suite_admin_port "$service")/metrics" | awk -v m="$name" -v want="$*" '
    { base = $1; sub(/\{.*/, "", base) }
    $1 == m || (base == m && m !~ /\{/) {
      n = split(want, w, " "); ok = 1
      for (i = 1; i <= n; i++) if (index($1, w[i]) == 0) ok = 0
      if (ok) { print $2; exit }
    }'
}
sip_metric() { service_metric sip-edge "$@"; }
tracker_metric() { service_metric tracker "$@"; }
# tracker_metric_at_least NAME N: NAME (whole, labels included) is N or more.
tracker_metric_at_least() { [[ $(tracker_metric "$1") -ge $2 ]] 2>/dev/null; }

# hold_session CONTENT SUBJECT HOLD_MS: SIPp as the S-CSCF opens SUBJECT's session for CONTENT
# in the background and sends its BYE HOLD_MS after the ACK. Sets HOLD_PID (wait for it: the
# BYE's 200) and, once the 200 OK came, TOKEN, SESSION (the tracker's open session of SUBJECT)
# and HASH (the content's info-hash, percent-encoded for announces); fails when no token came.
# HOLD_SCENARIO replaces the scenario (one that awaits sip-edge's BYE, say).
hold_session() {
  local content=$1 subject=$2 hold_ms=$3 msgs=$SUITE_DIR/hold-$RANDOM.log
  (cd "$SUITE_DIR" && timeout 90 sipp -sf "${HOLD_SCENARIO:-$SUITE_SRC/tests/sipp/invite_hold_bye.xml}" \
    -d "$hold_ms" -s "$content" -key domain "$SIP_DOMAIN" -key subject "$subject" -m 1 \
    -p "$(free_port)" -timeout 60s -timeout_error -nostdin -trace_msg -message_file "$msgs" \
    "127.0.0.1:$SIP_PORT" >"$SUITE_DIR/sipp-hold.out" 2>&1) &
  HOLD_PID=$!
  eventually 10 eval '[[ -n $(first_token "'"$msgs"'") ]]' || return 1
  TOKEN=$(first_token "$msgs")
  SESSION=$(suite_psql -tA -c "SELECT session_id FROM tracker.session
                               WHERE subject = '$subject' AND closed_at IS NULL")
  HASH=$(suite_psql -tA -c "SELECT regexp_replace(encode(info_hash, 'hex'), '(..)', '%\1', 'g')
                            FROM tracker.content WHERE content_id = '$content'")
}

# first_token FILE: the first session descriptor token in a SIPp message log (-message_file).
first_token() { grep -o '"token":"[A-Za-z0-9_.-]*"' "$1" 2>/dev/null | head -n 1 | cut -d'"' -f4; }

# Runs a command until it succeeds or LIMIT seconds pass: eventually LIMIT command...
# (for recovery checks: "answers again within LIMIT seconds").
eventually() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Polls a SQL query until it prints the expected value or the limit (seconds) passes.
wait_sql() {
  local expected=$1 query=$2 limit=${3:-10}
  local deadline=$((SECONDS + limit)) got
  while :; do
    got=$(suite_psql -tA -c "$query" 2>/dev/null || true)
    [[ $got == "$expected" ]] && return 0
    ((SECONDS < deadline)) || { echo "last value: '$got'" >&2; return 1; }
    sleep 0.1
  done
}
