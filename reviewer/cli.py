"""The ``review`` command. The only place that prints errors and picks exit codes.

Exit status: 0 the latest revision introduces nothing; 1 it introduces violations;
2 usage or input errors (one line on stderr, no traceback); 70 an internal error (one line;
``REVIEWER_TRACEBACK=1`` prints the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._config import Config, load_config
from ._errors import ReviewerError
from .model import Review

if TYPE_CHECKING:
    from .pipeline import ReviewRequest

__all__ = ["console_main", "main"]

EXIT_CLEAN = 0
EXIT_INTRODUCES = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70
"""sysexits' EX_SOFTWARE: reviewer itself failed."""

_PIPED_WIDTH = 140
_TUI_FPS = 240
"""Textual's repaint rate cap in ``review tui`` (see _run_tui)."""


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep its one-line style for ours too."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"review: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", action="append", type=Path, default=[], metavar="FILE",
                   help="extra config.toml overriding the defaults and ~/.config/reviewer/config.toml")
    p.add_argument("-c", dest="git_overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="git/b4 config override, as `b4 -c` (e.g. -c b4.midmask=https://host/all/%%s)")
    p.add_argument("--tree", type=Path, metavar="PATH",
                   help="your kernel git tree (default: [tree] path in config.toml)")


def _report_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="review",
        description="Review a patch thread: every revision applied, simulated and checked, "
        "with verdicts beside the reviewers' comments.",
        epilog="Exit status: 0 the latest revision introduces nothing, 1 it introduces violations "
        "or does not apply, 2 usage or input error. "
        "Other commands: `review tui <thread>` (the terminal UI), "
        "`review draft <thread>` (a summary reply as a draft email, never sent), "
        "`review b4-check` (b4's external check protocol).",
    )
    _thread_options(p)
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                   help="report format (json: schema reviewer/1, see docs/json-schema.md)")
    return p


def _thread_options(p: argparse.ArgumentParser) -> None:
    """What names the thread and how to review it: the same for the report, the TUI and drafts."""
    p.add_argument("thread", help="lore URL, patchwork URL, Message-ID, mbox, .eml or Maildir")
    _common(p)
    p.add_argument("--offline", action="store_true", help="use only the cache; no network")
    p.add_argument("--refresh", action="store_true", help="fetch again even when cached")
    p.add_argument("--all-versions", action="store_true",
                   help="also fetch and review the other versions of the change posted as separate threads")
    p.add_argument("--no-simulate", action="store_true", help="skip the race simulator")


def _draft_parser() -> argparse.ArgumentParser:
    from ._config import DRAFT_DESTINATIONS
    from .drafts import TRAILERS

    p = _Parser(
        prog="review draft",
        description="Review the thread, then write a summary reply as a draft email where your "
        "mail client finds it (Maildir, mbox, IMAP Drafts) or on stdout. Nothing is ever sent.",
        epilog="Exit status: 0 the draft was written, 2 usage or input error (nothing written).",
    )
    _thread_options(p)
    p.add_argument("--reply-to", metavar="MSGID",
                   help="the message to answer (default: the one carrying the latest revision)")
    p.add_argument("--to", choices=DRAFT_DESTINATIONS,
                   help="where the draft goes (default: [drafts] to in config.toml)")
    p.add_argument("--maildir", type=Path, metavar="PATH", help="Maildir to write into (implies --to maildir)")
    p.add_argument("--mbox", type=Path, metavar="PATH", help="mbox to append to (implies --to mbox)")
    p.add_argument("--trailer", choices=tuple(TRAILERS), help="end the reply with this trailer")
    p.add_argument("--edit", action="store_true", help="open the draft in $VISUAL / $EDITOR before saving")
    return p


def _tui_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="review tui",
                description="Read a patch thread in a terminal UI, each verdict beside the comment "
                "it answers; the thread shows at once and verdicts arrive revision by revision. "
                "Press ? in the UI for every key.")
    _thread_options(p)
    return p


def _b4check_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="review b4-check",
                description="b4 external check: the patch email on stdin, JSON on stdout.")
    _common(p)
    return p


def _load(args: argparse.Namespace) -> Config:
    return load_config(*args.config)


def _tree(args: argparse.Namespace, cfg: Config) -> Path | None:
    tree: Path | None = args.tree or cfg.tree.path
    if tree is None:
        return None
    if not tree.is_dir():
        raise ReviewerError(f"{tree}: kernel tree does not exist")
    from ._errors import TreeError
    from .trees import open_repo

    try:
        open_repo(tree)
    except TreeError:
        raise ReviewerError(f"{tree}: kernel tree is not a git repository") from None
    return tree


def _request(args: argparse.Namespace, cfg: Config) -> tuple[ReviewRequest, Config]:
    """The review the thread options ask for, and the configuration it runs with."""
    from .pipeline import ReviewRequest

    if args.no_simulate:
        from dataclasses import replace

        cfg = replace(cfg, simulator=replace(cfg.simulator, enabled=False))
    request = ReviewRequest(
        thread=args.thread,
        tree=_tree(args, cfg),
        offline=args.offline,
        refresh=args.refresh,
        all_versions=args.all_versions,
        git_overrides=tuple(args.git_overrides),
    )
    return request, cfg


def _review(args: argparse.Namespace, cfg: Config) -> Review:
    """The review the thread options ask for, with progress bars on stderr."""
    from .pipeline import review_thread
    from .progress import rich_progress

    request, cfg = _request(args, cfg)
    with rich_progress() as progress:
        return review_thread(request, cfg, progress=progress)


