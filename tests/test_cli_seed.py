"""End to end: ``review`` on the seed thread, through every input form, as text, JSON and Markdown.

The expected thread shape is read from the fixture's own headers with the standard library
(not with reviewer's parsers), so the outline is checked against an independent reading.
"""

from __future__ import annotations

import email
import email.utils
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from _cli_env import SEED_ROOT, Cli, review_env
from _lore_server import FIXTURES, LoreServer, read_mbox_messages

from reviewer.report.json_view import schema_path
from reviewer.testtree import build_test_tree

SEED = FIXTURES / "seed.mbox"
LORE = "https://lore.kernel.org"
HUGH_NAK = "alpine.LSU.2.11.2103251716160.12404@eggly.anvils"
HUGH_ACK_V2 = "alpine.LSU.2.11.2103231310020.5513@eggly.anvils"
MICHAL_ACK_V2 = "seed-synthetic-20210325015849-mhocko@reviewer.invalid"
WILLY_REVIEW_V2 = "20210323191207.GJ1719932@casper.infradead.org"
LABELS = ("v1", "v2 (inline, 23 Mar)", "sketch by Matthew Wilcox, 26 Mar")
_TREE_LINE = re.compile(r"^([ │]*)[└├]── (\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d{4})  (.+)$")


def _seed_messages() -> list[email.message.Message]:
    return [email.message_from_bytes(raw) for raw in read_mbox_messages(SEED.read_bytes())]


def _msgid(value: object) -> str:
    return str(value or "").strip().strip("<>")


def _stamp(msg: email.message.Message) -> str:
    return email.utils.parsedate_to_datetime(str(msg["Date"])).strftime("%Y-%m-%d %H:%M %z")


