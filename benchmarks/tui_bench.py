"""TUI timings in a real pseudo-terminal: ``review tui THREAD --offline`` as a user runs it.

For each thread (the corpus seed thread, or the bundled seed fixture without ../shared; and the
generated 200-message, five-revision thread from gen_thread.py):

* first paint: from spawning the process to the first bytes of the thread pane on the terminal
  (the root message's author drawn); also the same minus the interpreter and import start-up
  (spawn to exit of ``python -c "import reviewer.cli, reviewer.pipeline, reviewer.tui.app"``);
* every verdict shown: spawn to the status line's "revisions analysed" on the terminal;
* key to repaint while the analysis runs: ``n`` written to the terminal, to the next message's
  header (its date line) drawn; ``p`` likewise; as many as fit before the analysis ends.

The terminal's output is read as it comes (escape sequences stripped, text searched), so a
"paint" is what reached the terminal, not what the app meant to draw. Each run is a fresh
process; the minimum and the median over the runs are printed.

Run: .venv/bin/python benchmarks/tui_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import codecs
import fcntl
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer._mbox import split_mbox  # noqa: E402
from reviewer.outline import walk_reply_tree  # noqa: E402
from reviewer.thread import build_thread  # noqa: E402

COLUMNS, ROWS = 160, 48
_ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[P^_][^\x1b]*\x1b\\|[()][0-9A-Za-z]|.)")


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its waited-for children (git), from /proc (10 ms ticks):
    what a run costs whatever else the shared machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / _TICK


@dataclass
class Run:
    first_paint: float = 0.0
    first_paint_cpu: float = 0.0
    all_verdicts: float = 0.0
    all_verdicts_cpu: float = 0.0
    idle_key_cpu: float = 0.0
    """CPU per key once the analysis is done (averaged over the keys: /proc counts in ticks)."""
    keys: list[float] = field(default_factory=list)
    """Key to repaint while the analysis runs, ms."""
    idle_keys: list[float] = field(default_factory=list)
    """The same once every verdict is in (the app's own cost, for comparison)."""


class Pty:
    """A process on a pseudo-terminal; its output kept as plain text (escapes stripped)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.start = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self._pending = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.text = ""

    def _take(self, chunk: bytes) -> None:
        """Strip the escapes of what arrived (an escape cut at the end waits for the rest), so
        the reader's own work stays small: it shares the two cores with the app it times."""
        data = self._pending + chunk
        cut = data.rfind(b"\x1b")
        if cut >= 0 and len(data) - cut < 64:
            data, self._pending = data[:cut], data[cut:]
        else:
            self._pending = b""
        self.text += self._decoder.decode(_ESCAPES.sub(b"", data))

    def read_until(self, wanted: str, *, after: int = 0, timeout: float = 120) -> float:
        """Seconds since spawn at which ``wanted`` first appears in the output past ``after``."""
        deadline = time.perf_counter() + timeout
        while wanted not in self.text[after:]:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"never saw {wanted!r}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    raise TimeoutError(f"process ended before {wanted!r}") from None
                self._take(chunk)
        return time.perf_counter() - self.start

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def finish(self) -> None:
        self.send("q")
        try:
            while True:
                ready, _, _ = select.select([self.fd], [], [], 10)
                if not ready or not os.read(self.fd, 65536):
                    break
        except OSError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    return env


def one_run(mbox: Path, headers: list[str]) -> Run:
    """``headers``: the date line of each message in thread-pane order (what ``n`` draws next)."""
    term = Pty([sys.executable, "-m", "reviewer", "tui", str(mbox), "--offline"], _env())
    run = Run()
    run.first_paint = term.read_until(headers[0][0])
    run.first_paint_cpu = cpu_seconds(term.pid)
    at = _keys(term, headers, 0, run.keys, while_analysing=True)
    run.all_verdicts = term.read_until("revisions analysed")
    run.all_verdicts_cpu = cpu_seconds(term.pid)
    time.sleep(0.2)  # let the last repaint's work be counted before the idle keys
    before = cpu_seconds(term.pid)
    _keys(term, headers, at, run.idle_keys, while_analysing=False)
    run.idle_key_cpu = (cpu_seconds(term.pid) - before) / max(1, len(run.idle_keys))
    term.finish()
    return run


def _keys(term: Pty, headers: list[tuple[str, str]], at: int, out: list[float], *,
          while_analysing: bool) -> int:
    """Press n (then p) from message ``at``, each time until the next header is drawn; returns
    where it ended. While analysing: only as long as the analysis runs."""
    for step in range(20):
        if while_analysing and "revisions analysed" in term.text:
            break
        forward = step < 10
        target = at + 1 if forward else at - 1
        if not 0 <= target < len(headers):
            break
        mark = len(term.text)
        sent = time.perf_counter()
        term.send("n" if forward else "p")
        term.read_until(headers[target][1], after=mark, timeout=10)
        out.append((time.perf_counter() - sent) * 1000)
        at = target
    return at


def startup() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import reviewer.cli, reviewer.pipeline, reviewer.tui.app"],
                   check=True, env=_env())
    return time.perf_counter() - t0


