"""corpus_probe.py - the message-changing and corpus-reading code shared by
the corpus measures (tests/corpus-variants.py, tests/corpus-probes.py).

A bounce that reaches us may have passed through other hands: a list
manager that added its headers, a relay that re-encoded the text or
re-folded the headers, a gateway that dropped a part.  The functions here
write such a copy of a message.  They work on the raw bytes and change
only what they say they change: a header block, a text part's body.  The
structure of a message is read with the standard library's parser but
never written by it (its generator re-folds headers on its own).

Standard library only; imported by the scripts beside it.
"""
import base64
import binascii
import collections
import csv
import email
import email.parser
import email.policy
import email.utils
import json
import os
import quopri
import re
import subprocess

# ---------------------------------------------------------------------------
# The corpus

# The development sets: file list and truth, relative to the corpus folder.
SETS = collections.OrderedDict([
    ("dev", ("dev.txt", "truth.tsv")),
    ("extra", ("extra.txt", os.path.join("extra", "truth.tsv"))),
])


def default_corpus(here):
    """../shared/corpus beside the source tree, or $REBOUND_CORPUS."""
    return os.environ.get("REBOUND_CORPUS",
                          os.path.join(here, "..", "..", "shared", "corpus"))


def read_list(corpus, list_name):
    """The file ids of a set's list (comments and blank lines skipped)."""
    with open(os.path.join(corpus, list_name)) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith("#")]


def read_truth(path):
    """Rows of a truth file, as dicts keyed by its header."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def classify(rebound, paths, cwd=None):
    """Run "rebound classify --json" on paths; {path: [result, ...]}.

    An mbox file gives results named FILE#1, FILE#2, ...: they are kept
    under FILE, each with its "part" ("" for a single message)."""
    results = collections.defaultdict(list)
    if not paths:
        return results
    out = subprocess.run([rebound, "classify", "--json"] + list(paths),
                         capture_output=True, text=True, cwd=cwd)
    known = set(paths)
    for line in out.stdout.splitlines():
        obj = json.loads(line)
        name, part = obj["file"], ""
        if name not in known and "#" in name:
            name, _, part = name.rpartition("#")
        obj["part"] = part
        results[name].append(obj)
    return results


# ---------------------------------------------------------------------------
# Removing parts (tests/corpus-variants.py); these rewrite through the
# standard library's generator, as they always have.

DROPS = {
    "status": {"message/delivery-status"},
    "original": {"message/rfc822", "text/rfc822-headers"},
    "text": {"text/plain", "text/html"},
}


def without_parts(msg, types):
    """Remove parts of these types from every multipart; True if any."""
    if msg.get_content_maintype() != "multipart":
        return False
    parts = msg.get_payload()
    if isinstance(parts, str):
        return False
    kept, removed = [], False
    for part in parts:
        if part.get_content_type() in types:
            removed = True
            continue
        removed = without_parts(part, types) or removed
        kept.append(part)
    msg.set_payload(kept)
    return removed


def unreport(msg):
    """A report without its status part is a plain multipart."""
    if msg.get_content_type() != "multipart/report":
        return
    ct = str(msg["Content-Type"])
    ct = re.sub(r"multipart/report", "multipart/mixed", ct, flags=re.I)
    ct = re.sub(r'report-type="?[\w-]+"?;?', "", ct, flags=re.I)
    msg.replace_header("Content-Type", ct)


# ---------------------------------------------------------------------------
# Reading a message's structure without rewriting it

EntityInfo = collections.namedtuple("EntityInfo", "ctype boundary cte top")

# The notice's own text: the parts a reader takes sentences from.
TEXT_TYPES = ("text/plain", "text/html")


def split_entity(data):
    """(header block, blank line, body) of a message or MIME part."""
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            break
        if data[pos:end + 1] in (b"\n", b"\r\n"):
            return data[:pos], data[pos:end + 1], data[end + 1:]
        pos = end + 1
    return data, b"", b""


def header_fields(head):
    """The fields of a header block, each with its folded lines."""
    fields = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def field_name(field):
    return field.split(b":", 1)[0].strip().lower()


def line_end(data):
    """The line ending a block of text uses (LF when it has none)."""
    return b"\r\n" if data.endswith(b"\r\n") else b"\n"


def entity_info(head, top):
    """Content type, multipart boundary and transfer encoding of a head."""
    msg = email.parser.BytesHeaderParser(
        policy=email.policy.compat32).parsebytes(head + b"\n")
    boundary = msg.get_param("boundary")
    if boundary is not None:
        boundary = email.utils.collapse_rfc2231_value(boundary)
        boundary = boundary.encode("ascii", "surrogateescape")
    cte = str(msg.get("Content-Transfer-Encoding") or "").strip().lower()
    return EntityInfo(msg.get_content_type(), boundary, cte, top)


def map_multipart(body, boundary, edit_part):
    """Apply edit_part to the bytes of each part between the delimiters;
    the preamble, the delimiter lines and the epilogue stay as they are."""
    delimiter = b"--" + boundary
    out, chunk, in_part, closed = [], [], False, False
    for line in body.splitlines(keepends=True):
        bare = line.rstrip()
        if not closed and bare in (delimiter, delimiter + b"--"):
            joined = b"".join(chunk)
            out.append(edit_part(joined) if in_part else joined)
            out.append(line)
            chunk, in_part = [], bare == delimiter
            closed = not in_part
            continue
        chunk.append(line)
    joined = b"".join(chunk)
    out.append(edit_part(joined) if in_part else joined)
    return b"".join(out)


def map_entities(data, edit, top=True):
    """Call edit(head, body, info) on the message and every MIME part of
    it; edit returns the new (head, body).  A multipart's parts are done
    before it.  A message/rfc822 part (the returned original) is not
    entered: it is the sender's message, not the notice."""
    head, blank, body = split_entity(data)
    info = entity_info(head, top)
    if info.ctype.startswith("multipart/") and info.boundary and blank:
        body = map_multipart(body, info.boundary,
                             lambda part: map_entities(part, edit, False))
    head, body = edit(head, body, info)
    return head + blank + body


