"""Drafts APPENDed to the IMAP Drafts folder with IMAPClient, flagged ``\\Draft`` and ``\\Seen``.

The folder is the one the server flags ``\\Drafts`` (RFC 6154 special use), else the configured
name. Connections are TLS or STARTTLS, with the certificate verified; there is no clear-text
mode. The password comes from an environment variable or from ``password_cmd`` (an argv from
the user's own config, run without a shell, as git's credential helpers are) and is never
printed, logged or written: IMAPClient's logger redacts LOGIN, and no error message here
carries it. APPEND is all or nothing on the server: a connection dropped before the server
confirmed it leaves no draft behind, and says so in one line.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import socket
import ssl
import subprocess
from email.message import EmailMessage

import imapclient
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError
from imapclient.imapclient import DRAFT, DRAFTS, SEEN

from .._config import ImapConfig
from .._errors import DraftError
from .message import message_bytes

__all__ = ["imap_password", "save_to_imap"]

_PORTS = {"tls": 993, "starttls": 143}


def save_to_imap(msg: EmailMessage, cfg: ImapConfig, *, password: str | None = None) -> str:
    """APPEND ``msg`` to the Drafts folder; ``imap://user@host:port/folder (UID n)``.

    ``password`` None: :func:`imap_password` finds it."""
    if not cfg.host or not cfg.user:
        raise DraftError("config: [drafts.imap] host and user must be set to save drafts over IMAP")
    port = cfg.port or _PORTS[cfg.security]
    where = f"{cfg.host}:{port}"
    secret = imap_password(cfg) if password is None else password
    stage = "connect"
    try:
        client = imapclient.IMAPClient(cfg.host, port=port, ssl=cfg.security == "tls",
                                       ssl_context=_tls_context(cfg), timeout=cfg.timeout)
    except (OSError, IMAPClientError) as exc:
        raise DraftError(f"{where}: cannot connect: {_why(exc, secret)}") from None
    try:
        if cfg.security == "starttls":
            stage = "STARTTLS"
            client.starttls(_tls_context(cfg))
        stage = "login"
        try:
            client.login(cfg.user, secret)
        except LoginError as exc:
            raise DraftError(f"{where}: login as {cfg.user!r} failed: {_why(exc, secret)}") from None
        stage = "finding the Drafts folder"
        folder = _drafts_folder(client, cfg.folder)
        if folder is None:
            raise DraftError(f"{where}: no folder is flagged \\Drafts and there is no folder named "
                             f"{cfg.folder!r} ([drafts.imap] folder)")
        stage = "APPEND"
        answer = client.append(folder, message_bytes(msg, crlf=True),
                               flags=(DRAFT, SEEN))
    except CapabilityError as exc:
        raise DraftError(f"{where}: {stage} failed: {_why(exc, secret)}") from None
    except (imaplib.IMAP4.abort, OSError) as exc:
        # dropped connection, reset, timeout or TLS failure: the server never confirmed the
        # APPEND, and IMAP servers keep no half-received message
        raise DraftError(f"{where}: connection lost during {stage} ({_why(exc, secret)}); "
                         "no draft was saved") from None
    except IMAPClientError as exc:
        raise DraftError(f"{where}: {stage} failed: {_why(exc, secret)}") from None
    finally:
        _logout(client)
    uid = _append_uid(answer)
    return f"imap://{cfg.user}@{where}/{folder}" + (f" (UID {uid})" if uid else "")


def imap_password(cfg: ImapConfig) -> str:
    """The environment variable ``password_env`` when set, else the first line printed by
    ``password_cmd`` (its prompts and errors go to the terminal; stdin is the user's)."""
    if cfg.password_env and os.environ.get(cfg.password_env):
        return os.environ[cfg.password_env]
    if not cfg.password_cmd:
        env = f"${cfg.password_env} or " if cfg.password_env else ""
        raise DraftError(f"no IMAP password: set {env}[drafts.imap] password_cmd")
    name = cfg.password_cmd[0]
    try:
        done = subprocess.run(list(cfg.password_cmd), stdout=subprocess.PIPE, text=True,
                              check=False, shell=False)
    except OSError as exc:
        raise DraftError(f"[drafts.imap] password_cmd: {name}: {exc.strerror}") from None
    if done.returncode != 0:
        raise DraftError(f"[drafts.imap] password_cmd: {name} exited with status {done.returncode}")
    password = done.stdout.split("\n", 1)[0].rstrip("\r")
    if not password:
        raise DraftError(f"[drafts.imap] password_cmd: {name} printed no password")
    return password


def _tls_context(cfg: ImapConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if cfg.ca_file is not None:
        try:
            context.load_verify_locations(cafile=cfg.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise DraftError(f"{cfg.ca_file}: cannot load CA certificates ([drafts.imap] ca_file): "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
    return context


def _drafts_folder(client: imapclient.IMAPClient, fallback: str) -> str | None:
    folders = client.list_folders()
    for flags, _, name in folders:
        if DRAFTS in flags:
            return str(name)
    return fallback if any(name == fallback for _, _, name in folders) else None


def _append_uid(answer: object) -> str:
    """The UID from an ``[APPENDUID <validity> <uid>]`` answer (RFC 4315), when given."""
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    if text.startswith("[APPENDUID "):
        parts = text[1:].split("]", 1)[0].split()
        return parts[2] if len(parts) == 3 else ""
    return ""


def _logout(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(IMAPClientError, OSError):
            client.shutdown()


def _why(exc: BaseException, secret: str) -> str:
    """The exception in one line, without the password should anything have echoed it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        text = exc.verify_message or str(exc)
    elif isinstance(exc, socket.timeout):
        text = "timed out"
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    text = " ".join(text.split())
    return text.replace(secret, "***") if secret else text
