#!/usr/bin/env bash
# deploy/kamailio: the S-CSCF stand-in (Kamailio, Debian's) in front of the suite. A terminal's
# INVITE without IMS headers reaches sip-edge with the asserted identity and an ICID the proxy
# added, the ACK and BYE follow the Record-Route, and the CDR carries that identity and ICID;
# the same terminal straight to sip-edge is challenged (it is not a trusted CSCF); requests the
# stand-in does not route are refused.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

KAM_PORT=$(free_port)
KAM_DIR=$SUITE_DIR/kamailio
mkdir -p "$KAM_DIR"
check "kamailio accepts the configuration" \
  bash -c "kamailio -c -f '$SUITE_SRC/deploy/kamailio/kamailio.cfg' -l 'udp:127.0.0.1:$KAM_PORT' >'$KAM_DIR/check.log' 2>&1"
P2PIMS_CONTENT_DOMAIN=$SIP_DOMAIN P2PIMS_SIP_EDGE="sip:127.0.0.1:$SIP_PORT;transport=tcp" \
  kamailio -DD -E -f "$SUITE_SRC/deploy/kamailio/kamailio.cfg" -Y "$KAM_DIR" -P "$KAM_DIR/kamailio.pid" \
  -l "udp:127.0.0.1:$KAM_PORT" -l "tcp:127.0.0.1:$KAM_PORT" >"$KAM_DIR/kamailio.log" 2>&1 &
KAM_PID=$!
stop_kamailio() {
  kill -TERM "$KAM_PID" 2>/dev/null || true
  wait "$KAM_PID" 2>/dev/null || true
}
at_exit stop_kamailio
listening() { ss -Hlun | awk '{print $4}' | grep -q ":$KAM_PORT\$"; }
check "kamailio listens" eventually 15 listening || { tail -n 20 "$KAM_DIR/kamailio.log" >&2; harness_finish; }

ALICE=sip:alice@ims.localhost
UE=$SUITE_SRC/deploy/kamailio/ue_invite_bye.xml
# A terminal (127.0.0.2) through the stand-in (127.0.0.1, trusted by sip-edge).
ue_call() {  # ue_call SCENARIO CONTENT SUBJECT TARGET_PORT [DOMAIN]
  local local_port
  local_port=$(free_port)
  (cd "$SUITE_DIR" && timeout 60 sipp -sf "$1" -s "$2" -key domain "${5:-$SIP_DOMAIN}" -key subject "$3" \
    -m 1 -i 127.0.0.2 -p "$local_port" -timeout 20s -timeout_error -nostdin \
    -trace_err -error_file "$SUITE_DIR/sipp-errors.log" "127.0.0.1:$4" >"$SUITE_DIR/sipp-last.out" 2>&1)
}
check "alice's session for sintel through the stand-in" ue_call "$UE" sintel "$ALICE" "$KAM_PORT"
check "one CDR" wait_sql 1 "SELECT count(*) FROM charging.cdr" 20
check "the stand-in reached sip-edge over TCP, as ISC is kept (the connection is still open)" \
  bash -c "ss -Htnp state established '( dport = :$SIP_PORT )' | grep -q kamailio"
check_eq "the CDR has the asserted identity, the proxy's ICID, the cell, a normal release" \
  "sip:alice@ims.localhost|t|262-01/AB12/C34D56E|normal_release" \
  "$(suite_psql -tA -c "SELECT served_identity, icid LIKE 'scscf-lab-%', locality, cause_for_record_closing FROM charging.cdr")"
# SIPp sends everything to the stand-in, so a closed session means the BYE was routed through it.
check "the BYE reached sip-edge through the stand-in (Record-Route)" \
  grep -q '"msg":"session closed"' "$SUITE_DIR/logs/sip-edge.log"
check "the same terminal straight to sip-edge must authenticate (digest challenge)" \
  ue_call "$(rejected_scenario 401 WWW-Authenticate: 'Digest realm=.*algorithm=SHA-256')" sintel "$ALICE" "$SIP_PORT"
check "a request for another domain is refused by the stand-in" \
  ue_call "$(rejected_scenario 403 Server: 'p2pims-scscf-lab')" sintel "$ALICE" "$KAM_PORT" other.example
check_eq "no refusal wrote a CDR" 1 "$(suite_psql -tA -c "SELECT count(*) FROM charging.cdr")"

harness_finish
