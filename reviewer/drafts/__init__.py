"""Summary replies as draft emails, written where the reviewer's own mail client looks for
drafts (a Maildir, an mbox, the IMAP Drafts folder) or printed for ``git send-email``; never
sent. A pure view of :class:`~reviewer.model.Review`: nothing here analyses anything again.

The three steps, for ``review draft`` and for the TUI's ``r`` key::

    sender = sender_address(cfg.drafts.sender, cwd=tree)
    msg = compose_reply(review, sender=sender, reply_to=message_id, trailer="Acked-by")
    msg = edit_draft(msg)                   # optional; the TUI suspends itself around it
    where = save_draft(msg, cfg.drafts)     # "…/drafts/cur/1711…:2,DS", "imap://…"

Every failure is a :class:`~reviewer._errors.DraftError` whose text is the one line to show;
when one is raised nothing was saved.

Modules: :mod:`.headers` (threading, recipients, sender), :mod:`.body` (the text),
:mod:`.quote` (the hunk lines quoted), :mod:`.diagram` (races in 72 columns),
:mod:`.message` (the EmailMessage), :mod:`.edit` ($EDITOR), and one module per destination:
:mod:`.maildir`, :mod:`.mbox`, :mod:`.imap`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO

from .._config import DRAFT_DESTINATIONS, DraftsConfig
from .._errors import DraftError
from ..model import Address, Message, Review, RevisionReview
from ..verdicts import ordered_revisions
from .body import TRAILERS, compose_body
from .edit import edit_draft
from .headers import reply_headers, sender_address
from .imap import save_to_imap
from .maildir import save_to_maildir
from .mbox import save_to_mbox
from .message import build_message, message_bytes

__all__ = [
    "DESTINATIONS",
    "TRAILERS",
    "compose_reply",
    "edit_draft",
    "keep_unsaved",
    "reply_revision",
    "reply_target",
    "save_draft",
    "sender_address",
]

DESTINATIONS = DRAFT_DESTINATIONS
"""``maildir``, ``mbox``, ``imap``, ``stdout``."""


def reply_target(review: Review, message_id: str | None = None) -> Message:
    """The message a reply answers: ``message_id`` (with or without ``<>``), by default the
    message carrying the latest revision (the thread's root when there is none)."""
    thread = review.thread
    if message_id is None:
        ordered = ordered_revisions(review.revisions, thread)
        carrier = thread.get(ordered[-1].revision.message_id) if ordered else None
        return carrier or thread[thread.root]
    wanted = message_id.strip().strip("<>")
    found = thread.get(wanted)
    if found is None:
        raise DraftError(f"{wanted}: not a message of this thread (--reply-to)")
    return found


def reply_revision(review: Review, message: Message) -> RevisionReview | None:
    """The revision a reply to ``message`` is about: the one it carries, else the one the
    nearest message above it carries; None when no message up the chain carries one."""
    ordered = ordered_revisions(review.revisions, review.thread)
    at: Message | None = message
    seen: set[str] = set()
    while at is not None and at.message_id not in seen:
        seen.add(at.message_id)
        carried = [rr for rr in ordered if rr.revision.message_id == at.message_id]
        if carried:
            return carried[-1]
        at = review.thread.get(at.parent) if at.parent else None
    return None


def compose_reply(review: Review, *, sender: Address, reply_to: str | None = None,
                  trailer: str | None = None, diagrams: int = 1,
                  now: datetime | None = None) -> EmailMessage:
    """The summary reply to ``reply_to`` (a Message-ID of the thread; None: the message carrying
    the latest revision), from ``sender``, ending in ``trailer`` (a key of :data:`TRAILERS`)
    when given; ``diagrams`` race diagrams per revision at most."""
    if trailer is not None and trailer not in TRAILERS:
        raise DraftError(f"{trailer}: not a trailer this tool writes ({', '.join(TRAILERS)})")
    message = reply_target(review, reply_to)
    headers = reply_headers(review.thread, message, sender, now=now or datetime.now().astimezone())
    body = compose_body(review, reply_revision(review, message), sender=sender, trailer=trailer,
                        diagrams=diagrams)
    return build_message(headers, body)


def save_draft(msg: EmailMessage, cfg: DraftsConfig, *, to: str | None = None,
               maildir: Path | None = None, mbox: Path | None = None,
               stdout: BinaryIO | None = None) -> str:
    """Save ``msg`` to ``to`` (default ``[drafts] to``), ``maildir`` / ``mbox`` overriding the
    configured paths; returns where it went (a file, ``imap://…``, or ``stdout``)."""
    destination = to or cfg.to
    if destination == "maildir":
        return str(save_to_maildir(msg, maildir or cfg.maildir))
    if destination == "mbox":
        return save_to_mbox(msg, mbox or cfg.mbox, sender=_envelope_sender(msg))
    if destination == "imap":
        return save_to_imap(msg, cfg.imap)
    if destination == "stdout":
        out = stdout or sys.stdout.buffer
        out.write(message_bytes(msg))
        out.flush()
        return "stdout"
    raise DraftError(f"{destination}: not a draft destination ({', '.join(DESTINATIONS)})")


def keep_unsaved(msg: EmailMessage) -> Path:
    """Write ``msg`` to a new file of its own (0600, in the temporary directory) when it could
    not be saved where it was meant to go, so an edited draft is never lost; its path."""
    fd, name = tempfile.mkstemp(prefix="reviewer-unsaved-draft-", suffix=".eml")
    with os.fdopen(fd, "wb") as f:
        f.write(message_bytes(msg))
    return Path(name)


def _envelope_sender(msg: EmailMessage) -> str:
    sender = msg["From"]
    addresses = getattr(sender, "addresses", ()) if sender is not None else ()
    return str(addresses[0].addr_spec) if addresses else ""
