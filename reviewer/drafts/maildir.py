"""Drafts into a Maildir: written whole into ``tmp/``, synced, then moved into ``cur/`` flagged
``D`` (draft) and ``S`` (seen).

The move is one rename (link then unlink, as :mod:`mailbox` does it), so a mail client reading
``cur/`` sees the whole draft or nothing: a writer killed half-way leaves at most a file in
``tmp/``, which Maildir readers ignore.
"""

from __future__ import annotations

import mailbox
import os
from email.message import EmailMessage
from pathlib import Path

from .._errors import DraftError, reason
from .message import message_bytes

__all__ = ["save_to_maildir"]


def save_to_maildir(msg: EmailMessage, path: Path) -> Path:
    """Add ``msg`` to the Maildir at ``path`` (created when missing); the file it became."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(path, factory=None, create=True)
        draft = mailbox.MaildirMessage(message_bytes(msg))
        draft.set_subdir("cur")
        draft.set_flags("DS")
        key = box.add(draft)  # tmp/ first, fsynced, then into cur/
        _sync_dir(path / "cur")
    except (OSError, mailbox.Error) as exc:
        raise DraftError(f"{path}: cannot write the draft into this Maildir: {reason(exc)}") from exc
    return path / "cur" / f"{key}{box.colon}{draft.get_info()}"


def _sync_dir(path: Path) -> None:
    """Make the rename itself durable (the file's data was synced before it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
