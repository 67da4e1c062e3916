"""``review tui`` at the command line: the batch mode's options, bad input as one line before any
UI, and batch mode never loading Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _cli_env import Cli
from _tui_env import SEED


def test_tui_takes_the_batch_modes_options(capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["tui", "--help"])
    assert exc.value.code == 0
    usage = capsys.readouterr().out
    for option in ("--tree", "--offline", "--refresh", "--all-versions", "--config", "-c KEY=VALUE"):
        assert option in usage, option


def test_bad_input_is_one_line_and_exit_2_before_any_ui(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-thread.mbox"
    result = cli.run("tui", str(missing), "--offline")
    assert result.status == 2
    assert result.err.count("\n") == 1 and str(missing) in result.err and result.out == ""

    not_a_tree = tmp_path / "plain-dir"
    not_a_tree.mkdir()
    result = cli.run("tui", str(SEED), "--tree", str(not_a_tree))
    assert result.status == 2 and result.err == f"review: {not_a_tree}: kernel tree is not a git repository\n"


def test_batch_mode_never_imports_textual(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from reviewer.cli import main\n"
        f"status = main([{str(SEED)!r}, '--offline', '--no-simulate', '--format', 'json'])\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "sys.stderr.write(f'status={status} textual={loaded}\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)
    assert "status=1 textual=[]" in proc.stderr, proc.stderr[-2000:]
