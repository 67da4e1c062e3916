"""The thread outline: the reply tree (date, author, subject) and each participant's positions.

Two views of the same :class:`~reviewer.model.Thread`: a rich renderable for the terminal and
a plain dict for the JSON report (the report layer puts it under its versioned schema).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .model import Address, Message, Position, Segment, Stance, Subject, Thread, Trailer

__all__ = ["ReplyPlace", "outline_json", "render_outline", "walk_reply_tree"]

_STANCE_STYLE = {
    Stance.ACK: "green",
    Stance.REVIEW: "green",
    Stance.TESTED: "cyan",
    Stance.NAK: "bold red",
}


def _label(msg: Message) -> Text:
    label = Text()
    label.append(msg.date.strftime("%Y-%m-%d %H:%M %z"), style="dim")
    if msg.date_source != "header":
        label.append(f" (date from {msg.date_source})", style="yellow")
    label.append("  ")
    label.append(msg.author.display, style="bold")
    label.append("  ")
    label.append(msg.subject.raw or "(no subject)")
    for p in msg.positions:
        style = _STANCE_STYLE[p.stance] if p.standing else "strike dim"
        label.append(f"  [{p.stance.value}]", style=style)
    return label


def _short(thread: Thread, message_id: str | None) -> str:
    """``date author`` of a message, for the positions table."""
    if message_id is None:
        return "-"
    msg = thread.get(message_id)
    if msg is None:
        return message_id
    return f"{msg.date.strftime('%Y-%m-%d')} {msg.author.display}"


_MAX_DEPTH = 16
"""Reply levels drawn as indentation; deeper replies are drawn at this level with their depth
(a back-and-forth of thousands of replies stays readable, and is walked without recursion)."""


class ReplyPlace(NamedTuple):
    """Where a message sits in the reply tree."""

    message: Message
    levels: tuple[bool, ...]
    """For every level down to it (at most ``max_depth``), whether that node is the last of its
    siblings: what tree guides are drawn from. The root and the orphans have none."""
    depth: int
    """Its real reply level (``levels`` stops at ``max_depth``)."""


def walk_reply_tree(thread: Thread, *, max_depth: int = _MAX_DEPTH) -> list[ReplyPlace]:
    """Every message once, in reply-tree order: depth first from the root, children in date
    order, then the orphans (replies to messages missing from the thread) and their replies."""
    out: list[ReplyPlace] = []
    placed: set[str] = set()

    def walk(start: Message) -> None:
        # A stack, not recursion: a chain of thousands of replies is a thread like any other.
        stack: list[tuple[Message, tuple[bool, ...], int]] = [(start, (), 0)]
        while stack:
            msg, levels, depth = stack.pop()
            if msg.message_id in placed:
                continue
            placed.add(msg.message_id)
            out.append(ReplyPlace(msg, levels, depth))
            children = [c for c in map(thread.get, msg.children)
                        if c is not None and c.message_id not in placed]
            for n in reversed(range(len(children))):
                below = levels if len(levels) >= max_depth else (*levels, n == len(children) - 1)
                stack.append((children[n], below, depth + 1))

    root = thread.get(thread.root)
    if root is not None:
        walk(root)
    for msg in thread.messages:
        if msg.message_id not in placed and msg.parent is None:
            walk(msg)
    return out


def render_outline(thread: Thread) -> RenderableType:
    """The reply tree, then a table of every position (withdrawn ones struck through)."""
    tree = Tree(Text(f"thread {thread.source or thread.root}", style="bold"))
    branches: list[Tree] = [tree]
    for msg, levels, depth in walk_reply_tree(thread):
        del branches[len(levels) + 1 :]
        label = _label(msg)
        if depth > _MAX_DEPTH:
            label.append(f"  (reply level {depth})", style="dim")
        branches.append(branches[-1].add(label))

    table = Table(title="Positions", show_lines=False)
    for column in ("person", "stance", "given", "answers", "status"):
        table.add_column(column)
    for p in thread.positions():
        status = "standing" if p.standing else f"withdrawn by {_short(thread, p.withdrawn_by)}"
        stance = p.stance.value + (f" ({p.qualifier_summary()})" if p.qualifier else "")
        table.add_row(
            p.person.display,
            Text(stance, style=_STANCE_STYLE[p.stance] if p.standing else "dim"),
            _short(thread, p.message_id),
            _short(thread, p.answers),
            status,
        )
    return Group(tree, table) if table.row_count else Group(tree, Text("(no positions given)", style="dim"))


def _address(a: Address | None) -> dict[str, str] | None:
    return None if a is None else {"name": a.name, "email": a.email}


def _subject(s: Subject) -> dict[str, Any]:
    return {
        "raw": s.raw,
        "title": s.title,
        "prefixes": list(s.prefixes),
        "version": s.version,
        "index": s.index,
        "total": s.total,
        "is_reply": s.is_reply,
    }


def _segment(s: Segment) -> dict[str, Any]:
    return {
        "kind": s.kind.value,
        "first_line": s.first_line,
        "line_count": s.line_count,
        "depth": s.depth,
        "quotes": s.quotes,
    }


def _trailer(t: Trailer) -> dict[str, Any]:
    return {
        "name": t.name,
        "value": t.value,
        "line": t.line,
        "person": _address(t.person),
        "comment": t.comment,
    }


def _position(p: Position) -> dict[str, Any]:
    return {
        "stance": p.stance.value,
        "person": _address(p.person),
        "message_id": p.message_id,
        "date": p.date.isoformat(),
        "answers": p.answers,
        "evidence": p.evidence,
        "qualifier": p.qualifier,
        "withdrawn_by": p.withdrawn_by,
        "standing": p.standing,
    }


def outline_json(thread: Thread) -> dict[str, Any]:
    """The thread as JSON-ready data: messages (tree, subject, segments, trailers) and positions."""
    return {
        "source": thread.source,
        "root": thread.root,
        "messages": [
            {
                "id": m.message_id,
                "parent": m.parent,
                "children": list(m.children),
                "date": m.date.isoformat(),
                "date_source": m.date_source,
                "author": _address(m.author),
                "subject": _subject(m.subject),
                "segments": [_segment(s) for s in m.segments],
                "trailers": [_trailer(t) for t in m.trailers],
            }
            for m in thread.messages
        ],
        "positions": [_position(p) for p in thread.positions()],
    }
