"""Property tests: generated input through each parser, which may refuse it (its own error, one
line) but never crash, hang or break its invariants.

The normal suite runs each property a small, fixed budget (hypothesis profile ``ci``);
``make fuzz`` runs the same properties with the ``fuzz`` profile (at least 100,000 inputs in all;
the latest result is in TESTING.md). Properties:

* mbox splitting of any bytes; mboxrd write/split round trip;
* the thread builder on messages with hostile headers (duplicate ids, reply loops, broken dates,
  encodings and MIME) and bodies (quotes, diffs, signatures): a tree, every message once;
* the revision finder on those threads, and the diff scanner on diff-shaped lines (its output
  written back scans to the same files and hunks);
* the C front end: generated C functions (and C-shaped junk) compiled and run by the simulator's
  interpreter: a value, or NotAnalysed, nothing else;
* comment anchoring: replies quoting (and damaging) random lines of a revision anchor to lines
  the revision has;
* HTML bodies and Retry-After headers.
"""

from __future__ import annotations

import contextlib
import string
from datetime import UTC, datetime

from hypothesis import assume, given
from hypothesis import strategies as st

from reviewer._errors import MailError, ReviewerError
from reviewer._mbox import split_mbox, write_mboxrd
from reviewer._retry import retry_after_seconds
from reviewer.model import FunctionImage, RevisionKind, Thread
from reviewer.revisions import find_revisions, scan_diffs
from reviewer.sim.interp import Program
from reviewer.sim.model.put import allocate
from reviewer.sim.model.state import Cpu, KernelState, ModelOptions
from reviewer.thread import build_thread
from reviewer.thread._html import html_to_text
from reviewer.verdicts.comments import split_comments

# --------------------------------------------------------------------------- mail

_IDS = [f"m{n}@example.org" for n in range(6)]
_LINE = st.one_of(
    st.sampled_from([
        "", "-- ", "--", "2.30.1", "---", "> quoted", "> > deeper", ">From escaped", "From the top",
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001",
        "From: A <a@example.org>", "Subject: [PATCH v2] x: y", "Date: Fri, 2 Feb 2024 09:00:00 +0000",
        "diff --git a/x.c b/x.c", "diff --git a/d ir/f g.c b/d ir/f g.c", 'diff --git "a/q\\tz.c" "b/q\\tz.c"',
        "index 1111111..2222222 100644", "new file mode 100644", "deleted file mode 100644",
        "rename from x.c", "rename to ../y.c", "old mode 100644", "new mode 120000",
        "--- a/x.c", "+++ b/x.c", "--- /dev/null", "+++ /dev/null",
        "@@ -1,3 +1,4 @@ int f(void)", "@@ -1 +1 @@", "@@ -0,0 +1,2 @@", "@@ -5,2 +5,0 @@",
        " \tint x;", "-\treturn 1;", "+\treturn 2;", "+", "-", " ", "\\ No newline at end of file",
        "Acked-by: B <b@example.org>", "Reviewed-by: C <c@example.org>", "NAK", "Signed-off-by: A <a@example.org>",
        "-- >8 --", "base-commit: 0123456789abcdef0123456789abcdef01234567", "On Fri, A wrote:",
    ]),
    st.text(alphabet=string.printable.replace("\n", "").replace("\r", "") + "\u00e9\u2014", max_size=30),
)
_BODY = st.lists(_LINE, max_size=30).map("\n".join)