def startup_cpu() -> float:
    """CPU seconds of the start-up alone (the child's own rusage)."""
    before = os.times()
    startup()
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _headers(mbox: Path) -> list[tuple[str, str]]:
    """(root author, header date text) per message, in the thread pane's order."""
    thread = build_thread(split_mbox(mbox.read_bytes()))
    root = thread[thread.root].author.display
    return [(root, f" · {m.date:%a %d %b %Y %H:%M %z}") for m, *_ in walk_reply_tree(thread)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("seed", "generated"), help="one of the two threads")
    args = parser.parse_args()
    corpus = ROOT.parent / "shared" / "corpus" / "seed-thread.mbox"
    seed = corpus if corpus.is_file() else ROOT / "fixtures" / "seed.mbox"
    generated = ROOT / "benchmarks" / "_work" / "thread-200.mbox"
    if not generated.is_file():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_thread.py"), str(generated)], check=True)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs; {args.runs} runs each, ms")
    boot = [startup() * 1000 for _ in range(args.runs)]
    boot_cpu = startup_cpu() * 1000
    print(f"{'interpreter + imports (start-up)':<44} min {min(boot):7.0f}  median {statistics.median(boot):7.0f}"
          f"  (CPU {boot_cpu:.0f})")
    threads = {"seed": ("seed thread", seed), "generated": ("generated 200 messages, 5 revisions", generated)}
    for key, (name, mbox) in threads.items():
        if args.only and key != args.only:
            continue
        headers = _headers(mbox)
        runs = [one_run(mbox, headers) for _ in range(args.runs)]
        paint = [r.first_paint * 1000 for r in runs]
        after = [p - min(boot) for p in paint]
        done = [r.all_verdicts * 1000 for r in runs]
        keys = [k for r in runs for k in r.keys]
        idle = [k for r in runs for k in r.idle_keys]
        print(f"{name}:")
        print(f"  {'first paint of the thread pane (spawn)':<42} min {min(paint):7.0f}  median {statistics.median(paint):7.0f}")
        cpu = [r.first_paint_cpu * 1000 for r in runs]
        print(f"  {'  CPU until then':<42} min {min(cpu):7.0f}  median {statistics.median(cpu):7.0f}")
        print(f"  {'first paint after start-up':<42} min {min(after):7.0f}  median {statistics.median(after):7.0f}")
        print(f"  {'every verdict shown (spawn)':<42} min {min(done):7.0f}  median {statistics.median(done):7.0f}")
        cpu = [r.all_verdicts_cpu * 1000 for r in runs]
        print(f"  {'  CPU until then':<42} min {min(cpu):7.0f}  median {statistics.median(cpu):7.0f}")
        for label, samples in (("key to repaint during analysis", keys), ("key to repaint, analysis done", idle)):
            if samples:
                print(f"  {label:<42} min {min(samples):7.1f}  median {statistics.median(samples):7.1f}"
                      f"  max {max(samples):7.1f}  ({len(samples)} keys)")
        cpu = [r.idle_key_cpu * 1000 for r in runs]
        print(f"  {'  CPU per key, analysis done':<42} min {min(cpu):7.1f}  median {statistics.median(cpu):7.1f}")


if __name__ == "__main__":
    main()
