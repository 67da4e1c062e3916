"""Pieces of a draft: reply headers, the race diagram's 72 columns, the $EDITOR step, the IMAP
password sources, the [drafts] configuration, and that nothing in the project can send mail."""

from __future__ import annotations

import ast
import email
import email.policy
import os
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from _draft_values import SENDER
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer._config import ImapConfig, load_config
from reviewer._errors import ConfigError, DraftError
from reviewer.drafts import compose_reply, edit_draft, reply_revision, reply_target
from reviewer.drafts.diagram import race_diagram
from reviewer.drafts.headers import reply_subject, sender_address
from reviewer.drafts.imap import imap_password
from reviewer.model import Review, Status, TraceStep, Violation

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("subject, expected", [
    ("[PATCH v2] mm: fix", "Re: [PATCH v2] mm: fix"),
    ("Re: [PATCH] mm: fix", "Re: [PATCH] mm: fix"),
    ("RE: re:Re:  [PATCH] mm:   fix", "Re: [PATCH] mm: fix"),
    ("Re: Re: Re: Re: x", "Re: x"),
])
def test_reply_subject_has_one_re(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_sender_from_git_config_of_the_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "linux"
    repo.mkdir()
    for argv in (["init", "-q"], ["config", "user.name", "Kernel Hacker"],
                 ["config", "user.email", "hacker@example.org"]):
        subprocess.run(["git", "-C", str(repo), *argv], check=True)
    assert str(sender_address("", cwd=repo)) == "Kernel Hacker <hacker@example.org>"
    assert str(sender_address(" Other <o@example.net> ", cwd=repo)) == "Other <o@example.net>"
    with pytest.raises(DraftError, match=r"\[drafts\] from = 'nobody' is not a mail address"):
        sender_address("nobody")
    with pytest.raises(DraftError, match="no sender address"):
        sender_address("", cwd=tmp_path)


def test_reply_target_and_revision_follow_the_thread(seed_review_fixture: Review) -> None:
    review = seed_review_fixture
    latest = reply_target(review)
    assert latest.message_id == "20210326025143.GB1719932@casper.infradead.org"
    # a reply to a message that carries no revision is about the revision above it
    nak = reply_target(review, "<alpine.LSU.2.11.2103251716160.12404@eggly.anvils>")
    about = reply_revision(review, nak)
    assert about is not None and about.revision.label.startswith("v2")
    root = reply_target(review, "20210319071547.60973-1-hannes@cmpxchg.org")
    assert (rr := reply_revision(review, root)) is not None and rr.revision.label == "v1"


def test_compose_is_a_pure_view(seed_review_fixture: Review) -> None:
    when = datetime(2021, 4, 1, 12, 0, tzinfo=UTC)
    one = compose_reply(seed_review_fixture, sender=SENDER, now=when)
    two = compose_reply(seed_review_fixture, sender=SENDER, now=when)
    assert one.get_content() == two.get_content()
    assert one["Message-ID"] != two["Message-ID"]  # each draft its own identity
    assert str(one["Date"]) == "Thu, 01 Apr 2021 12:00:00 +0000"
    with pytest.raises(DraftError, match="Signed-off-by: not a trailer"):
        compose_reply(seed_review_fixture, sender=SENDER, trailer="Signed-off-by")


_effects = st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "P", "Zs")), max_size=140)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 2, -1]), st.text(min_size=1, max_size=90,
                                                                      alphabet="abc_(), *+<>=;{} 0123"),
                          _effects, st.sampled_from(["", "__free_pages", "callee_function_name"])),
                min_size=1, max_size=25))
def test_race_diagram_never_passes_72_columns(steps: list[tuple[int, str, str, str]]) -> None:
    trace = tuple(TraceStep(cpu, f"t{cpu}", "mm/x.c", n, source, effect, fn)
                  for n, (cpu, source, effect, fn) in enumerate(steps))
    lines = race_diagram(Violation("double-free", Status.INTRODUCED, (), "", trace), own={"__free_pages"})
    assert all(len(line) <= 72 for line in lines), [line for line in lines if len(line) > 72]
    if any(cpu >= 0 for cpu, *_ in steps):
        assert lines[0].startswith("CPU0")


