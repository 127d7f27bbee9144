# Content sessions for BitTorrent clients in end-to-end tests: SIPp as the S-CSCF opens a
# subscriber's session (INVITE + ACK) and keeps it open until close_session sends the BYE; the
# session descriptor of the 200 OK lands in $W/sessions/NAME.json for the client to take its
# announce URLs and metainfo from (tests/e2e/bt_client.py). Source after harness.sh, with
#   W     the test's work directory        BT  the bt_client.py command (an array)
#   PANI  the P-Access-Network-Info line sessions carry unless told otherwise

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
