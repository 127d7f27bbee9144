#!/usr/bin/env bash
# Direct clients (not behind a trusted CSCF) with real parts: PostgreSQL holding the subscriber
# credentials, the services, and a small SIP client on 127.0.0.2 (sip-edge trusts only 127.0.0.1)
# answering sip-edge's digest challenge with SHA-256 and with MD5. Its own P-Asserted-Identity and
# "np" cell claim are ignored: the credentials decide who it is, and its cell stays unverified.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost
client() {  # client register|invite ALGORITHM PASSWORD [extra args]: prints the final codes
  local what=$1 algorithm=$2 password=$3
  shift 3
  timeout 30 python3 "$SUITE_SRC/tests/e2e/sip_digest_client.py" "$what" --bind 127.0.0.2 \
    --server "127.0.0.1:$SIP_PORT" --user alice-impi --password "$password" \
    --identity "$ALICE" --algorithm "$algorithm" --domain "$SIP_DOMAIN" "$@" | tr '\n' ' ' | sed 's/ $//'
}

echo "# REGISTER: challenged, then accepted with either algorithm"
check_eq "SHA-256: 401 then 200" "401 200" "$(client register SHA-256 alice-secret)"
check_eq "MD5: 401 then 200" "401 200" "$(client register MD5 alice-secret)"
check "her cell reached the tracker unverified (a terminal's own claim)" wait_sql "262-01/AB12/C34D56E|false" \
  "SELECT locality || '|' || verified FROM tracker.presence WHERE subject = '$ALICE'"
check_eq "a wrong password: 401 then 403" "401 403" "$(client register SHA-256 guess)"

echo "# INVITE: a content session for the authenticated identity, whatever P-Asserted-Identity says"
check_eq "401, then 200 and the BYE's 200" "401 200 200" "$(client invite SHA-256 alice-secret --content sintel)"
check "one CDR, for alice (not the asserted mallory)" wait_sql 1 \
  "SELECT count(*) FROM charging.cdr WHERE served_identity = '$ALICE'"
check_eq "nothing for mallory" 0 \
  "$(suite_psql -tA -c "SELECT count(*) FROM charging.cdr WHERE served_identity LIKE '%mallory%'")"

echo "# a source that keeps failing is blocked, even with the right password"
for _ in 1 2 3 4; do client register SHA-256 guess >/dev/null || true; done
check_eq "blocked: 403 at once, even with the right password" "403" "$(client register SHA-256 alice-secret)"
check "blocks are counted" eval '[[ $(sip_metric "p2pims_sip_digest_authentications_total{result=\"blocked\"}") -ge 1 ]]'

harness_finish
