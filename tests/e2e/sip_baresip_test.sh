#!/usr/bin/env bash
# A real SIP client from Debian, baresip, as a subscriber reaching sip-edge directly (127.0.0.2,
# not a trusted CSCF): it answers the digest challenge, registers, and searches the catalogue with
# a MESSAGE; the results come back to it in sip-edge's own MESSAGE.
# baresip 1.0 (libre) refuses a challenge list holding any algorithm but MD5, so this sip-edge
# offers MD5 alone (--digest-algorithms MD5), as an operator would for such clients.
export P2PIMS_DIGEST_ALGORITHMS=MD5
source "$(dirname "$0")/../lib/harness.sh"
harness_start

UE_DIR=$SUITE_DIR/baresip
mkdir -p "$UE_DIR"
cat >"$UE_DIR/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.2:$(free_port)
sip_trans_def		udp
module_path		/usr/lib/baresip/modules
module			stdio.so
module			g711.so
module			ausine.so
module_app		account.so
module_app		contact.so
module_app		menu.so
audio_player		ausine,
audio_source		ausine,440
CONF
cat >"$UE_DIR/accounts" <<ACCOUNTS
<sip:alice@ims.localhost>;auth_user=alice-impi;auth_pass=alice-secret;outbound="sip:127.0.0.1:$SIP_PORT";regint=600
ACCOUNTS
echo '"Catalogue" <sip:catalogue@p2p.localhost>' >"$UE_DIR/contacts"

echo "# baresip registers and messages the catalogue"
stdbuf -oL baresip -f "$UE_DIR" -s -e '/message sintel' >"$UE_DIR/trace.log" 2>&1 &
UE_PID=$!
at_exit 'kill $UE_PID'
check "baresip receives the catalogue's answer listing Sintel" \
  eventually 30 grep -q 'sip:sintel@p2p.localhost  Sintel  buy 2.99 EUR' "$UE_DIR/trace.log"
check "its REGISTER was challenged, then answered 200 with its binding" \
  eval 'grep -A12 "^SIP/2.0 200 OK" "$UE_DIR/trace.log" | grep -q "^CSeq: [0-9]* REGISTER"'
check "digest proved alice for the REGISTER and the MESSAGE" \
  eval '[[ $(sip_metric "p2pims_sip_digest_authentications_total{result=\"ok\"}") -ge 2 ]]'
check_eq "sip-edge holds alice's registration" 1 "$(sip_metric p2pims_sip_registrations)"
kill "$UE_PID"
check "baresip stops" wait "$UE_PID" || true

harness_finish
