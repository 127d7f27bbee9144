#!/usr/bin/env bash
# Registrations with real parts: PostgreSQL, the services, SIPp as the S-CSCF sending third-party
# REGISTERs. A registration's cell reaches the tracker as the subscriber's presence (verified when
# the CSCF marked it network-provided); Expires: 0 removes it; too short an expiry is 423.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost BOB=sip:bob@ims.localhost
PANI_NP='3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e; np'
PANI_UE='3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e'
register() {  # register SUBJECT EXPIRES GRANTED PANI: a 200 whose Contact grants GRANTED s
  local port trace=$SUITE_DIR/register-$RANDOM.log
  port=$(free_port)
  (cd "$SUITE_DIR" && timeout 30 sipp -sf "$SUITE_SRC/tests/sipp/register.xml" -key subject "$1" \
    -key expires "$2" -key pani "$4" -m 1 -p "$port" -timeout 10s -timeout_error -nostdin \
    -trace_err -error_file "$SUITE_DIR/sipp-errors-$2.log" -trace_msg -message_file "$trace" \
    "127.0.0.1:$SIP_PORT" >"$SUITE_DIR/sipp-register.out" 2>&1) || return 1
  if [[ $3 == none ]]; then
    ! grep -q "^Contact:.*expires=" <(sed -n '/^SIP\/2.0 200/,/^$/p' "$trace")
  else
    sed -n '/^SIP\/2.0 200/,/^$/p' "$trace" | grep -qE "^Contact: <[^>]*>;expires=$3\s*$"
  fi
}
presence() {
  suite_psql -tA -c "SELECT locality, verified, expires_at > now() + interval '$2 seconds' - interval '30 seconds'
                     FROM tracker.presence WHERE subject = '$1'"
}

echo "# third-party REGISTER with a network-provided cell: presence verified at the tracker"
check "alice registers for 600 s" register "$ALICE" 600 600 "$PANI_NP"
check "the tracker holds her verified cell until the registration expires" eventually 10 \
  eval '[[ $(presence "$ALICE" 600) == "262-01/AB12/C34D56E|t|t" ]]'
check_eq "sip-edge counts one registration" 1 "$(sip_metric p2pims_sip_registrations)"

echo "# a terminal's own cell claim is recorded, unverified"
check "bob registers without np; 86400 s asked, 7200 granted" register "$BOB" 86400 7200 "$PANI_UE"
check "the tracker holds his cell, unverified" eventually 10 \
  eval '[[ $(presence "$BOB" 7200) == "262-01/AB12/C34D56E|f|t" ]]'

echo "# refresh, removal, and an expiry too short"
check "alice refreshes for 1200 s" register "$ALICE" 1200 1200 "$PANI_NP"
check "her presence follows" eventually 10 eval '[[ $(presence "$ALICE" 1200) == "262-01/AB12/C34D56E|t|t" ]]'
check "alice deregisters (Expires: 0): no contact left" register "$ALICE" 0 none "$PANI_NP"
check "her presence is gone" wait_sql 0 "SELECT count(*) FROM tracker.presence WHERE subject = '$ALICE'"
check_eq "one registration left" 1 "$(sip_metric p2pims_sip_registrations)"
check "30 s is refused (no 200)" eval '! register "$ALICE" 30 30 "$PANI_NP"'
check "with 423 Interval Too Brief" grep -q "423 Interval Too Brief" "$SUITE_DIR/sipp-errors-30.log"
check_eq "and counted" 1 "$(sip_metric p2pims_sip_responses_total 'method="REGISTER"' 'code="423"')"
check_eq "nothing was registered for it" 0 \
  "$(suite_psql -tA -c "SELECT count(*) FROM tracker.presence WHERE subject = '$ALICE'")"

harness_finish
