"""Generate a large review thread for the TUI benchmarks: 200 messages, five revisions.

The patch is the seed fixture's v1 (so the simulator and the checks have real work: it changes
``__free_pages``); v2..v5 are posted as ``[PATCH vN]`` replies, each changing one comment line
of the previous version so every revision is distinct and applies to the same base. The other
194 messages are replies at random places in the tree (seeded: the same thread every time):
reviews quoting a few diff lines of the revision they answer and commenting on the race (with
the words the verdict linking reads), acks, and plain discussion.

Run: .venv/bin/python benchmarks/gen_thread.py [OUT]   (default benchmarks/_work/thread-200.mbox)
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer._mbox import split_mbox, write_mboxrd  # noqa: E402
from reviewer.revisions import find_revisions  # noqa: E402
from reviewer.thread import build_thread  # noqa: E402

MESSAGES = 200
REVISIONS = 5
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PEOPLE = [f"Reviewer {n} <reviewer{n}@example.org>" for n in range(1, 16)]
AUTHOR = "Patch Author <author@example.org>"
COMMENTS = [
    "The speculative racer may call mem_cgroup_uncharge() from __put_single_page(), and then\n"
    "split_page_memcg() does nothing because page_memcg(head) is already NULL.",
    "Doesn't this leave the tail pages charged to the memcg? I think the charge leaks.",
    "free_pages_prepare()'s check_free_page() will find memcg_data set on the tail pages and\n"
    "report a bad page.",
    "PageHead() is read after put_page_testzero(): the other side may have freed the page.",
    "Looks fine to me, but the comment above could say why the order matters.",
    "Can we get a reproducer for this? I have not seen it in the field.",
]


def _seed_patch() -> tuple[str, str]:
    """(subject title, body) of the seed fixture's v1 posting."""
    thread = build_thread(split_mbox((ROOT / "fixtures" / "seed.mbox").read_bytes()))
    v1 = find_revisions(thread)[0]
    root = thread[v1.message_id]
    return root.subject.title, root.body


def _mail(msgid: str, who: str, subject: str, when: datetime, body: str,
          parent: str | None, refs: list[str]) -> bytes:
    head = [f"From: {who}", "To: linux-mm@kvack.org", f"Subject: {subject}",
            f"Date: {format_datetime(when)}", f"Message-ID: <{msgid}>"]
    if parent:
        head += [f"In-Reply-To: <{parent}>", "References: " + " ".join(f"<{r}>" for r in refs)]
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\n".join(head) + "\n\n" + body.rstrip("\n") + "\n").encode()


def _version(body: str, n: int) -> str:
    """The seed patch with one added comment line worded for version ``n``."""
    marker = "+\t/*\n"
    at = body.index(marker)
    return body[:at] + f"+\t/* v{n}: drop the base reference first */\n" + body[at:]


def _quote(body: str, rng: random.Random) -> str:
    diff = [line for line in body.split("\n") if line.startswith(("+", "-")) and len(line) > 12
            and not line.startswith(("+++", "---"))]
    start = rng.randrange(max(1, len(diff) - 3))
    return "\n".join(f"> {line}" for line in diff[start:start + 3])


def generate() -> bytes:
    rng = random.Random(9)
    title, body = _seed_patch()
    when = START
    # (msgid, references, the patch it answers: replies quote that patch's diff lines)
    messages: list[tuple[str, list[str], str]] = []
    out: list[bytes] = []
    versions = {n: _version(body, n) if n > 1 else body for n in range(1, REVISIONS + 1)}
    version_at = {1: 0}
    for n in range(2, REVISIONS + 1):
        version_at[n] = (n - 1) * (MESSAGES // REVISIONS)
    current = versions[1]
    for i in range(MESSAGES):
        when += timedelta(minutes=37 + rng.randrange(90))
        msgid = f"bench-{i:03d}@example.org"
        posting = next((n for n, at in version_at.items() if at == i), None)
        if posting is not None:
            current = versions[posting]
            prefix = "[PATCH]" if posting == 1 else f"[PATCH v{posting}]"
            parent = messages[0][0] if messages else None
            refs = [messages[0][0]] if messages else []
            out.append(_mail(msgid, AUTHOR, f"{prefix} {title}", when, current, parent, refs))
            messages.append((msgid, refs, current))
            continue
        parent_id, parent_refs, parent_body = messages[rng.randrange(len(messages))]
        kind = rng.random()
        if kind < 0.55:
            text = f"{_quote(parent_body, rng)}\n\n{rng.choice(COMMENTS)}\n"
        elif kind < 0.7:
            text = f"Acked-by: {rng.choice(PEOPLE)}\n"
        else:
            text = f"> {rng.choice(COMMENTS).splitlines()[0]}\n\n{rng.choice(COMMENTS)}\n"
        out.append(_mail(msgid, rng.choice(PEOPLE), f"Re: [PATCH] {title}", when, text,
                         parent_id, [*parent_refs, parent_id]))
        messages.append((msgid, [*parent_refs, parent_id], parent_body))
    return write_mboxrd(out)


def main() -> None:
    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "benchmarks" / "_work" / "thread-200.mbox"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(generate())
    thread = build_thread(split_mbox(dest.read_bytes()))
    print(f"{dest}: {len(thread.messages)} messages, {len(find_revisions(thread))} revisions")


if __name__ == "__main__":
    main()
