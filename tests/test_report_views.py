"""The text and Markdown views, and the exit status policy."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console

from reviewer.model import Finding, Review, Severity, Status
from reviewer.report import exit_status, render_markdown, render_text


def _text(review: Review, *, terminal: bool) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=140, force_terminal=terminal, color_system="standard" if terminal else None)
    render_text(review, console)
    return buffer.getvalue()


def test_text_view_shows_revisions_verdicts_and_comments_beside_each_other(seed_review: Review) -> None:
    out = _text(seed_review, terminal=False)
    assert "\x1b[" not in out  # piped: plain text
    for revision in ("v1 · formal", "v2 (inline, 23 Mar) · inline", "sketch by Matthew Wilcox, 26 Mar · sketch"):
        assert revision in out
    assert "applies: yes, on c53fe4fa10bf (blobs)" in out
    assert "functions: __free_pages()" in out
    assert "double-free introduced in speculative-lookup [order=1,compound,kmem]" in out
    assert "NAK (veto): Hugh Dickins" in out
    assert "not analysed speculative-lookup [order=0,non-compound,kmem]: mm/page_alloc.c:5090" in out
    # Hugh's comment: its quoted line, its first words, the verdict and where it stands later
    at = out.index("The put_page_testzero() has released our reference")
    before, after = out[at - 400 : at], out[at : at + 4000]
    assert "if (!PageHead(page) && order > 0) {" in before
    assert "simulator double-free on v1" in after
    assert "trace passes mm/page_alloc.c:5148 quoted above" in after
    assert "addressed: v1 present · v2 (inline, 23 Mar) fixed" in after
    # the interleaving that proves the comment right is printed beside it
    trace = after[: after.index("addressed:")]
    assert "CPU0" in trace and "PageHead(P0) = false" in trace
    # the trace is printed with the revision
    assert "P0.refcount 2->1" in out


def test_text_view_is_coloured_on_a_terminal(seed_review: Review) -> None:
    assert "\x1b[" in _text(seed_review, terminal=True)


def test_markdown_view(seed_review: Review) -> None:
    md = render_markdown(seed_review)
    assert md.startswith("# Review of fixture")
    assert "## v2 (inline, 23 Mar) (inline)" in md
    assert "**NAK** (veto): Hugh Dickins" in md
    assert "| introduced | warning | fixes-tag | COMMIT\\_MSG:24 |" in md
    assert "- check **fixes-tag** on v2 (inline, 23 Mar)" in md
    assert "addressed: v1 **present**, v2 (inline, 23 Mar) **fixed**" in md
    assert md.count("```") % 2 == 0


def test_exit_status_follows_the_latest_revision(seed_review: Review) -> None:
    # the sketch (latest) introduces a double free
    assert exit_status(seed_review) == 1
    sketch = seed_review.revisions[-1]
    quiet = replace(sketch, sim_verdicts=tuple(
        replace(v, violations=tuple(replace(x, status=Status.PRE_EXISTING) for x in v.violations))
        for v in sketch.sim_verdicts
    ))
    calm = replace(seed_review, revisions=(*seed_review.revisions[:-1], quiet))
    assert exit_status(calm) == 0
    info = Finding("style", Severity.INFO, sketch.revision.id, "mm/page_alloc.c", 1, "nit")
    assert exit_status(replace(calm, revisions=(*calm.revisions[:-1], replace(quiet, findings=(info,))))) == 0
    warn = replace(info, severity=Severity.WARNING)
    assert exit_status(replace(calm, revisions=(*calm.revisions[:-1], replace(quiet, findings=(warn,))))) == 1
    assert exit_status(replace(seed_review, revisions=())) == 0


def test_summary_gives_each_revision_its_verdict_first(seed_pipeline_review: Review) -> None:
    """One line per revision: what it introduces and fixes, and who stands where on it."""
    from reviewer.report._common import summary_lines

    lines = {line.split(": ", 1)[0]: line for line in summary_lines(seed_pipeline_review)}
    assert list(lines) == ["v1", "v2 (inline, 23 Mar)", "sketch by Matthew Wilcox, 26 Mar"]
    v2 = lines["v2 (inline, 23 Mar)"]
    introduced, _, rest = v2.partition(" · fixes ")
    assert 'bad-page ("page still charged to cgroup")' in introduced and "fixes-tag" in introduced
    assert "double-free" in rest.split(" · ")[0]  # the compound double free, gone in v2
    assert "NAK Hugh Dickins" in v2 and "Reviewed-by Matthew Wilcox" in v2
    assert "double-free" not in lines["v1"].split(" · ")[0]  # pre-existing, not introduced
