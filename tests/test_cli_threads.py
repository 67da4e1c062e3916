"""End to end on crafted threads: a clean patch (exit 0), a revision that cannot apply, and other
versions of a change posted as separate threads (fixtures/versions/, served on loopback).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from _cli_env import Cli
from _lore_server import FIXTURES, LoreServer, read_mbox_messages

from reviewer._mbox import split_mbox, write_mboxrd
from reviewer.testtree import build_test_tree
from reviewer.thread import build_thread

V1_ROOT = "20240101120000.1-1-alice@example.org"
V2_ROOT = "20240110120000.2-1-alice@example.org"


def _function(name: str, body: list[str]) -> list[str]:
    """Context lines of a whole small C function (so the trees stage can find it in the hunk)."""
    return [f"static int {name}(struct widget *w)", "{", *body]


_TAIL = ["\treturn 0;", "}", ""]


def _mail(msgid: str, subject: str, body: str, *, date: str, reply_to: str | None = None) -> bytes:
    head = [
        "From: Alice Author <alice@example.org>",
        "To: linux-kernel@vger.kernel.org",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: <{msgid}>",
    ]
    if reply_to:
        head += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
    return ("\n".join([*head, "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body])
            ).encode()


def _patch(message: str, path: str, start: int, before: list[str], old: list[str], new: list[str],
           after: list[str]) -> str:
    """A git format-patch body: message, Signed-off-by, one hunk replacing ``old`` by ``new``."""
    hunk = [f" {c}" for c in before] + [f"-{o}" for o in old] + [f"+{n}" for n in new] + \
           [f" {c}" for c in after]
    n_old, n_new = len(before) + len(old) + len(after), len(before) + len(new) + len(after)
    return "\n".join([
        message, "", "Signed-off-by: Alice Author <alice@example.org>", "---",
        f" {path} | {len(old) + len(new)} {'+' * len(new)}{'-' * len(old)}",
        f" 1 file changed, {len(new)} insertions(+), {len(old)} deletions(-)", "",
        f"diff --git a/{path} b/{path}", f"--- a/{path}", f"+++ b/{path}",
        f"@@ -{start},{n_old} +{start},{n_new} @@", *hunk, "-- ", "2.30.1", "",
    ])


def _write_thread(path: Path, messages: list[bytes]) -> Path:
    path.write_bytes(write_mboxrd(messages))
    return path


def _tree_for(mbox: Path, dest: Path) -> Path:
    return build_test_tree(build_thread(split_mbox(mbox.read_bytes())), dest)


def test_clean_thread_exits_0(cli: Cli, tmp_path: Path) -> None:
    body = _patch(
        "The comment says 'recieve'; it means 'receive'.",
        "drivers/misc/widget.c", 40, _function("widget_get", ["\tint n = w->count;"]),
        ["\t/* recieve the widget */"], ["\t/* receive the widget */"], ["\tw->count = n + 1;", *_TAIL],
    )
    mbox = _write_thread(tmp_path / "clean.mbox", [_mail(
        "20240301090000.1-1-alice@example.org", "[PATCH] misc: widget: fix a comment typo", body,
        date="Fri, 01 Mar 2024 09:00:00 +0000")])
    tree = _tree_for(mbox, tmp_path / "linux")

    result = cli.run(str(mbox), "--tree", str(tree), "--format", "json")  # simulator on

    assert result.status == 0, result.out
    doc = json.loads(result.out)
    [v1] = [r for r in doc["revisions"] if r["kind"] != "base"]
    assert v1["applied"] is True and v1["apply"]["files"] == ["drivers/misc/widget.c"]
    introduced = [v for v in v1["verdicts"] if v.get("status") == "introduced"]
    assert introduced == []


def noapply_thread(tmp_path: Path) -> tuple[Path, Path]:
    """(mbox, tree): v1 applies to the tree; v2 was made against a tree nobody has (its context
    lines are not in the file at all). Also used by the TUI's tests."""
    path = "mm/widget.c"
    v1 = _patch("Take the lock before frobbing.", path, 120,
                _function("frobnicate", ["\tint n = w->count;"]), ["\tfrob(w, n);"],
                ["\tspin_lock(&w->lock);", "\tfrob(w, n);", "\tspin_unlock(&w->lock);"], _TAIL)
    v2 = _patch("Take the lock before frobbing (v2).", path, 120,
                _function("frobnicate_all", ["\tstruct gadget *g = w->gadget;"]), ["\tfrob_all(g);"],
                ["\tguard(spinlock)(&w->lock);", "\tfrob_all(g);"], ["\tg->done = true;", *_TAIL])
    root = "20240305090000.1-1-alice@example.org"
    mbox = _write_thread(tmp_path / "noapply.mbox", [
        _mail(root, "[PATCH] mm: widget: lock around frob", v1, date="Tue, 05 Mar 2024 09:00:00 +0000"),
        _mail("20240306090000.2-1-alice@example.org", "[PATCH v2] mm: widget: lock around frob", v2,
              date="Wed, 06 Mar 2024 09:00:00 +0000", reply_to=root),
    ])
    # The tree holds v1's pre-image only (v2's context is nowhere in it).
    tree = build_test_tree(
        build_thread(split_mbox(write_mboxrd([split_mbox(mbox.read_bytes())[0]]))), tmp_path / "linux")
    return mbox, tree