def split_mbox(data):
    """[(From_ line, message)]: one pair per message of an mbox file, or
    one pair with an empty From_ line for a single message."""
    if not data.startswith(b"From "):
        return [(b"", data)]
    messages = []
    for piece in re.split(rb"(?:(?<=\n\n)|(?<=\n\r\n))(?=From )", data):
        from_line, _, rest = piece.partition(b"\n")
        messages.append((from_line + b"\n", rest))
    return messages


def per_message(data, change):
    """Apply change (bytes -> bytes) to every message of a file, in the
    LF form when every line of the file ends in CRLF (and back after).
    None when nothing changed."""
    crlf = b"\r\n" in data and data.count(b"\r\n") == data.count(b"\n")
    text = data.replace(b"\r\n", b"\n") if crlf else data
    out = b"".join(from_line + change(message)
                   for from_line, message in split_mbox(text))
    if crlf:
        out = out.replace(b"\n", b"\r\n")
    return None if out == data else out


# ---------------------------------------------------------------------------
# Header blocks

def set_field(head, name, value):
    """Replace the field name (all of its copies) or add it at the end."""
    eol = line_end(head)
    new = name.encode() + b": " + value.encode() + eol
    fields, done = [], False
    for field in header_fields(head):
        if field_name(field) == name.lower().encode():
            if not done:
                fields.append(new)
                done = True
            continue
        fields.append(field)
    if not done:
        if fields and not fields[-1].endswith(b"\n"):
            fields[-1] += eol
        fields.append(new)
    return b"".join(fields)


# What a list manager adds to a message it passes on (GNU Mailman 2's
# CookHeaders: List-* replaced, Precedence added only when there is none).
LIST_HEADERS = [
    ("List-Id", "Probe list <probe.lists.example.org>"),
    ("List-Unsubscribe", "<mailto:probe-leave@lists.example.org>, "
                         "<https://lists.example.org/leave/probe>"),
]


def add_list_headers(message):
    """The message as a list manager or an owner alias passes it on."""
    head, blank, body = split_entity(message)
    for name, value in LIST_HEADERS:
        head = set_field(head, name, value)
    if not any(field_name(f) == b"precedence" for f in header_fields(head)):
        head = set_field(head, "Precedence", "list")
    return head + blank + body


def unfold(field):
    """A field as one line (folds removed, the line end dropped)."""
    return re.sub(rb"\r?\n(?=[ \t])", b"", field.rstrip(b"\r\n"))


