"""A named commit that the tree does not have: its posting on lore, found by its title.

The search goes to the configured public-inbox server (the one b4 uses), through the same
cached, offline-aware search the other-versions lookup uses. The newest posting whose subject
is the title is applied to a synthetic base of its own pre-images: the functions it changes,
before and after, are the versions just before and at the named commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .._config import Config
from .._errors import ReviewerError
from .._mbox import mail_headers
from .._versions import search_lore
from ..model import TouchedFunction
from ..revisions import file_diffs, find_revisions
from ..thread import build_thread, parse_subject
from ..trees import apply_synthetic

__all__ = ["LoreAccess", "Posting", "find_posting"]


@dataclass(frozen=True, slots=True)
class LoreAccess:
    """How the review may reach lore (as it did for the thread)."""

    server: str | None = None
    """The public-inbox base URL; None: the one b4.midmask names."""
    offline: bool = False
    refresh: bool = False
    git_overrides: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Posting:
    message_id: str
    functions: tuple[TouchedFunction, ...]
    """What the posted patch changes: pre-image = just before, post-image = at the commit."""


def _norm(title: str) -> str:
    return " ".join(title.split()).lower()


def find_posting(title: str, paths: Sequence[str], cfg: Config, access: LoreAccess,
                 scratch: Path) -> tuple[Posting | None, str]:
    """The posting of the patch titled ``title`` that touches one of ``paths``, or a note why not."""
    phrase = " ".join(title.replace('"', " ").split())
    if not phrase:
        return None, "the tag names no title to search lore for"
    query = f's:"{phrase}"'
    try:
        messages, note = search_lore(query, cfg, server=access.server, git_overrides=access.git_overrides,
                                     offline=access.offline, refresh=access.refresh)
    except ReviewerError as exc:
        return None, f"lore {query}: {exc}"
    candidates = []
    for raw in messages:
        try:
            h = mail_headers(raw)
        except ReviewerError:  # one broken answer among the hits is skipped, as a reader would
            continue
        subject = parse_subject(h.subject)
        if h.message_id and not subject.is_reply and subject.is_patch and _norm(subject.title) == _norm(title):
            candidates.append((subject.version, h.date or datetime.fromtimestamp(0, UTC), h.message_id, raw))
    if not candidates:
        return None, f"lore {query}: " + (note or "no posting with that subject")
    # The newest version is the one most likely merged.
    _, _, msgid, raw = max(candidates, key=lambda c: (c[0], c[1]))
    try:
        revision = next((r for r in find_revisions(build_thread([raw]))
                         if {f.path for f in file_diffs(r)} & set(paths)), None)
        if revision is None:
            return None, f"lore <{msgid}>: the posting changes none of {', '.join(paths)}"
        applied = apply_synthetic(revision, scratch, thread_key=f"fixes-{revision.id[:12]}")
    except ReviewerError as exc:
        return None, f"lore <{msgid}>: {exc}"
    if not applied.applied:
        return None, f"lore <{msgid}>: the posting does not apply to its own pre-images: {applied.error}"
    return Posting(msgid, applied.functions), ""