@st.composite
def _message(draw: st.DrawFn) -> bytes:
    headers: list[str] = []
    if draw(st.booleans()):
        headers.append(f"From: {draw(st.sampled_from(['A <a@example.org>', '=?utf-8?B?SsO2cmc=?= <j@x>', '=?x-bad?Q?z?= <z@x>', 'nobody', '']))}")
    if draw(st.integers(0, 4)):
        headers.append(f"Message-ID: <{draw(st.sampled_from(_IDS))}>")
    if draw(st.booleans()):
        headers.append(f"In-Reply-To: <{draw(st.sampled_from(_IDS))}>")
    if draw(st.booleans()):
        refs = draw(st.lists(st.sampled_from(_IDS), max_size=4))
        headers.append("References: " + " ".join(f"<{r}>" for r in refs))
    headers.append("Subject: " + draw(st.sampled_from(
        ["[PATCH] x: y", "Re: [PATCH v3 2/5] x: y", "[RFC PATCHv2] z", "Re: Re: question", "", "=?utf-8?Q?=E2=80=94?="])))
    headers.append("Date: " + draw(st.sampled_from(
        ["Fri, 2 Feb 2024 09:00:00 +0000", "Sat, 3 Feb 2024 10:00:00 -0800", "2 Feb 2024", "garbage",
         "Fri, 2 Feb 2024 09:00:00", "Thu, 1 Jan 1970 00:00:00 +0000"])))
    encoding = draw(st.sampled_from(["plain", "qp", "base64", "html", "multipart"]))
    body = draw(_BODY)
    if encoding == "qp":
        headers += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
        body = body.replace("=", "=3D") + "=\n=E2=80"
    elif encoding == "base64":
        headers += ["Content-Type: text/plain; charset=x-unknown", "Content-Transfer-Encoding: base64"]
        body = draw(st.sampled_from(["ZGlmZiAtLWdpdA==", "not base64!", ""]))
    elif encoding == "html":
        headers.append("Content-Type: text/html")
        body = "<p>" + body.replace("\n", "<br>") + "</p><blockquote>q</blockquote>"
    elif encoding == "multipart":
        headers.append('Content-Type: multipart/mixed; boundary="B"')
        body = f"--B\nContent-Type: text/plain\n\n{body}\n--B\nContent-Type: text/x-patch\n\n{draw(_BODY)}\n--B"
    return ("\n".join(headers) + "\n\n" + body + "\n").encode("utf-8", "surrogateescape")


def _check_thread(thread: Thread) -> None:
    ids = [m.message_id for m in thread.messages]
    assert len(ids) == len(set(ids)) and thread.root in ids
    by_id = {m.message_id: m for m in thread.messages}
    for m in thread.messages:
        assert m.parent is None or m.parent in by_id
        seen = {m.message_id}
        up = m.parent
        while up is not None:  # no cycle
            assert up not in seen
            seen.add(up)
            up = by_id[up].parent
        assert all(by_id[c].parent == m.message_id for c in m.children)
        for seg in m.segments:
            assert seg.first_line >= 0 and seg.first_line + seg.line_count <= len(m.lines)
    dates = [m.date for m in thread.messages]
    assert dates == sorted(dates)


@given(st.binary(max_size=400) | st.lists(_LINE, max_size=20).map(lambda ls: "\n".join(ls).encode()))
def test_split_mbox_takes_any_bytes(data: bytes) -> None:
    try:
        messages = split_mbox(data)
    except MailError:
        return
    assert all(m.endswith(b"\n") and m.strip() for m in messages)


@given(st.lists(_message(), min_size=1, max_size=4))
def test_mboxrd_round_trip_keeps_every_message(messages: list[bytes]) -> None:
    again = split_mbox(write_mboxrd(messages))
    assert [m.rstrip(b"\n") for m in again] == [m.replace(b"\r\n", b"\n").rstrip(b"\n") for m in messages
                                                if m.strip()]


@given(st.lists(_message(), min_size=1, max_size=8))
def test_thread_builder_gives_a_tree_of_every_message_once(messages: list[bytes]) -> None:
    try:
        thread = build_thread(messages)
    except MailError:
        return
    _check_thread(thread)
    for revision in find_revisions(thread):
        assert revision.kind is not RevisionKind.BASE and revision.message_id in {m.message_id for m in thread.messages}
        assert scan_diffs(revision.diff.split("\n")), revision.diff


@given(st.lists(_LINE, max_size=40))
def test_scanned_diffs_written_back_scan_the_same(lines: list[str]) -> None:
    files = scan_diffs(lines)
    for f in files:
        assert 0 <= f.first_line < f.end_line <= len(lines)
        again = scan_diffs(f.patch_lines())
        assert len(again) == 1, f.patch_lines()
        (g,) = again
        assert (g.old_path, g.new_path) == (f.old_path, f.new_path)
        assert [h.lines for h in g.hunks] == [h.lines for h in f.hunks]


