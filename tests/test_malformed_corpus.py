"""The malformed-mail corpus (fixtures/malformed/): every case through ``review``, as a user runs it.

Each ``<case>.toml`` names its mail file and the outcome expected of it (fixtures/malformed/
README.md): one clear error line and exit 2, or a best-effort review whose messages, revisions and
comments are listed. The review runs against a git tree made from ``_tree/`` with the simulator
on; the text view is drawn too, so nothing in the mail can break a view.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from _cli_env import Cli

from reviewer.report.json_view import schema_path

MALFORMED = Path(__file__).resolve().parents[1] / "fixtures" / "malformed"
SPECS = sorted(MALFORMED.glob("*.toml"))


@pytest.fixture(scope="module")
def frob_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-commit git repository of ``_tree/``: the driver the corpus's patches change."""
    tree = tmp_path_factory.mktemp("frob") / "linux"
    shutil.copytree(MALFORMED / "_tree", tree)
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin",
           "GIT_AUTHOR_DATE": "@1706778000 +0000", "GIT_COMMITTER_DATE": "@1706778000 +0000"}
    for args in (["init", "-q", "-b", "master"], ["add", "-A"],
                 ["-c", "user.name=Base", "-c", "user.email=base@example.org", "commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(tree), *args], check=True, env=env)
    return tree


def _author(m: dict[str, Any]) -> str:
    name, email = m["author"]["name"], m["author"]["email"]
    return f"{name} <{email}>" if name else f"<{email}>"


def _check_review(expect: dict[str, Any], doc: dict[str, Any]) -> None:
    messages = {m["id"]: m for m in doc["thread"]["messages"]}
    if "messages" in expect:
        assert len(messages) == expect["messages"]
    if "ids" in expect:
        assert list(messages) == expect["ids"]
    if "root" in expect:
        assert doc["thread"]["root"] == expect["root"]
    for msgid, author in expect.get("authors", {}).items():
        assert _author(messages[msgid]) == author
    for msgid, source in expect.get("date_sources", {}).items():
        assert messages[msgid]["date_source"] == source
    for msgid, parent in expect.get("parents", {}).items():
        assert messages[msgid]["parent"] == (parent or None)
    texts = [c["text"] for c in doc["comments"]]
    for wanted in expect.get("comments", []):
        assert any(wanted in t for t in texts), (wanted, texts)
    for unwanted in expect.get("no_comments", []):
        assert not any(unwanted in t for t in texts), (unwanted, texts)
    for pattern in expect.get("notes", []):
        assert any(re.search(pattern, n) for n in doc["notes"]), (pattern, doc["notes"])

    revisions = [r for r in doc["revisions"] if r["kind"] != "base"]
    assert [r["label"] for r in revisions] == [r["label"] for r in expect.get("revisions", [])]
    for want, got in zip(expect.get("revisions", []), revisions, strict=True):
        apply = got["apply"] or {}
        for key in ("kind", "applied", "title"):
            if key in want:
                assert got[key] == want[key], (key, got[key])
        if "files" in want:
            assert apply["files"] == want["files"]
        if "error" in want:
            assert apply["error"] and re.search(want["error"], apply["error"]["reason"]), apply["error"]
        elif got["applied"]:
            assert apply["error"] is None
        for pattern in want.get("notes", []):
            assert any(re.search(pattern, n) for n in got["notes"]), (pattern, got["notes"])


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_malformed_case(spec: Path, cli: Cli, frob_tree: Path) -> None:
    expect = tomllib.loads(spec.read_text())
    mail = MALFORMED / expect["file"]
    args = [str(mail), "--tree", str(frob_tree)]
    result = cli.run(*args, "--format", "json")

    if "error" in expect:
        assert (result.status, result.out) == (2, "")
        (line,) = result.err.splitlines()
        assert re.fullmatch(f"review: {re.escape(expect['file'])}: .*", line.replace(str(MALFORMED) + "/", ""))
        assert re.search(expect["error"], line), line
        return
    assert result.err == "", result.err
    assert result.status in expect["exit"]
    doc = json.loads(result.out)
    jsonschema.validate(doc, json.loads(schema_path().read_text()))
    _check_review(expect, doc)
    text = cli.run(*args)
    assert text.status == result.status and text.err == ""
    assert all(r["label"] in text.out for r in expect.get("revisions", []))


def test_every_case_has_its_expectation_and_every_expectation_its_case() -> None:
    mails = {p.name for p in MALFORMED.iterdir()
             if p.is_file() and p.suffix not in (".toml", ".py", ".md") and not p.name.startswith(".")}
    named = {tomllib.loads(p.read_text())["file"] for p in SPECS}
    assert mails == named
    for spec in SPECS:
        expect = tomllib.loads(spec.read_text())
        assert expect["what"] and expect["outcome"], spec.name
        assert ("error" in expect) != ("exit" in expect), f"{spec.name}: an error line or a review"


def test_cases_are_what_the_builder_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("build_cases", MALFORMED / "build_cases.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_cases", build)
    spec.loader.exec_module(build)
    for name, data in build.build().items():
        assert (MALFORMED / name).read_bytes() == data, name
