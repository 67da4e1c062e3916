"""The thread outline: rich rendering and the JSON dict."""

from __future__ import annotations

import json

from rich.console import Console

from reviewer.model import Thread
from reviewer.outline import outline_json, render_outline

ROOT = "20210319071547.60973-1-hannes@cmpxchg.org"
HANNES_23 = "YFo7SOni0s0TbXUm@cmpxchg.org"
HUGH_25 = "alpine.LSU.2.11.2103251716160.12404@eggly.anvils"


def test_outline_json(seed_fixture_thread: Thread) -> None:
    data = outline_json(seed_fixture_thread)
    json.dumps(data)  # JSON-ready: plain types only
    assert data["root"] == ROOT
    messages = {m["id"]: m for m in data["messages"]}
    assert len(messages) == 13
    root = messages[ROOT]
    assert root["parent"] is None and root["date"] == "2021-03-19T03:15:47-04:00"
    assert root["author"] == {"name": "Johannes Weiner", "email": "hannes@cmpxchg.org"}
    assert root["subject"]["prefixes"] == ["PATCH"] and root["subject"]["is_reply"] is False
    assert [s["kind"] for s in root["segments"]] == ["new", "diff", "signature"]
    assert root["segments"][1]["first_line"] == 26
    assert [t["name"] for t in root["trailers"]] == ["Reported-by", "Signed-off-by"]
    nak = [p for p in data["positions"] if p["stance"] == "NAK"]
    assert nak == [
        {
            "stance": "NAK",
            "person": {"name": "Hugh Dickins", "email": "hughd@google.com"},
            "message_id": HUGH_25,
            "date": "2021-03-25T18:55:42-07:00",
            "answers": HANNES_23,
            "evidence": nak[0]["evidence"],
            "qualifier": "",
            "withdrawn_by": None,
            "standing": True,
        }
    ]
    withdrawn = {p["message_id"] for p in data["positions"] if p["withdrawn_by"] == HUGH_25}
    assert withdrawn == {"alpine.LSU.2.11.2103191814040.1043@eggly.anvils", "alpine.LSU.2.11.2103231310020.5513@eggly.anvils"}


def test_render_outline(seed_fixture_thread: Thread) -> None:
    console = Console(width=200, record=True, color_system=None)
    console.print(render_outline(seed_fixture_thread))
    text = console.export_text()
    lines = text.splitlines()
    assert "Johannes Weiner" in lines[1] and "[PATCH] mm: page_alloc" in lines[1]
    # Every message appears once in the tree, replies indented under their parent.
    assert sum(1 for line in lines if "Re: [PATCH]" in line) == 12
    hugh_nak = next(line for line in lines if "2021-03-25 18:55" in line)
    assert "[NAK]" in hugh_nak
    assert "withdrawn by 2021-03-25 Hugh Dickins" in text
    assert "Matthew Wilcox (Oracle)" in text and "standing" in text
