# shellcheck shell=bash
# Content sessions and BitTorrent clients in end-to-end tests: SIPp as the S-CSCF opens a
# subscriber's session (INVITE + ACK) and keeps it open until close_session sends the BYE; the
# session descriptor of the 200 OK lands in $W/sessions/NAME.json for the client to take its
# announce URLs and metainfo from (tests/e2e/bt_client.py); the clients a test starts are
# stopped by id when it ends. Source after harness.sh, with
#   W     the test's work directory        BT  the bt_client.py command (an array)
#   PANI  the P-Access-Network-Info line sessions carry unless told otherwise
#   LT_ENV  (optional) VAR=value words for libtorrent clients, e.g. SSL_CERT_FILE=ca.crt

SCENARIOS=$SUITE_SRC/tests/sipp

# open_session NAME CONTENT SUBJECT [PANI-LINE]
open_session() {
  local name=$1 content=$2 subject=$3 pani=${4-$PANI} port
  local log=$W/sessions/$name.log
  port=$(free_port)
  mkdir -p "$W/sessions"
  rm -f "$log"
  (cd "$SUITE_DIR" && timeout 60 sipp -sf "$SCENARIOS/invite_hold.xml" -s "$content" \
    -key domain "$SIP_DOMAIN" -key subject "$subject" -key fromtag "from-$name" -key pani "$pani" \
    -cid_str "call-$name@e2e" -m 1 -p "$port" -timeout 20s -timeout_error -nostdin \
    -trace_logs -log_file "$log" "127.0.0.1:$SIP_PORT" >"$W/sessions/$name.sipp" 2>&1) || return 1
  echo "$content" >"$W/sessions/$name.content"
  sed -n 's/^descriptor //p' "$log" >"$W/sessions/$name.json"
  [[ -s $W/sessions/$name.json ]]
}

# close_session NAME: the BYE of a session open_session opened.
close_session() {
  local name=$1 port log=$W/sessions/$1.log
  port=$(free_port)
  (cd "$SUITE_DIR" && timeout 60 sipp -sf "$SCENARIOS/bye.xml" -s "$(cat "$W/sessions/$name.content")" \
    -key domain "$SIP_DOMAIN" -key fromtag "from-$name" -key totag "$(sed -n 's/^totag //p' "$log")" \
    -key target "$(sed -n 's/^contact //p' "$log")" -cid_str "call-$name@e2e" -m 1 -p "$port" \
    -timeout 20s -timeout_error -nostdin "127.0.0.1:$SIP_PORT" >"$W/sessions/$name.bye" 2>&1)
}

# field NAME KEY [INDEX]: one field of the session's descriptor (announce 0 ...).
field() { "${BT[@]}" field "$W/sessions/$1.json" "${@:2}"; }

# Client processes the test started, stopped by id when it ends; PID and PORT by client name.
CLIENT_PIDS=()
declare -A PID PORT
stop_clients() {
  local pid
  for pid in "${CLIENT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  CLIENT_PIDS=()
}
at_exit stop_clients

# start_lt seed|leech NAME TORRENT: a libtorrent peer in the background (a seed with a copy of
# $W/media/clip.bin); its log is $W/NAME.log, its files in $W/NAME/.
start_lt() {
  local mode=$1 name=$2 torrent=$3 port
  port=$(free_port)
  mkdir -p "$W/$name"
  [[ $mode == seed ]] && cp "$W/media/clip.bin" "$W/$name/"
  env ${LT_ENV:+"${LT_ENV[@]}"} "${BT[@]}" "$mode" "$torrent" "$W/$name" "$port" "$W/$name.log" \
    2>"$W/$name.err" &
  CLIENT_PIDS+=($!)
  # shellcheck disable=SC2034  # PID and PORT are read by the tests
  PID[$name]=$! PORT[$name]=$port
}
