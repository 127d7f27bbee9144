# Shell functions that run the whole p2pims suite on one machine: PostgreSQL from Debian's
# binaries, the four services, demo content. Sourced by tools/p2pims-local (default ports,
# state in .p2pims/) and by the end-to-end tests (free ports, state in a temporary directory).
#
# Inputs (environment, set before calling suite_* functions):
#   SUITE_DIR     state directory (pg/, logs/, run/, keys/)
#   SUITE_BIN     directory holding the built binaries (its services/<name>/ subfolders)
#   SUITE_SRC     source checkout (for tools/p2pims-pg and tools/demo)
#   PG_PORT, SIP_PORT, RIGHTS_GRPC, CHARGING_GRPC, TRACKER_GRPC, TRACKER_BT,
#   SIP_ADMIN, RIGHTS_ADMIN, CHARGING_ADMIN, TRACKER_ADMIN   ports
#   SIP_DOMAIN    content domain (default p2p.localhost)
#   TRUSTED_CSCF  CIDRs trusted to assert identity (default 127.0.0.1/32)
#   ORIGIN_SUBJECT  the origin seeder's operator seed identity (default sip:origin@$SIP_DOMAIN)
#   SUITE_SIP_HOST       address sip-edge's SIP listens on (default 127.0.0.1)
#   SUITE_ANNOUNCE_HOST  address the tracker's BitTorrent endpoints listen on and announce URLs
#                        name (default 127.0.0.1)
#   SUITE_GRPC_HOST      address rights' and the tracker's gRPC listen on (default 127.0.0.1;
#                        the swarm experiments' hub namespace, whose origin seeder runs in a
#                        namespace of its own, uses 0.0.0.0: the hub has only loopback and its
#                        bridge); clients in the suite always use 127.0.0.1
#   SUITE_TRACKER_ARGS   further tracker flags, e.g. --policy-locality=false (default none)
#   SUITE_CHARGING_ARGS  further charging flags, e.g. --sweep-interval 2 (default none)
# The origin seeder is not one of SUITE_SERVICES by default: add it (SUITE_SERVICES+=(origin))
# with ORIGIN_BT and ORIGIN_ADMIN ports (ORIGIN_BIND, default 127.0.0.1) to have it seed what
# $SUITE_DIR/content holds.

SUITE_SERVICES=(rights charging tracker sip-edge)
SIP_DOMAIN=${SIP_DOMAIN:-p2p.localhost}
TRUSTED_CSCF=${TRUSTED_CSCF:-127.0.0.1/32}
ORIGIN_SUBJECT=${ORIGIN_SUBJECT:-sip:origin@$SIP_DOMAIN}
SUITE_SIP_HOST=${SUITE_SIP_HOST:-127.0.0.1}
SUITE_ANNOUNCE_HOST=${SUITE_ANNOUNCE_HOST:-127.0.0.1}
SUITE_GRPC_HOST=${SUITE_GRPC_HOST:-127.0.0.1}

suite_db() { echo "host=127.0.0.1 port=$PG_PORT dbname=p2pims user=postgres"; }

suite_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d p2pims "$@"
}

suite_binary() {
  local name=$1
  echo "$SUITE_BIN/services/$name/p2pims-$name"
}

suite_admin_port() {
  case $1 in
    sip-edge) echo "$SIP_ADMIN" ;;
    rights) echo "$RIGHTS_ADMIN" ;;
    charging) echo "$CHARGING_ADMIN" ;;
    tracker) echo "$TRACKER_ADMIN" ;;
    origin) echo "$ORIGIN_ADMIN" ;;
  esac
}

suite_start_pg() {
  mkdir -p "$SUITE_DIR/pg"
  "$SUITE_SRC/tools/p2pims-pg" init "$SUITE_DIR/pg" >/dev/null
  "$SUITE_SRC/tools/p2pims-pg" start "$SUITE_DIR/pg" "$PG_PORT" >/dev/null
  "$SUITE_SRC/tools/p2pims-pg" createdb "$SUITE_DIR/pg" "$PG_PORT" p2pims >/dev/null
}

suite_keys() {
  mkdir -p "$SUITE_DIR/keys"
  if [[ ! -s $SUITE_DIR/keys/signing.keys ]]; then
    (umask 077 && "$(suite_binary rights)" --generate-key "local-1" >"$SUITE_DIR/keys/signing.keys")
  fi
}

