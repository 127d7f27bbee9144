#!/usr/bin/python3
# A BitTorrent terminal for tests/e2e/tracker_clients_test.sh, on Debian's python3-libtorrent
# (libtorrent-rasterbar 2.0). Run it with /usr/bin/python3 (the module is not in other Pythons).
#
#   bt_client.py info T.torrent                        JSON: v1/v2 info-hashes, name, size, metainfo
#   bt_client.py torrent --descriptor D.json --tracker https|http|udp OUT.torrent
#                                                      the descriptor's metainfo, announcing only to
#                                                      the descriptor's HTTPS, HTTP or UDP URL
#   bt_client.py torrent --from T.torrent --announce URL OUT.torrent   same, any URL
#   bt_client.py field D.json KEY [INDEX]              one field of a JSON file (announce 0 ...)
#   bt_client.py bdecode < BODY                        a bencoded tracker reply as JSON
#   bt_client.py seed|leech T.torrent DIR PORT LOG     one peer; see peer() below
#   bt_client.py udp-announce HOST:PORT URL_PATH INFO_HASH_HEX PORT LEFT [EVENT]
#                                                      one BEP 15 announce, the path as BEP 41 URL
#                                                      data split over as many options as needed;
#                                                      the reply as JSON
#
# Every peer listens on 127.0.0.1 only and meets others only through the torrent's tracker: no
# DHT, local service discovery, PEX, UPnP or NAT-PMP. The tracker hands out peers that all live
# on 127.0.0.1, so allow_multiple_connections_per_ip must be on (libtorrent's default allows one
# connection per IP address, which would leave a leecher with a single peer).
# An https:// tracker's certificate is verified against OpenSSL's default roots: SSL_CERT_FILE
# in the environment names a test's CA.
import base64
import json
import os
import signal
import socket
import struct
import sys
import time

import libtorrent as lt


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def cmd_info(args):
    ti = lt.torrent_info(args[0])
    ih = ti.info_hashes()
    with open(args[0], "rb") as f:
        raw = f.read()
    out = {
        "info_hash_v1": str(ih.v1) if ih.has_v1() else "",
        "info_hash_v2": str(ih.v2) if ih.has_v2() else "",
        "info_hash_v2_truncated": str(ih.v2)[:40] if ih.has_v2() else "",
        "name": ti.name(),
        "size": ti.total_size(),
        "metainfo_hex": raw.hex(),
    }
    print(json.dumps(out))


def cmd_torrent(args):
    # torrent (--descriptor D --tracker http|udp | --from T --announce URL) OUT
    opts = dict(zip(args[:-1:2], args[1:-1:2]))
    out = args[-1]
    if "--descriptor" in opts:
        d = load_json(opts["--descriptor"])
        b64 = d["metainfo"]
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        scheme = opts["--tracker"] + "://"
        url = next((u for u in d["announce"] if u.startswith(scheme)), None)
        if url is None:
            sys.exit("bt_client: no %s URL in the descriptor: %s" % (scheme, d["announce"]))
    else:
        with open(opts["--from"], "rb") as f:
            raw = f.read()
        url = opts["--announce"]
    meta = lt.bdecode(raw)
    if meta is None or b"info" not in meta:
        sys.exit("bt_client: not a .torrent")
    meta[b"announce"] = url.encode()
    meta.pop(b"announce-list", None)  # only the one URL: it alone carries the token
    with open(out, "wb") as f:
        f.write(lt.bencode(meta))


def cmd_field(args):
    v = load_json(args[0])[args[1]]
    if len(args) > 2:
        v = v[int(args[2])]
    print(v)


def to_jsonable(v):
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return "hex:" + v.hex()
    if isinstance(v, dict):
        return {to_jsonable(k): to_jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_jsonable(x) for x in v]
    return v


def cmd_bdecode(_args):
    raw = sys.stdin.buffer.read()
    v = lt.bdecode(raw)
    if v is None:
        sys.exit("bt_client: not bencoded: %r" % raw[:200])
    print(json.dumps(to_jsonable(v), sort_keys=True))


