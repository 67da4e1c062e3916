"""Raw mail plumbing: split and write mboxrd, read Maildir and .eml, name and dedupe messages.

Everything here works on ``bytes`` as received. Decoding a message into the thread model is
another stage's job (``reviewer/thread/``); the few decoded views here (headers, text body)
serve the retrieval and other-versions stages.
"""

from __future__ import annotations

import email.errors
import email.header
import email.parser
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from pathlib import Path

from ._errors import MailError

__all__ = [
    "SYNTHETIC_MSGID_DOMAIN",
    "MailHeaders",
    "dedupe_messages",
    "ensure_message_id",
    "mail_headers",
    "message_id_of",
    "normalise_line_ends",
    "read_eml",
    "read_file",
    "read_maildir",
    "split_mbox",
    "synthetic_message_id",
    "text_body",
    "write_mboxrd",
]

SYNTHETIC_MSGID_DOMAIN = "synthetic.reviewer.invalid"
"""Domain of the Message-ID given to a message that has none (``.invalid`` never resolves)."""

_FROM_LINE = re.compile(rb"^From \S.*$")
# A separator after the first one also carries the delivery time (``... 00:00:00 1970``), as
# git mailsplit requires: an unescaped prose line ("From the trace above, ...") has none.
_FROM_SEPARATOR = re.compile(rb"^From \S+\s.*\d:\d\d")
_ESCAPED_FROM = re.compile(rb"^>+From ", re.M)
_TO_ESCAPE = re.compile(rb"^(>*From )", re.M)
_MSGID = re.compile(r"<([^<>\s]+)>")
_HEADER_END = re.compile(rb"\n\n")


def normalise_line_ends(raw: bytes) -> bytes:
    """CRLF and lone CR become LF: downstream parsers and ``git am`` then see one shape."""
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def split_mbox(data: bytes, *, mboxrd: bool = True) -> list[bytes]:
    """The messages of an mbox, ``From_`` lines removed and ``>From`` unescaped (mboxrd).

    Lines before the first ``From_`` line (junk a web archive or a copy-paste left) are ignored.
    A file without any ``From_`` line is not an mbox: MailError.
    """
    lines = normalise_line_ends(data).split(b"\n")
    messages: list[bytes] = []
    current: list[bytes] | None = None
    prev_blank = True
    for line in lines:
        # A From_ line separates messages only at the start or after a blank line, as
        # mutt and git mailsplit read it; elsewhere it is body text that escaped escaping.
        if (current is None and _FROM_LINE.match(line)) or (prev_blank and _FROM_SEPARATOR.match(line)):
            if current is not None:
                messages.append(_finish(current, mboxrd))
            current = []
        elif current is not None:
            current.append(line)
        prev_blank = line == b""
    if current is None:
        raise MailError("no 'From ' separator line: not an mbox")
    messages.append(_finish(current, mboxrd))
    return [m for m in messages if m.strip()]


def _finish(lines: list[bytes], mboxrd: bool) -> bytes:
    # The blank line before the next From_ line belongs to the separator, not the body.
    while lines and lines[-1] == b"":
        lines.pop()
    raw = b"\n".join(lines) + b"\n"
    if mboxrd:
        raw = _ESCAPED_FROM.sub(lambda m: m.group(0)[1:], raw)
    return raw


def write_mboxrd(messages: Iterable[bytes]) -> bytes:
    """An mboxrd file of ``messages`` (``From`` lines escaped with one more ``>``)."""
    out: list[bytes] = []
    for raw in messages:
        body = normalise_line_ends(raw)
        if not body.endswith(b"\n"):
            body += b"\n"
        out.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n")
        out.append(_TO_ESCAPE.sub(rb">\1", body))
        out.append(b"\n")
    return b"".join(out)


