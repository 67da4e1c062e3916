"""The user's ``<thread>`` argument, classified: a lore or patchwork URL, a Message-ID, a file.

Classification is pure (no network); only local paths are checked for existence.
"""

from __future__ import annotations

import enum
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ._errors import InputError

__all__ = ["SourceKind", "ThreadSource", "classify_input", "validate_message_id"]


class SourceKind(enum.Enum):
    LORE_URL = "lore-url"
    """A public-inbox URL (lore.kernel.org or any other public-inbox host)."""
    PATCHWORK_URL = "patchwork-url"
    """A patchwork patch page; only its Message-ID is used."""
    MESSAGE_ID = "message-id"
    """A bare Message-ID, in ``<>`` or with an ``id:`` / ``rfc822msgid:`` prefix."""
    MBOX = "mbox"
    """A local mbox / mboxrd file."""
    EML = "eml"
    """A local file holding one message."""
    MAILDIR = "maildir"
    """A local Maildir directory (``cur/``, ``new/``, ``tmp/``)."""

    @property
    def is_remote(self) -> bool:
        return self in (SourceKind.LORE_URL, SourceKind.PATCHWORK_URL, SourceKind.MESSAGE_ID)


@dataclass(frozen=True, slots=True)
class ThreadSource:
    """Where a thread comes from, as the user named it."""

    kind: SourceKind
    text: str
    """The argument exactly as given (b4's parse_msgid reads the host from URLs)."""
    message_id: str | None = None
    """Without angle brackets; None for local files."""
    path: Path | None = None
    """For local files and Maildirs."""
    server: str | None = None
    """``scheme://host/inbox`` (or just ``scheme://host``) of a public-inbox URL; None for
    other sources (then b4.midmask decides)."""

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path)
        return self.text.strip()


# Message-ID: local@domain, no whitespace, no angle brackets, no second '@' in the domain.
_MSGID_RE = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")
_PATCHWORK_RE = re.compile(r"^/project/([^/]+)/patch/([^/]+)/?", re.I)
_MBOX_SUFFIXES = (".mbox", ".mbx", ".mboxrd", ".mbox.txt")
# An RFC 5322 header field's first line: printable name without ':' then ':' (not "https://").
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:(?:[ \t]|\r?\n)")


def validate_message_id(candidate: str, what: str) -> str:
    """``candidate`` without ``<>``; InputError naming ``what`` when it is not a Message-ID."""
    msgid = candidate.strip()
    if msgid.startswith("<") and msgid.endswith(">"):
        msgid = msgid[1:-1].strip()
    if not msgid:
        raise InputError(f"{what}: empty Message-ID")
    if any(c.isspace() for c in msgid):
        raise InputError(f"{what}: a Message-ID cannot contain spaces")
    if "@" not in msgid:
        raise InputError(f"{what}: a Message-ID needs an '@' (local@domain)")
    if not _MSGID_RE.match(msgid):
        raise InputError(f"{what}: not a Message-ID (expected local@domain without <>)")
    return msgid


def _classify_url(text: str) -> ThreadSource:
    parsed = urllib.parse.urlsplit(text)
    if not parsed.netloc:
        raise InputError(f"{text}: URL has no host")
    # The msgid is a path segment: split the raw path first, then unquote each part, so a
    # percent-encoded '/' inside a Message-ID stays inside it.
    parts = [p for p in parsed.path.split("/") if p]
    pw = _PATCHWORK_RE.match(parsed.path)
    if pw or "patchwork" in parsed.netloc.lower():
        if not pw:
            raise InputError(f"{text}: patchwork URL is not /project/<p>/patch/<msgid>/")
        cand = urllib.parse.unquote(pw.group(2))
        if "@" not in cand:
            raise InputError(f"{text}: patchwork URL names patch {cand}, not a Message-ID")
        return ThreadSource(
            SourceKind.PATCHWORK_URL, text, message_id=validate_message_id(cand, text)
        )

    at = [i for i, p in enumerate(parts) if "@" in urllib.parse.unquote(p)]
    if not at:
        raise InputError(f"{text}: URL has no Message-ID in its path")
    idx = at[0]
    msgid = validate_message_id(urllib.parse.unquote(parts[idx]), text)
    # Whatever follows the msgid (/, /T/, /t/, /raw, /t.mbox.gz, #fragments) names a view of
    # the same thread: the whole thread is fetched either way.
    server = "/".join([f"{parsed.scheme}://{parsed.netloc}", *parts[:idx]])
    return ThreadSource(SourceKind.LORE_URL, text, message_id=msgid, server=server)


def _classify_path(text: str, path: Path) -> ThreadSource:
    if path.is_dir():
        if all((path / sub).is_dir() for sub in ("cur", "new")):
            return ThreadSource(SourceKind.MAILDIR, text, path=path)
        raise InputError(f"{text}: directory is not a Maildir (no cur/ and new/)")
    if not path.is_file():
        raise InputError(f"{text}: not a regular file")
    try:
        with path.open("rb") as f:
            head = f.read(64 * 1024)
    except OSError as exc:
        raise InputError(f"{text}: cannot read: {exc.strerror}") from exc
    if not head.strip():
        raise InputError(f"{text}: file is empty")
    # An mbox has a From_ separator line (possibly after junk lines); a .eml starts with headers.
    # A gzip file is a downloaded t.mbox.gz. A message whose body carries an inline
    # `git format-patch` has a From_-like line too: a file that starts with a header is one
    # message, or its headers and text would be dropped as junk before that line.
    if head.startswith((b"From ", b"\x1f\x8b")) or path.name.endswith(_MBOX_SUFFIXES):
        return ThreadSource(SourceKind.MBOX, text, path=path)
    if b"\nFrom " in head and not _HEADER_LINE.match(head) and not path.name.endswith(".eml"):
        return ThreadSource(SourceKind.MBOX, text, path=path)
    return ThreadSource(SourceKind.EML, text, path=path)


def _looks_like_path(text: str) -> bool:
    return (
        text.startswith(("/", "./", "../", "~"))
        or text.endswith((*_MBOX_SUFFIXES, ".eml", ".mbox.gz"))
        or ("@" not in text and "/" in text)
    )


def classify_input(text: str) -> ThreadSource:
    """What ``text`` names. InputError (one line, naming the input) when it names nothing usable."""
    arg = text.strip()
    if not arg:
        raise InputError("<thread>: empty argument")
    if re.match(r"^https?://", arg, re.I):
        return _classify_url(arg)
    if re.match(r"^[a-z][a-z0-9+.-]*://", arg, re.I):
        raise InputError(f"{arg}: only http(s) URLs are supported")

    path = Path(arg).expanduser()
    if path.exists():
        return _classify_path(arg, path)
    if _looks_like_path(arg):
        raise InputError(f"{arg}: no such file or directory")

    cand = re.sub(r"^(?:rfc822msgid|id):", "", arg, flags=re.I)
    return ThreadSource(SourceKind.MESSAGE_ID, arg, message_id=validate_message_id(cand, arg))
