"""A reply as an :class:`email.message.EmailMessage`: UTF-8 plain text, never format=flowed
(the quoted diff and the race diagram must reach the reader exactly as drawn)."""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Sequence
from email.message import EmailMessage

from ..model import Address
from .headers import ReplyHeaders

__all__ = ["POLICY", "build_message", "message_bytes", "set_body"]

POLICY = email.policy.default.clone(linesep="\n")
"""Local files (Maildir, mbox, stdout) use ``\\n``; IMAP gets ``\\r\\n`` (see message_bytes)."""


def build_message(headers: ReplyHeaders, body: str) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _addresses([headers.sender])
    msg["To"] = _addresses(headers.to)
    if headers.cc:
        msg["Cc"] = _addresses(headers.cc)
    msg["Subject"] = headers.subject
    msg["Date"] = email.utils.format_datetime(headers.date)
    msg["Message-ID"] = headers.message_id
    msg["In-Reply-To"] = f"<{headers.in_reply_to}>"
    msg["References"] = " ".join(f"<{r}>" for r in headers.references)
    set_body(msg, body)
    return msg


def set_body(msg: EmailMessage, body: str) -> None:
    """Make ``body`` the message's only part: text/plain; charset=utf-8, 8bit when it is not
    ASCII (readable in any editor, as kernel mail is), no format=flowed."""
    text = body.replace("\r\n", "\n")
    msg.set_content(text, subtype="plain", charset="utf-8", cte="7bit" if text.isascii() else "8bit")


def message_bytes(msg: EmailMessage, *, crlf: bool = False) -> bytes:
    return msg.as_bytes(policy=POLICY.clone(linesep="\r\n") if crlf else POLICY)


def _addresses(people: Sequence[Address]) -> str:
    return ", ".join(email.utils.formataddr((a.name, a.email)) for a in people)
