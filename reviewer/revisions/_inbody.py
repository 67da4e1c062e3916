"""The text around a diff: in-body headers, the commit message and its trailers, base hints."""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ..model import Address, Trailer

__all__ = [
    "InBody",
    "PSEUDO_FROM",
    "SCISSORS",
    "explicit_version",
    "find_base_commit",
    "parse_inbody",
    "parse_trailers",
    "strip_subject_prefixes",
]

PSEUDO_FROM = re.compile(r"^>?From ([0-9a-f]{40}) Mon Sep 17 00:00:00 2001$")
"""git format-patch's first line (``>From`` when an mboxrd escape was not undone)."""
SCISSORS = re.compile(r"^\s*(?:-+\s*(?:>8|8<)\s*-*|-*\s*(?:>8|8<)\s*-+)\s*$")
_HEADER = re.compile(r"^(From|Date|Subject):\s?(.*)$")
_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):\s+(\S.*)$")
_BASE_COMMIT = re.compile(r"^base-commit:\s*([0-9a-f]{7,40})\s*$")
_PREFIXES = re.compile(r"^\s*(?:(?:re|fwd?|aw)\s*:\s*|\[[^\]]*\]\s*)+", re.I)
_VERSION = re.compile(r"\[[^\]]*?(?:\b|(?<=PATCH)|(?<=RFC))v(\d+)\b[^\]]*\]", re.I)  # [PATCHv2] too
_PERSON_TRAILERS = ("-by", "cc")


@dataclass(frozen=True, slots=True)
class InBody:
    """In-body ``From:``/``Date:``/``Subject:`` headers and where the commit message starts."""

    author: Address | None
    date: datetime | None
    subject: str | None
    message_start: int
    """0-based body line where the commit message starts."""


def strip_subject_prefixes(subject: str) -> str:
    """``Re: [PATCH v2 1/2] mm: title`` -> ``mm: title``."""
    return _PREFIXES.sub("", " ".join(subject.split())).strip()


def explicit_version(subject: str) -> int | None:
    """The ``vN`` a subject's brackets state, None when they state none."""
    m = _VERSION.search(subject)
    return int(m.group(1)) if m else None


def parse_inbody(lines: list[str], start: int, end: int) -> InBody:
    """Read header lines from ``lines[start]`` (blank lines before them are skipped)."""
    i = start
    while i < end and not lines[i].strip():
        i += 1
    headers: dict[str, str] = {}
    last: str | None = None
    while i < end:
        line = lines[i]
        m = _HEADER.match(line)
        if m:
            last = m.group(1)
            headers[last] = m.group(2).strip()
        elif last is not None and line[:1] in (" ", "\t") and line.strip():
            headers[last] += " " + line.strip()
        else:
            break
        i += 1
    if not headers:
        return InBody(None, None, None, start)
    if i < end and not lines[i].strip():
        i += 1
    author = None
    if "From" in headers:
        name, addr = email.utils.parseaddr(headers["From"])
        author = Address(name, addr) if addr else None
    date = None
    if "Date" in headers:
        try:
            date = email.utils.parsedate_to_datetime(headers["Date"])
        except (TypeError, ValueError, IndexError):
            date = None
        if date is not None and date.tzinfo is None:
            # "-0000" or no zone parses naive; every other date in the model is aware (UTC).
            date = date.replace(tzinfo=UTC)
    return InBody(author, date, headers.get("Subject"), i)


def _canonical(name: str) -> str:
    return name[:1].upper() + name[1:].lower()


def parse_trailers(lines: list[str], start: int, end: int) -> tuple[Trailer, ...]:
    """The trailers of a commit message spanning ``lines[start:end]``: its last paragraph."""
    stop = end
    while stop > start and not lines[stop - 1].strip():
        stop -= 1
    first = stop
    while first > start and lines[first - 1].strip():
        first -= 1
    out: list[Trailer] = []
    for n in range(first, stop):
        m = _TRAILER.match(lines[n].strip())
        if not m:
            continue
        name = _canonical(m.group(1))
        value = m.group(2).strip()
        person = None
        if name.lower().endswith(_PERSON_TRAILERS):
            display, addr = email.utils.parseaddr(value.split(" #")[0])
            person = Address(display, addr) if addr else None
        out.append(Trailer(name=name, value=value, line=n, person=person))
    return tuple(out)


def find_base_commit(lines: list[str]) -> str | None:
    for line in lines:
        m = _BASE_COMMIT.match(line)
        if m:
            return m.group(1)
    return None