def test_revision_that_cannot_apply_is_named_and_v1_still_analysed(cli: Cli, tmp_path: Path) -> None:
    path = "mm/widget.c"
    mbox, tree = noapply_thread(tmp_path)

    result = cli.run(str(mbox), "--tree", str(tree), "--no-simulate", "--format", "json")

    # The latest revision (v2) was never analysed: it cannot be said to introduce nothing.
    assert result.status == 1, result.err
    doc = json.loads(result.out)
    revs = {r["label"]: r for r in doc["revisions"] if r["kind"] != "base"}
    assert set(revs) == {"v1", "v2"}
    assert revs["v1"]["applied"] is True
    assert [f["name"] for f in revs["v1"]["apply"]["functions"]] == ["frobnicate"]
    assert revs["v2"]["applied"] is False
    error = revs["v2"]["apply"]["error"]
    assert error["path"] == path and error["hunk"] == 1 and error["reason"]

    text = cli.run(str(mbox), "--tree", str(tree), "--no-simulate")
    v2_part = text.out[text.out.index("v2 · "):]
    assert f"{path} hunk #1" in v2_part and error["reason"] in v2_part


def test_other_versions_newer_revision_available(cli: Cli, lore_server: LoreServer) -> None:
    url = f"{lore_server.url}/linux-mm/{V1_ROOT}/"
    text = cli.run(url, "--no-simulate")
    assert text.status in (0, 1), text.err
    assert f"newer revision available: v2 <{V2_ROOT}>" in text.out

    result = cli.run(url, "--no-simulate", "--format", "json")
    others = json.loads(result.out)["other_versions"]
    assert [(o["message_id"], o["relation"]) for o in others] == [(V2_ROOT, "newer")]
    # The decoy (another title, found by the same subject search) is not a version.
    assert "carol@example.com" not in json.dumps(others)
    # Without --all-versions the v2 thread itself is not fetched.
    assert not any(V2_ROOT.replace("@", "%40") in p and p.endswith("t.mbox.gz")
                   for p in lore_server.paths())


def test_all_versions_fetches_and_reviews_the_newer_thread(cli: Cli, lore_server: LoreServer) -> None:
    url = f"{lore_server.url}/linux-mm/{V1_ROOT}/"
    result = cli.run(url, "--no-simulate", "--all-versions", "--format", "json")

    assert result.status in (0, 1), result.err
    doc = json.loads(result.out)
    assert any(V2_ROOT.replace("@", "%40") in p and p.endswith("t.mbox.gz") for p in lore_server.paths())
    v2_ids = {m for raw in read_mbox_messages((FIXTURES / "versions" / "frob-v2.mbox").read_bytes())
              for m in [raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()]}
    assert v2_ids <= {m["id"] for m in doc["thread"]["messages"]}
    labels = [r["label"] for r in doc["revisions"] if r["kind"] != "base"]
    assert "v1" in labels and "v2" in labels
    assert [o["message_id"] for o in doc["other_versions"]] == [V2_ROOT]


def test_all_versions_an_unfetchable_other_version_is_a_note_not_a_failure(
        cli: Cli, lore_server: LoreServer) -> None:
    """Other versions are context: the thread the user asked for is still reviewed when the
    other version's thread cannot be fetched, and the output says which one and why."""
    local, domain = V2_ROOT.split("@")
    lore_server.fail(f"{re.escape(local)}(@|%40){re.escape(domain)}", 404)
    url = f"{lore_server.url}/linux-mm/{V1_ROOT}/"
    result = cli.run(url, "--no-simulate", "--all-versions", "--format", "json")

    assert result.status in (0, 1), result.err
    doc = json.loads(result.out)
    assert "v1" in [r["label"] for r in doc["revisions"] if r["kind"] != "base"]
    assert [o["message_id"] for o in doc["other_versions"]] == [V2_ROOT]
    assert any(V2_ROOT in n and "not fetched" in n for n in doc["notes"]), doc["notes"]


def _positions_of(node: object, email: str) -> list[dict[str, object]]:
    if isinstance(node, dict):
        found = [node] if node.get("email") == email and "stance" in node else []
        return found + [p for v in node.values() for p in _positions_of(v, email)]
    if isinstance(node, list):
        return [p for v in node for p in _positions_of(v, email)]
    return []


def test_all_versions_a_nak_on_the_newer_thread_withdraws_an_ack_on_the_older(
        cli: Cli, lore_server: LoreServer) -> None:
    """--all-versions reviews the versions as one thread: positions are worked out over all of
    it, so a reviewer who acked v1 and NAKed v2 (in its own thread) no longer stands as acking."""
    ack = _mail("20240103100000.GA3@carol.example.com", "Re: [PATCH] mm: frob: fix widget refcount leak",
                "Acked-by: Carol Checker <carol@example.com>\n", date="Wed, 03 Jan 2024 10:00:00 +0000",
                reply_to=V1_ROOT).replace(b"alice@example.org>\nTo", b"carol@example.com>\nTo", 1)
    nak = _mail("20240112100000.GA4@carol.example.com", "Re: [PATCH v2] mm: frob: fix widget refcount leak",
                "I renege and say NAK: the trace point moved.\n", date="Fri, 12 Jan 2024 10:00:00 +0000",
                reply_to=V2_ROOT)
    lore_server.add_message(ack.replace(b"From: Alice Author <alice@example.org>",
                                        b"From: Carol Checker <carol@example.com>"))
    lore_server.add_message(nak.replace(b"From: Alice Author <alice@example.org>",
                                        b"From: Carol Checker <carol@example.com>"))
    url = f"{lore_server.url}/linux-mm/{V1_ROOT}/"
    result = cli.run(url, "--no-simulate", "--all-versions", "--format", "json")

    assert result.status in (0, 1), result.err
    carol = _positions_of(json.loads(result.out), "carol@example.com")
    acks = [p for p in carol if p["stance"] == "Acked-by"]
    assert acks and all(p["standing"] is False for p in acks), carol
    assert any(p["stance"] == "NAK" and p["standing"] for p in carol), carol
