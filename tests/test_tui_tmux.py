"""The real ``review tui`` in a real terminal (tmux): on the corpus seed thread, offline, move with
``n`` to the message in which Hugh Dickins reneges on his ack and find the memcg verdict beside
his paragraph on the race; and ``r``, which suspends the UI for the user's editor and saves the
reply as a draft.

tmux is a Debian package: ``.ci/run`` installs it. Outside CI a machine without tmux skips this
one test with a named reason; with REVIEWER_REQUIRE_REAL_DATA=1 (CI) it fails instead.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _cli_env import SEED_ROOT, review_env
from _lore_server import FIXTURES
from _real_data import CORPUS

COLUMNS, ROWS = 160, 48
NAK_HEADER = "Hugh Dickins · Thu 25 Mar 2021 18:55"
RACE_PARAGRAPH = "speculative racer may call mem_cgroup_uncharge() from __put_single_page(),"


def _tmux_binary() -> str:
    found = shutil.which("tmux")
    if found is None:
        if os.environ.get("REVIEWER_REQUIRE_REAL_DATA"):
            pytest.fail("tmux is not installed and REVIEWER_REQUIRE_REAL_DATA is set (.ci/run installs it)")
        pytest.skip("tmux not installed: the real-terminal test of `review tui` needs it")
    return found


class Terminal:
    """One tmux session on a server of its own (its socket in the test's tmp_path)."""

    def __init__(self, tmux: str, socket: Path, env: dict[str, str]) -> None:
        self._base = [tmux, "-S", str(socket)]
        self._env = env

    def run(self, *args: str) -> str:
        return subprocess.run([*self._base, *args], capture_output=True, text=True, check=True,
                              env=self._env, timeout=30).stdout

    def start(self, command: str) -> None:
        self.run("new-session", "-d", "-s", "review", "-x", str(COLUMNS), "-y", str(ROWS), command)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "review", *keys)

    def press(self, key: str) -> None:
        """Send ``key``, wait until the screen has changed (or two seconds have passed), then until
        it holds still for 0.3 s: a loaded machine may paint the focus and the scroll apart."""
        before = self.screen()
        self.keys(key)
        deadline = time.monotonic() + 2
        while (now := self.screen()) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        still_since, deadline = time.monotonic(), time.monotonic() + 5
        while time.monotonic() - still_since < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
            if (latest := self.screen()) != now:
                now, still_since = latest, time.monotonic()

    def screen(self) -> list[str]:
        return self.run("capture-pane", "-p", "-t", "review").split("\n")

    def wait_for(self, found: Callable[[list[str]], bool], what: str, seconds: float = 90) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            lines = self.screen()
            if found(lines):
                return lines
            time.sleep(0.1)
        raise AssertionError(f"never saw {what}; the screen was:\n" + "\n".join(self.screen()))

    def stop(self) -> None:
        subprocess.run([*self._base, "kill-server"], capture_output=True, env=self._env, timeout=30)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("")
    env = review_env(tmp_path, gitconfig)
    env["TERM"] = "xterm-256color"
    term = Terminal(_tmux_binary(), tmp_path / "tmux.sock", env)
    try:
        yield term
    finally:
        term.stop()


def _has(text: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(text in line for line in lines)


@pytest.mark.real_data
def test_review_tui_in_tmux_finds_the_memcg_verdict_beside_the_nak(terminal: Terminal) -> None:
    review = [sys.executable, "-m", "reviewer", "tui", str(CORPUS / "seed-thread.mbox"), "--offline"]
    terminal.start(f"{shlex.join(review)}; echo review-exited-$?; sleep 60")

    # the thread shows first; the verdicts follow once every revision is analysed
    terminal.wait_for(_has("Johannes Weiner [v1]"), "the thread pane")
    terminal.wait_for(_has("3 revisions analysed"), "the end of the analysis")

    for _ in range(12):
        if any(NAK_HEADER in line for line in terminal.screen()):
            break
        terminal.press("n")
    terminal.wait_for(_has(NAK_HEADER), "Hugh Dickins' 25 Mar message in the message pane")

    # '.' walks to the comments of this message that have verdicts: the first is his note on
    # the Fixes: tag, the next his paragraph on the memcg race, its card focused (opened up)
    def card_after_paragraph(lines: list[str]) -> tuple[int, int] | None:
        at = next((n for n, line in enumerate(lines) if RACE_PARAGRAPH in line), None)
        card = next((n for n, line in enumerate(lines) if "✗ charge-leak" in line), None)
        if at is None or card is None or card < at:
            return None
        opened_up = any("page(s) still charged to memcg" in line for line in lines[card:card + 10])
        return (at, card) if opened_up else None

    for _ in range(4):
        if card_after_paragraph(terminal.screen()):
            break
        terminal.press(".")
    lines = terminal.screen()
    found = card_after_paragraph(lines)
    assert found is not None, "\n".join(lines)
    at, card = found
    assert "is already NULL." in lines[at + 2]
    assert at < card <= at + 4, "the card right after his paragraph"
    below = "\n".join(lines[card:card + 10])
    assert "mem_cgroup_uncharge" in below and "enter: trace" in below, "the card opened up, focused"

    terminal.keys("q")
    terminal.wait_for(_has("review-exited-0"), "`review tui` exiting with status 0 on q")


def test_r_suspends_for_the_editor_and_saves_the_draft(terminal: Terminal, tmp_path: Path) -> None:
    """``r`` on the thread's first message: the app gives the terminal to $EDITOR (a script here,
    which adds a line as a reviewer would), then saves the edited reply in the Maildir."""
    editor = tmp_path / "editor"
    editor.write_text("#!/bin/sh\nprintf '\\nLooks right to me otherwise.\\n' >> \"$1\"\n")
    editor.chmod(0o755)
    drafts = tmp_path / "Drafts"
    config = tmp_path / "config.toml"
    config.write_text(f'[drafts]\nto = "maildir"\nfrom = "Jane Reviewer <jane@example.org>"\n'
                      f'maildir = "{drafts}"\n')
    review = [sys.executable, "-m", "reviewer", "tui", str(FIXTURES / "seed.mbox"), "--offline",
              "--config", str(config)]
    terminal.start(f"EDITOR={shlex.quote(str(editor))} {shlex.join(review)}; echo review-exited-$?; sleep 60")
    terminal.wait_for(_has("3 revisions analysed"), "the end of the analysis")

    terminal.keys("r")
    terminal.wait_for(_has("draft saved: "), "the status line saying where the draft went")
    [key] = mailbox.Maildir(drafts, create=False).keys()
    saved = mailbox.Maildir(drafts, create=False).get_file(key)
    with saved:
        draft = email.message_from_binary_file(saved, policy=email.policy.default)
    assert draft["In-Reply-To"] == f"<{SEED_ROOT}>"
    assert draft["From"] == "Jane Reviewer <jane@example.org>"
    body = draft.get_body(("plain",))
    assert body is not None and body.get_content().rstrip().endswith("Looks right to me otherwise.")

    terminal.keys("q")
    terminal.wait_for(_has("review-exited-0"), "`review tui` exiting with status 0 on q")
