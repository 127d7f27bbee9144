#!/usr/bin/env bash
# p2pimsctl end to end, with real parts: PostgreSQL and the rights service on free loopback ports
# in a temporary directory. The operator registers content from a .torrent, shows, lists and
# updates it, grants, lists and revokes entitlements, revokes tokens, withdraws content and reads
# the audit. Bad input exits 2 (usage) or 1 (refused, unreadable) and sends nothing; rights down
# exits 1 with UNAVAILABLE and the address.
source "$(dirname "$0")/../lib/harness.sh"

# shellcheck disable=SC2034  # these are read by tools/lib/suite.sh
SUITE_SERVICES=(rights)  # only rights: suite_down stops just what this test started
PG_PORT=$(free_port)
RIGHTS_GRPC=$(free_port)
RIGHTS_ADMIN=$(free_port)
trap harness_cleanup EXIT
suite_start_pg
suite_keys  # p2pims-rights --generate-key
suite_start rights
if ! suite_wait_url "http://127.0.0.1:$RIGHTS_ADMIN/readyz" 60; then
  fail "rights became ready"
  exit 1
fi

CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
MKTORRENT=$SUITE_BIN/tools/p2pimsctl/p2pims-mktorrent
ALICE=sip:alice@ims.localhost BOB=sip:bob@ims.localhost

# ctl ARGS...: runs p2pimsctl against this rights; leaves OUT, ERR and RC.
ctl() {
  RC=0
  "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --actor e2e-operator "$@" \
    >"$SUITE_DIR/ctl.out" 2>"$SUITE_DIR/ctl.err" || RC=$?
  OUT=$(cat "$SUITE_DIR/ctl.out")
  ERR=$(cat "$SUITE_DIR/ctl.err")
}
# A scalar field of the JSON in OUT (objects are printed on one line): json_field NAME
json_field() { grep -o "\"$1\":\(\"[^\"]*\"\|[^,}]*\)" <<<"$OUT" | head -n 1 | sed 's/^[^:]*://; s/^"//; s/"$//'; }
has() { grep -qF -- "$1" <<<"$2"; }
has_line() { grep -qxF -- "$1" <<<"$2"; }
sql() { suite_psql -tA -c "$1"; }
audit_rows() { sql "SELECT count(*) FROM rights.audit"; }

mkdir -p "$SUITE_DIR/media"
head -c 300000 /dev/urandom >"$SUITE_DIR/media/sintel.mkv"
head -c 70000 /dev/urandom >"$SUITE_DIR/media/news.ts"
check "p2pims-mktorrent makes a hybrid torrent" \
  "$MKTORRENT" "$SUITE_DIR/media/sintel.mkv" "$SUITE_DIR/sintel.torrent"
check "p2pims-mktorrent makes a v1-only torrent" \
  "$MKTORRENT" --v1-only "$SUITE_DIR/media/news.ts" "$SUITE_DIR/news.torrent"

echo "# --help and usage"
ctl --help
check_eq "--help exits 0" 0 "$RC"
check "--help lists the commands" has "entitlement grant" "$OUT"
ctl content register --help
check "a command's --help lists its flags" has "--price-model" "$OUT"
ctl
check_eq "no command exits 2" 2 "$RC"

echo "# register from a hybrid torrent"
ctl --json content register --id sintel --owner blender-foundation --torrent "$SUITE_DIR/sintel.torrent" \
  --price-model rental --price 299 --currency EUR --rental-seconds 172800 --owner-share-bp 7000 \
  --territory 262-01 --window-start 2020-01-01T00:00:00Z
check_eq "register exits 0" "0:" "$RC:$ERR"
check_eq "the title defaults to the torrent's name" sintel.mkv "$(json_field title)"
check_eq "the size comes from the torrent" 300000 "$(json_field size_bytes)"
check_eq "the v1 info-hash is 40 hex digits" 40 "$(json_field info_hash_v1 | tr -dc 0-9a-f | wc -c)"
check_eq "the v1 info-hash is stored as sent" "$(json_field info_hash_v1)" \
  "$(sql "SELECT encode(info_hash_v1, 'hex') FROM rights.content WHERE content_id = 'sintel'")"
check_eq "a hybrid torrent gives a v2 info-hash" 64 "$(json_field info_hash_v2 | tr -d '\n' | wc -c)"
check_eq "the licence is stored" "rental|299|EUR|172800|7000|{262-01}" \
  "$(sql "SELECT price_model, price_minor, currency, rental_seconds, owner_share_bp, territories
          FROM rights.content WHERE content_id = 'sintel'")"
check_eq "the registration is audited with the actor" 1 \
  "$(sql "SELECT count(*) FROM rights.audit WHERE action = 'register_content' AND content_id = 'sintel' AND actor = 'e2e-operator'")"

echo "# register from a v1-only torrent, and from hashes"
ctl --json content register --id local-news --owner newsroom --title "Local news" \
  --torrent "$SUITE_DIR/news.torrent" --price-model free
