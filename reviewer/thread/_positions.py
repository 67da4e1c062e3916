"""Review positions: who acked, reviewed, tested or NAKed which patch-carrying message.

Sources, all in a message's NEW text (never in quotes):

* ``Acked-by`` / ``Reviewed-by`` / ``Tested-by`` / ``Nacked-by`` trailers, attributed to the
  person they name (the message's author when the trailer names no address); and
* a standalone upper-case ``NAK`` or ``NACK`` token in prose, by the message's author, unless
  it talks about someone else's NAK (``Jane's NAK``, ``your NAK``, ``the NAK``, ``"NAK"``).

Trailers inside a posted commit message (the part of a patch email before its diff, or an
inline patch after its ``From <sha> Mon Sep 17 00:00:00 2001`` pseudo-header) are the commit's,
not positions taken in the thread.

A position ``answers`` the patch-carrying message (one whose own text holds a full diff:
``diff --git``, or any diff under a ``[PATCH]`` subject): the message itself when it carries one,
else the one whose diff the reply quotes, else the nearest patch-carrying ancestor.

Withdrawal: a NAK withdraws every earlier ACK/REVIEW of the same person in the thread; a later
ACK/REVIEW of the same patch message withdraws that person's earlier NAK of it. The same person
means the same address or the same name (parenthesised affiliations ignored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..model import Address, Message, Position, SegmentKind, Stance, Trailer
from ._segments import normalise
from ._trailers import is_trailer_line

__all__ = ["find_positions"]

_STANCE_OF = {
    "Acked-by": Stance.ACK,
    "Reviewed-by": Stance.REVIEW,
    "Reviewed-and-tested-by": Stance.REVIEW,
    "Tested-by": Stance.TESTED,
    "Nacked-by": Stance.NAK,
}
_NAK_RE = re.compile(r"(?<![\w-])(NAK|NACK)(?![\w-])")
# Words before a NAK that make it someone else's (or the word itself, quoted).
_NOT_MINE_RE = re.compile(
    r"(?:['\u2019]s|\b(?:your|his|her|their|the|whose|that|its))\s*$|[\"'\u201c]$", re.IGNORECASE
)
_AFFILIATION_RE = re.compile(r"\([^)]*\)")
_PSEUDO_HEADER_RE = re.compile(r"^(From [0-9a-f]{40} Mon Sep 17 00:00:00 2001|Subject: \[PATCH)")


def _carries_patch(msg: Message) -> bool:
    for seg in msg.segments:
        if seg.kind is not SegmentKind.DIFF:
            continue
        if "diff --git " in seg.text or (msg.subject.is_patch and not msg.subject.is_reply):
            return True
    return False


def _commit_lines(msg: Message) -> range:
    """Body lines holding a posted commit message (its trailers give no positions)."""
    diffs = [s.first_line for s in msg.segments if s.kind is SegmentKind.DIFF]
    if not diffs:
        return range(0)
    if msg.subject.is_patch and not msg.subject.is_reply:
        return range(0, diffs[0])
    for i, line in enumerate(msg.lines):
        if _PSEUDO_HEADER_RE.match(line):
            after = [d for d in diffs if d > i]
            return range(i, after[0]) if after else range(0)
    return range(0)


def _ancestors(msg_id: str, parent: Mapping[str, str | None]) -> list[str]:
    out: list[str] = []
    seen = {msg_id}
    node = parent.get(msg_id)
    while node is not None and node not in seen:
        out.append(node)
        seen.add(node)
        node = parent.get(node)
    return out


def _answers(msg: Message, by_id: Mapping[str, Message], parent: Mapping[str, str | None]) -> str | None:
    if _carries_patch(msg):
        return msg.message_id
    ancestors = _ancestors(msg.message_id, parent)
    quoted_diff: list[str] = []
    for seg in msg.segments:
        target = by_id.get(seg.quotes or "")
        if seg.kind is SegmentKind.QUOTED and target is not None and _carries_patch(target):
            diff_lines = {
                normalise(line)
                for s in target.segments
                if s.kind is SegmentKind.DIFF
                for line in s.text.split("\n")
                if normalise(line)
            }
            if any(normalise(line) in diff_lines for line in seg.text.split("\n")):
                quoted_diff.append(target.message_id)
    if quoted_diff:
        # Nearest in the ancestry first; quoted messages outside it after, latest first.
        rank = {mid: k for k, mid in enumerate(ancestors)}
        return min(quoted_diff, key=lambda mid: (rank.get(mid, len(rank)), -by_id[mid].date.timestamp()))
    for mid in ancestors:
        if _carries_patch(by_id[mid]):
            return mid
    return None


def _trailer_person(trailer: Trailer, author: Address) -> Address:
    person = trailer.person
    if person is None or not person.email:
        return author
    return person


def _prose_naks(msg: Message, skip: range) -> list[str]:
    """Lines of NEW text where the author says NAK (see the module docstring)."""
    found: list[str] = []
    lines = msg.lines
    for seg in msg.segments:
        if seg.kind is not SegmentKind.NEW:
            continue
        for i in range(seg.first_line, seg.first_line + seg.line_count):
            line = lines[i]
            if i in skip or is_trailer_line(line):
                continue
            for m in _NAK_RE.finditer(line):
                if not _NOT_MINE_RE.search(line[: m.start()]):
                    found.append(line.strip())
                    break
    return found


def _message_positions(msg: Message, answers: str | None) -> list[Position]:
    skip = _commit_lines(msg)
    evidence: dict[tuple[str, Stance], list[str]] = {}
    people: dict[tuple[str, Stance], Address] = {}
    qualifier: dict[tuple[str, Stance], str] = {}
    for trailer in msg.trailers:
        stance = _STANCE_OF.get(trailer.name)
        if stance is None or trailer.line in skip:
            continue
        person = _trailer_person(trailer, msg.author)
        key = (person.email.lower(), stance)
        people.setdefault(key, person)
        evidence.setdefault(key, []).append(msg.lines[trailer.line].strip())
        if trailer.comment and key not in qualifier:
            qualifier[key] = trailer.comment
    naks = _prose_naks(msg, skip)
    if naks:
        key = (msg.author.email.lower(), Stance.NAK)
        people.setdefault(key, msg.author)
        evidence.setdefault(key, []).extend(naks)
    return [
        Position(
            person=people[key],
            stance=key[1],
            message_id=msg.message_id,
            date=msg.date,
            answers=answers,
            evidence="\n".join(lines),
            qualifier=qualifier.get(key, ""),
        )
        for key, lines in evidence.items()
    ]


def _name_key(name: str) -> str:
    """``Jane Doe (Example Corp)`` and ``jane  doe`` are one name."""
    return " ".join(_AFFILIATION_RE.sub(" ", name).lower().split())


def _identities(positions: Sequence[Position]) -> list[int]:
    """A person number per position: the same address or the same name is the same person
    (people ack from one address and NAK from another)."""
    group_of: dict[str, int] = {}
    out: list[int] = []
    for p in positions:
        name = _name_key(p.person.name)
        keys = [f"e:{p.person.email.lower()}"] if p.person.email else []
        keys += [f"n:{name}"] if name else []
        group = next((group_of[k] for k in keys if k in group_of), len(out))
        for k in keys:
            group_of.setdefault(k, group)
        out.append(group)
    return out


def _withdraw(positions: list[Position]) -> list[Position]:
    """Apply later positions to earlier ones of the same person (``positions`` in date order)."""
    out = list(positions)
    by_person: dict[int, list[int]] = {}
    for index, person in enumerate(_identities(positions)):
        by_person.setdefault(person, []).append(index)
    for indices in by_person.values():
        for n, later_idx in enumerate(indices):
            later = out[later_idx]
            for k in indices[:n]:
                earlier = out[k]
                if earlier.withdrawn_by is not None or earlier.message_id == later.message_id:
                    continue
                nak_after_ack = later.stance is Stance.NAK and earlier.stance in (Stance.ACK, Stance.REVIEW)
                ack_after_nak = (
                    earlier.stance is Stance.NAK
                    and later.stance in (Stance.ACK, Stance.REVIEW)
                    and earlier.answers == later.answers
                )
                if nak_after_ack or ack_after_nak:
                    out[k] = replace(earlier, withdrawn_by=later.message_id)
    return out


def find_positions(
    messages: Sequence[Message], parent: Mapping[str, str | None]
) -> dict[str, tuple[Position, ...]]:
    """Positions per Message-ID; ``messages`` in date order, with segments and trailers set."""
    by_id = {m.message_id: m for m in messages}
    all_positions: list[Position] = []
    for msg in messages:
        all_positions.extend(_message_positions(msg, _answers(msg, by_id, parent)))
    out: dict[str, list[Position]] = {m.message_id: [] for m in messages}
    for p in _withdraw(all_positions):
        out[p.message_id].append(p)
    return {k: tuple(v) for k, v in out.items()}

