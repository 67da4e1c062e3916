"""Trailers and review positions in crafted threads."""

from __future__ import annotations

from reviewer.model import Stance, Thread
from reviewer.thread import build_thread

PATCH_BODY = (
    "Fix a thing.\n\nAcked-by: Old Reviewer <old@x>\nSigned-off-by: Author <author@x>\n---\n"
    "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n"
)
V2_BODY = (
    "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int d;\n"
)


def msg(mid: str, body: str, *, parent: str | None = None, day: int = 1, who: str = "Rev <rev@x>",
        subject: str = "Re: [PATCH] f: fix") -> bytes:
    head = f"From: {who}\nSubject: {subject}\nMessage-ID: <{mid}>\nDate: Mon, {day} Mar 2021 10:00:00 +0000\n"
    if parent:
        head += f"In-Reply-To: <{parent}>\nReferences: <{parent}>\n"
    return (head + "\n" + body).encode()


def thread(*replies: bytes) -> Thread:
    root = msg("v1@x", PATCH_BODY, who="Author <author@x>", subject="[PATCH] f: fix")
    return build_thread([root, *replies])


def stances(t: Thread) -> list[tuple[str, Stance, str, str | None, str | None]]:
    return [(p.person.email, p.stance, p.message_id, p.answers, p.withdrawn_by) for p in t.positions()]


def test_commit_trailers_of_the_patch_are_no_positions() -> None:
    t = thread()
    assert [tr.name for tr in t["v1@x"].trailers] == ["Acked-by", "Signed-off-by"]
    assert t.positions() == ()


def test_trailer_capitalisation_and_people() -> None:
    t = thread(msg("r@x", "acked-by: Rev <rev@x>\nSIGNED-OFF-BY: X <x@x>\nLink: https://lore/x\n", parent="v1@x", day=2))
    trailers = t["r@x"].trailers
    assert [tr.name for tr in trailers] == ["Acked-by", "Signed-off-by", "Link"]
    assert trailers[2].person is None and trailers[2].value == "https://lore/x"


def test_quoted_trailers_and_naks_are_not_the_repliers() -> None:
    body = "> Acked-by: Someone <some@x>\n> NAK from me.\n\nI see.\n"
    t = thread(msg("r@x", body, parent="v1@x", day=2))
    assert t["r@x"].trailers == () and t.positions() == ()


def test_trailer_naming_someone_else_is_theirs_and_bare_name_is_the_author() -> None:
    body = "Reviewed-by: Other Person <other@x>\nTested-by: Rev\n"
    t = thread(msg("r@x", body, parent="v1@x", day=2))
    assert sorted(stances(t)) == [
        ("other@x", Stance.REVIEW, "r@x", "v1@x", None),
        ("rev@x", Stance.TESTED, "r@x", "v1@x", None),
    ]


def test_nak_rules() -> None:
    cases = {
        "NAK.\n": True,
        "I renege and say NAK:\n": True,
        "NACK, this breaks x.\n": True,
        "Nacked-by: Rev <rev@x>\n": True,
        "The SNAKE and NAKED truth.\n": False,
        "nak in lower case\n": False,
        "Given Hugh's NAK I will respin.\n": False,
        "Despite your NAK, I think it is fine.\n": False,
        'The word "NAK" is not a position.\n': False,
        "> NAK\n\nquoted only\n": False,
    }
    for body, expected in cases.items():
        t = thread(msg("r@x", body, parent="v1@x", day=2))
        naks = [p for p in t.positions() if p.stance is Stance.NAK]
        assert bool(naks) is expected, body
        if naks:
            assert naks[0].person.email == "rev@x" and naks[0].answers == "v1@x"