check_eq "v1-only register exits 0" "0:" "$RC:$ERR"
check_eq "--title wins over the torrent's name" "Local news" "$(json_field title)"
check_eq "a v1-only torrent has no v2 info-hash" "" "$(json_field info_hash_v2)"
ctl content register --id live-match --owner league --title "Live match" \
  --info-hash-v1 0123456789abcdef0123456789abcdef01234567 --size 1048576 --price-model per_byte --price 2
check_eq "register from hashes exits 0" "0:" "$RC:$ERR"
check "human output shows the per-MiB price" has "2 EUR (minor units) per MiB" "$OUT"

echo "# show and list"
ctl content show sintel
check_eq "show exits 0" 0 "$RC"
check "show prints the licence" has "price_model:  rental" "$OUT"
check "show prints the territories" has "territories:  262-01" "$OUT"
ctl content list
check_eq "list shows the three items" 4 "$(wc -l <<<"$OUT")"  # header + 3
check "list is in content id order" \
  test "$(awk 'NR > 1 {print $1}' <<<"$OUT" | tr '\n' ' ')" = "live-match local-news sintel "
ctl --json content list --page-size 1
check_eq "list follows pages to the end" 3 "$(grep -c '"content_id"' <<<"$OUT")"
ctl content list --owner newsroom
check_eq "list --owner filters" "local-news" "$(awk 'NR > 1 {print $1}' <<<"$OUT")"

echo "# update the licence (UpdateLicence)"
ctl --json content update sintel --price 199 --window-end 2030-01-01T00:00:00Z
check_eq "update exits 0" "0:" "$RC:$ERR"
check_eq "the new price is in force" 199 "$(json_field price_minor)"
check_eq "the new window end is in force" 1893456000 "$(json_field window_end)"
check_eq "fields not given are kept" "rental|172800|7000" \
  "$(json_field price_model)|$(json_field rental_seconds)|$(json_field owner_share_bp)"
check "territories not given are kept" has '"territories":["262-01"]' "$OUT"
check_eq "the database has the new licence" "199|{262-01}" \
  "$(sql "SELECT price_minor, territories FROM rights.content WHERE content_id = 'sintel'")"

echo "# entitlements (GrantEntitlement, ListEntitlements, RevokeEntitlement)"
ctl --json entitlement grant --subject "$ALICE" --kind rental --content sintel \
  --expires 2030-01-01T00:00:00Z
check_eq "grant exits 0" "0:" "$RC:$ERR"
ALICE_ENT=$(json_field entitlement_id)
check "grant returns an id" test -n "$ALICE_ENT"
check_eq "grant returns the expiry" 1893456000 "$(json_field expires_at)"
ctl --json entitlement grant --subject "$BOB" --kind subscription --owner blender-foundation
check_eq "an owner-wide subscription exits 0" "0:" "$RC:$ERR"
check_eq "the grants are stored" 2 "$(sql "SELECT count(*) FROM rights.entitlement")"
ctl entitlement list --subject "$ALICE"
check_eq "list by subject exits 0" "0:" "$RC:$ERR"
check "list by subject shows alice's rental" has_line "$ALICE_ENT" "$(awk 'NR > 1 {print $1}' <<<"$OUT")"
ctl --json entitlement list --content sintel
check_eq "list by content exits 0" "0:" "$RC:$ERR"
check "list by content names alice" has "\"subject\":\"$ALICE\"" "$OUT"
ctl --json entitlement revoke "$ALICE_ENT" --reason "refund"
check_eq "revoke entitlement exits 0" "0:" "$RC:$ERR"
check_eq "the entitlement is revoked" true "$(json_field revoked)"
ctl --json entitlement list --subject "$ALICE"
check "a revoked entitlement is not listed by default" test "$RC:$OUT" = "0:[]"
ctl --json entitlement list --subject "$ALICE" --all
check "--all lists it" has "\"entitlement_id\":\"$ALICE_ENT\"" "$OUT"

echo "# revoke tokens (Revoke)"
ctl --json revoke --subject "$ALICE" --reason "fraud"
check_eq "revoke exits 0" "0:" "$RC:$ERR"
check "the revocation has a sequence number" test "$(json_field sequence)" -gt 0
check_eq "the revocation names the subject" "$ALICE" "$(json_field subject)"
check_eq "the revocation is stored" 1 \
  "$(sql "SELECT count(*) FROM rights.revocation WHERE subject = '$ALICE' AND reason = 'fraud'")"

echo "# withdraw (WithdrawContent)"
ctl --json content withdraw local-news --reason "expired rights"
check_eq "withdraw exits 0" "0:" "$RC:$ERR"
check_eq "the content is withdrawn" true "$(json_field withdrawn)"
ctl content show local-news
check "show says withdrawn" has "state:        withdrawn" "$OUT"

