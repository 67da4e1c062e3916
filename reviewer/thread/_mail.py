"""One raw message -> its header fields and decoded text/plain body.

Parsing is deliberately forgiving: mailing-list archives hold broken dates, unknown charsets
and missing Message-IDs, and one bad header must not lose the whole thread. Whatever had to be
guessed is recorded (``date_source``, synthetic ``@synthetic.reviewer.invalid`` ids).
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.message
import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .._errors import MailError
from .._mbox import synthetic_message_id
from ..model import Address
from ._html import html_to_text

__all__ = ["ParsedMail", "parse_mail", "unescape_mboxrd"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_PATCH_TYPES = frozenset({"text/x-patch", "text/x-diff", "application/x-patch", "application/x-diff"})
_PATCH_NAME = re.compile(r"\.(?:patch|diff)$", re.IGNORECASE)

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
# An mbox ``From_`` separator line: ``From sender Thu Jan  1 00:00:00 1970``.
_FROM_LINE_RE = re.compile(rb"^From \S+ +(.+?)\s*$")
# mboxrd escapes every body line matching ``^>*From `` with one more ``>``.
_MBOXRD_RE = re.compile(r"^>(>*From )", re.MULTILINE)
# git format-patch's first line, escaped by an mbox writer: never a real quote, always undone.
_ESCAPED_PSEUDO_HEADER_RE = re.compile(
    r"^>(From [0-9a-f]{40} Mon Sep 17 00:00:00 2001)$", re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """The header fields and body of one message, before it is placed in a thread."""

    message_id: str
    subject: str
    author: Address
    date: datetime
    date_source: str
    body: str
    in_reply_to: str | None
    references: tuple[str, ...]
    raw: bytes = field(repr=False)


def unescape_mboxrd(body: str) -> str:
    """Undo mboxrd ``>From`` escaping: drop one ``>`` from every line matching ``^>+From ``."""
    return _MBOXRD_RE.sub(r"\1", body)


def _to_text(value: object) -> str:
    """A header value as str; non-ASCII raw bytes (surrogate-escaped by the parser) as UTF-8/latin-1."""
    if isinstance(value, email.header.Header):
        # compat32 wraps raw 8-bit header bytes as charset "unknown-8bit".
        return "".join(
            _decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
            for chunk, charset in email.header.decode_header(value)
        )
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogateescape")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text


def decode_header(value: object) -> str:
    """RFC 2047-decode a header and unfold it onto one line."""
    if value is None:
        return ""
    text = _to_text(value)
    try:
        parts = email.header.decode_header(text)
        try:
            text = str(email.header.make_header(parts))
        except (LookupError, UnicodeDecodeError):
            text = "".join(
                _decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
                for chunk, charset in parts
            )
    except email.errors.HeaderParseError:
        pass
    return re.sub(r"\s*\r?\n\s*", " ", text).strip()


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Declared charset, then UTF-8, then latin-1 (which cannot fail)."""
    if charset and charset.lower() not in ("unknown-8bit", "x-unknown"):
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _ids(value: str) -> list[str]:
    return _MSGID_RE.findall(value)


def _message_id(msg: email.message.Message, raw: bytes) -> str:
    found = _ids(decode_header(msg.get("Message-ID")))
    if found:
        return found[0]
    bare = decode_header(msg.get("Message-ID")).strip()
    if bare and " " not in bare:
        return bare
    return synthetic_message_id(raw)


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _date(msg: email.message.Message, raw: bytes) -> tuple[datetime, str]:
    parsed = _parse_date(decode_header(msg.get("Date")))
    if parsed is not None:
        return parsed, "header"
    # The bottom Received header is the first hop: the closest to when the mail was sent.
    for received in reversed(msg.get_all("Received") or []):
        stamp = decode_header(received).rpartition(";")[2].strip()
        parsed = _parse_date(stamp)
        if parsed is not None:
            return parsed, "received"
    first_line = raw.split(b"\n", 1)[0]
    m = _FROM_LINE_RE.match(first_line)
    if m:
        parsed = _parse_date(m.group(1).decode("latin-1"))
        if parsed is not None and parsed != EPOCH:
            return parsed, "from-line"
    return EPOCH, "epoch"


def _author(msg: email.message.Message) -> Address:
    name, addr = email.utils.parseaddr(decode_header(msg.get("From")))
    if not addr and not name:
        return Address("", "unknown@reviewer.invalid")
    return Address(name.strip().strip('"'), addr.strip())


def _text_part(msg: email.message.Message) -> email.message.Message | None:
    """The first text/plain part; a single-part message of any text type but HTML is its own."""
    if not msg.is_multipart():
        ctype = msg.get_content_type()
        return msg if ctype.startswith("text/") and ctype != "text/html" else None
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() == "text/plain" and part.get_content_disposition() != "attachment":
            return part
    return None


def _filename(part: email.message.Message) -> str:
    try:
        return part.get_filename() or ""
    except (LookupError, UnicodeError, email.errors.MessageError):
        return ""


def _is_patch_attachment(part: email.message.Message) -> bool:
    """A part holding a patch: ``text/x-patch`` and kin, or a text/octet file named ``*.patch``."""
    ctype = part.get_content_type()
    if ctype in _PATCH_TYPES:
        return True
    named = _PATCH_NAME.search(_filename(part)) is not None
    return named and (ctype.startswith("text/") or ctype == "application/octet-stream")


def _decoded(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = _decode_bytes(payload, part.get_content_charset())
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _body(msg: email.message.Message) -> str:
    """The text a reader sees: the first text/plain part (else the HTML one, as text), then every
    patch attachment, as b4 reads ``text/x-patch`` parts."""
    part = _text_part(msg)
    if part is not None:
        text = _decoded(part)
    else:
        html = next((p for p in msg.walk() if p.get_content_type() == "text/html"), None)
        text = html_to_text(_decoded(html)) if html is not None else ""
    patches = [_decoded(p) for p in msg.walk()
               if p is not part and not p.is_multipart() and _is_patch_attachment(p)]
    for patch in patches:
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text else "") + patch
    return text


def parse_mail(raw: bytes, *, mboxrd: bool = False) -> ParsedMail:
    """Parse one message; ``mboxrd`` undoes ``>From`` escaping in the body.

    ``reviewer._mbox.split_mbox`` already unescapes, so by default only an escaped
    ``git format-patch`` first line (``>From <sha> Mon Sep 17 ...``) is undone: it is
    unambiguous, and an inline patch must start with it.

    Raises MailError when the bytes hold no headers at all.
    """
    if not isinstance(raw, bytes | bytearray):
        raise MailError(f"message: expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    msg = email.message_from_bytes(raw)
    if not msg.keys():
        head = raw[:40].decode("latin-1", "replace")
        raise MailError(f"message starting {head!r}: no mail headers found")
    body = _body(msg)
    body = unescape_mboxrd(body) if mboxrd else _ESCAPED_PSEUDO_HEADER_RE.sub(r"\1", body)
    in_reply_to = _ids(decode_header(msg.get("In-Reply-To")))
    references = tuple(_ids(" ".join(decode_header(r) for r in msg.get_all("References") or [])))
    date, date_source = _date(msg, raw)
    return ParsedMail(
        message_id=_message_id(msg, raw),
        subject=decode_header(msg.get("Subject")),
        author=_author(msg),
        date=date,
        date_source=date_source,
        body=body,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        raw=raw,
    )
