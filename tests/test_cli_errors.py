"""End to end: the cache, offline mode, and how ``review`` fails (one line on stderr, exit 2).

One test runs the installed ``review`` console script as a subprocess, so "no traceback" is
checked on a real process's stderr, not only on what an in-process call happens to capture.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from _cli_env import SEED_ROOT, Cli, closed_port, review_env
from _lore_server import FIXTURES, LoreServer

SEED = FIXTURES / "seed.mbox"


def _url(server: LoreServer) -> str:
    return f"{server.url}/linux-mm/{SEED_ROOT}/"


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("review: ")
    return lines[0]


@pytest.mark.parametrize("where", ["lore.kernel.org", "loopback"])
def test_warm_cache_works_with_the_server_stopped(where: str, cli: Cli, lore_server: LoreServer,
                                                  request: pytest.FixtureRequest) -> None:
    if where == "lore.kernel.org":  # the user's own URL, answered through the loopback proxy
        request.getfixturevalue("lore_via_proxy")
        url = f"https://lore.kernel.org/linux-mm/{SEED_ROOT}/"
    else:
        url = _url(lore_server)
    first = cli.run(url, "--no-simulate")
    assert first.status == 1, first.err
    asked = len(lore_server.requests)
    assert asked > 0
    lore_server.stop()

    again = cli.run(url, "--no-simulate")

    assert again.status == 1, again.err
    assert again.err == ""
    assert len(lore_server.requests) == asked  # nothing was even attempted
    assert "thread read from the cache" in again.out
    # Same report: the outline and the revisions (the notes differ: they say where it came from).
    assert again.out.split("Positions")[0] == first.out.split("Positions")[0]
    assert "sketch by Matthew Wilcox, 26 Mar · sketch" in again.out


def test_no_cache_and_server_stopped_fails_in_one_line(cli: Cli, lore_server: LoreServer) -> None:
    url = _url(lore_server)
    lore_server.stop()

    result = cli.run(url, "--no-simulate")

    assert result.status == 2
    assert result.out == ""
    line = _one_line(result.err)
    assert url in line  # names the thread
    host = url.split("/")[2]
    assert f"cannot connect to {host}" in line  # and the cause


def test_unknown_message_id_fails_in_one_line(cli: Cli, lore_server: LoreServer) -> None:
    result = cli.run("nobody-posted-this@example.org", "--no-simulate")
    assert result.status == 2
    line = _one_line(result.err)
    assert "nobody-posted-this@example.org" in line and "not found" in line


@pytest.mark.parametrize("fault", [503, "truncate"])
def test_server_fault_fails_in_one_line(fault: int | str, cli: Cli, lore_server: LoreServer) -> None:
    lore_server.fail(r"t\.mbox\.gz$", fault)
    result = cli.run(_url(lore_server), "--no-simulate")
    assert result.status == 2
    line = _one_line(result.err)
    assert _url(lore_server) in line
    assert ("HTTP 503" if fault == 503 else "truncated") in line


def test_offline_with_an_empty_cache(cli: Cli, lore_server: LoreServer) -> None:
    result = cli.run(_url(lore_server), "--offline")

    assert result.status == 2
    assert result.out == ""
    line = _one_line(result.err)
    assert _url(lore_server) in line and "not in cache (offline)" in line
    assert lore_server.requests == []


def test_offline_after_a_fetch_needs_no_server(cli: Cli, lore_server: LoreServer) -> None:
    assert cli.run(SEED_ROOT, "--no-simulate").status == 1
    lore_server.stop()
    result = cli.run(f"<{SEED_ROOT}>", "--offline", "--no-simulate", "--format", "json")
    assert result.status == 1, result.err
    assert '"schema": "reviewer/1"' in result.out


def test_dash_c_midmask_override_beats_git_config(cli: Cli, lore_server: LoreServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dead = tmp_path / "gitconfig-dead"
    dead.write_text(f"[b4]\n\tmidmask = http://127.0.0.1:{closed_port()}/all/%s\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(dead))
    assert cli.run(SEED_ROOT, "--no-simulate").status == 2  # the configured server is down

    result = cli.run(SEED_ROOT, "--no-simulate", "-c", f"b4.midmask={lore_server.url}/linux-mm/%s")

    assert result.status == 1, result.err
    assert any(p.startswith("/linux-mm/") and p.endswith("/t.mbox.gz") for p in lore_server.paths())


@pytest.mark.parametrize(("arg", "says"), [
    ("<foo bar@example.org>", "a Message-ID cannot contain spaces"),
    ("<no-at-sign>", "a Message-ID needs an '@'"),
    ("a@b@c", "not a Message-ID"),
    ("./missing.mbox", "no such file or directory"),
    ("missing-dir/thread.eml", "no such file or directory"),
    ("ftp://lore.kernel.org/x@y/", "only http(s) URLs are supported"),
])
def test_bad_input_is_one_line_exit_2(arg: str, says: str, cli: Cli, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli.run(arg)

    assert result.status == 2
    assert result.out == ""
    line = _one_line(result.err)
    assert arg.strip("<>") in line or arg in line
    assert says in line


def test_file_that_is_not_mail(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "notes.mbox"
    junk.write_text("just some text\nwith no mail headers\n")
    result = cli.run(str(junk))
    assert result.status == 2
    line = _one_line(result.err)
    assert str(junk) in line


def test_eml_that_is_not_mail(cli: Cli, tmp_path: Path) -> None:
    """A file with no ``From `` line is read as one message: it must at least have mail headers."""
    junk = tmp_path / "passwd"
    junk.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n")
    result = cli.run(str(junk))
    assert result.status == 2
    line = _one_line(result.err)
    assert str(junk) in line and "not an e-mail" in line


def test_tree_that_does_not_exist(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-linux"
    result = cli.run(str(SEED), "--tree", str(missing), "--no-simulate")
    assert result.status == 2
    assert _one_line(result.err) == f"review: {missing}: kernel tree does not exist"


def test_tree_that_is_not_a_git_repository(cli: Cli, tmp_path: Path) -> None:
    plain = tmp_path / "plain-dir"
    plain.mkdir()
    result = cli.run(str(SEED), "--tree", str(plain), "--no-simulate")
    assert result.status == 2
    line = _one_line(result.err)
    assert str(plain) in line and "not a git repository" in line



def test_console_script_fails_in_one_line(tmp_path: Path) -> None:
    """The installed ``review`` script, a real process: server down, no cache."""
    port = closed_port()  # bound then closed: nothing listens there
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f"[b4]\n\tmidmask = http://127.0.0.1:{port}/all/%s\n")
    script = Path(sys.executable).with_name("review")
    assert script.is_file(), "the review console script is not installed in the venv"

    proc = subprocess.run([str(script), SEED_ROOT, "--no-simulate"], capture_output=True, text=True,
                          env=review_env(tmp_path, gitconfig), cwd=tmp_path, timeout=60, check=False)

    assert proc.returncode == 2
    assert proc.stdout == ""
    line = _one_line(proc.stderr)
    assert SEED_ROOT in line
    assert f"cannot connect to 127.0.0.1:{port}" in line


def test_network_guard_refuses_the_internet(no_internet: list[str]) -> None:
    """The guard every in-process test runs under does catch a connection beyond loopback."""
    with pytest.raises(ConnectionRefusedError, match="no internet"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed
    assert len(no_internet) == 1
    no_internet.clear()  # recorded on purpose here: do not fail the teardown check
    with socket.socket() as s:  # loopback stays allowed
        s.bind(("127.0.0.1", 0))
        s.listen()
        socket.create_connection(s.getsockname(), timeout=1).close()


def test_an_internal_error_is_one_line_exit_70(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A bug in reviewer itself still ends in one line (the traceback only when asked for)."""
    import reviewer.pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(reviewer.pipeline, "review_thread", broken)
    result = cli.run(str(SEED), "--no-simulate")
    assert result.status == 70 and result.out == ""
    line = _one_line(result.err)
    assert line.startswith("review: internal error: RecursionError: maximum recursion depth exceeded")
    monkeypatch.setenv("REVIEWER_TRACEBACK", "1")
    assert "Traceback" in cli.run(str(SEED), "--no-simulate").err
