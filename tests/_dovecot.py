"""A real Dovecot IMAP server for the draft tests (pytest plugin), started and stopped by the test.

Everything it needs is made in a temporary directory of its own: the config, a passwd-file
with the test users, a self-signed TLS certificate for 127.0.0.1 (made with openssl, which
Dovecot's package depends on) and the mail storage. It listens on two free loopback ports,
implicit TLS and STARTTLS, runs in the foreground as the test's child process and never as a
system service. Run as root it hands its login and mail processes to the ``dovenull`` and
``dovecot`` users the package creates, as Dovecot requires.

Tests that need it are marked ``imap``. Where Dovecot is not installed they are skipped with one
reason, named once at the end of the run; with ``REVIEWER_REQUIRE_DOVECOT=1`` (set by
``.ci/run``, which installs Debian's dovecot-imapd) a missing Dovecot stops the run instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["DOVECOT_REASON", "Dovecot", "dovecot", "dovecot_binary"]

DOVECOT_REASON = "IMAP tests skipped: dovecot not installed (apt-get install dovecot-imapd)"
_REQUIRE_ENV = "REVIEWER_REQUIRE_DOVECOT"
_skipped = pytest.StashKey[int]()

USERS = {"reviewer": "correct horse battery", "other": "other-secret"}
"""Test users and their passwords (plain in the passwd-file: a throwaway server)."""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


@dataclass(frozen=True)
class Dovecot:
    tls_port: int
    starttls_port: int
    ca_file: Path
    """The server's self-signed certificate (the CA to trust)."""
    root: Path
    log: Path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "imap: needs a real Dovecot (tests/_dovecot.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if dovecot_binary() is not None:
        return
    wanted = [item for item in items if item.get_closest_marker("imap")]
    if wanted and os.environ.get(_REQUIRE_ENV):
        raise pytest.UsageError(f"dovecot not found, and {_REQUIRE_ENV} is set: the IMAP tests must run here")
    for item in wanted:
        item.add_marker(pytest.mark.skip(reason=DOVECOT_REASON))
    config.stash[_skipped] = len(wanted)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    count = config.stash.get(_skipped, 0)
    if count:
        terminalreporter.write_line(f"{DOVECOT_REASON} ({count} tests)", yellow=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificate(root: Path) -> tuple[Path, Path]:
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


def _accounts() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid): ourselves, or Dovecot's own users as root."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    mail = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", mail.pw_uid, mail.pw_gid


def _config(root: Path, tls_port: int, starttls_port: int) -> str:
    cert, key = _certificate(root)
    login, internal, uid, gid = _accounts()
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in USERS.items()))
    mail = root / "mail"
    mail.mkdir()
    os.chown(mail, uid, gid)
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = {uid}
first_valid_gid = {gid}
auth_mechanisms = plain
auth_failure_delay = 0
disable_plaintext_auth = yes
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
  }}
}}
"""


def _wait_listening(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"dovecot exited with {server.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not listen on 127.0.0.1:{port} within 20s")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot; its users are :data:`USERS`, mail folders start empty (tests create
    the folders they need)."""
    binary = dovecot_binary()
    if binary is None:  # only reached by a test using the fixture without the imap marker
        pytest.skip(DOVECOT_REASON)
    # Outside the test's own tmp_path: pytest makes that 0700, and Dovecot's unprivileged login
    # processes must reach the sockets under base_dir.
    root = Path(tempfile.mkdtemp(prefix="reviewer-dovecot-", dir="/tmp"))
    root.chmod(0o755)
    tls_port, starttls_port = _free_port(), _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, tls_port, starttls_port))
    log = root / "dovecot.log"
    server = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait_listening(tls_port, server, log)
        _wait_listening(starttls_port, server, log)
        yield Dovecot(tls_port, starttls_port, root / "cert.pem", root, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)