def fold_line(line, width):
    """Fold one header line before white space so that each line is at
    most width long where the words allow it (a longer word stays)."""
    colon = line.find(b":")
    lines = []
    while len(line) > width:
        low = colon + 2 if not lines and colon >= 0 else 1
        cut = max(line.rfind(b" ", low, width + 1),
                  line.rfind(b"\t", low, width + 1))
        if cut < low:
            later = re.search(rb"[ \t]", line[width + 1:])
            if later is None:
                break
            cut = width + 1 + later.start()
        if not line[:cut].strip() or not line[cut:].strip():
            break
        lines.append(line[:cut])
        line = line[cut:]
    lines.append(line)
    return lines


def refold_head(head, width=76):
    """Re-fold at width every field that has a line longer than width."""
    out = []
    for field in header_fields(head):
        lines = field.splitlines()
        if max(len(line) for line in lines) <= width:
            out.append(field)
            continue
        eol = line_end(field)
        out.append(eol.join(fold_line(unfold(field), width)) + eol)
    return b"".join(out)


def refold_headers(message, width=76):
    """The message with the long header lines of the notice and of its
    MIME parts re-folded at width, as a relay that rewrites them does."""
    return map_entities(message,
                        lambda head, body, info: (refold_head(head, width),
                                                  body))


# ---------------------------------------------------------------------------
# Text bodies

def decode_body(body, cte):
    """The decoded bytes of a body, or None when its encoding is unknown
    or broken (such a part is left alone)."""
    if cte == "base64":
        try:
            return binascii.a2b_base64(body)
        except binascii.Error:
            return None
    if cte == "quoted-printable":
        return quopri.decodestring(body)
    if cte in ("", "7bit", "8bit", "binary"):
        return body
    return None


def encode_body(text, cte):
    """Text (LF line ends) in a transfer encoding, ending in a line end."""
    if cte == "base64":
        # Base64 carries text in its canonical CRLF form (RFC 2045 6.8).
        return base64.encodebytes(text.replace(b"\n", b"\r\n"))
    if cte == "quoted-printable":
        out = quopri.encodestring(text)
        # A soft line break ends a last line that had no line end.
        return out if out.endswith(b"\n") or not out else out + b"=\n"
    return text


def reencode_text(message, cte):
    """The message with the text parts of the notice (text/plain and
    text/html outside the returned original) in the transfer encoding cte
    ("quoted-printable" or "base64")."""
    def edit(head, body, info):
        if info.ctype not in TEXT_TYPES or info.cte == cte:
            return head, body
        text = decode_body(body, info.cte)
        if text is None:
            return head, body
        head = set_field(head, "Content-Transfer-Encoding", cte)
        if info.top and not any(field_name(f) == b"mime-version"
                                for f in header_fields(head)):
            head = set_field(head, "MIME-Version", "1.0")
        return head, encode_body(text.replace(b"\r\n", b"\n"), cte)
    return map_entities(message, edit)


def to_crlf(data):
    """Every line ending CRLF; None when they all were."""
    out = re.sub(rb"\r?\n", b"\r\n", data)
    return None if out == data else out


# ---------------------------------------------------------------------------
# The notice's own sentences and the server's lines (the "neutral" probe)
#
# A line of the notice's text is the remote server's (kept) when it has
#   - an SMTP reply code: 2xx/4xx/5xx standing alone ("550 ", "550-",
#     "smtp;550", "<<< 550"), or an RFC 3463 status ("5.1.1", not part of
#     an IP address);
#   - "said:" (Postfix's and qmail's "host ... said: 550 ...");
#   - an SMTP command or stage of the dialogue ("RCPT TO", "MAIL FROM",
#     "DATA", "end of data", "after initial connection", ">>> "/"<<< "
#     transcript lines): the server's answer is to something;
#   - a recipient's address (the recipient lines, "RCPT TO:<...>");
#   - the form of a field ("Diagnostic-Code: ...", "Status: ...", quoted
#     report fields, the returned copy's headers, "key": of JSON);
#   - or it is indented right after a line kept for a code, "said:", a
#     command, or a recipient followed by ":" ("<a@b>: host ... said:",
#     "a@b: 550 ..."): a reply the notice wrapped onto its next lines.
# Divider lines (three or more of - = * _ in a row, as in "------ This is
# a copy of the message ------") stay too: they frame the transcript and
# the returned copy, which the reader must still find; so do lines
# without a letter ("{", "}" of a JSON notice, "[506]").  From the first
# field line right after a blank line or a divider on (the returned
# copy's headers, or quoted report fields), the rest of the part stays
# as it is: it is not the notice's text.  Blank lines stay.  Every other
# line becomes "Notice." (its indentation kept).  In HTML the text
# between the tags is replaced and the tags stay; a line with a tag that
# goes on to the next line is left as it is.

