"""A reply's body taken apart into quoted lines, new-text paragraphs and carried patches.

Works from :attr:`Message.body` and the revisions the message carries (so it does not depend
on how the thread stage cut segments): lines starting with ``>`` are quoted, a carried
revision's diff (and, for an inline patch, its pseudo-headers and commit message) is not
comment text, nor is a signature or the "On <date>, <person> wrote:" attribution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Message, Revision, RevisionKind

__all__ = ["BodyLine", "Paragraph", "QuotedLine", "read_body"]

_QUOTE_RE = re.compile(r"^[ \t]?((?:>[ \t]?)+)")
_ATTRIBUTION_RE = re.compile(r"^\s*(On\b.*|.*\b)(wrote|writes|said):\s*$")
_PSEUDO_FROM_RE = re.compile(r"^>?From [0-9a-f]{40} ")
_SCISSORS_RE = re.compile(r"^\s*-{2,}\s*>8\s*-{2,}|^\s*-+8<-+")
_ELISION_RE = re.compile(r"^\s*(\[(\.\.\.|…|snip|snipped)\]|<snip>)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QuotedLine:
    line: int
    """0-based body line."""
    depth: int
    content: str
    """The line with its quote markers removed (a context line keeps its leading space)."""
    raw: str


@dataclass(frozen=True, slots=True)
class BodyLine:
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of new text and what stands right above the run it belongs to."""

    lines: tuple[BodyLine, ...]
    quoted: tuple[QuotedLine, ...]
    """The quoted lines right above; empty for the second and later paragraphs of a run."""
    run_quoted: tuple[QuotedLine, ...]
    """The quoted lines above the whole run (shared by all its paragraphs)."""
    after_revision: Revision | None = None
    """The revision whose diff this message carries right above the run."""
    first_of_run: bool = True

    @property
    def text(self) -> str:
        return "\n".join(bl.text for bl in self.lines)


def _patch_region(body: list[str], revision: Revision) -> range:
    """Body lines holding a carried revision: pseudo-headers, commit message, diff."""
    diff_lines = revision.diff.rstrip("\n").split("\n")
    start = revision.diff_first_line
    if not (0 <= start < len(body)) or body[start].rstrip() != diff_lines[0].rstrip():
        start = next((i for i, b in enumerate(body) if b.rstrip() == diff_lines[0].rstrip()), start)
    end = min(len(body), start + len(diff_lines))
    if revision.kind is RevisionKind.SKETCH:
        return range(start, end)
    # An inline or formal patch: its headers and commit message are not comments either.
    head = start
    for i in range(start - 1, -1, -1):
        if _PSEUDO_FROM_RE.match(body[i]) or _SCISSORS_RE.match(body[i]):
            head = i
            break
    else:
        head = 0 if revision.kind is RevisionKind.FORMAL else start
    # a lone "---" just above the pseudo-header separates the reply from the patch
    j = head - 1
    while j >= 0 and not body[j].strip():
        j -= 1
    if j >= 0 and body[j].strip() == "---":
        head = j
    return range(head, end)


def _signature_start(body: list[str]) -> int:
    for i, text in enumerate(body):
        if text == "-- " or (text == "--" and i + 1 < len(body) and re.match(r"^\d+(\.\d+)+", body[i + 1])):
            return i
    return len(body)


def read_body(message: Message, carried: tuple[Revision, ...]) -> tuple[Paragraph, ...]:
    """The new-text paragraphs of ``message`` with the quoted lines above each run."""
    body = message.lines
    excluded: dict[int, Revision] = {}
    for revision in carried:
        for i in _patch_region(body, revision):
            excluded[i] = revision
    stop = _signature_start(body)

    paragraphs: list[Paragraph] = []
    pending_quote: list[QuotedLine] = []
    last_revision: Revision | None = None
    run: list[list[BodyLine]] = []

    def flush() -> None:
        nonlocal pending_quote, last_revision
        chunks = [p for p in run if p]
        quoted = tuple(pending_quote)
        for n, chunk in enumerate(chunks):
            paragraphs.append(
                Paragraph(tuple(chunk), quoted if n == 0 else (), quoted, last_revision, n == 0)
            )
        if chunks:
            pending_quote = []
            last_revision = None
        run.clear()

    for i, text in enumerate(body[:stop]):
        if i in excluded:
            flush()
            last_revision = excluded[i]
            pending_quote = []
            continue
        m = _QUOTE_RE.match(text)
        if m:
            flush()
            depth = m.group(1).count(">")
            pending_quote.append(QuotedLine(i, depth, text[m.end(1):], text))
            continue
        if not text.strip() or _ELISION_RE.match(text):
            if run and run[-1]:
                run.append([])
            continue
        if _ATTRIBUTION_RE.match(text) and _next_is_quote(body, i):
            _drop_attribution_head(run)
            continue
        if not run:
            run.append([])
        run[-1].append(BodyLine(i, text))
    flush()
    return tuple(paragraphs)


def _next_is_quote(body: list[str], i: int) -> bool:
    """Whether the next non-blank line, snip markers (``[...]``) skipped, is quoted."""
    for text in body[i + 1 :]:
        if text.strip() and not _ELISION_RE.match(text):
            return bool(_QUOTE_RE.match(text))
    return False


def _drop_attribution_head(run: list[list[BodyLine]]) -> None:
    """An attribution wrapped over two lines: "On Fri, ..., Jane Doe" / "wrote:"."""
    if run and run[-1] and run[-1][-1].text.lstrip().startswith("On "):
        run[-1].pop()
