"""Drafts APPENDed to a real Dovecot (tests/_dovecot.py) over TLS and STARTTLS, then fetched back
with IMAPClient: folder, flags, headers and body. A wrong password, an untrusted certificate and a
connection that drops in the middle of the APPEND each give one error line and leave no draft.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import imapclient
import pytest
from _cli_env import Cli
from _dovecot import USERS, Dovecot
from _draft_values import SEED_MBOX, SENDER

from reviewer._config import ImapConfig
from reviewer._errors import DraftError
from reviewer.drafts import compose_reply
from reviewer.drafts.imap import save_to_imap
from reviewer.model import Review

pytestmark = pytest.mark.imap

PASSWORD = USERS["reviewer"]


def _client(server: Dovecot, user: str = "reviewer") -> imapclient.IMAPClient:
    import ssl

    context = ssl.create_default_context(cafile=str(server.ca_file))
    client = imapclient.IMAPClient("127.0.0.1", port=server.tls_port, ssl=True, ssl_context=context, timeout=10)
    client.login(user, USERS[user])
    return client


def _reset(server: Dovecot, user: str, folders: tuple[str, ...]) -> None:
    """Exactly ``folders`` exist for ``user`` (besides INBOX), all empty."""
    client = _client(server, user)
    try:
        for _, _, name in client.list_folders():
            if name != "INBOX":
                client.delete_folder(name)
        for name in folders:
            client.create_folder(name)
    finally:
        client.logout()


def _messages(server: Dovecot, folder: str, user: str = "reviewer") -> list[tuple[tuple[bytes, ...], EmailMessage]]:
    client = _client(server, user)
    try:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search(), ["FLAGS", "RFC822"])
        out = []
        for data in fetched.values():
            # IMAP stores and sends lines ending in CRLF; a mail client reads them as lines
            msg = email.message_from_bytes(data[b"RFC822"].replace(b"\r\n", b"\n"), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            out.append((tuple(data[b"FLAGS"]), msg))
        return out
    finally:
        client.logout()


@pytest.fixture(scope="module")
def draft(seed_review_fixture: Review) -> EmailMessage:
    return compose_reply(seed_review_fixture, sender=SENDER, trailer="Reviewed-by")


@pytest.fixture
def imap(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> ImapConfig:
    """[drafts.imap] for the test user, the password in the environment, Drafts empty; the
    configured fallback name names no folder, so finding Drafts must use the \\Drafts flag."""
    _reset(dovecot, "reviewer", ("Drafts", "Archive"))
    monkeypatch.setenv("TEST_IMAP_PASSWORD", PASSWORD)
    return ImapConfig(host="127.0.0.1", port=dovecot.tls_port, security="tls", user="reviewer",
                      password_env="TEST_IMAP_PASSWORD", folder="Not-There", ca_file=dovecot.ca_file,
                      timeout=10)


def _assert_same(fetched: EmailMessage, sent: EmailMessage) -> None:
    for header in ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References"):
        assert str(fetched[header]) == str(sent[header]), header
    assert fetched.get_content_type() == "text/plain" and fetched.get_content_charset() == "utf-8"
    assert fetched.get_content() == sent.get_content()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_append_then_fetch_back(dovecot: Dovecot, imap: ImapConfig, draft: EmailMessage, security: str,
                                caplog: pytest.LogCaptureFixture) -> None:
    port = dovecot.tls_port if security == "tls" else dovecot.starttls_port
    caplog.set_level(logging.DEBUG)
    where = save_to_imap(draft, replace(imap, security=security, port=port))
    assert where.startswith(f"imap://reviewer@127.0.0.1:{port}/Drafts (UID ")
    (flags, fetched), = _messages(dovecot, "Drafts")
    assert {b"\\Draft", b"\\Seen"} <= set(flags)
    _assert_same(fetched, draft)
    assert "split_page_memcg(page, 1 << order);" in fetched.get_content()
    assert _messages(dovecot, "Archive") == []
    assert PASSWORD not in caplog.text  # IMAPClient's own debug log redacts LOGIN


def test_configured_folder_when_none_is_flagged_drafts(dovecot: Dovecot, imap: ImapConfig,
                                                       draft: EmailMessage, monkeypatch: pytest.MonkeyPatch) -> None:
    _reset(dovecot, "other", ("Brouillons",))
    monkeypatch.setenv("TEST_IMAP_PASSWORD", USERS["other"])
    cfg = replace(imap, user="other", folder="Brouillons")
    assert save_to_imap(draft, cfg).startswith(f"imap://other@127.0.0.1:{dovecot.tls_port}/Brouillons")
    (flags, fetched), = _messages(dovecot, "Brouillons", user="other")
    assert {b"\\Draft", b"\\Seen"} <= set(flags)
    _assert_same(fetched, draft)


def test_no_drafts_folder_is_one_line(dovecot: Dovecot, imap: ImapConfig, draft: EmailMessage,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _reset(dovecot, "other", ())
    monkeypatch.setenv("TEST_IMAP_PASSWORD", USERS["other"])
    with pytest.raises(DraftError) as failed:
        save_to_imap(draft, replace(imap, user="other", folder="Brouillons"))
    assert str(failed.value) == (f"127.0.0.1:{dovecot.tls_port}: no folder is flagged \\Drafts and there "
                                 "is no folder named 'Brouillons' ([drafts.imap] folder)")


def test_password_from_password_cmd(dovecot: Dovecot, imap: ImapConfig, draft: EmailMessage,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_IMAP_PASSWORD")
    command = (sys.executable, "-c", f"print({PASSWORD!r}); print('second line ignored')")
    save_to_imap(draft, replace(imap, password_cmd=command))
    assert len(_messages(dovecot, "Drafts")) == 1


def test_untrusted_certificate_is_refused(dovecot: Dovecot, imap: ImapConfig, draft: EmailMessage) -> None:
    with pytest.raises(DraftError) as failed:
        save_to_imap(draft, replace(imap, ca_file=None))
    assert str(failed.value).startswith(f"127.0.0.1:{dovecot.tls_port}: cannot connect: ")
    assert "certificate" in str(failed.value) and "\n" not in str(failed.value)
    assert _messages(dovecot, "Drafts") == []


def _imap_config_file(tmp_path: Path, dovecot: Dovecot, *, port: int) -> Path:
    path = tmp_path / "imap.toml"
    path.write_text(
        '[drafts]\nfrom = "Ann Reviewer <ann@example.org>"\nto = "imap"\n\n'
        f'[drafts.imap]\nhost = "127.0.0.1"\nport = {port}\nuser = "reviewer"\n'
        f'password_env = "TEST_IMAP_PASSWORD"\nca_file = "{dovecot.ca_file}"\ntimeout = 10\n'
    )
    return path


def test_review_draft_to_imap(cli: Cli, dovecot: Dovecot, imap: ImapConfig, seed_tree: Path, tmp_path: Path) -> None:
    config = _imap_config_file(tmp_path, dovecot, port=dovecot.tls_port)
    result = cli.run("draft", str(SEED_MBOX), "--tree", str(seed_tree), "--offline", "--config", str(config))
    assert result.status == 0, result.err
    assert result.out.startswith(f"draft saved: imap://reviewer@127.0.0.1:{dovecot.tls_port}/Drafts (UID ")
    (flags, fetched), = _messages(dovecot, "Drafts")
    assert "CPU0" in fetched.get_content()
    assert PASSWORD not in result.out + result.err


def test_wrong_password_is_one_line_and_saves_nothing(cli: Cli, dovecot: Dovecot, imap: ImapConfig,
                                                      seed_tree: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "not-the-password-1234"
    monkeypatch.setenv("TEST_IMAP_PASSWORD", wrong)
    config = _imap_config_file(tmp_path, dovecot, port=dovecot.starttls_port)
    config.write_text(config.read_text() + 'security = "starttls"\n')
    result = cli.run("draft", str(SEED_MBOX), "--tree", str(seed_tree), "--offline", "--config", str(config))
    assert result.status == 2
    assert result.err == (f"review: 127.0.0.1:{dovecot.starttls_port}: login as 'reviewer' failed: "
                          "[AUTHENTICATIONFAILED] Authentication failed.\n")
    assert wrong not in result.out + result.err and PASSWORD not in result.out + result.err
    assert _messages(dovecot, "Drafts") == []
    assert wrong not in config.read_text()


class _CuttingProxy:
    """A loopback TCP proxy to the server that drops both sides of the connection once the client
    has sent ``limit`` bytes: the APPEND's literal is cut off half-way."""

    def __init__(self, port: int, limit: int) -> None:
        self.upstream = port
        self.limit = limit
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.cut = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(("127.0.0.1", self.upstream))
        threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()
        self._pump(client, server, self.limit)

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(4096):
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: limit - sent])
                    self.cut.set()
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


@pytest.fixture
def cutting_proxy(dovecot: Dovecot, draft: EmailMessage) -> Iterator[_CuttingProxy]:
    # TLS handshake, LOGIN and LIST take a few hundred bytes; the draft is several kilobytes
    assert len(draft.as_bytes()) > 6000
    proxy = _CuttingProxy(dovecot.tls_port, limit=3000)
    yield proxy
    proxy.close()


def test_dropped_connection_is_one_line_and_leaves_no_draft(dovecot: Dovecot, imap: ImapConfig,
                                                            draft: EmailMessage,
                                                            cutting_proxy: _CuttingProxy) -> None:
    with pytest.raises(DraftError) as failed:
        save_to_imap(draft, replace(imap, port=cutting_proxy.port))
    assert cutting_proxy.cut.is_set()
    message = str(failed.value)
    assert message.startswith(f"127.0.0.1:{cutting_proxy.port}: connection lost during APPEND (")
    assert message.endswith("); no draft was saved") and "\n" not in message
    assert _messages(dovecot, "Drafts") == []
