"""``make demo``'s command, ``python -m reviewer.demo``, as a subprocess with no network to use.

b4.midmask and HTTP_PROXY name a recording loopback server, HTTPS_PROXY a closed port: the demo
must not need either, and the server must see no request at all.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from _cli_env import closed_port, review_env
from _lore_server import LoreServer

ROOT = Path(__file__).resolve().parents[1]



def test_demo_runs_offline_and_shows_outline_and_revisions(lore_server: LoreServer, tmp_path: Path) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f"[b4]\n\tmidmask = {lore_server.midmask}\n")
    env = review_env(tmp_path, gitconfig)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env["TMPDIR"] = str(scratch)
    env.update(HTTP_PROXY=lore_server.url, http_proxy=lore_server.url,
               HTTPS_PROXY=f"http://127.0.0.1:{closed_port()}", https_proxy=f"http://127.0.0.1:{closed_port()}")

    proc = subprocess.run([sys.executable, "-m", "reviewer.demo"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)

    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lore_server.requests == []
    out = proc.stdout
    tree_lines = [line for line in out.split("\n") if re.match(r"^[ │]*[└├]── \d{4}-\d\d-\d\d ", line)]
    assert len(tree_lines) == 13
    for header in ("v1 · formal", "v2 (inline, 23 Mar) · inline", "sketch by Matthew Wilcox, 26 Mar · sketch"):
        assert header in out
    assert "applies: yes" in out and "applies: NO" not in out
    # The demo ran the simulator (`make demo` passes no --no-simulate): its verdicts are shown.
    assert re.search(r"\b(double-free|bad-page|stale-read|charge-leak)\b", out)
    # The demo's test tree lived in TMPDIR and is gone afterwards.
    assert list(scratch.iterdir()) == []