def test_race_diagram_columns() -> None:
    trace = (
        TraceStep(0, "owner", "mm/x.c", 1, "if (put_page_testzero(page)) {", "P0.refcount 2->1", "put_page_testzero"),
        TraceStep(1, "holder", "s.toml", 3, "put_page(page);", "P0.refcount 1->0", "put_page_testzero"),
        TraceStep(0, "owner", "mm/x.c", 2, "split_page_memcg(page, 1 << order);", "nothing to split", "split_page_memcg"),
    )
    lines = race_diagram(Violation("charge-leak", Status.INTRODUCED, (), "", trace), own={"__free_pages"})
    assert lines == [
        "CPU0 (owner)                      CPU1 (holder)",
        "if (put_page_testzero(page))",
        "  /* put_page_testzero: P0.refcount 2->1 */",
        "                                  put_page(page);",
        "                                    /* put_page_testzero:",
        "                                       P0.refcount 1->0 */",
        "split_page_memcg(page, 1 << order);",
        "  /* split_page_memcg: nothing to split */",
    ]


def _message() -> EmailMessage:
    msg = EmailMessage(policy=email.policy.default)
    msg["From"] = "Ann Reviewer <ann@example.org>"
    msg["To"] = "Pat Author <pat@example.org>"
    msg["Subject"] = "Re: [PATCH] mm: fix"
    msg["Message-ID"] = "<draft-1@example.org>"
    msg["In-Reply-To"] = "<patch@example.org>"
    msg.set_content("The race:\n\nCPU0\n", charset="utf-8")
    return msg


def _editor(tmp_path: Path, script: str) -> str:
    path = tmp_path / "my editor.py"
    path.write_text(script)
    # split like a shell would (the quoted path keeps its space), run without one
    return f"{sys.executable} '{path}' --flag"


def test_edit_draft_runs_the_editor_and_reads_headers_and_body_back(tmp_path: Path) -> None:
    editor = _editor(tmp_path, (
        "import sys\n"
        "assert sys.argv[1] == '--flag'\n"
        "p = sys.argv[2]\n"
        "text = open(p, encoding='utf-8').read()\n"
        "text = text.replace('Cc: ', 'Cc: ') if 'Cc:' in text else text.replace('\\n\\n', '\\nCc: Zoë <z@example.org>\\n\\n', 1)\n"
        "open(p, 'w', encoding='utf-8').write(text + 'Reviewed-by: Ann Reviewer <ann@example.org>\\n')\n"
    ))
    edited = edit_draft(_message(), editor=editor)
    assert str(edited["Cc"]) == "Zoë <z@example.org>"
    assert str(edited["Message-ID"]) == "<draft-1@example.org>" and str(edited["In-Reply-To"]) == "<patch@example.org>"
    assert edited.get_content().endswith("CPU0\nReviewed-by: Ann Reviewer <ann@example.org>\n")
    assert edited.get_content_charset() == "utf-8"
    assert "format=flowed" not in str(edited["Content-Type"])
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("reviewer-draft-*.eml"))


def test_editor_failure_and_empty_draft_save_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(DraftError, match=r"exited with status 3; draft not saved"):
        edit_draft(_message(), editor=_editor(tmp_path, "raise SystemExit(3)\n"))
    with pytest.raises(DraftError, match="the draft is empty; not saved"):
        edit_draft(_message(), editor=_editor(tmp_path, "import sys\nopen(sys.argv[2], 'w').write('To: x@y\\n\\n\\n')\n"))
    monkeypatch.setenv("VISUAL", "")
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    with pytest.raises(DraftError, match="editor /nonexistent/editor: No such file or directory"):
        edit_draft(_message())
    assert not list(tmp_path.glob("reviewer-draft-*"))  # the temporary copy is gone every time


def test_imap_password_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW_FOR_TEST", "from-env")
    command = (sys.executable, "-c", "print('from-cmd')")
    assert imap_password(ImapConfig(password_env="PW_FOR_TEST", password_cmd=command)) == "from-env"
    monkeypatch.delenv("PW_FOR_TEST")
    assert imap_password(ImapConfig(password_env="PW_FOR_TEST", password_cmd=command)) == "from-cmd"
    # the argv is run as given, never through a shell: ';' and '$' are plain arguments
    echo = (sys.executable, "-c", "import sys; print(sys.argv[1])", "a;b $HOME")
    assert imap_password(ImapConfig(password_env="", password_cmd=echo)) == "a;b $HOME"
    with pytest.raises(DraftError, match=r"password_cmd: .* exited with status 4$"):
        imap_password(ImapConfig(password_cmd=(sys.executable, "-c", "raise SystemExit(4)")))
    with pytest.raises(DraftError, match=r"no IMAP password: set \$PW_FOR_TEST or \[drafts.imap\] password_cmd"):
        imap_password(ImapConfig(password_env="PW_FOR_TEST"))