echo "# audit (QueryAudit)"
ctl --json audit --content sintel
check_eq "audit exits 0" "0:" "$RC:$ERR"
check "audit has the registration by the operator" \
  has '"actor":"e2e-operator","action":"register_content"' "$OUT"
ctl --json audit --subject "$ALICE" --limit 50
check "audit by subject has the grant" has '"action":"grant_entitlement"' "$OUT"
ctl audit --from 2020-01-01T00:00:00Z --to 2020-01-02T00:00:00Z
check_eq "an empty period prints only the header" "0|1" "$RC|$(wc -l <<<"$OUT")"

echo "# refusals from rights: exit 1 with the gRPC code"
ctl content show no-such-title
check_eq "unknown content exits 1" 1 "$RC"
check "unknown content says NOT_FOUND" has "p2pimsctl: NOT_FOUND:" "$ERR"
check_eq "nothing on stdout after an error" "" "$OUT"
ctl content register --id sintel --owner x --title x --info-hash-v1 "$(printf 'ab%.0s' {1..20})" \
  --size 1 --price-model free
check_eq "a taken content id exits 1" 1 "$RC"
check "... with ALREADY_EXISTS" has "p2pimsctl: ALREADY_EXISTS:" "$ERR"

echo "# bad input: nothing is sent"
before=$(audit_rows)
ctl content register --id bad --owner o --torrent "$SUITE_DIR/sintel.torrent" --price-model gratis
check_eq "a bad price model exits 2" 2 "$RC"
check "the message names the flag" has "p2pimsctl: --price-model: 'gratis' is not one of" "$ERR"
printf 'd8:announce' >"$SUITE_DIR/garbage.torrent"
ctl content register --id bad --owner o --torrent "$SUITE_DIR/garbage.torrent" --price-model free
check_eq "a garbage torrent exits 1" 1 "$RC"
check "the message names the file" has "p2pimsctl: $SUITE_DIR/garbage.torrent: not a valid .torrent" "$ERR"
ctl content register --id bad --owner o --torrent "$SUITE_DIR/missing.torrent" --price-model free
check_eq "a missing torrent exits 1" 1 "$RC"
check "... saying it cannot read it" has "p2pimsctl: cannot read torrent file $SUITE_DIR/missing.torrent" "$ERR"
ctl content register --id bad --owner o --torrent "$SUITE_DIR/sintel.torrent" --price-model free \
  --size 5
check_eq "--torrent with --size exits 2" 2 "$RC"
ctl content register --id bad --owner o --title t --info-hash-v1 abcd --size 1 --price-model free
check_eq "a short info-hash exits 2" 2 "$RC"
ctl content update sintel
check_eq "update without licence flags exits 2" 2 "$RC"
ctl content update sintel --owner-share-bp 20000
check_eq "an out-of-range share exits 2" 2 "$RC"
ctl content withdraw sintel
check_eq "withdraw without --reason exits 2" 2 "$RC"
ctl entitlement grant --subject "$ALICE" --kind gift --content sintel
check_eq "a bad kind exits 2" 2 "$RC"
ctl entitlement grant --subject "$ALICE" --kind purchase --content sintel --owner x
check_eq "--content with --owner exits 2" 2 "$RC"
ctl entitlement grant --subject "$ALICE" --kind purchase --content sintel --expires tomorrow
check_eq "a bad time exits 2" 2 "$RC"
ctl entitlement list
check_eq "entitlement list without --subject or --content exits 2" 2 "$RC"
ctl revoke --subject "$ALICE" --content sintel --reason x
check_eq "revoke with two targets exits 2" 2 "$RC"
ctl content show
check_eq "a missing argument exits 2" 2 "$RC"
ctl content show sintel --nope
check_eq "an unknown flag exits 2" 2 "$RC"
check "... naming it" has "p2pimsctl: unknown flag --nope" "$ERR"
ctl frobnicate
check_eq "an unknown command exits 2" 2 "$RC"
check_eq "no bad input reached rights' audit" "$before" "$(audit_rows)"
check_eq "no bad input registered anything" 0 "$(sql "SELECT count(*) FROM rights.content WHERE content_id = 'bad'")"

echo "# rights down: exit 1, UNAVAILABLE, the address"
suite_stop rights
ctl content show sintel
check_eq "rights down exits 1" 1 "$RC"
check "rights down says UNAVAILABLE" has "p2pimsctl: UNAVAILABLE: rights at 127.0.0.1:$RIGHTS_GRPC" "$ERR"
RC=0
P2PIMS_RIGHTS=127.0.0.1:$RIGHTS_GRPC "$CTL" content list >/dev/null 2>"$SUITE_DIR/ctl.err" || RC=$?
check_eq "P2PIMS_RIGHTS sets the address" "1" "$RC"
check "... and is named in the error" grep -qF "127.0.0.1:$RIGHTS_GRPC" "$SUITE_DIR/ctl.err"

harness_finish
