"""The headers of a reply: subject, threading, recipients, sender, identity.

``Re:`` once; In-Reply-To the message answered and References the chain from the thread's
root to it; To its author (or its Reply-To), Cc its To and Cc without the sender, each
address once; a fresh Message-ID and Date. The sender comes from ``[drafts] from`` or from
git's ``user.name`` / ``user.email``, as the user's other mail tools would have it.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .._errors import DraftError
from ..model import Address, Message, Thread

__all__ = ["ReplyHeaders", "reply_headers", "reply_subject", "sender_address"]

_RE = re.compile(r"^(?:\s*re\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ReplyHeaders:
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    in_reply_to: str
    references: tuple[str, ...]
    message_id: str
    """With angle brackets."""
    date: datetime


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, never ``Re: Re:``."""
    return "Re: " + _RE.sub("", " ".join(subject.split()))


def reply_headers(thread: Thread, message: Message, sender: Address, *, now: datetime) -> ReplyHeaders:
    original = email.message_from_bytes(message.raw, policy=email.policy.default) if message.raw else None
    reply_to = _addresses(original, "Reply-To")
    to = reply_to or (message.author,)
    me = sender.email.lower()
    seen = {me} | {a.email.lower() for a in to}
    cc: list[Address] = []
    for a in _addresses(original, "To") + _addresses(original, "Cc"):
        if a.email.lower() not in seen:
            seen.add(a.email.lower())
            cc.append(a)
    domain = sender.email.rpartition("@")[2] or None
    return ReplyHeaders(
        sender=sender,
        to=tuple(to),
        cc=tuple(cc),
        subject=reply_subject(message.subject.raw),
        in_reply_to=message.message_id,
        references=_references(thread, message),
        message_id=email.utils.make_msgid(domain=domain),
        date=now,
    )


def _references(thread: Thread, message: Message) -> tuple[str, ...]:
    """The message's own References when they reach the thread's root (they may name messages
    the thread lacks), else the chain of parents from the root; then the message itself."""
    chain: list[str] = []
    at: Message | None = message
    while at is not None and at.message_id not in chain:
        chain.insert(0, at.message_id)
        at = thread.get(at.parent) if at.parent else None
    own = list(message.references)
    refs = own + [message.message_id] if thread.root in own else chain
    return tuple(dict.fromkeys(refs))


def _addresses(original: email.message.Message | None, header: str) -> tuple[Address, ...]:
    if original is None:
        return ()
    values = [str(v) for v in original.get_all(header, [])]
    return tuple(Address(name, addr) for name, addr in email.utils.getaddresses(values) if "@" in addr)


def sender_address(configured: str, *, cwd: Path | None = None) -> Address:
    """The draft's From: ``[drafts] from`` when set, else git's user.name / user.email (read
    in ``cwd``, so a repository's own identity wins, as it does for git send-email)."""
    if configured.strip():
        name, addr = email.utils.parseaddr(configured)
        if "@" not in addr:
            raise DraftError(f"config: [drafts] from = {configured!r} is not a mail address")
        return Address(name, addr)
    name, addr = _git_config("user.name", cwd), _git_config("user.email", cwd)
    if not addr:
        raise DraftError("no sender address for the draft: set [drafts] from in config.toml "
                         "or git config user.email")
    return Address(name, addr)


def _git_config(key: str, cwd: Path | None) -> str:
    try:
        done = subprocess.run(["git", "config", "--get", key], cwd=cwd, capture_output=True,
                              text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