# --------------------------------------------------------------------------- the C front end

_VARS = ["a", "b", "c", "x", "y"]
_BINOPS = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "&&", "||", "==", "!=", "<", ">", "<=", ">="]


def _expr(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(_VARS), st.integers(-3, 70).map(str),
                     st.sampled_from(["0x7fffffff", "4294967295U", "-2147483648", "1UL", "'a'", "NULL"]))
    if depth == 0:
        return leaf
    sub = _expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(_BINOPS), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "!", "~", "(unsigned int)", "(long)", "(bool)", "(u8)"]), sub)
        .map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(sub, sub, sub).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        st.tuples(st.sampled_from(["min", "max", "unknown_helper", "likely", "unlikely", "WARN_ON"]), sub)
        .map(lambda t: f"{t[0]}({t[1]}{', 1' if t[0] in ('min', 'max') else ''})"),
    )


def _stmt(depth: int) -> st.SearchStrategy[str]:
    target = st.sampled_from(["x", "y"])  # loop counters (i, j) are never assigned: loops end
    simple = st.one_of(
        st.tuples(target, st.sampled_from(["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^="]),
                  _expr(2)).map(lambda t: f"{t[0]} {t[1]} {t[2]};"),
        st.tuples(target, st.sampled_from(["++", "--"])).map(lambda t: f"{t[0]}{t[1]};"),
        _expr(2).map(lambda e: f"return {e};"),
        st.just("break;"), st.just("continue;"), st.just(";"),
        st.sampled_from(["#ifdef CONFIG_MEMCG\n\tx++;\n#endif", "#if CONFIG_NR > 2\n\ty = 1;\n#else\n\ty = 2;\n#endif"]),
    )
    if depth == 0:
        return simple
    block = st.lists(_stmt(depth - 1), max_size=3).map(lambda ss: "{\n" + "\n".join(ss) + "\n}")
    return st.one_of(
        simple,
        st.tuples(_expr(2), block).map(lambda t: f"if ({t[0]}) {t[1]}"),
        st.tuples(_expr(2), block, block).map(lambda t: f"if ({t[0]}) {t[1]} else {t[2]}"),
        st.tuples(st.sampled_from(["i", "j"]), st.integers(0, 4), block)
        .map(lambda t: f"for (int {t[0]} = 0; {t[0]} < {t[1]}; {t[0]}++) {t[2]}"),
        st.tuples(st.integers(0, 3), block).map(lambda t: f"{{ int n = {t[0]}; while (n-- > 0) {t[1]} }}"),
    )


_C_JUNK = st.lists(st.sampled_from([
    "x", "y", "a", "(", ")", "{", "}", ";", "=", "+", "*", "&", "->", ".", "[", "]", "0", "1", ",", "if", "else",
    "return", "int", "struct page *", "page", "#if", "#endif", "\n", "?", ":", "sizeof", "\"s\"", "/*", "*/",
]), max_size=40).map(" ".join)


def _run_c(body: str, args: list[int]) -> object:
    source = f"int f(int a, int b, unsigned int c)\n{{\n\tint x = 0, y = 1;\n{body}\n\treturn x + y;\n}}\n"
    image = FunctionImage("f", "mm/x.c", 10, 10 + source.count("\n"), source)
    program = Program({"f": image}, kconfig={"CONFIG_MEMCG": True, "CONFIG_NR": 3}, lookup=None, debug_vm=False)
    state = KernelState.empty(4, ModelOptions())
    allocate(state, 2, compound=False, kmem=False)
    gen = program.function("f")(Cpu(0, "t", state), args)
    try:
        for _ in range(10_000):
            next(gen)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("more than 10,000 model steps for a function without calls into the model")


_ARGS = st.lists(st.integers(-2**31, 2**32 - 1), min_size=3, max_size=3)


@given(st.lists(_stmt(2), max_size=6).map("\n".join), _ARGS)
def test_generated_c_runs_or_is_not_analysed(body: str, args: list[int]) -> None:
    with contextlib.suppress(ReviewerError):  # NotAnalysed: it said what it cannot evaluate
        _run_c(body, args)


