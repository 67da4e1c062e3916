"""Fixtures for the end-to-end ``review`` tests (pytest plugin): an isolated user, a network guard.

* ``cli``: runs ``reviewer.cli.main`` in-process with its own config file, cache, XDG dirs and a
  wide terminal (rich then does not wrap the outline), capturing stdout and stderr.
* ``no_internet``: every socket connect or name lookup to anything but loopback fails the test
  (it is refused on the spot and reported at teardown), so "never touches the internet" is
  checked, not assumed.
* ``lore_via_proxy``: b4.midmask names ``http://lore.kernel.org/all/%s`` and HTTP_PROXY is the
  loopback lore server, so the user's literal lore.kernel.org URLs are answered by it. b4 (and
  reviewer, following it) keeps the midmask when a pasted URL has the same host, whatever its
  scheme: plain HTTP through a forward proxy then reaches 127.0.0.1 only.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _lore_server import LoreServer

__all__ = ["SEED_ROOT", "Cli", "CliResult", "cli", "lore_via_proxy", "closed_port", "no_internet", "review_env"]

SEED_ROOT = "20210319071547.60973-1-hannes@cmpxchg.org"


@dataclass(frozen=True)
class CliResult:
    status: int
    out: str
    err: str


@dataclass(frozen=True)
class Cli:
    """``review`` run in-process: ``cli.run(*argv)``; ``cli.cache`` is the thread cache dir."""

    config: Path
    cache: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> CliResult:
        from reviewer.cli import main

        self.capsys.readouterr()
        status = main([*argv, "--config", str(self.config)])
        captured = self.capsys.readouterr()
        return CliResult(status, captured.out, captured.err)


def _is_local(host: Any) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse (and record) any connect or lookup beyond loopback; the test fails if one happened."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if not _is_local(host):
            attempts.append(str(address))
            raise ConnectionRefusedError(f"test guard: no internet ({address})")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        guard((host, 0))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"tried to reach the internet: {attempts}"


@pytest.fixture
def cli(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], no_internet: list[str]) -> Cli:
    """An isolated user: own XDG config and cache dirs, own config.toml, no real git config."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    if "lore_server" in request.fixturenames:
        request.getfixturevalue("lore_server")  # its git config (b4.midmask) is the one to use
    else:
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("COLUMNS", "250")
    # The trees stage keeps synthetic bases under the temporary directory: one per test, so no
    # test sees another's scratch repositories (nor leaves them in the real /tmp).
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for var in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    config = tmp_path / "review-config.toml"
    config.write_text(f'[lore]\ntimeout = 5\nretry_delay = 0.05\n\n[cache]\ndir = "{cache}"\n')
    return Cli(config=config, cache=cache, capsys=capsys)


@pytest.fixture
def lore_via_proxy(lore_server: LoreServer, cli: Cli, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> LoreServer:
    """lore.kernel.org URLs answered by the loopback server (see the module docstring)."""
    gitconfig = tmp_path / "gitconfig-lore"
    gitconfig.write_text("[b4]\n\tmidmask = http://lore.kernel.org/all/%s\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    for var in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, lore_server.url)
    return lore_server


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connecting there is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def review_env(tmp_path: Path, gitconfig: Path) -> dict[str, str]:
    """The environment of a ``review`` subprocess: isolated like ``cli``, PATH kept."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith(("GIT_", "XDG_"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
        HOME=str(tmp_path / "home"),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        COLUMNS="250",
        TMPDIR=str(tmp_path),
    )
    return env