def _outline(out: str) -> list[tuple[int, str, str]]:
    """(depth, date stamp, rest of line) of every outline line, in printed order."""
    lines = []
    for line in out.split("\n"):
        m = _TREE_LINE.match(line)
        if m:
            lines.append((len(m.group(1)) // 4, m.group(2), m.group(3)))
    return lines


def _assert_outline_is_the_reply_tree(out: str) -> None:
    msgs = _seed_messages()
    stamp_of = {_msgid(m["Message-ID"]): _stamp(m) for m in msgs}
    parent_stamp = {_stamp(m): stamp_of.get(_msgid(m["In-Reply-To"])) for m in msgs}
    printed = _outline(out)
    assert sorted(s for _, s, _ in printed) == sorted(stamp_of.values())  # every message, once
    stack: list[str] = []
    for depth, stamp, _ in printed:
        del stack[depth:]
        assert (stack[-1] if stack else None) == parent_stamp[stamp], f"{stamp} under the wrong parent"
        stack.append(stamp)


def _position(out: str, person: str, stance: str, given: str) -> list[str]:
    """The cells of the one Positions table row for ``person``'s ``stance`` given on ``given``."""
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in out.split("\n")
            if line.startswith("│")]
    found = [r for r in rows if len(r) == 5 and r[0].startswith(person) and r[1].startswith(stance)
             and r[2].startswith(given)]
    assert len(found) == 1, (person, stance, given, rows)
    return found[0]


def _section(out: str, label: str) -> str:
    """The text report's section of one revision: from its rule line to the next rule line."""
    start = out.index(f"\n{label} · ") + 1
    nxt = re.search(r"\n\S.* · \S+ ─", out[start + 1 :])
    return out[start : start + 1 + nxt.start()] if nxt else out[start:]


def test_lore_url_prints_the_thread_tree_and_the_positions(cli: Cli, lore_via_proxy: LoreServer) -> None:
    result = cli.run(f"{LORE}/linux-mm/{SEED_ROOT}/", "--no-simulate")

    assert result.status == 1, result.err
    assert result.err == ""
    _assert_outline_is_the_reply_tree(result.out)
    assert any(p.endswith(f"/{SEED_ROOT.replace('@', '%40')}/t.mbox.gz") for p in lore_via_proxy.paths())
    # The outline marks each message's stance.
    stances = {stamp: rest for _, stamp, rest in _outline(result.out)}
    assert stances["2021-03-25 18:55 -0700"].endswith("[NAK]")
    assert stances["2021-03-23 19:12 +0000"].endswith("[Reviewed-by]")
    assert stances["2021-03-25 01:58 +0000"].endswith("[Acked-by]")

    # The Positions table: who, what, when given, and whether it stands.
    assert _position(result.out, "Hugh Dickins", "NAK", "2021-03-25")[-1] == "standing"
    assert _position(result.out, "Hugh Dickins", "Acked-by", "2021-03-23")[-1] == \
        "withdrawn by 2021-03-25 Hugh Dickins"
    assert _position(result.out, "Michal Hocko", "Acked-by", "2021-03-25")[-1] == "standing"
    assert _position(result.out, "Matthew Wilcox", "Reviewed-by", "2021-03-23")[-1] == "standing"

    v2 = _section(result.out, "v2 (inline, 23 Mar)")
    assert "NAK (veto): Hugh Dickins (25 Mar 2021)" in v2
    assert "Acked-by: Hugh Dickins (23 Mar 2021) [withdrawn]" in v2
    assert "Acked-by: Michal Hocko (25 Mar 2021)" in v2
    assert "Reviewed-by: Matthew Wilcox (Oracle) (23 Mar 2021)" in v2
    for label in LABELS:
        assert f"{label} · " in result.out


def _write_maildir(root: Path, messages: list[bytes]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for i, raw in enumerate(messages):
        (root / "cur" / f"{1616137000 + i}.{i}_0.host:2,S").write_bytes(raw)
    return root


@pytest.mark.parametrize("form", [
    f"{LORE}/linux-mm/{SEED_ROOT}/T/",
    f"{LORE}/linux-mm/{SEED_ROOT}/t/",
    f"{LORE}/linux-mm/{HUGH_NAK}/raw",
    f"{LORE}/all/{SEED_ROOT}/",
    f"{LORE}/r/{WILLY_REVIEW_V2}",
    HUGH_NAK,
    f"<{SEED_ROOT}>",
    f"https://patchwork.kernel.org/project/linux-mm/patch/{SEED_ROOT}/",
    "mbox", "maildir",
])
def test_every_input_form_gives_the_whole_thread(
    form: str, cli: Cli, lore_via_proxy: LoreServer, tmp_path: Path,
) -> None:
    messages = read_mbox_messages(SEED.read_bytes())
    if form == "mbox":
        form = str(SEED)
    elif form == "maildir":
        form = str(_write_maildir(tmp_path / "Maildir", messages))
    result = cli.run(form, "--no-simulate", "--format", "json")

    assert result.status == 1, result.err
    doc = json.loads(result.out)
    ids = {_msgid(email.message_from_bytes(raw)["Message-ID"]) for raw in messages}
    assert {m["id"] for m in doc["thread"]["messages"]} == ids
    assert doc["thread"]["root"] == SEED_ROOT
    assert [r["label"] for r in doc["revisions"] if r["kind"] != "base"] == list(LABELS)
    if form.startswith(("http", "<")) or "@" in form:
        assert lore_via_proxy.paths(), "a remote form must be fetched from the (loopback) server"
    else:
        assert lore_via_proxy.paths() == [], "a local form must not touch the network"


def test_single_eml_is_a_one_message_thread(cli: Cli, lore_via_proxy: LoreServer, tmp_path: Path) -> None:
    root = read_mbox_messages(SEED.read_bytes())[0]
    eml = tmp_path / "patch.eml"
    eml.write_bytes(root)
    result = cli.run(str(eml), "--no-simulate", "--format", "json")

    doc = json.loads(result.out)
    assert [m["id"] for m in doc["thread"]["messages"]] == [SEED_ROOT]
    assert [r["label"] for r in doc["revisions"] if r["kind"] != "base"] == ["v1"]
    # v1 alone introduces the split-then-free error: exit 1, whatever the format.
    assert result.status == 1
    assert lore_via_proxy.paths() == []


def test_json_report_on_a_test_tree(cli: Cli, tmp_path: Path) -> None:
    """The full analysis (simulator on) against a tree built from the thread's pre-images."""
    from reviewer._mbox import split_mbox
    from reviewer.thread import build_thread

    tree = build_test_tree(build_thread(split_mbox(SEED.read_bytes())), tmp_path / "linux")
    result = cli.run(str(SEED), "--tree", str(tree), "--format", "json")

    assert result.status == 1, result.err
    doc = json.loads(result.out)
    jsonschema.validate(doc, json.loads(schema_path().read_text()))
    assert doc["schema"] == "reviewer/1"
    revs = doc["revisions"]
    assert [r["kind"] for r in revs] == ["base", "formal", "inline", "sketch"]
    assert [r["label"] for r in revs[1:]] == list(LABELS)
    head = _git_head(tree)
    for r in revs:
        assert r["applied"] is True, r["label"]
        assert r["apply"]["synthetic"] is False and r["apply"]["base"] == head
    assert revs[0]["id"].startswith("base-")
    assert all(o["offset"] == 0 for r in revs[1:3] for o in r["apply"]["offsets"])
    assert [o["offset"] for o in revs[3]["apply"]["offsets"]] != [0]  # numbered against another tree
    assert all(r["apply"]["ref"].startswith("refs/reviewer/") for r in revs[1:])

    # Exit 1 because the latest revision introduces something: show it is so in the document.
    sketch = revs[3]
    introduced = [v["property"] for x in sketch["verdicts"] if x["source"] == "simulator"
                  for v in x["violations"] if v["status"] == "introduced"]
    assert introduced, "the sketch should introduce simulator violations"
    assert any(x["source"] == "simulator" and x["outcome"] == "clean" for x in sketch["verdicts"])

    v2 = {(p["email"], p["stance"], p["message_id"]): p for p in revs[2]["positions"]}
    nak = v2[("hughd@google.com", "NAK", HUGH_NAK)]
    assert nak["standing"] is True
    ack = v2[("hughd@google.com", "Acked-by", HUGH_ACK_V2)]
    assert ack["standing"] is False and ack["withdrawn_by"] == HUGH_NAK
    assert v2[("mhocko@suse.com", "Acked-by", MICHAL_ACK_V2)]["standing"] is True
    assert v2[("willy@infradead.org", "Reviewed-by", WILLY_REVIEW_V2)]["standing"] is True


def _git_head(tree: Path) -> str:
    return subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_console_script_writes_json_and_nothing_else(tmp_path: Path) -> None:
    """The installed ``review`` script as a real process: clean JSON on stdout, empty stderr."""
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[b4]\n\tmidmask = http://127.0.0.1:9/all/%s\n")  # never needed: local mbox
    script = Path(sys.executable).with_name("review")
    proc = subprocess.run([str(script), str(SEED), "--no-simulate", "--format", "json"],
                          capture_output=True, text=True, env=review_env(tmp_path, gitconfig),
                          cwd=tmp_path, timeout=60, check=False)

    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, json.loads(schema_path().read_text()))
    assert len(doc["thread"]["messages"]) == 13


def test_markdown_report(cli: Cli) -> None:
    result = cli.run(str(SEED), "--no-simulate", "--format", "markdown")

    assert result.status == 1, result.err
    md = result.out
    assert md.startswith(f"# Review of {SEED}")
    headings = [line for line in md.split("\n") if line.startswith("## ")]
    for label in LABELS:
        assert any(label in h for h in headings), label
    assert "## Comments" in headings
    # The outline is in a code block: every message's date is in it.
    block = md.split("```")[1]
    for msg in _seed_messages():
        assert _stamp(msg)[:16] in block