REPLY_CODE_RE = re.compile(rb"(?:^|(?<=[\s:;(<\[>\"'=#]))[245][0-5]\d"
                           rb"(?=[\s\-.,;:)\]\"']|$)")
STATUS_RE = re.compile(rb"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)")
SAID_RE = re.compile(rb"\bsaid:", re.I)
STAGE_RE = re.compile(rb"\b(?:mail from|rcpt to|end of data)\b|"
                      rb"\bafter (?:initial connection|data|rcpt|mail)\b|"
                      rb"^\s*(?:>>>|<<<)", re.I)
COMMAND_RE = re.compile(rb"\b(?:DATA|RCPT|EHLO|HELO|LHLO)\b")
FIELD_RE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]+\S|\"[\w-]+\"\s*:")
DIVIDER_RE = re.compile(rb"[-=*_]{3}")
LETTER_RE = re.compile(rb"[A-Za-z\x80-\xff]")
TAG_RE = re.compile(rb"(<[^<>]*>)")
NEUTRAL = b"Notice."


def states_reply(text):
    """Does this text carry a server's reply code or status code?"""
    return bool(REPLY_CODE_RE.search(text) or STATUS_RE.search(text))


def names_recipient(lower, recipients):
    """None, "named", or "reply" when the address is followed by ":"."""
    found = None
    for r in recipients:
        at = lower.find(r)
        while at >= 0:
            found = "named"
            rest = lower[at + len(r):]
            if re.match(rb">?\s*(?:\([^)]*\)\s*)?:", rest):
                return "reply"
            at = lower.find(r, at + 1)
    return found


def server_line(text, recipients):
    """Why a line stays: "reply" (its indented next lines stay too),
    "kept", or None (the notice's own words)."""
    if (states_reply(text) or SAID_RE.search(text) or STAGE_RE.search(text)
            or COMMAND_RE.search(text)):
        return "reply"
    named = names_recipient(text.lower(), recipients)
    if named == "reply":
        return "reply"
    if (named or FIELD_RE.search(text) or DIVIDER_RE.search(text)
            or not LETTER_RE.search(text)):
        return "kept"
    return None


def neutral_html(content):
    """An HTML line with its text replaced and its tags kept."""
    if content.count(b"<") != content.count(b">"):
        return content
    pieces = TAG_RE.split(content)
    for i in range(0, len(pieces), 2):
        if pieces[i].strip():
            lead = pieces[i][:len(pieces[i]) - len(pieces[i].lstrip())]
            pieces[i] = lead + NEUTRAL
    return b"".join(pieces)


def neutral_text(text, recipients, html=False):
    """The lines of a text with the notice's own lines made neutral."""
    out, after_reply, after_break = [], False, True
    lines = text.splitlines(keepends=True)
    for n, line in enumerate(lines):
        content = line.rstrip(b"\r\n")
        eol = line[len(content):]
        if not content.strip():
            out.append(line)
            after_reply, after_break = False, True
            continue
        words = TAG_RE.sub(b" ", content) if html else content
        if after_break and FIELD_RE.match(words):
            out.extend(lines[n:])   # the returned copy or quoted fields
            break
        after_break = bool(DIVIDER_RE.search(words))
        why = server_line(words, recipients)
        if why is None and after_reply and content[:1] in (b" ", b"\t"):
            why = "reply"
        after_reply = why == "reply"
        if why is None:
            if html:
                content = neutral_html(content)
            else:
                stripped = content.lstrip()
                content = content[:len(content) - len(stripped)] + NEUTRAL
        out.append(content + eol)
    return b"".join(out)


def neutralise(message, recipients):
    """The message with the sentences of the notice's text parts replaced
    by "Notice." and the server's lines (above) kept; recipients are the
    lower-case addresses whose lines stay."""
    recipients = [r.lower().encode("utf-8", "surrogateescape")
                  for r in recipients if r]

    def edit(head, body, info):
        if info.ctype not in TEXT_TYPES:
            return head, body
        text = decode_body(body, info.cte)
        if text is None:
            return head, body
        new = neutral_text(text, recipients, info.ctype == "text/html")
        if new == text:
            return head, body
        if info.cte in ("base64", "quoted-printable"):
            new = encode_body(new.replace(b"\r\n", b"\n"), info.cte)
        return head, new
    return map_entities(message, edit)
