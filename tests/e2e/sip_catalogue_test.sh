#!/usr/bin/env bash
# Catalogue searches over SIP MESSAGE with real parts: rights' catalogue in PostgreSQL, sip-edge,
# a direct client (digest, on 127.0.0.2) and SIPp as the S-CSCF. The query is answered 200, and
# the results come back in a MESSAGE from the catalogue to the sender, routed to where the query
# came from; bad queries get clear refusals.
source "$(dirname "$0")/../lib/harness.sh"
harness_start

ALICE=sip:alice@ims.localhost
SCENARIOS=$SUITE_SRC/tests/sipp
search() {  # search QUERY: the final codes, then the results' text
  timeout 30 python3 "$SUITE_SRC/tests/e2e/sip_digest_client.py" message --bind 127.0.0.2 \
    --server "127.0.0.1:$SIP_PORT" --user alice-impi --password alice-secret --identity "$ALICE" \
    --domain "$SIP_DOMAIN" --query "$1" | tr '\n' ' ' | sed 's/ $//'
}
refused() {  # refused CODE WARNING-REGEXP USER QUERY: a MESSAGE that must get CODE
  local scenario=$SUITE_DIR/message_$1_$RANDOM.xml
  sed -e "s|@CODE@|$1|g" -e "s|@REGEXP@|$2|g" "$SCENARIOS/message_refused.xml.in" >"$scenario"
  sipp_call "$scenario" "$3" "$ALICE" -key query "$4"
}

check_eq "a search for 'sint': challenged, 200, then a MESSAGE listing Sintel with its price" \
  '401 200 1 match for "sint": | sip:sintel@p2p.localhost  Sintel  buy 2.99 EUR  124 MiB' \
  "$(search sint)"
check_eq "any case matches; several results, by title, each with its price" \
  '401 200 3 matches for "S": | sip:local-news@p2p.localhost  Local News  free  10 MiB | sip:sintel@p2p.localhost  Sintel  buy 2.99 EUR  124 MiB | sip:tears-of-steel@p2p.localhost  Tears of Steel  rent 1.99 EUR  178 MiB' \
  "$(search S)"
check_eq "a search that finds nothing says so" '401 200 Nothing matches "zzz-nothing".' "$(search zzz-nothing)"
check "the results were delivered (sip-edge logged no refusal)" \
  eval '! grep -q "a MESSAGE sip-edge sent was refused" "$SUITE_DIR/logs/sip-edge.log"'
check "through the S-CSCF too: SIPp's query is answered 200" \
  sipp_call "$SCENARIOS/catalogue_message.xml" catalogue "$ALICE" -key query live

check "MESSAGE to another user -> 404" refused 404 'but catalogue' somebody sintel
check "an over-long search -> 400" refused 400 '1-100 characters' catalogue "$(printf 'x%.0s' {1..120})"
check "rights' SearchCatalogue was timed" \
  eval '[[ -n $(sip_metric "p2pims_sip_backend_call_seconds_count{backend=\"rights\",method=\"SearchCatalogue\"}") ]]'

harness_finish