# The command line of one service.
suite_args() {
  local db
  db=$(suite_db)
  case $1 in
    rights)
      echo --grpc-listen "$SUITE_GRPC_HOST:$RIGHTS_GRPC" --admin-listen "127.0.0.1:$RIGHTS_ADMIN" \
        --db "'$db'" --signing-key-file "$SUITE_DIR/keys/signing.keys" \
        --operator-seeds "$ORIGIN_SUBJECT" ;;
    charging)
      echo --grpc-listen "127.0.0.1:$CHARGING_GRPC" --admin-listen "127.0.0.1:$CHARGING_ADMIN" \
        --db "'$db'" ${SUITE_CHARGING_ARGS:-} ;;
    tracker)
      echo --grpc-listen "$SUITE_GRPC_HOST:$TRACKER_GRPC" --admin-listen "127.0.0.1:$TRACKER_ADMIN" \
        --db "'$db'" --rights "127.0.0.1:$RIGHTS_GRPC" \
        --announce-host "$SUITE_ANNOUNCE_HOST:$TRACKER_BT" \
        --charging "'${CHARGING_GRPC:+127.0.0.1:$CHARGING_GRPC}'" ${SUITE_TRACKER_ARGS:-} ;;  # none without charging
    sip-edge)
      echo --sip-url "sip:$SUITE_SIP_HOST:$SIP_PORT" --admin-listen "127.0.0.1:$SIP_ADMIN" \
        --domains "$SIP_DOMAIN" --trusted-cscf "$TRUSTED_CSCF" \
        --rights "127.0.0.1:$RIGHTS_GRPC" --charging "'${CHARGING_GRPC:+127.0.0.1:$CHARGING_GRPC}'" \
        --tracker "127.0.0.1:$TRACKER_GRPC" --db "'$db'" ;;
    origin)
      echo --content-dir "$SUITE_DIR/content" --subject "$ORIGIN_SUBJECT" \
        --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" \
        --bind "${ORIGIN_BIND:-127.0.0.1}" --port "$ORIGIN_BT" --admin-listen "127.0.0.1:$ORIGIN_ADMIN" \
        --node-id local --rescan-seconds 2 ;;
  esac
}

suite_pid() {
  local f=$SUITE_DIR/run/$1.pid
  [[ -s $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

# Starts one service in the background unless it already runs; its log goes to logs/<name>.log.
suite_start() {
  local name=$1
  mkdir -p "$SUITE_DIR/run" "$SUITE_DIR/logs"
  suite_pid "$name" >/dev/null && return 0
  eval "set -- $(suite_args "$name")"
  nohup "$(suite_binary "$name")" "$@" >>"$SUITE_DIR/logs/$name.log" 2>&1 &
  echo $! >"$SUITE_DIR/run/$name.pid"
}

# SIGTERM, then wait for the process to go (it stops cleanly within its grace period).
suite_stop() {
  local name=$1 pid
  pid=$(suite_pid "$name") || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$SUITE_DIR/run/$name.pid"
}

# Waits until a URL answers 200, or fails after $2 seconds (polling a condition, not a fixed sleep).
suite_wait_url() {
  local url=$1 limit=${2:-30}
  local deadline=$((SECONDS + limit))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

suite_wait_ready() {
  local name pid deadline
  for name in "${SUITE_SERVICES[@]}"; do
    # Polls the readiness URL while the process lives: a service that died (a port taken, a bad
    # flag) fails at once with its log instead of after the whole wait.
    pid=$(cat "$SUITE_DIR/run/$name.pid" 2>/dev/null) || pid=
    deadline=$((SECONDS + ${1:-60}))
    until curl -fsS -o /dev/null "http://127.0.0.1:$(suite_admin_port "$name")/readyz" 2>/dev/null; do
      if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
        echo "suite: $name exited while starting; its log:" >&2
        tail -n 20 "$SUITE_DIR/logs/$name.log" >&2
        return 1
      fi
      ((SECONDS < deadline)) || break
      sleep 0.1
    done
    if ! curl -fsS -o /dev/null "http://127.0.0.1:$(suite_admin_port "$name")/readyz" 2>/dev/null; then
      echo "suite: $name did not become ready; its log:" >&2
      tail -n 20 "$SUITE_DIR/logs/$name.log" >&2
      return 1
    fi
  done
}

suite_up() {
  suite_start_pg
  suite_keys
  mkdir -p "$SUITE_DIR/content"
  local name
  for name in "${SUITE_SERVICES[@]}"; do suite_start "$name"; done
  suite_wait_ready
  suite_psql -f "$SUITE_SRC/tools/demo/demo.sql" >/dev/null
}

suite_down() {
  local i
  for ((i = ${#SUITE_SERVICES[@]} - 1; i >= 0; i--)); do suite_stop "${SUITE_SERVICES[i]}"; done
  [[ -d $SUITE_DIR/pg ]] && "$SUITE_SRC/tools/p2pims-pg" stop "$SUITE_DIR/pg" >/dev/null
  return 0
}
