"""Every revision of the change in a thread: formal postings, inline patches and sketches.

Choice for series: each patch mail is its own Revision with ``series_index``/``series_total`` (a
cover letter carries no diff and gives none); a patch supersedes the same-numbered patch of an
earlier version. Quoted diffs are review context and never revisions; a diff posted again
unchanged (same normalised id) is the revision already found.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Address, BaseHints, BlobHint, Message, Revision, RevisionKind, Thread
from ._diffscan import FileDiff, scan_diffs
from ._inbody import (
    PSEUDO_FROM,
    SCISSORS,
    explicit_version,
    find_base_commit,
    parse_inbody,
    parse_trailers,
    strip_subject_prefixes,
)
from ._labels import assign_versions_and_labels
from ._normalise import diff_id

__all__ = ["find_revisions"]


@dataclass(frozen=True, slots=True)
class _Found:
    revision: Revision
    files: tuple[FileDiff, ...]
    thread_version: int
    posted_day: str
    """The carrying mail's date (``23 Mar``): labels name the day a reader saw it."""


def _posted_diff(files: list[FileDiff]) -> str:
    out: list[str] = []
    for f in files:
        posted = list(f.posted)
        if f.synthesised_headers:
            # A sketch that starts at ``+++``: complete the header so unidiff can parse it.
            at = next((k for k, line in enumerate(posted) if line.startswith("+++ ")), 0)
            posted.insert(at, f"--- a/{f.old_path}")
        out += posted
    return "\n".join(out) + "\n"


def _diffstat_separator(lines: list[str], start: int, diff_start: int) -> int:
    """The ``---`` line between a commit message and its diffstat/diff, or diff_start."""
    for n in range(diff_start - 1, start - 1, -1):
        if lines[n].rstrip() == "---":
            return n
    return diff_start


def _inline_marker(lines: list[str], diff_start: int) -> int | None:
    """Line of the pseudo-``From`` or scissors line that opens an inline patch, if any."""
    for n in range(diff_start - 1, -1, -1):
        if lines[n].startswith(">") and not lines[n].startswith(">From "):
            continue
        if PSEUDO_FROM.match(lines[n]) or SCISSORS.match(lines[n]):
            return n
    return None


def _sketch_text(lines: list[str], files: list[FileDiff]) -> str:
    """The proposer's own words around a sketch: unquoted lines outside the diff and signature."""
    in_diff = {k for f in files for k in range(f.first_line, f.end_line)}
    out: list[str] = []
    for n, line in enumerate(lines):
        if line == "-- ":
            break
        if n in in_diff or line.startswith(">") or line.rstrip().endswith("wrote:"):
            continue
        out.append(line)
    return "\n".join(out).strip()


def _revision_of(message: Message, thread_formal_cover: dict[int, str]) -> _Found | None:
    lines = message.lines
    files = scan_diffs(lines)
    if not files:
        return None
    diff_start = files[0].first_line
    subject = message.subject
    author: Address = message.author
    date = message.date
    title = subject.title
    version: int | None = None
    marker = _inline_marker(lines, diff_start)
    if not subject.is_reply and (subject.is_patch or marker is None):
        kind = RevisionKind.FORMAL
        version = subject.version
        # A format-patch attached or pasted under a note: the commit starts after its From line.
        msg_start = marker + 1 if marker is not None else 0
    elif marker is not None:
        kind = RevisionKind.INLINE
        msg_start = marker + 1
    else:
        kind = RevisionKind.SKETCH
        msg_start = diff_start

    if kind is not RevisionKind.SKETCH:
        inbody = parse_inbody(lines, msg_start, diff_start)
        author = inbody.author or author
        date = inbody.date or date
        if inbody.subject:
            title = strip_subject_prefixes(inbody.subject)
            if kind is RevisionKind.INLINE:
                version = explicit_version(inbody.subject)
        msg_start = inbody.message_start
        msg_end = _diffstat_separator(lines, msg_start, diff_start)
        commit_message = "\n".join(lines[msg_start:msg_end]).strip()
        trailers = parse_trailers(lines, msg_start, msg_end)
    else:
        commit_message = _sketch_text(lines, files)
        trailers = ()

    blobs = tuple(
        BlobHint(path=f.path, pre=ix[0], post=ix[1]) for f in files if (ix := f.index) is not None
    )
    base_commit = find_base_commit(lines[diff_start:])
    if base_commit is None and kind is RevisionKind.FORMAL:
        base_commit = thread_formal_cover.get(subject.version)
    is_series = kind is RevisionKind.FORMAL and (subject.total or 0) > 1
    revision = Revision(
        id=diff_id(files),
        label="",
        kind=kind,
        author=author,
        date=date,
        message_id=message.message_id,
        title=title,
        commit_message=commit_message,
        trailers=trailers,
        diff=_posted_diff(files),
        base_hints=BaseHints(blobs=blobs, base_commit=base_commit),
        version=version,
        series_index=subject.index if is_series else None,
        series_total=subject.total if is_series else None,
        diff_first_line=diff_start,
    )
    posted_day = f"{message.date.day} {message.date:%b}"
    return _Found(revision, tuple(files), subject.version, posted_day)


def _cover_base_commits(thread: Thread) -> dict[int, str]:
    """``base-commit:`` of cover letters (patch 0/n), by version."""
    out: dict[int, str] = {}
    for m in thread.messages:
        if m.subject.index == 0 and not m.subject.is_reply:
            base = find_base_commit([line for line in m.lines if not line.startswith(">")])
            if base:
                out[m.subject.version] = base
    return out


def find_revisions(thread: Thread) -> tuple[Revision, ...]:
    """Every revision in the thread, in the order they were posted."""
    covers = _cover_base_commits(thread)
    found: list[_Found] = []
    seen: set[str] = set()
    for message in thread.messages:
        item = _revision_of(message, covers)
        if item is None or item.revision.id in seen:
            continue
        seen.add(item.revision.id)
        found.append(item)
    labelled = assign_versions_and_labels(
        [(f.revision, {fd.path for fd in f.files}, f.thread_version) for f in found],
        [f.posted_day for f in found],
    )
    return tuple(labelled)
