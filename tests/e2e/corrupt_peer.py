#!/usr/bin/python3
# A peer that claims to have every piece and answers every request with wrong bytes: the
# bad-input case "a peer sending corrupt pieces" of the terminal's tests. It speaks the plain
# BitTorrent peer wire protocol (BEP 3) on one address; the test announces it to the tracker.
#
#   corrupt_peer.py T.torrent ADDRESS PORT COUNT_FILE
#       serves until killed; COUNT_FILE holds the number of blocks it sent (rewritten each time)
import hashlib
import socket
import struct
import sys
import threading

import libtorrent as lt

PROTOCOL = b"BitTorrent protocol"
CHOKE, UNCHOKE, INTERESTED, BITFIELD, REQUEST, PIECE = 0, 1, 2, 5, 6, 7


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def message(msg_id, payload=b""):
    return struct.pack(">IB", 1 + len(payload), msg_id) + payload


class Counter:
    def __init__(self, path):
        self.path, self.sent, self.lock = path, 0, threading.Lock()

    def add(self):
        with self.lock:
            self.sent += 1
            with open(self.path, "w", encoding="ascii") as f:
                f.write(f"{self.sent}\n")


def serve(conn, info_hash, pieces, counter):
    with conn:
        theirs = recv_exact(conn, 68)
        if theirs[1:20] != PROTOCOL or theirs[28:48] != info_hash:
            return
        conn.sendall(bytes([19]) + PROTOCOL + bytes(8) + info_hash + b"-XX0001-corruptpeer!")
        bits = bytearray((pieces + 7) // 8)
        for i in range(pieces):
            bits[i // 8] |= 0x80 >> (i % 8)
        conn.sendall(message(BITFIELD, bytes(bits)) + message(UNCHOKE))
        while True:
            (length,) = struct.unpack(">I", recv_exact(conn, 4))
            if length == 0:
                continue  # keep-alive
            body = recv_exact(conn, length)
            if body[0] == REQUEST:
                index, begin, size = struct.unpack(">III", body[1:13])
                # Deterministic garbage, never the content's bytes.
                junk = hashlib.sha256(struct.pack(">II", index, begin)).digest()
                block = (junk * (size // len(junk) + 1))[:size]
                conn.sendall(message(PIECE, struct.pack(">II", index, begin) + block))
                counter.add()


def main():
    torrent, address, port, count_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ti = lt.torrent_info(torrent)
    info_hash = bytes.fromhex(str(ti.info_hashes().v1))
    counter = Counter(count_file)
    with open(count_file, "w", encoding="ascii") as f:
        f.write("0\n")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(16)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=lambda c=conn: _guard(serve, c, info_hash, ti.num_pieces(), counter),
                         daemon=True).start()


def _guard(fn, conn, *args):
    try:
        fn(conn, *args)
    except (ConnectionError, OSError):
        pass


if __name__ == "__main__":
    main()
