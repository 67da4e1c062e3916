"""One revision: where it applied (or where and why not), its diff with the lines its findings
and traces touch marked in the gutter, its verdicts per scenario and configuration, its checks,
and the range-diff to the revision it supersedes."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...model import Revision, RevisionKind, RevisionReview, Status
from .._revision_view import diff_lines, revision_rows, verdict_rows
from .._thread_view import analysed
from ..widgets.diff_view import DiffView
from ..widgets.status_line import StatusLine
from ._base import ReviewScreen

__all__ = ["RevisionScreen"]

_STATUS_STYLE = {Status.INTRODUCED: "bold red", Status.PRE_EXISTING: "yellow", Status.FIXED: "green"}
SECTIONS = ("head", "diff", "verdicts", "checks", "range-diff")


def _head(revision: Revision, rr: RevisionReview | None) -> Text:
    text = Text(f" {revision.label} · {revision.kind.value}", style="bold")
    if revision.kind is not RevisionKind.BASE:
        text.append(f" · {revision.author.display} · {revision.date:%a %d %b %Y %H:%M %z}\n {revision.title}")
    else:
        text.append(f"\n {revision.title}")
    a = rr.applied if rr else None
    text.append("\n ")
    if rr is None:
        text.append("not analysed yet", style="dim")
    elif revision.kind is RevisionKind.BASE:
        text.append("the tree the revisions apply to", style="dim")
    elif a is None or not a.applied:
        text.append(f"does not apply: {a.error if a and a.error else 'not tried'}", style="bold red")
    else:
        text.append(f"applies on {a.base[:12]} ({a.base_how})" + (" [synthetic base]" if a.synthetic else ""),
                    style="green")
        if any(o.offset for o in a.offsets):
            text.append("; offsets " + ", ".join(f"{o.path} #{o.hunk} {o.offset:+d}" for o in a.offsets if o.offset))
    for note in rr.notes if rr else ():
        text.append(f"\n {note}", style="yellow")
    return text


def _verdicts(rr: RevisionReview | None) -> Table | Text:
    rows = verdict_rows(rr) if rr else []
    if not rows:
        return Text(" simulator: " + ("no verdicts" if rr else "not analysed yet"), style="dim")
    table = Table(title="simulator, per scenario and configuration", title_justify="left", expand=True)
    for column in ("scenario", "configuration", "outcome", "runs", "violations / why not analysed"):
        table.add_column(column, overflow="fold")
    for scenario, config, outcome, runs, found in rows:
        style = "red" if outcome == "violation" else "dim" if outcome == "not-analysed" else "green"
        table.add_row(scenario, config, Text(outcome, style=style), runs, found)
    return table


def _checks(rr: RevisionReview | None) -> Text:
    text = Text(" checks\n", style="bold")
    if rr is None or not rr.findings:
        text.append("  " + ("not analysed yet" if rr is None else "no findings"), style="dim")
        return text
    for n, f in enumerate(rr.findings):
        text.append("\n" if n else "")
        text.append(f"  {f.status.value:<12}", style=_STATUS_STYLE[f.status])
        text.append(f" {f.severity.value} {f.check} {f.file}:{f.line}: {f.message}")
    return text


def _range_diff(revision: Revision, rr: RevisionReview | None) -> Text:
    text = Text(" range-diff", style="bold")
    body = rr.applied.range_diff.strip() if rr and rr.applied else ""
    if not revision.supersedes:
        text.append("\n  (supersedes no earlier revision)", style="dim")
    elif not body:
        text.append("\n  " + ("not analysed yet" if rr is None else "no change in the diff"), style="dim")
    else:
        text.append(" from the revision it supersedes\n")
        text.append("\n".join(f"  {line}" for line in body.split("\n")))
    return text


class RevisionScreen(ReviewScreen):
    BINDINGS = [
        Binding("j,down", "scroll('down')", "scroll down"),
        Binding("k,up", "scroll('up')", "scroll up"),
        Binding("]", "step(1)", "next revision"),
        Binding("[", "step(-1)", "previous revision"),
        Binding("D", "section('range-diff')", "range-diff"),
        Binding("c", "section('checks')", "checks"),
        Binding("escape,q", "app.pop_screen", "back"),
    ]

    def __init__(self, revision_id: str, *, section: str = "head") -> None:
        super().__init__()
        self.revision_id = revision_id
        self.section = section

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="revision"):
            for name in SECTIONS:
                yield DiffView(id=name, classes="section") if name == "diff" else Static(id=name, classes="section")
        yield StatusLine("]/[ revision  D range-diff  c checks  esc back", id="status")

    def on_mount(self) -> None:
        self.state_changed()
        self.query_one("#revision").focus()
        self.action_section(self.section)

    def _revision(self) -> Revision:
        found = [r for r in self.state.opened.revisions if r.id == self.revision_id]
        found += [rr.revision for rr in self.state.review.revisions if rr.revision.id == self.revision_id]
        return found[0]

    def state_changed(self) -> None:
        revision = self._revision()
        rr = analysed(self.state.review, revision.id)
        self.query_one("#head", Static).update(_head(revision, rr))
        self.query_one(DiffView).show(diff_lines(revision, rr))
        self.query_one("#verdicts", Static).update(_verdicts(rr))
        self.query_one("#checks", Static).update(_checks(rr))
        self.query_one("#range-diff", Static).update(_range_diff(revision, rr))
        self.query_one(StatusLine).say(self.state.error or self.state.status, error=bool(self.state.error))

    def action_scroll(self, direction: str) -> None:
        pane = self.query_one("#revision", VerticalScroll)
        pane.scroll_down() if direction == "down" else pane.scroll_up()

    def action_section(self, name: str) -> None:
        self.section = name
        widget = self.query_one(f"#{name}")
        self.call_after_refresh(self.query_one("#revision", VerticalScroll).scroll_to_widget, widget,
                                top=True, animate=False)

    def action_step(self, step: int) -> None:
        ids = [r.revision_id for r in revision_rows(self.state.review, self.state.opened.revisions)]
        n = ids.index(self.revision_id) + step if self.revision_id in ids else 0
        if 0 <= n < len(ids):
            self.revision_id = ids[n]
            self.state_changed()
            self.action_section("head")
