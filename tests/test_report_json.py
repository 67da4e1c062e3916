"""The JSON view follows its published schema (reviewer/report/schema/reviewer-1.schema.json)."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from _verdict_values import every_kind_review

from reviewer.model import Review
from reviewer.report import SCHEMA_ID, review_to_json, schema_path


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path().read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID and "reviewer-1" in SCHEMA_ID
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _roundtrip(review: Review) -> dict[str, Any]:
    # what `review --format json` writes is what a consumer reads back
    out: dict[str, Any] = json.loads(json.dumps(review_to_json(review)))
    return out


def test_seed_review_validates_and_keeps_the_contract_shapes(seed_review: Review, validator: jsonschema.protocols.Validator) -> None:
    doc = _roundtrip(seed_review)
    validator.validate(doc)
    assert doc["schema"] == "reviewer/1"
    assert doc["thread"]["root"] == seed_review.thread.root
    kinds = [r["kind"] for r in doc["revisions"]]
    assert kinds == ["base", "formal", "inline", "sketch"]  # the base is listed even if not simulated
    v1 = doc["revisions"][1]
    sim = [v for v in v1["verdicts"] if v["source"] == "simulator"]
    assert {"scenario", "config", "outcome", "executions", "violations"} <= set(sim[0])
    assert sim[0]["config"] == {"order": 1, "compound": True, "kmem": True, "key": "order=1,compound,kmem"}
    assert sim[0]["violations"][0]["property"] == "double-free"
    assert sim[0]["violations"][0]["trace"][2]["line"] == 5148
    v2 = doc["revisions"][2]
    assert any(v["source"] == "check" and v["check"] == "fixes-tag" for v in v2["verdicts"])
    assert any(p["stance"] == "NAK" and p["standing"] for p in v2["positions"])
    hugh = next(c for c in doc["comments"] if c["text"].startswith("The put_page_testzero() has released"))
    assert hugh["anchor"]["file"] == "mm/page_alloc.c" and hugh["anchor"]["line"] == 5148
    assert hugh["addressed"]["v2 (inline, 23 Mar)"] == "fixed"
    assert {link["source"] for link in hugh["links"]} == {"simulator"}
    assert all("property" in link and "why" in link for link in hugh["links"])


def test_every_kind_of_value_validates(seed_review: Review, validator: jsonschema.protocols.Validator) -> None:
    doc = _roundtrip(every_kind_review(seed_review))
    validator.validate(doc)
    kinds = {r["kind"] for r in doc["revisions"]}
    assert kinds == {"base", "formal", "inline", "sketch"}
    failed = next(r for r in doc["revisions"] if r["label"] == "v3")
    assert failed["applied"] is False and failed["apply"]["error"]["reason"] == "does not apply"
    assert {v["status"] for v in failed["verdicts"]} == {"fixed", "pre-existing"}
    assert any(not p["standing"] and p["withdrawn_by"] == "n@x" for p in failed["positions"])
    outcomes = {v["outcome"] for r in doc["revisions"] for v in r["verdicts"] if v["source"] == "simulator"}
    assert outcomes == {"clean", "violation", "not-analysed"}
    states = {s for c in doc["comments"] for s in c["addressed"].values()}
    assert states == {"present", "fixed", "n/a"}
    assert doc["comments"][-1]["anchor"] is None and doc["comments"][-1]["links"] == []
    assert {link["source"] for c in doc["comments"] for link in c["links"]} == {"simulator", "check"}
    assert doc["other_versions"][0]["relation"] == "older"
    assert doc["notes"] == ["synthetic base used for v3"]


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.__setitem__("schema", "reviewer/2"),
        lambda d: d["revisions"][1].__setitem__("kind", "draft"),
        lambda d: d["revisions"][1]["verdicts"][0]["violations"][0].__setitem__("property", "use-after-free"),
        lambda d: d["revisions"][1]["verdicts"][0]["config"].pop("compound"),
        lambda d: next(c for c in d["comments"] if c["links"])["links"][0].pop("property"),
        lambda d: next(c for c in d["comments"] if c["addressed"])["addressed"].__setitem__("v9", "maybe"),
        lambda d: d.pop("comments"),
    ],
)
def test_the_schema_rejects_broken_documents(seed_review: Review, validator: jsonschema.protocols.Validator, break_it: Any) -> None:
    doc = copy.deepcopy(_roundtrip(seed_review))
    break_it(doc)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)
