"""The seed thread's `__free_pages` images, extracted from the seed fixture's raw mbox (test data, not product code).

Each revision's hunk covers the whole function, so the pre- and post-image of the function can be
cut out of the hunk with the line numbers the hunk header gives. The v2 patch sits inline in a
reply after a ``From <sha>`` pseudo-header that mboxrd escapes as ``>From``.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reviewer.model import FunctionImage

# The seed fixture carries the corpus bodies verbatim, so these images need no ../shared.
SEED_MBOX = Path(__file__).resolve().parents[1] / "fixtures" / "seed.mbox"

V1_MSGID = "20210319071547.60973-1-hannes@cmpxchg.org"
V2_MSGID = "YFo7SOni0s0TbXUm@cmpxchg.org"
SKETCH_MSGID = "20210326025143.GB1719932@casper.infradead.org"
PATH = "mm/page_alloc.c"

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@ ?(.*)$")


@dataclass(frozen=True, slots=True)
class SeedImages:
    base: FunctionImage
    v1: FunctionImage
    v2: FunctionImage
    sketch: FunctionImage


def _bodies() -> dict[str, str]:
    out: dict[str, str] = {}
    for msg in mailbox.mbox(SEED_MBOX, factory=None, create=False):
        parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
        msgid = str(parsed["Message-ID"] or parsed["Message-Id"] or "").strip().strip("<>")
        payload = parsed.get_payload(decode=True)
        assert isinstance(payload, bytes)
        text = payload.decode("utf-8", "replace").replace("\r\n", "\n")
        # mboxrd: one '>' was added to every line matching ^>*From
        text = re.sub(r"(?m)^>(>*From )", r"\1", text)
        out[msgid] = text
    return out


def _hunk_after(body: str, marker: str, header_prefix: str) -> tuple[re.Match[str], list[str]]:
    lines = body.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(marker))
    for i in range(start, len(lines)):
        if lines[i].startswith(header_prefix):
            m = _HUNK.match(lines[i])
            assert m, lines[i]
            hunk: list[str] = []
            for line in lines[i + 1 :]:
                if line.startswith(("@@", "-- ", "diff ")) or line[:1] not in (" ", "+", "-", ""):
                    break
                if line == "":
                    hunk.append(" ")
                    continue
                hunk.append(line)
            return m, hunk
    raise AssertionError(f"no hunk {header_prefix!r} after {marker!r}")


def _function(image_lines: list[str], first_line: int, name: str) -> FunctionImage:
    begin = next(i for i, line in enumerate(image_lines) if re.match(rf"^\w.*\b{name}\(", line))
    end = next(i for i in range(begin, len(image_lines)) if image_lines[i].startswith("}"))
    source = "\n".join(image_lines[begin : end + 1]) + "\n"
    return FunctionImage(
        name=name, path=PATH, start_line=first_line + begin, end_line=first_line + end, source=source
    )


def _images(hunk: list[str], m: re.Match[str], *, prepend_context: bool) -> tuple[FunctionImage, FunctionImage]:
    pre = [line[1:] for line in hunk if line[0] in " -"]
    post = [line[1:] for line in hunk if line[0] in " +"]
    pre_start, post_start = int(m.group(1)), int(m.group(2))
    if prepend_context:
        # the hunk starts at the opening brace: the header's context text is the line above it
        pre.insert(0, m.group(3))
        post.insert(0, m.group(3))
        pre_start -= 1
        post_start -= 1
    return _function(pre, pre_start, "__free_pages"), _function(post, post_start, "__free_pages")


@lru_cache(maxsize=1)
def seed_images() -> SeedImages:
    bodies = _bodies()
    m1, h1 = _hunk_after(bodies[V1_MSGID], "+++ b/mm/page_alloc.c", "@@ -5124")
    base, v1 = _images(h1, m1, prepend_context=False)
    m2, h2 = _hunk_after(bodies[V2_MSGID], "From f6f062a3", "@@ -5124")
    _, v2 = _images(h2, m2, prepend_context=False)
    m3, h3 = _hunk_after(bodies[SKETCH_MSGID], "+++ b/mm/page_alloc.c", "@@ -5081")
    _, sketch = _images(h3, m3, prepend_context=True)
    return SeedImages(base=base, v1=v1, v2=v2, sketch=sketch)
