#!/usr/bin/env python3
"""dovecot-imap.py - the IMAP client of tests/test-dovecot-plugin.sh.

usage: dovecot-imap.py PORT USER COMMAND ARGS...
  append MAILBOX FILE          APPEND the file (LF or CRLF)
  multiappend MAILBOX FILE     MULTIAPPEND the file plus a second message
                               with an invalid flag: the server must
                               refuse both (exit 0 when it did)
  copy SRC DST MESSAGE-ID      COPY the message with that Message-ID
  move SRC DST MESSAGE-ID      MOVE it
  flags MAILBOX MESSAGE-ID     print the message's flags
  has MAILBOX MESSAGE-ID       exit 0 when the message is there, 1 if not
  create MAILBOX               create the mailbox (no error if it exists)
Password "secret" (the test passdb).  Exit 2 on any unexpected answer.
"""
import imaplib
import re
import sys

imaplib.Commands.setdefault('MOVE', ('SELECTED',))


def crlf(data):
    return re.sub(rb'\r?\n', b'\r\n', data)


def die(msg):
    sys.stderr.write('dovecot-imap: %s\n' % msg)
    sys.exit(2)


def check(typ, data, what):
    if typ != 'OK':
        die('%s: %s %r' % (what, typ, data))
    return data


def find(imap, mailbox, msgid):
    """UIDs of the messages in mailbox whose Message-ID is msgid."""
    check(*imap.select(mailbox), what='SELECT ' + mailbox)
    data = check(*imap.uid('SEARCH', 'HEADER', 'Message-ID', msgid),
                 what='SEARCH')
    return data[0].split() if data and data[0] else []


def multiappend(imap, mailbox, msg):
    """Two messages in one APPEND (RFC 3502); the second carries a flag
    that is not a valid system flag, so the whole command must fail and
    the first message must not stay.  Synchronising literals, sent by
    hand (imaplib cannot send a command with two literals): the server
    refuses at the bad flag, before it asks for the second literal."""
    bad = crlf(b'Subject: second\n\nsecond message\n')
    tag = b'M1'
    parts = [tag + b' APPEND "' + mailbox.encode() + b'" (\\Seen) {%d}\r\n'
             % len(msg),
             msg + b' (\\NoSuchSystemFlag) {%d}\r\n' % len(bad),
             bad + b'\r\n']
    imap.send(parts.pop(0))
    while True:
        line = imap.readline()
        if not line:
            die('connection closed during MULTIAPPEND')
        if line.startswith(b'+'):
            if not parts:
                die('MULTIAPPEND: unexpected continuation')
            imap.send(parts.pop(0))
        elif line.startswith(tag + b' '):
            return line[len(tag) + 1:].split(b' ', 1)[0]


def main(argv):
    if len(argv) < 4:
        die(__doc__)
    port, user, cmd, args = int(argv[1]), argv[2], argv[3], argv[4:]
    imap = imaplib.IMAP4('127.0.0.1', port)
    check(*imap.login(user, 'secret'), what='LOGIN')
    status = 0
    if cmd == 'append':
        with open(args[1], 'rb') as f:
            msg = crlf(f.read())
        check(*imap.append(args[0], None, None, msg), what='APPEND')
    elif cmd == 'multiappend':
        with open(args[1], 'rb') as f:
            msg = crlf(f.read())
        answer = multiappend(imap, args[0], msg)
        print('MULTIAPPEND answered %s' % answer.decode())
        status = 0 if answer in (b'NO', b'BAD') else 1
    elif cmd in ('copy', 'move'):
        uids = find(imap, args[0], args[2])
        if not uids:
            die('%s: no message %s in %s' % (cmd, args[2], args[0]))
        check(*imap.uid(cmd.upper(), b','.join(uids).decode(), args[1]),
              what=cmd.upper())
    elif cmd == 'flags':
        uids = find(imap, args[0], args[1])
        if not uids:
            die('flags: no message %s in %s' % (args[1], args[0]))
        data = check(*imap.uid('FETCH', uids[0].decode(), '(FLAGS)'),
                     what='FETCH')
        m = re.search(rb'FLAGS \(([^)]*)\)', data[0])
        print(m.group(1).decode() if m else '')
    elif cmd == 'has':
        status = 0 if find(imap, args[0], args[1]) else 1
    elif cmd == 'create':
        imap.create(args[0])
    else:
        die('unknown command ' + cmd)
    imap.logout()
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv))