@given(_C_JUNK, _ARGS)
def test_c_shaped_junk_is_not_analysed_or_runs(body: str, args: list[int]) -> None:
    assume("while" not in body and "for" not in body)
    with contextlib.suppress(ReviewerError):
        _run_c(body, args)


# --------------------------------------------------------------------------- comment anchoring

_PATCH = """\
From: A <a@example.org>
Subject: [PATCH] x: fix y
Date: Fri, 2 Feb 2024 09:00:00 +0000
Message-ID: <p@example.org>

Fix y.

Signed-off-by: A <a@example.org>
---
diff --git a/mm/x.c b/mm/x.c
index 1111111..2222222 100644
--- a/mm/x.c
+++ b/mm/x.c
@@ -10,6 +10,7 @@ int f(int a)
 {
 \tint x = a;
-\tx++;
+\tx += 2;
+\tput(x);
 \treturn x;
 }

@@ -30,3 +31,3 @@ void g(void)
 \th();
-\tk(1);
+\tk(2);
"""
_DIFF_LINES = [line for line in _PATCH.split("---\n", 1)[1].split("\n") if line[:1] in (" ", "+", "-")
               and not line.startswith(("---", "+++"))]


@st.composite
def _reply(draw: st.DrawFn, n: int) -> bytes:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        picked = draw(st.lists(st.sampled_from(_DIFF_LINES), min_size=0, max_size=4))
        depth = draw(st.integers(1, 3))
        damage = draw(st.sampled_from(["none", "tabs", "space"]))
        quoted = []
        for line in picked:
            if damage == "tabs":
                line = line.replace("\t", "        ")
            elif damage == "space":
                line = line.lstrip(" ")
            quoted.append("> " * depth + line)
        parts.append("\n".join(quoted) + "\n\n" + draw(_BODY.filter(lambda b: not b.startswith(">"))))
    parent = draw(st.sampled_from(["p@example.org", *(f"r{k}@example.org" for k in range(n))]))
    head = (f"From: R{n} <r{n}@example.org>\nSubject: Re: [PATCH] x: fix y\nDate: Fri, 2 Feb 2024 1{n}:00:00 +0000\n"
            f"Message-ID: <r{n}@example.org>\nIn-Reply-To: <{parent}>\n\n")
    return (head + "\n\n".join(parts) + "\n").encode()


@given(st.integers(1, 4).flatmap(lambda k: st.tuples(*(_reply(n) for n in range(k)))))
def test_comments_anchor_to_lines_their_revision_has(replies: tuple[bytes, ...]) -> None:
    thread = build_thread([_PATCH.encode(), *replies])
    revisions = find_revisions(thread)
    by_id = {r.id: r for r in revisions}
    lines_of: dict[str, set[tuple[str, int]]] = {}
    for r in revisions:
        for f in scan_diffs(r.diff.split("\n")):
            for h in f.hunks:
                lines_of.setdefault(r.id, set()).update((f.path, n) for n, _ in h.new_lines + h.old_lines)
    for comment in split_comments(thread, revisions):
        if comment.anchor_revision is None:
            continue
        assert comment.anchor_revision in by_id
        if comment.anchor_file is not None:
            assert (comment.anchor_file, comment.anchor_line) in lines_of[comment.anchor_revision], comment


# --------------------------------------------------------------------------- small parsers


@given(st.text(max_size=300) | st.lists(st.sampled_from(
    ["<p>", "</p>", "<blockquote>", "</blockquote>", "<br>", "<pre>", "</pre>", "<script>", "</script>",
     "&amp;", "&#x2014;", "&bogus;", "<", ">", "text", "\n", "\t", "<style>"]), max_size=40).map("".join))
def test_html_bodies_become_text(html: str) -> None:
    text = html_to_text(html)
    assert text.endswith("\n") and "<script>" not in text.lower()


@given(st.text(max_size=40) | st.datetimes(timezones=st.just(UTC)).map(
    lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")))
def test_retry_after_is_seconds_or_nothing(value: str) -> None:
    seconds = retry_after_seconds(value, now=datetime(2024, 2, 2, tzinfo=UTC))
    assert seconds is None or seconds >= 0