def read_file(path: Path) -> bytes:
    """The file's bytes as stored; MailError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MailError(f"cannot read {path.name}: {exc.strerror}") from exc


_MAIL_HEADERS = ("from", "subject", "message-id", "date")


def read_eml(path: Path) -> bytes:
    """One message; MailError when the file does not start with mail headers."""
    raw = normalise_line_ends(read_file(path))
    headers = _parse_headers(_header_block(raw))
    if not any(headers.get(name) for name in _MAIL_HEADERS):
        raise MailError("no mail headers (From:, Subject:, Message-ID:, Date:): not an e-mail")
    return raw


def read_maildir(path: Path) -> list[bytes]:
    """Every message in ``cur/`` and ``new/`` of a Maildir, in file-name order (delivery order)."""
    files: list[Path] = []
    for sub in ("cur", "new"):
        folder = path / sub
        if folder.is_dir():
            files.extend(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return [read_eml(p) for p in sorted(files, key=lambda p: p.name)]


def _header_block(raw: bytes) -> bytes:
    m = _HEADER_END.search(raw)
    return raw[: m.start() + 1] if m else raw


def _parse_headers(raw: bytes) -> EmailMessage:
    # compat32 never raises on broken headers; we only read a few of them.
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
        _header_block(normalise_line_ends(raw))
    )


def _decode(value: str | None) -> str:
    if value is None:
        return ""
    try:
        text = str(email.header.make_header(email.header.decode_header(value)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError):
        text = value
    return " ".join(text.split())


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID without angle brackets, or None when the header is missing or empty."""
    value = _parse_headers(raw).get("Message-ID")
    if value is None:
        return None
    m = _MSGID.search(str(value))
    if m:
        return m.group(1)
    bare = str(value).strip()
    return bare if bare and " " not in bare else None


def ensure_message_id(raw: bytes) -> tuple[str, bytes]:
    """The message's id and bytes; a message without one gets a stable synthetic id.

    The synthetic id (:func:`synthetic_message_id`) is added as a ``Message-ID:`` header on
    top, so the same message always gets the same id and every later stage can refer to it.
    """
    msgid = message_id_of(raw)
    if msgid is not None:
        return msgid, raw
    synthetic = synthetic_message_id(raw)
    return synthetic, f"Message-ID: <{synthetic}>\n".encode() + normalise_line_ends(raw)


def synthetic_message_id(raw: bytes) -> str:
    """The stable id (no angle brackets) of a message that has none.

    ``<sha256 of the line-end-normalised bytes, 16 hex>@`` :data:`SYNTHETIC_MSGID_DOMAIN`:
    retrieval and the thread model both call this, so the same id-less message gets the same
    id whichever path it took (and CRLF copies of it too).
    """
    return f"{hashlib.sha256(normalise_line_ends(raw)).hexdigest()[:16]}@{SYNTHETIC_MSGID_DOMAIN}"


@dataclass(frozen=True, slots=True)
class MailHeaders:
    """The few decoded headers the retrieval stages need."""

    message_id: str | None
    subject: str
    from_name: str
    from_email: str
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]


def mail_headers(raw: bytes) -> MailHeaders:
    hdrs = _parse_headers(raw)
    name, addr = email.utils.parseaddr(_decode(hdrs.get("From")))
    date: datetime | None = None
    date_text = hdrs.get("Date")
    if date_text:
        try:
            date = email.utils.parsedate_to_datetime(str(date_text))
        except (TypeError, ValueError, IndexError):
            date = None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
    irt = _MSGID.findall(str(hdrs.get("In-Reply-To") or ""))
    return MailHeaders(
        message_id=message_id_of(raw),
        subject=_decode(hdrs.get("Subject")),
        from_name=name,
        from_email=addr,
        date=date,
        in_reply_to=irt[0] if irt else None,
        references=tuple(_MSGID.findall(str(hdrs.get("References") or ""))),
    )


def text_body(raw: bytes) -> str:
    """The first text/plain part, transfer-decoded and charset-decoded (bad bytes replaced)."""
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(normalise_line_ends(raw))
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() != "text/plain":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace").replace("\r\n", "\n")
        except LookupError:
            return payload.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return ""


def _completeness(raw: bytes) -> tuple[int, int]:
    return len(text_body(raw)), len(raw)


def dedupe_messages(messages: Sequence[bytes]) -> tuple[tuple[str, bytes], ...]:
    """(id, bytes) once per Message-ID, in first-seen order, keeping the most complete copy.

    "Most complete" is the copy with the longest decoded text body, then the most bytes: a
    list archive's copy with a stripped attachment or a truncated body loses to a full one.
    """
    order: list[str] = []
    best: dict[str, bytes] = {}
    for raw in messages:
        msgid, raw = ensure_message_id(normalise_line_ends(raw))
        if msgid not in best:
            order.append(msgid)
            best[msgid] = raw
        elif _completeness(raw) > _completeness(best[msgid]):
            best[msgid] = raw
    return tuple((m, best[m]) for m in order)
