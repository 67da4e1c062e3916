"""The draft in the user's editor, as mutt's ``edit_headers`` shows one: the headers a reviewer
may want to change, decoded, then a blank line and the body, all UTF-8.

The editor is ``$VISUAL``, else ``$EDITOR``, else ``vi``, split into words the way a shell
would split them (quotes honoured) but run without a shell, the file name appended. The caller
gives the editor the terminal (a TUI suspends itself around this call).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from email.message import EmailMessage
from pathlib import Path

from .._errors import DraftError
from .message import set_body

__all__ = ["EDITABLE", "edit_draft", "editor_argv"]

EDITABLE = ("From", "To", "Cc", "Subject", "In-Reply-To", "References")
"""Headers shown in the editor; the others (Date, Message-ID, MIME) are kept as they were."""

_REPLACED = {n.lower() for n in EDITABLE} | {"mime-version", "content-type", "content-transfer-encoding"}


def editor_argv(editor: str | None = None) -> list[str]:
    command = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise DraftError(f"editor {command!r}: {exc}") from None
    if not argv:
        raise DraftError("the editor command ($VISUAL / $EDITOR) is empty")
    return argv


def edit_draft(msg: EmailMessage, *, editor: str | None = None) -> EmailMessage:
    """``msg`` after the user edited it. Raises DraftError (and saves nothing) when the editor
    fails or the body is left empty; the temporary file is removed either way."""
    argv = editor_argv(editor)
    fd, name = tempfile.mkstemp(prefix="reviewer-draft-", suffix=".eml")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(editable_text(msg))
        try:
            status = subprocess.run([*argv, str(path)], check=False).returncode
        except OSError as exc:
            raise DraftError(f"editor {argv[0]}: {exc.strerror}") from None
        if status != 0:
            raise DraftError(f"editor {argv[0]} exited with status {status}; draft not saved")
        return apply_edits(msg, path.read_text(encoding="utf-8", errors="replace"))
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def editable_text(msg: EmailMessage) -> str:
    headers = [f"{name}: {msg[name]}" for name in EDITABLE if msg[name] is not None]
    body = msg.get_content() if not msg.is_multipart() else ""
    return "\n".join(headers) + "\n\n" + str(body)


def apply_edits(msg: EmailMessage, text: str) -> EmailMessage:
    """A copy of ``msg`` with the edited headers and body of ``text``."""
    head, sep, body = text.replace("\r\n", "\n").partition("\n\n")
    if not sep:
        head, body = "", text
    edited = _parse_headers(head)
    if not body.strip():
        raise DraftError("the draft is empty; not saved")
    out = EmailMessage(policy=msg.policy)
    for name in EDITABLE:
        if edited.get(name.lower()):
            out[name] = edited[name.lower()]
    for name, value in msg.items():
        if name.lower() not in _REPLACED:
            out[name] = value
    set_body(out, body.rstrip("\n") + "\n")
    return out


def _parse_headers(head: str) -> dict[str, str]:
    """``Name: value`` lines (continuation lines folded in); unknown names are ignored."""
    known = {n.lower() for n in EDITABLE}
    out: dict[str, str] = {}
    current = ""
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and current:
            out[current] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        current = name.strip().lower() if colon and name.strip().lower() in known else ""
        if current:
            out[current] = value.strip()
    return out
