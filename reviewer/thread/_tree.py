"""The reply tree: duplicates collapsed, parents linked, messages and children in date order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._mail import ParsedMail

__all__ = ["ReplyTree", "build_tree", "dedupe"]


@dataclass(frozen=True, slots=True)
class ReplyTree:
    mails: tuple[ParsedMail, ...]
    """Every message once, in date order (ties keep input order)."""
    parent: dict[str, str | None]
    children: dict[str, tuple[str, ...]]
    root: str


def dedupe(mails: Sequence[ParsedMail]) -> list[ParsedMail]:
    """Keep the first copy of each Message-ID (archives deliver cross-posted mail twice)."""
    seen: set[str] = set()
    out: list[ParsedMail] = []
    for mail in mails:
        if mail.message_id not in seen:
            seen.add(mail.message_id)
            out.append(mail)
    return out


def _find_parent(mail: ParsedMail, known: set[str]) -> str | None:
    if mail.in_reply_to in known and mail.in_reply_to != mail.message_id:
        return mail.in_reply_to
    for ref in reversed(mail.references):
        if ref in known and ref != mail.message_id:
            return ref
    return None


def _break_cycles(parent: dict[str, str | None]) -> None:
    """Headers can make A reply to B and B to A; cut each cycle at its first member seen.

    Each walk stops at a message an earlier walk already led to a root, so a chain of
    thousands of replies is walked once, not once per message.
    """
    rooted: set[str] = set()
    for start in list(parent):
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in rooted:
            if node in on_path:
                parent[node] = None
                break
            path.append(node)
            on_path.add(node)
            node = parent[node]
        rooted.update(path)


def build_tree(mails: Sequence[ParsedMail], *, root_hint: str | None = None) -> ReplyTree:
    """Link each message to its parent; the root is ``root_hint`` or the earliest parentless one."""
    unique = dedupe(mails)
    order = {m.message_id: i for i, m in enumerate(unique)}
    ordered = tuple(sorted(unique, key=lambda m: (m.date, order[m.message_id])))
    known = set(order)
    parent = {m.message_id: _find_parent(m, known) for m in ordered}
    _break_cycles(parent)
    kids: dict[str, list[str]] = {m.message_id: [] for m in ordered}
    for m in ordered:  # date order, so each child list is in date order too
        p = parent[m.message_id]
        if p is not None:
            kids[p].append(m.message_id)
    hint = root_hint.strip("<>") if root_hint else None
    if hint in known:
        root = hint
    else:
        root = next(m.message_id for m in ordered if parent[m.message_id] is None)
    return ReplyTree(
        mails=ordered,
        parent=parent,
        children={k: tuple(v) for k, v in kids.items()},
        root=root,
    )