def cmd_udp_announce(args):
    host, port = args[0].rsplit(":", 1)
    path, info_hash, peer_port, left = args[1].encode(), bytes.fromhex(args[2]), int(args[3]), \
        int(args[4])
    event = {"none": 0, "completed": 1, "started": 2, "stopped": 3}[args[5] if len(args) > 5 else "started"]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect((host, int(port)))

    def call(packet, tid):
        for _ in range(3):
            s.send(packet)
            try:
                reply = s.recv(65536)
            except socket.timeout:
                continue
            action, got_tid = struct.unpack(">II", reply[:8])
            if got_tid == tid:
                return action, reply[8:]
        sys.exit("bt_client: no answer from %s" % args[0])

    tid = struct.unpack(">I", os.urandom(4))[0]
    action, body = call(struct.pack(">QII", 0x41727101980, 0, tid), tid)
    if action == 3:
        print(json.dumps({"failure reason": body.decode("utf-8", "replace")}))
        return
    (connection_id,) = struct.unpack(">Q", body[:8])
    options = b""
    for i in range(0, len(path), 255):  # BEP 41: consecutive URLData options are concatenated
        chunk = path[i:i + 255]
        options += bytes([2, len(chunk)]) + chunk
    tid = struct.unpack(">I", os.urandom(4))[0]
    packet = struct.pack(">QII20s20sQQQIIIiH", connection_id, 1, tid, info_hash,
                         b"-PY0001-udpprobe0001", 0, left, 0, event, 0, 0, 50, peer_port) + options
    action, body = call(packet, tid)
    if action == 3:
        print(json.dumps({"failure reason": body.decode("utf-8", "replace")}))
    elif action == 1:
        interval, leechers, seeders = struct.unpack(">III", body[:12])
        peers = ["%s:%d" % (socket.inet_ntoa(body[i:i + 4]), struct.unpack(">H", body[i + 4:i + 6])[0])
                 for i in range(12, len(body) - 5, 6)]
        print(json.dumps({"interval": interval, "leechers": leechers, "seeders": seeders,
                          "peers": peers}))
    else:
        print(json.dumps({"action": action}))


def session(port):
    s = lt.session({
        "listen_interfaces": "127.0.0.1:%d" % port,
        "outgoing_interfaces": "",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        # TCP only: transmission runs with uTP off and aria2 has none, so uTP attempts would
        # only time out first.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        # libtorrent 2.0 refuses an HTTP tracker on a loopback address unless the URL's path
        # starts with /announce ("blocked by SSRF mitigation"); ours is /a/<token>/announce. It
        # only matters because the test's tracker is on 127.0.0.1.
        "ssrf_mitigation": False,
        "alert_mask": (lt.alert.category_t.error_notification
                       | lt.alert.category_t.status_notification
                       | lt.alert.category_t.tracker_notification
                       | lt.alert.category_t.connect_notification
                       | lt.alert.category_t.peer_notification),
    })
    return s


def version(alert):
    # the info-hash an announce was for: a hybrid torrent announces its v1 and its v2 hash
    return "v1" if alert.version == lt.protocol_version.V1 else "v2"


class Announces:
    """What the torrent's announces are doing, per tracker URL and info-hash version: how many
    were sent and not yet answered, and the events (completed, stopped) sent."""

    ANSWERS = (lt.tracker_reply_alert, lt.tracker_error_alert)

    def __init__(self):
        self.in_flight = {}
        self.sent = {}

    def see(self, a):
        if not isinstance(a, (lt.tracker_announce_alert,) + self.ANSWERS):
            return
        key = (a.tracker_url(), version(a))
        if isinstance(a, lt.tracker_announce_alert):
            self.in_flight[key] = self.in_flight.get(key, 0) + 1
            event = a.message().rsplit("(", 1)[-1].rstrip(")")
            self.sent.setdefault(key, set()).add(event)
        else:
            self.in_flight[key] = max(0, self.in_flight.get(key, 0) - 1)

    def settled(self, event):
        # every announcing (URL, version) sent EVENT and nothing it sent is still unanswered
        return bool(self.sent) and all(event in e for e in self.sent.values()) \
            and not any(self.in_flight.values())