def test_nak_withdraws_every_earlier_ack_and_a_later_ack_withdraws_the_nak() -> None:
    t = thread(
        msg("a1@x", "Acked-by: Rev <rev@x>\n", parent="v1@x", day=2),
        msg("v2@x", V2_BODY, parent="a1@x", day=3, who="Author <author@x>"),
        msg("a2@x", "Reviewed-by: Rev <rev@x>\n", parent="v2@x", day=4),
        msg("n@x", "Sorry, NAK.\n", parent="a2@x", day=5),
        msg("a3@x", "Fine now.\nAcked-by: Rev <rev@x>\n", parent="n@x", day=6),
    )
    assert stances(t) == [
        ("rev@x", Stance.ACK, "a1@x", "v1@x", "n@x"),
        ("rev@x", Stance.REVIEW, "a2@x", "v2@x", "n@x"),
        ("rev@x", Stance.NAK, "n@x", "v2@x", "a3@x"),
        ("rev@x", Stance.ACK, "a3@x", "v2@x", None),
    ]
    assert [p.message_id for p in t.standing_positions()["rev@x"]] == ["a3@x"]


def test_answers_prefers_the_patch_whose_diff_is_quoted() -> None:
    quoting_v1 = "On Monday Author wrote:\n> Fix a thing.\n> +int c;\n\nAcked-by: Rev <rev@x>\n"
    t = thread(
        msg("v2@x", V2_BODY, parent="v1@x", day=2, who="Author <author@x>"),
        msg("r@x", quoting_v1, parent="v2@x", day=3),
        msg("r2@x", "Acked-by: Rev2 <rev2@x>\n", parent="v2@x", day=3),
    )
    assert t["r@x"].segments[1].quotes == "v1@x"  # verified by text, not depth
    by_msg = {p.message_id: p.answers for p in t.positions()}
    assert by_msg == {"r@x": "v1@x", "r2@x": "v2@x"}


def test_acked_by_comment_qualifies_only_lower_case_continuations() -> None:
    body = "Acked-by: Rev <rev@x>\n\nfor the memcg part only,\nnot the rest.\n\nThanks!\nReviewed-by: Rev <rev@x>\nThanks!\n"
    t = thread(msg("r@x", body, parent="v1@x", day=2))
    trailers = t["r@x"].trailers
    assert trailers[0].comment == "for the memcg part only,\nnot the rest."
    assert trailers[1].comment == ""
    ack = next(p for p in t.positions() if p.stance is Stance.ACK)
    assert ack.qualifier == trailers[0].comment


def test_root_hint_and_orphans() -> None:
    orphan = msg("o@x", "Reply to a message we do not have.\n", parent="missing@x", day=2)
    t = thread(orphan)
    assert t.root == "v1@x" and t["o@x"].parent is None
    hinted = build_thread(
        [msg("v1@x", PATCH_BODY, who="Author <author@x>", subject="[PATCH] f: fix"), orphan],
        root_hint="<o@x>",
    )
    assert hinted.root == "o@x"


def test_parent_from_references_when_in_reply_to_is_unknown() -> None:
    raw = (
        b"From: Rev <rev@x>\nSubject: Re: x\nMessage-ID: <r@x>\nDate: Tue, 2 Mar 2021 10:00:00 +0000\n"
        b"In-Reply-To: <gone@x>\nReferences: <v1@x> <gone@x>\n\ntext\n"
    )
    t = thread(raw)
    assert t["r@x"].parent == "v1@x" and t["v1@x"].children == ("r@x",)


def test_reply_cycle_is_broken() -> None:
    a = msg("a@x", "a\n", parent="b@x", day=2)
    b = msg("b@x", "b\n", parent="a@x", day=3)
    t = build_thread([a, b])
    assert sum(1 for m in t.messages if m.parent is None) == 1


def test_nak_from_another_address_of_the_same_person_withdraws() -> None:
    t = thread(
        msg("a@x", "Reviewed-by: Rev Person (Corp) <rev@corp>\n", parent="v1@x", day=2, who="Rev Person <rev@home>"),
        msg("n@x", "NAK, sorry.\n", parent="a@x", day=3, who="Rev Person <rev@home>"),
        msg("o@x", "Acked-by: Other Person <other@x>\n", parent="v1@x", day=2),
        msg("n2@x", "NAK\n", parent="v1@x", day=4, who="Third <third@x>"),
    )
    assert stances(t) == [
        ("rev@corp", Stance.REVIEW, "a@x", "v1@x", "n@x"),
        ("other@x", Stance.ACK, "o@x", "v1@x", None),
        ("rev@home", Stance.NAK, "n@x", "v1@x", None),
        ("third@x", Stance.NAK, "n2@x", "v1@x", None),
    ]
