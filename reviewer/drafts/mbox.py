"""Drafts appended to an mbox, under the mailbox's own locks (``fcntl`` and dot-lock).

Written as mboxrd: every body line that starts with ``From `` after any number of ``>`` gets
one more ``>``, so a reader that strips one level gets the body back exactly. A failed append
is cut off again, so the file holds whole messages only.
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import re
import time
from email.message import EmailMessage
from pathlib import Path

from .._errors import DraftError, reason
from .message import message_bytes

__all__ = ["mboxrd_escape", "save_to_mbox"]

_QUOTED_FROM = re.compile(rb"^(>+From )", re.MULTILINE)
LOCK_WAIT = 10.0
"""Seconds to wait for another program's lock on the mbox."""


def mboxrd_escape(raw: bytes) -> bytes:
    """Escape the ``>From `` lines :mod:`mailbox` leaves alone (it escapes ``From `` itself,
    the mboxo half of mboxrd)."""
    return _QUOTED_FROM.sub(rb">\1", raw)


def save_to_mbox(msg: EmailMessage, path: Path, *, sender: str) -> str:
    """Append ``msg`` to the mbox at ``path`` (created when missing); where it went."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.mbox(path, create=True)
    except (OSError, mailbox.Error) as exc:
        raise DraftError(f"{path}: cannot open this mbox: {reason(exc)}") from exc
    draft = mailbox.mboxMessage(mboxrd_escape(message_bytes(msg)))
    draft.set_from(sender or "MAILER-DAEMON", time.gmtime())
    try:
        _lock(box, path)
    except BaseException:
        box.close()
        raise
    size = path.stat().st_size
    try:
        box.add(draft)
        box.flush()
        count = len(box)
    except (OSError, mailbox.Error) as exc:
        _truncate(path, size)
        raise DraftError(f"{path}: cannot append the draft: {reason(exc)}") from exc
    finally:
        box.unlock()
        box.close()
    return f"{path} (message {count})"


def _lock(box: mailbox.mbox, path: Path) -> None:
    """Take the mbox's locks, waiting a while for a mail client that holds them (mailbox
    itself gives up at once)."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            box.lock()
            return
        except mailbox.ExternalClashError:
            if time.monotonic() > deadline:
                raise DraftError(f"{path}: locked by another program for {LOCK_WAIT:.0f}s; "
                                 "draft not saved") from None
            time.sleep(0.1)
        except (OSError, mailbox.Error) as exc:
            raise DraftError(f"{path}: cannot lock this mbox: {reason(exc)}") from exc


def _truncate(path: Path, size: int) -> None:
    with contextlib.suppress(OSError):
        os.truncate(path, size)