def quit_swarm(s, h, announces, say):
    # Leave as a client does when it quits: announce "stopped", so that the tracker does not keep
    # a dead peer. On finishing, libtorrent announces "completed" for each info-hash of the torrent
    # (a hybrid has two) and skips the "stopped" of a pause for one whose announce is in flight;
    # that announce, arriving after the other hash's "stopped", would list the peer again as a
    # seeder. So wait until every "completed" is answered, then pause (which announces
    # "stopped") and wait for every answer. A few seconds at most each.
    def wait_for(event, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            for a in s.pop_alerts():
                announces.see(a)
                if isinstance(a, (lt.tracker_announce_alert,) + Announces.ANSWERS):
                    say("tracker", version(a), a.message()[:200])
            if announces.settled(event):
                return True
            s.wait_for_alert(200)
        return False

    wait_for("completed", 5)
    h.pause()
    say("stopped" if wait_for("stopped", 5) else "stopped-not-confirmed")
    return 0


def peer(mode, args):
    # seed|leech T.torrent SAVE_DIR PORT LOG: a seed runs until killed; a leech exits 0 once it
    # holds every piece (libtorrent checked each piece against the torrent's hashes).
    torrent, save, port, log_path = args[0], args[1], int(args[2]), args[3]
    # SIGUSR1: announce now. The test sends it once the tracker holds a peer that only accepts
    # incoming connections (transmission 3.00 never dials 127.0.0.0/8 peers, see the test).
    reannounce = []
    signal.signal(signal.SIGUSR1, lambda *_: reannounce.append(1))
    s = session(port)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = save
    params.flags = (params.flags | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
                    | lt.torrent_flags.disable_pex) & ~lt.torrent_flags.auto_managed \
        & ~lt.torrent_flags.paused
    h = s.add_torrent(params)
    log = open(log_path, "a", buffering=1, encoding="utf-8")

    def say(*parts):
        log.write("%.3f %s\n" % (time.time(), " ".join(str(p) for p in parts)))

    say("start", mode, "port", port, "info-hashes", params.ti.info_hashes())
    last_progress = -1
    announces = Announces()
    while True:
        for a in s.pop_alerts():
            announces.see(a)
            if isinstance(a, lt.tracker_error_alert):
                say("tracker-error", version(a), repr(a.failure_reason()), a.error.message(),
                    a.tracker_url())
            elif isinstance(a, lt.tracker_reply_alert):
                say("tracker-reply", version(a), "peers", a.num_peers, a.tracker_url())
            elif isinstance(a, lt.tracker_warning_alert):
                say("tracker-warning", a.message())
            elif isinstance(a, lt.tracker_announce_alert):
                say("tracker-announce", a.message())
            elif isinstance(a, (lt.peer_connect_alert, lt.incoming_connection_alert,
                                lt.peer_disconnected_alert)):
                say("peer", a.message())
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert,
                                lt.listen_failed_alert)):
                say("error", a.message())
                if isinstance(a, lt.listen_failed_alert):
                    sys.exit(2)
            elif isinstance(a, lt.listen_succeeded_alert):
                say("listening", a.message())
        if reannounce:
            reannounce.clear()
            say("reannounce")
            h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
        st = h.status()
        progress = int(st.progress * 100)
        if progress != last_progress:
            say("progress", progress, "state", st.state, "peers", st.num_peers)
            last_progress = progress
        if mode == "leech" and st.is_seeding:
            say("complete", "downloaded", st.total_payload_download)
            return quit_swarm(s, h, announces, say)
        s.wait_for_alert(500)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd in ("seed", "leech"):
        sys.exit(peer(cmd, args))
    {"info": cmd_info, "torrent": cmd_torrent, "field": cmd_field, "bdecode": cmd_bdecode,
     "udp-announce": cmd_udp_announce}[cmd](args)


if __name__ == "__main__":
    main()
