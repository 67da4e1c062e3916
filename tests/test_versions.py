"""Other versions posted as separate threads: found through lore search on the loopback server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from _lore_server import LoreServer, read_mbox_messages

from reviewer._config import CacheConfig, Config, LoreConfig
from reviewer._mbox import mail_headers, text_body
from reviewer._versions import (
    VersionHints,
    fetch_other_version,
    find_other_versions,
    version_hints,
)

VERSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "versions"
TITLE = "mm: frob: fix widget refcount leak"
V1 = "20240101120000.1-1-alice@example.org"
V1_REPLY = "20240102093000.GA1@bob.example.net"
V2 = "20240110120000.2-1-alice@example.org"
V2_REPLY = "20240111080000.GB2@bob.example.net"
CHANGE_ID = "20240101-frob-leak-5f3a9c1d2e7b"
V1_DATE = datetime(2024, 1, 1, 12, tzinfo=UTC)
V2_DATE = datetime(2024, 1, 10, 12, tzinfo=UTC)


def _bodies(name: str) -> list[str]:
    return [text_body(m) for m in read_mbox_messages((VERSIONS / name).read_bytes())]


def test_hints_from_changelog_and_footer() -> None:
    hints = version_hints(_bodies("frob-v2.mbox"))
    assert hints == VersionHints(link_ids=(V1,), change_ids=(CHANGE_ID,))
    cover = (
        "Fixes the leak reported here:\n"
        "Link: https://lore.kernel.org/r/bug-report@example.org\n"
        "---\n"
        "Changes in v3:\n"
        "- Link to v2: https://patch.msgid.link/a%2Fb@c.d\n"
        "previous version: <https://lore.kernel.org/linux-mm/old@example.org/T/#u>\n"
    )
    assert version_hints([cover]).link_ids == ("a/b@c.d", "old@example.org")


def test_opening_v1_finds_newer_v2(lore_server: LoreServer, lore_config: Config) -> None:
    found = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1, V1_REPLY},
                                change_ids=version_hints(_bodies("frob-v1.mbox")).change_ids)
    assert [(o.message_id, o.relation, o.subject.version) for o in found.versions] == [(V2, "newer", 2)]
    v2 = found.versions[0]
    assert v2.found_by == "change-id" and v2.evidence == f'nq:"change-id:{CHANGE_ID}"'
    assert v2.author.email == "alice@example.org" and v2.date == V2_DATE
    assert found.notes == () and not found.from_cache
    # The decoy ("... leak in frob_attach()") matched the subject search but is not a version.
    assert all("carol" not in o.message_id for o in found.versions)


def test_opening_v2_finds_older_v1_by_link(lore_server: LoreServer, lore_config: Config) -> None:
    hints = version_hints(_bodies("frob-v2.mbox"))
    found = find_other_versions(TITLE, 2, V2_DATE, lore_config, known_ids={V2, V2_REPLY},
                                link_ids=hints.link_ids, change_ids=hints.change_ids)
    assert [(o.message_id, o.relation) for o in found.versions] == [(V1, "older")]
    assert found.versions[0].found_by == "link" and found.versions[0].evidence == f"m:{V1}"


def test_subject_alone_is_enough(lore_server: LoreServer, lore_config: Config) -> None:
    found = find_other_versions(TITLE, 2, V2_DATE, lore_config, known_ids={V2, V2_REPLY})
    assert [(o.message_id, o.found_by) for o in found.versions] == [(V1, "subject")]
    assert found.versions[0].evidence == f's:"{TITLE}"'
    searches = [p for p in lore_server.paths() if "q=" in p]
    assert len(searches) == 1 and "s%3A%22mm%3A+frob" in searches[0]


def test_link_to_a_reply_stands_for_its_thread(lore_server: LoreServer, lore_config: Config) -> None:
    found = find_other_versions("something retitled", 2, V2_DATE, lore_config, known_ids={V2},
                                link_ids=(V1_REPLY,))
    assert [(o.message_id, o.found_by) for o in found.versions] == [(V1, "link")]


def test_seed_thread_has_no_other_versions(lore_server: LoreServer, lore_config: Config) -> None:
    ids = set(lore_server.mails)  # every message the server holds for the seed is "ours"
    found = find_other_versions(
        "mm: page_alloc: fix memcg accounting leak in speculative cache lookup", 1,
        datetime(2021, 3, 19, 7, 15, tzinfo=UTC), lore_config, known_ids=ids)
    assert found.versions == () and found.notes == ()


def test_warm_cache_answers_with_server_down(lore_server: LoreServer, lore_config: Config) -> None:
    first = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1, V1_REPLY})
    lore_server.stop()
    n = len(lore_server.requests)
    again = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1, V1_REPLY})
    assert again.versions == first.versions and again.from_cache and again.notes == ()
    offline = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1, V1_REPLY}, offline=True)
    assert offline.versions == first.versions
    assert len(lore_server.requests) == n
    # --refresh with the server down: the cached answer, and a note saying so.
    refreshed = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1, V1_REPLY}, refresh=True)
    assert refreshed.versions == first.versions
    assert len(refreshed.notes) == 1 and "cannot connect" in refreshed.notes[0]
    assert "cached answer used" in refreshed.notes[0]


def test_server_down_without_cache_gives_a_note(lore_server: LoreServer, lore_config: Config) -> None:
    lore_server.stop()
    found = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1})
    assert found.versions == ()
    assert found.notes == (f'other versions: s:"{TITLE}": not searched: cannot connect to '
                           f"{lore_server.url.removeprefix('http://')}",)


def test_offline_without_cache_makes_no_request(lore_server: LoreServer, lore_config: Config) -> None:
    found = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1}, offline=True)
    assert found.versions == () and "not in cache (offline)" in found.notes[0]
    assert lore_server.requests == []


@pytest.mark.parametrize(("fault", "cause"), [
    (503, "HTTP 503 from"), ("hang", "no answer from"), ("truncate", "truncated or corrupt gzip"),
])
def test_faults_become_notes(lore_server: LoreServer, tmp_path: Path, fault: str | int, cause: str) -> None:
    cfg = Config(lore=LoreConfig(timeout=0.5, retry_delay=0.05), cache=CacheConfig(tmp_path / "c"))
    lore_server.fail(r"^/all/$", fault)
    found = find_other_versions(TITLE, 1, V1_DATE, cfg, known_ids={V1}, change_ids=(CHANGE_ID,))
    assert found.versions == ()
    assert len(found.notes) == 2 and all(cause in n for n in found.notes)
    assert sum(p.startswith("/all/?") for p in lore_server.paths()) == 2 * 3  # 2 queries, 3 tries each


@pytest.mark.parametrize("fault", [503, "hang", "cut", "html"])
def test_a_search_that_fails_once_is_tried_again(lore_server: LoreServer, tmp_path: Path,
                                                fault: str | int) -> None:
    cfg = Config(lore=LoreConfig(timeout=0.5, retry_delay=0.05), cache=CacheConfig(tmp_path / "c"))
    lore_server.fail(r"^/all/$", fault, times=1)
    found = find_other_versions(TITLE, 1, V1_DATE, cfg, known_ids={V1, V1_REPLY},
                                change_ids=(CHANGE_ID,))
    assert [o.message_id for o in found.versions] == [V2] and found.notes == ()


def test_fetch_other_version_on_demand(lore_server: LoreServer, lore_config: Config) -> None:
    found = find_other_versions(TITLE, 1, V1_DATE, lore_config, known_ids={V1, V1_REPLY})
    thread = fetch_other_version(found.versions[0], lore_config, server=f"{lore_server.url}/all")
    assert thread.root == V2 and set(thread.message_ids) == {V2, V2_REPLY}
    assert mail_headers(thread.messages[0]).subject == f"[PATCH v2] {TITLE}"
    # Then from the cache, offline.
    again = fetch_other_version(V2, lore_config, offline=True)
    assert again.from_cache and again.message_ids == thread.message_ids