def _run_report(argv: Sequence[str]) -> int:
    from .report import exit_status, render_markdown, render_text, review_to_json

    args = _report_parser().parse_args(argv)
    cfg = _load(args)
    review = _review(args, cfg)

    if args.format == "json":
        report = json.dumps(review_to_json(review), indent=2) + "\n"
    elif args.format == "markdown":
        report = render_markdown(review)
    else:
        from rich.console import Console

        console = Console()
        if not console.is_terminal and "COLUMNS" not in os.environ:
            # Piped into a file or a pager: rich would assume 80 columns and fold the two-column
            # traces; give them the width they are drawn for.
            console = Console(width=_PIPED_WIDTH)
        with console.capture() as captured:
            render_text(review, console)
        report = captured.get()
    _write_whole(report)
    return exit_status(review)


def _write_whole(report: str) -> None:
    """Write the report to stdout in one piece: a Ctrl-C now is too late to stop the review and
    must not cut its report short (a script reading half a JSON document gets nothing whole)."""
    held = threading.current_thread() is threading.main_thread()  # signals are the main thread's
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if held else None
    try:
        sys.stdout.write(report)
        sys.stdout.flush()
    finally:
        if held:
            signal.signal(signal.SIGINT, previous)


def _run_draft(argv: Sequence[str]) -> int:
    from ._errors import DraftError
    from .drafts import compose_reply, edit_draft, keep_unsaved, save_draft, sender_address

    parser = _draft_parser()
    args = parser.parse_args(argv)
    implied = {"maildir"} if args.maildir else set()
    implied |= {"mbox"} if args.mbox else set()
    if len(implied) > 1 or (implied and args.to is not None and {args.to} != implied):
        parser.error("--maildir and --mbox each imply their destination; give one, matching --to")
    cfg = _load(args)
    to = args.to or (implied.pop() if implied else cfg.drafts.to)
    # the sender is settled before the long review, so a missing address fails fast
    sender = sender_address(cfg.drafts.sender, cwd=args.tree or cfg.tree.path)
    review = _review(args, cfg)
    msg = compose_reply(review, sender=sender, reply_to=args.reply_to, trailer=args.trailer,
                        diagrams=cfg.drafts.diagrams)
    if args.edit:
        msg = edit_draft(msg)
    try:
        where = save_draft(msg, cfg.drafts, to=to, maildir=args.maildir, mbox=args.mbox)
    except DraftError as exc:
        if not args.edit:
            raise
        # the user's edits are not thrown away with the failed save
        raise DraftError(f"{exc}; your edited draft is kept in {keep_unsaved(msg)}") from None
    if to != "stdout":
        sys.stdout.write(f"draft saved: {where}\n")
    return EXIT_CLEAN


def _run_tui(argv: Sequence[str]) -> int:
    from .pipeline import open_thread
    from .progress import rich_progress

    args = _tui_parser().parse_args(argv)
    request, cfg = _request(args, _load(args))
    # The thread is fetched (or read from the cache or the mbox) and built before the UI
    # starts, so it is painted at once; bad input fails here, as in batch mode.
    with rich_progress() as progress:
        opened = open_thread(request, cfg, progress=progress)
    # Textual repaints on a timer of 1/TEXTUAL_FPS seconds (60 by default) started when the
    # app goes idle after a change: up to 17 ms between a key and its repaint. At 240 a key
    # waits 4 ms at most; the UI only repaints on a change, so idle costs nothing more.
    os.environ.setdefault("TEXTUAL_FPS", str(_TUI_FPS))
    from .tui import ReplySettings, ReviewerApp

    # Textual sizes itself with shutil.get_terminal_size(), which believes COLUMNS and LINES
    # first; the batch report honours them for piped output, but the UI must fit the terminal.
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)
    from .tui.child import ChildAnalysis

    # The analysis runs in a child process (forked now, before the app starts any thread), so a
    # key press never waits for the simulator: see reviewer/tui/child.py.
    with ChildAnalysis(opened, cfg, tree=request.tree) as analyse:
        app = ReviewerApp(opened, analyse=analyse, reply=ReplySettings(cfg.drafts, request.tree))
        app.run()
    return EXIT_CLEAN


def _run_b4check(argv: Sequence[str]) -> int:
    from .b4check import run_b4_check

    args = _b4check_parser().parse_args(argv)
    cfg = _load(args)
    result = run_b4_check(sys.stdin.buffer.read(), Path.cwd() if args.tree is None else args.tree, cfg)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["b4-check"]:
            return _run_b4check(argv[1:])
        if argv[:1] == ["draft"]:
            return _run_draft(argv[1:])
        if argv[:1] == ["tui"]:
            return _run_tui(argv[1:])
        return _run_report(argv)
    except ReviewerError as exc:
        sys.stderr.write(f"review: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("review: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # a bug: one line, not a traceback (unless asked for)
        if os.environ.get("REVIEWER_TRACEBACK"):
            traceback.print_exc()
        text = " ".join(str(exc).split())[:200]
        sys.stderr.write(f"review: internal error: {type(exc).__name__}: {text} "
                         "(REVIEWER_TRACEBACK=1 shows where; please report it)\n")
        return EXIT_INTERNAL


def console_main() -> None:
    """The ``review`` command: :func:`main`, then an exit a late Ctrl-C cannot spoil."""
    status = main()
    # The output is written and the status decided: an interrupt now would land in some
    # finalizer of the interpreter's teardown and print a stray "Exception ignored" traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(status)
