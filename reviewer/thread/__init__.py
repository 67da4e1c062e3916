"""Raw mail bytes -> a typed :class:`~reviewer.model.Thread`.

Stages, one module each: ``_mail`` (headers and body of one message), ``_subject``,
``_tree`` (dedupe, parents, date order), ``_segments`` (quoted / new / diff / signature runs
and which ancestor each quote comes from), ``_trailers``, ``_positions`` (acks, reviews, NAKs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .._errors import MailError
from ..model import Message, Thread
from ._mail import parse_mail, unescape_mboxrd
from ._positions import find_positions
from ._segments import QUOTE_SEARCH_LIMIT, attribute_quotes, own_lines, segment_body
from ._subject import parse_subject
from ._trailers import find_trailers
from ._tree import build_tree

__all__ = ["build_thread", "parse_subject", "segment_body", "unescape_mboxrd"]


def build_thread(
    raw: Sequence[bytes],
    *,
    source: str = "",
    root_hint: str | None = None,
    mboxrd: bool = False,
) -> Thread:
    """Build a thread from raw messages (any order; duplicates by Message-ID collapse to one).

    ``root_hint`` (a Message-ID, with or without ``<>``) picks the root when it is in the
    thread; otherwise the root is the earliest message without a parent. Pass ``mboxrd=True``
    for messages cut from an mboxrd file without undoing its ``>From`` escaping (Python's
    ``mailbox.mbox``); ``reviewer._mbox.split_mbox`` has undone it already. Raises MailError for
    an empty input or a message without headers.
    """
    if not raw:
        raise MailError(f"{source or 'thread'}: no messages to build a thread from")
    tree = build_tree([parse_mail(r, mboxrd=mboxrd) for r in raw], root_hint=root_hint)

    segments = {m.message_id: segment_body(m.body) for m in tree.mails}
    own = {mid: own_lines(segs) for mid, segs in segments.items()}
    messages: list[Message] = []
    for mail in tree.mails:
        # The ancestors a quote can come from: as deep as its '>' markers, and the nearest
        # QUOTE_SEARCH_LIMIT (a chain of thousands of replies stays linear).
        reach = max([QUOTE_SEARCH_LIMIT, *(s.depth for s in segments[mail.message_id])])
        chain: list[str] = []
        node = tree.parent[mail.message_id]
        while node is not None and node != mail.message_id and len(chain) < reach:
            chain.append(node)
            node = tree.parent[node]
        segs = attribute_quotes(segments[mail.message_id], [(mid, own[mid]) for mid in chain])
        messages.append(
            Message(
                message_id=mail.message_id,
                subject=parse_subject(mail.subject),
                author=mail.author,
                date=mail.date,
                body=mail.body,
                in_reply_to=mail.in_reply_to,
                references=mail.references,
                parent=tree.parent[mail.message_id],
                children=tree.children[mail.message_id],
                segments=segs,
                trailers=find_trailers(mail.body, segs),
                date_source=mail.date_source,
                raw=mail.raw,
            )
        )
    positions = find_positions(messages, tree.parent)
    return Thread(
        root=tree.root,
        messages=tuple(replace(m, positions=positions[m.message_id]) for m in messages),
        source=source,
    )
