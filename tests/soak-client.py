#!/usr/bin/env python3
"""soak-client.py - the load of tests/soak.sh: CLIENTS threads for SECONDS,
each with one SMTP connection to Exim and one LMTP connection to Dovecot
(kept open, so that the same reception and lmtp processes handle many
messages and a leak would show in their memory), sending a mix of

  dsn-exim     a distinct RFC 3464 report to Exim (one new hard bounce)
  dsn-dovecot  a distinct report into the monitored mailbox (LMTP)
  dup          a report sent before, again, to Exim or to Dovecot
               (the ledger must count it once)
  notice       an out-of-band gateway notice (the Mimecast-style fixture
               with a new recipient) into the monitored mailbox
  plain-exim   ordinary mail to Exim
  plain-dovecot ordinary mail into the monitored mailbox

and writes a JSON summary: what was sent and accepted per kind and per
server, and the bounce recipients the ledger must hold exactly once.

usage: soak-client.py EXIM_PORT LMTP_PORT SECONDS CLIENTS NOTICE_FIXTURE OUT
"""
import json
import random
import smtplib
import sys
import threading
import time

exim_port, lmtp_port = int(sys.argv[1]), int(sys.argv[2])
seconds, clients = float(sys.argv[3]), int(sys.argv[4])
notice_fixture = open(sys.argv[5], encoding="utf-8").read()
out_path = sys.argv[6]

# Weights of the kinds: mostly ordinary mail, as on a real server.
KINDS = [("dsn-exim", 3), ("dsn-dovecot", 2), ("dup", 1), ("notice", 2),
         ("plain-exim", 4), ("plain-dovecot", 2)]

lock = threading.Lock()
stats = {"sent": {}, "accepted": {}, "errors": {}, "to_exim": 0,
         "to_dovecot": 0, "reconnects": 0}
expected = set()        # bounce recipients that must be recorded once
sent_dsns = []          # (id, text) of reports sent, for duplicates


def count(table, kind):
    table[kind] = table.get(kind, 0) + 1


def dsn(ident, rcpt):
    return f"""X-Soak-Id: {ident}
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: news@rebound.test
Subject: Delivery Status Notification (Failure)
Message-ID: <{ident}@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b-{ident}"

--b-{ident}
Content-Type: text/plain

Delivery to {rcpt} failed.

--b-{ident}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--b-{ident}
Content-Type: text/rfc822-headers

From: News <news@rebound.test>
To: {rcpt}
Subject: a letter
Message-ID: <sent.{ident}@rebound.test>

--b-{ident}--
"""


def plain(ident):
    body = "".join(f"line {i} of an ordinary message\n" for i in range(40))
    return (f"X-Soak-Id: {ident}\nFrom: <alice@example.com>\n"
            f"To: <bob@rebound.test>\nSubject: soak {ident}\n"
            f"Message-ID: <{ident}@example.com>\n\n{body}")


def notice(ident, rcpt):
    text = notice_fixture.replace("carol.ng@partner.example", rcpt)
    text = text.replace("<gwn-20240611091238-4411@", f"<{ident}@")
    return f"X-Soak-Id: {ident}\n" + text


class Conn:
    """One kept-open connection; reconnects after an error."""

    def __init__(self, lmtp):
        self.lmtp = lmtp
        self.c = None

    def send(self, sender, rcpt, text):
        for attempt in (1, 2):
            try:
                if self.c is None:
                    if self.lmtp:
                        self.c = smtplib.LMTP("127.0.0.1", lmtp_port, timeout=120)
                        self.c.ehlo("soak.example")
                    else:
                        self.c = smtplib.SMTP("127.0.0.1", exim_port, timeout=120)
                        self.c.ehlo("soak.example")
                self.c.sendmail(sender, [rcpt], text.encode("utf-8"))
                return True
            except (smtplib.SMTPServerDisconnected, ConnectionError, OSError):
                # Exim closes a connection after 1000 messages; the
                # message was not taken then, so send it again.
                self.close()
                with lock:
                    stats["reconnects"] += 1
                if attempt == 2:
                    return False
            except smtplib.SMTPException:
                self.close()
                return False
        return False

    def close(self):
        if self.c is not None:
            try:
                self.c.quit()
            except Exception:
                pass
        self.c = None


def client(n, deadline):
    rnd = random.Random(n)
    exim, lmtp = Conn(False), Conn(True)
    kinds = [k for k, w in KINDS for _ in range(w)]
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        kind = rnd.choice(kinds)
        ident = f"soak-{n}-{seq}"
        if kind == "dup":
            with lock:
                prev = rnd.choice(sent_dsns) if sent_dsns else None
            if prev is None:
                continue
            text = prev
            to_exim = rnd.random() < 0.5
        elif kind in ("dsn-exim", "dsn-dovecot"):
            rcpt = f"gone-{n}-{seq}@example.net"
            text = dsn(ident, rcpt)
            to_exim = kind == "dsn-exim"
        elif kind == "notice":
            rcpt = f"oob-{n}-{seq}@partner.example"
            text = notice(ident, rcpt)
            to_exim = False
        else:
            text = plain(ident)
            to_exim = kind == "plain-exim"
        with lock:
            count(stats["sent"], kind)
        if to_exim:
            sender = "" if kind.startswith("dsn") or kind == "dup" else "alice@example.com"
            ok = exim.send(sender, "news@rebound.test", text)
        else:
            ok = lmtp.send("", "testuser+Bounces@rebound.test", text)
        with lock:
            if ok:
                count(stats["accepted"], kind)
                stats["to_exim" if to_exim else "to_dovecot"] += 1
                if kind in ("dsn-exim", "dsn-dovecot", "notice"):
                    expected.add(rcpt)
                if kind in ("dsn-exim", "dsn-dovecot"):
                    # A duplicate: the same report (one X-Soak-Id line).
                    sent_dsns.append("X-Soak-Dup: yes\n" + text)
            else:
                count(stats["errors"], kind)
    exim.close()
    lmtp.close()


def main():
    deadline = time.monotonic() + seconds
    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(n, deadline))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats["seconds"] = round(time.monotonic() - t0, 1)
    stats["expected"] = sorted(expected)
    with open(out_path, "w") as f:
        json.dump(stats, f)


main()
