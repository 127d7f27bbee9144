#!/usr/bin/env python3
"""A direct SIP client for tests: one REGISTER, one content session (INVITE, ACK, BYE), one
catalogue search (MESSAGE, then the MESSAGE with the results, answered 200) or one subscription
to a session's progress (SUBSCRIBE, then its NOTIFYs, answered 200, until the final one) over UDP
or TLS, IPv4 or IPv6, from a chosen local address, answering sip-edge's digest challenge with MD5
or SHA-256.

  sip_digest_client.py register --bind 127.0.0.2 --server 127.0.0.1:5060 --user alice-impi \
      --password alice-secret --identity sip:alice@ims.localhost --algorithm SHA-256
  sip_digest_client.py invite ... --content sintel --domain p2p.localhost
  sip_digest_client.py subscribe ... --session <32 hex> [--unsubscribe-after 1]

Prints one line per final response ("401", "200", ...) and, for subscribe, one per NOTIFY
("notify <Subscription-State> <body>"); exits 0 when the last response is 200.
"""
import argparse
import hashlib
import os
import re
import socket
import ssl
import sys


def h(algorithm, text):
    fn = hashlib.sha256 if algorithm == "SHA-256" else hashlib.md5
    return fn(text.encode()).hexdigest()


class Client:
    def __init__(self, args):
        self.args = args
        host, port = args.server.rsplit(":", 1)
        self.server = (host.strip("[]"), int(port))
        family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
        self.tls = args.transport == "tls"
        self.sock = socket.socket(family, socket.SOCK_STREAM if self.tls else socket.SOCK_DGRAM)
        self.sock.bind((args.bind, 0))
        self.sock.settimeout(5)
        if self.tls:
            context = ssl.create_default_context(cafile=args.cafile)
            context.check_hostname = False  # the test certificate names no host
            self.sock.connect(self.server)
            self.sock = context.wrap_socket(self.sock)
            self.buffer = b""
        name = self.sock.getsockname()
        self.local = ("[%s]:%d" if family == socket.AF_INET6 else "%s:%d") % (name[0], name[1])
        self.call_id = os.urandom(8).hex() + "@" + args.bind
        self.tag = os.urandom(4).hex()
        self.cseq = 0
        self.notifies = 0  # NOTIFYs received
        self.ended = False  # a final NOTIFY came

    def request(self, method, uri, to, extra=(), to_tag="", branch=None, body=""):
        self.cseq += 1 if method != "ACK" else 0
        # An ACK for a non-2xx final response belongs to the INVITE's transaction (its branch).
        branch = branch or "z9hG4bK" + os.urandom(6).hex()
        self.branch = branch
        lines = [
            "%s %s SIP/2.0" % (method, uri),
            "Via: SIP/2.0/%s %s;branch=%s;rport" % ("TLS" if self.tls else "UDP", self.local, branch),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (self.args.identity, self.tag),
            "To: <%s>%s" % (to, ";tag=" + to_tag if to_tag else ""),
            "Call-ID: %s" % self.call_id,
            "CSeq: %d %s" % (self.cseq, method),
            "Contact: <sip:ue@%s%s>" % (self.local, ";transport=tls" if self.tls else ""),
            # A direct client's claims: sip-edge must ignore them.
            "P-Asserted-Identity: <sip:mallory@ims.localhost>",
            "P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e; np",
        ] + list(extra) + ["Content-Length: %d" % len(body.encode()), "", body]
        data = "\r\n".join(lines).encode()
        self.last_data = data
        self.send(data)

    def send(self, data):
        if self.tls:
            self.sock.sendall(data)
        else:
            self.sock.sendto(data, self.server)

    def resend(self):
        """The last request again, byte for byte: a retransmission (same branch)."""
        self.send(self.last_data)

    def receive(self):
        if not self.tls:
            return self.sock.recvfrom(65535)[0]
        # A stream: one message is its head and Content-Length bytes of body.
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65535)
        head, rest = self.buffer.split(b"\r\n\r\n", 1)
        length = int((re.search(rb"^Content-Length:\s*(\d+)", head, re.M | re.I) or [0, b"0"])[1])
        while len(rest) < length:
            rest += self.sock.recv(65535)
        self.buffer = rest[length:]
        return head + b"\r\n\r\n" + rest[:length]

    def answer_request(self):
        """Waits for a request from sip-edge, answers it 200 and returns its text."""
        while True:
            text = self.receive().decode(errors="replace")
            if not text.startswith("SIP/2.0"):
                break
        self.answer(text)
        return text

    def answer(self, text):
        """Answers request `text` 200."""
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [h for h in head[1:] if re.match(r"(Via|From|To|Call-ID|CSeq):", h, re.I)]
        reply = "\r\n".join(["SIP/2.0 200 OK"] + keep + ["Content-Length: 0", "", ""])
        if self.tls:
            self.sock.sendall(reply.encode())
        else:
            self.sock.sendto(reply.encode(), self.server)

    def notified(self, text):
        """Answers a request from sip-edge (a NOTIFY) 200 and prints it."""
        self.answer(text)
        state = re.search(r"^Subscription-State:\s*(\S+)", text, re.M | re.I)
        state = state.group(1) if state else "-"
        print("notify", state, text.split("\r\n\r\n", 1)[1].strip(), flush=True)
        self.notifies += 1
        self.ended = self.ended or state.startswith("terminated")

    def notifications(self, seconds, count=0):
        """Answers NOTIFYs (skipping responses) until the final one, or `count` of them when
        `count` is set; False after `seconds` of silence."""
        self.sock.settimeout(seconds)
        try:
            while not self.ended and not (count and self.notifies >= count):
                text = self.receive().decode(errors="replace")
                if not text.startswith("SIP/2.0"):
                    self.notified(text)
            return True
        except socket.timeout:
            return False

    def final(self):
        """The final response to the last request (1xx and retransmissions of earlier answers
        are skipped; a NOTIFY on the way is answered and printed): (code, whole text)."""
        while True:
            text = self.receive().decode(errors="replace")
            if not text.startswith("SIP/2.0"):
                self.notified(text)
                continue
            code = int(text.split(" ", 2)[1])
            cseq = re.search(r"^CSeq:\s*(\d+)", text, re.M | re.I)
            if code >= 200 and cseq and int(cseq.group(1)) == self.cseq:
                return code, text

    def authorization(self, challenge_text, method, uri):
        for m in re.finditer(r"^WWW-Authenticate: (.*)$", challenge_text, re.M | re.I):
            value = m.group(1).strip()
            if "algorithm=%s" % self.args.algorithm in value:
                realm = re.search(r'realm="([^"]*)"', value).group(1)
                nonce = re.search(r'nonce="([^"]*)"', value).group(1)
                break
        else:
            sys.exit("no %s challenge in:\n%s" % (self.args.algorithm, challenge_text))
        a = self.args.algorithm
        ha1 = h(a, "%s:%s:%s" % (self.args.user, realm, self.args.password))
        ha2 = h(a, "%s:%s" % (method, uri))
        cnonce = os.urandom(8).hex()
        response = h(a, "%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cnonce, ha2))
        return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=%s, qop=auth, nc=00000001, cnonce="%s"'
                % (self.args.user, realm, nonce, uri, response, a, cnonce))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["register", "invite", "message", "subscribe"])
    for flag in ("--bind", "--server", "--user", "--password", "--identity"):
        p.add_argument(flag, required=True)
    p.add_argument("--algorithm", default="SHA-256", choices=["SHA-256", "MD5"])
    p.add_argument("--content", default="sintel")
    p.add_argument("--domain", default="p2p.localhost")
    p.add_argument("--expires", default="600")
    p.add_argument("--query", default="", help="search words (message)")
    p.add_argument("--retransmit", action="store_true",
                   help="invite: send the authenticated INVITE and the BYE twice each")
    p.add_argument("--session", default="", help="session id (subscribe)")
    p.add_argument("--event", default="p2pims-progress", help="event package (subscribe)")
    p.add_argument("--unsubscribe-after", type=int, default=0,
                   help="NOTIFYs after which to unsubscribe (subscribe; 0: wait for the final)")
    p.add_argument("--wait", type=float, default=30, help="longest silence between NOTIFYs")
    p.add_argument("--transport", default="udp", choices=["udp", "tls"])
    p.add_argument("--cafile", help="the CA that signed sip-edge's certificate (TLS)")
    args = p.parse_args()
    c = Client(args)
    body = ""
    if args.what == "register":
        uri, to, extra = "sip:%s" % args.domain, args.identity, ["Expires: " + args.expires]
    elif args.what == "subscribe":
        uri = "sip:%s@%s" % (args.session, args.domain)
        to, extra = uri, ["Event: " + args.event, "Expires: " + args.expires,
                          "Accept: application/vnd.p2pims.progress+json"]
    elif args.what == "message":
        uri = "sip:catalogue@%s" % args.domain
        to, extra, body = uri, ["Content-Type: text/plain"], args.query
    else:
        uri = "sip:%s@%s" % (args.content, args.domain)
        to, extra = uri, []
    c.request(args.what.upper(), uri, to, extra, body=body)
    code, text = c.final()
    print(code, flush=True)
    if args.what == "invite" and code >= 300:
        c.request("ACK", uri, to, branch=c.branch,
                  to_tag=re.search(r"^To:.*;tag=([^;\s]+)", text, re.M | re.I).group(1))
    if code == 401:
        c.request(args.what.upper(), uri, to, extra + [c.authorization(text, args.what.upper(), uri)],
                  body=body)
        if args.retransmit:
            c.resend()
        code, text = c.final()
        print(code, flush=True)
    if args.what == "invite":
        to_tag = re.search(r"^To:.*;tag=([^;\s]+)", text, re.M | re.I).group(1)
        c.request("ACK", uri, to, to_tag=to_tag, branch=None if code == 200 else c.branch)
        if code == 200:
            c.request("BYE", uri, to, to_tag=to_tag)
            bye, _ = c.final()
            print(bye, flush=True)
            if args.retransmit:  # answered again from the completed transaction
                c.resend()
                bye, _ = c.final()
                print(bye, flush=True)
    if args.what == "subscribe" and code == 200:
        if not c.notifications(args.wait, args.unsubscribe_after):
            sys.exit("no more NOTIFYs within %s s" % args.wait)
        if not c.ended:
            # Unsubscribe in the subscription's dialog: Expires 0, then the final NOTIFY.
            to_tag = re.search(r"^To:.*;tag=([^;\s]+)", text, re.M | re.I).group(1)
            c.request("SUBSCRIBE", uri, to, ["Event: " + args.event, "Expires: 0"], to_tag=to_tag)
            code, _ = c.final()
            print(code, flush=True)
            if not c.notifications(args.wait):
                sys.exit("no final NOTIFY after unsubscribing")
    if args.what == "message" and code == 200:
        results = c.answer_request()
        print(results.split("\r\n\r\n", 1)[1].strip().replace("\r\n", " | "), flush=True)
    sys.exit(0 if code == 200 else 1)


if __name__ == "__main__":
    main()