def test_drafts_configuration(tmp_path: Path) -> None:
    cfg = load_config(include_user=False).drafts
    assert (cfg.to, cfg.sender, cfg.diagrams) == ("maildir", "", 1)
    assert cfg.maildir.name == "drafts" and cfg.mbox.name == "drafts.mbox"
    assert (cfg.imap.security, cfg.imap.port, cfg.imap.folder) == ("tls", 0, "Drafts")
    over = tmp_path / "over.toml"
    over.write_text('[drafts]\nto = "mbox"\nmbox = "~/mail/drafts"\n[drafts.imap]\n'
                    'security = "starttls"\npassword_cmd = "pass show \'mail box\'"\n')
    cfg = load_config(over, include_user=False).drafts
    assert cfg.to == "mbox" and cfg.mbox == Path("~/mail/drafts").expanduser()
    assert cfg.imap.security == "starttls" and cfg.imap.password_cmd == ("pass", "show", "mail box")
    for bad, message in (('[drafts]\nto = "smtp"\n', r"\[drafts\] to = 'smtp' is not one of"),
                         ('[drafts.imap]\nsecurity = "plain"\n', r"\[drafts.imap\] security = 'plain'"),
                         ('[drafts.imap]\nport = "993"\n', r"\[drafts.imap\] port = '993' is not a int"),
                         ('[drafts]\nimap = 3\n', r"\[drafts.imap\] must be a table")):
        over.write_text(bad)
        with pytest.raises(ConfigError, match=message):
            load_config(over, include_user=False)


def _names_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return names


def test_nothing_in_the_project_can_send_mail() -> None:
    """No SMTP client and no sendmail/msmtp/git send-email run anywhere in the product: drafts
    are written for the user's own client, which sends them."""
    senders = ("smtplib", "smtpd", "aiosmtplib", "email.mime.smtp", "sendmail", "msmtp", "send-email")
    hits = []
    for folder in ("reviewer", "checks"):
        for path in (ROOT / folder).rglob("*.py"):
            for name in _names_in(path):
                if any(s == name or name.startswith(s + ".") or (s in ("sendmail", "msmtp", "send-email")
                       and s in name.split()) for s in senders):
                    hits.append(f"{path.relative_to(ROOT)}: {name}")
            text = path.read_text(encoding="utf-8")
            if "smtplib" in text or ".sendmail(" in text or "SMTP(" in text:
                hits.append(f"{path.relative_to(ROOT)}: SMTP text")
    assert hits == []


def test_reply_to_a_revision_that_does_not_apply_says_so(seed_review_fixture: Review) -> None:
    from dataclasses import replace

    from reviewer.model import AppliedRevision, ApplyError

    review = seed_review_fixture
    latest = reply_revision(review, reply_target(review))
    assert latest is not None
    failed = AppliedRevision(latest.revision.id, False, "synthetic", "synthetic",
                             error=ApplyError("mm/page_alloc.c", 1, "patch does not apply"))
    broken = replace(review, revisions=tuple(replace(rr, applied=failed, sim_verdicts=(), findings=())
                                             if rr is latest else rr for rr in review.revisions))
    body = compose_reply(broken, sender=SENDER).get_content()
    assert (f"{latest.revision.label} does not apply: mm/page_alloc.c hunk #1: patch does not apply, "
            "so it was not analysed.") in " ".join(body.split())
    assert "Pre-existing, not introduced by" not in body


def test_earlier_problems_the_answered_revision_no_longer_has_are_one_line(seed_review_fixture: Review) -> None:
    """The answered revision is clean: the earlier revisions' problems are history (one line),
    and the reply is the short "no problem found"."""
    from dataclasses import replace

    review = seed_review_fixture
    latest = reply_revision(review, reply_target(review))
    assert latest is not None
    clean = tuple(replace(v, outcome="clean", violations=()) for v in latest.sim_verdicts)
    fixed = replace(review, revisions=tuple(replace(rr, sim_verdicts=clean, findings=()) if rr is latest else rr
                                            for rr in review.revisions))
    body = compose_reply(fixed, sender=SENDER).get_content()
    text = " ".join(body.split())
    assert text.startswith(f"No problem found in {latest.revision.label} (simulated: ")
    assert "checks: checkpatch, fixes-tag" in text
    assert "What v1, v2 (inline, 23 Mar) introduced is gone in sketch by Matthew Wilcox, 26 Mar." in text
    assert "CPU0" not in body and "wrote:" not in body
