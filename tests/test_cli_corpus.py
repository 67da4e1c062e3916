"""End to end on the real threads of the shared corpus (read in place, never copied).

Not the seed's exact verdicts (test_cli_seed does those): that ``review`` reads real-world mail
(quoted-printable patches, multipart/signed replies, a cover letter with a missing 1/2) and gives
a schema-valid report naming every message, with no traceback.
"""

from __future__ import annotations

import email
import json
from pathlib import Path

import jsonschema
import pytest
from _cli_env import Cli
from _lore_server import read_mbox_messages
from _real_data import CORPUS

from reviewer.report.json_view import schema_path

pytestmark = pytest.mark.real_data

# Named, not globbed: a missing corpus must skip these by name, not collect nothing.
THREADS = [CORPUS / f"{name}.mbox" for name in
           ("seed-thread", "split-page-memcg-v2", "gup-try-grab-compound-head-race-v2")]


@pytest.mark.parametrize("mbox", THREADS, ids=lambda p: p.stem)
def test_corpus_thread_gives_a_valid_report(mbox: Path, cli: Cli) -> None:
    result = cli.run(str(mbox), "--no-simulate", "--format", "json")

    assert result.status in (0, 1), result.err
    assert result.err == ""
    doc = json.loads(result.out)
    jsonschema.validate(doc, json.loads(schema_path().read_text()))
    ids = {str(email.message_from_bytes(raw)["Message-ID"]).strip().strip("<>")
           for raw in read_mbox_messages(mbox.read_bytes())}
    assert {m["id"] for m in doc["thread"]["messages"]} == ids
    patches = [r for r in doc["revisions"] if r["kind"] != "base"]
    assert patches, "every corpus thread carries at least one revision"
    for r in patches:  # applied, or the reason it was not
        assert r["applied"] or r["apply"]["error"]["reason"], r["label"]


def test_a_revision_no_scenario_exercises_goes_to_the_generic_harness(cli: Cli) -> None:
    """Silence from the simulator must not read as "clean": the gup patch touches functions no
    built-in scenario exercises, so the generic harness takes them, and says per function why it
    could not run them (without a tree only put_page_refs() is wholly inside the hunks; it runs,
    with `refs` = 1, the reference the harness's caller holds)."""
    result = cli.run(str(CORPUS / "gup-try-grab-compound-head-race-v2.mbox"), "--format", "json")
    assert result.status == 0, result.err
    (v2,) = [r for r in json.loads(result.out)["revisions"] if r["kind"] != "base"]
    sims = [v for v in v2["verdicts"] if v["source"] == "simulator"]
    refs = [v for v in sims if v["scenario"].startswith("generic harness: put_page_refs")]
    assert refs and all(v["outcome"] != "not-analysed" for v in refs)
    assert all(v["reason"].startswith("generic harness: put_page_refs(page, 1)") for v in refs)
    others = [v for v in sims if v not in refs]
    assert others and all(v["outcome"] == "not-analysed" for v in others)
    assert any("try_grab_compound_head() is not wholly inside the hunks" in v["reason"] for v in others)
    text = cli.run(str(CORPUS / "gup-try-grab-compound-head-race-v2.mbox"))
    assert "simulations not analysed" in text.out
    assert "generic harness: put_page_refs(page, 1) on the allocation" in text.out
