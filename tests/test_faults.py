"""Lore faults, against the real loopback server through b4/liblore: tries again with backoff
within a bounded time, honours Retry-After, then uses the cache and says so (or fails in one line).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from _cli_env import SEED_ROOT, Cli, closed_port
from _lore_server import LoreServer

from reviewer._config import CacheConfig, Config, LoreConfig
from reviewer._errors import FetchError
from reviewer._input import classify_input
from reviewer._retrieve import fetch_thread
from reviewer._retry import retry_after_seconds

THREAD = r"t\.mbox\.gz$"


def _cfg(tmp_path: Path, **lore: float) -> Config:
    settings = {"timeout": 1.0, "retry_delay": 0.05, "retry_budget": 10.0, **lore}
    return Config(lore=LoreConfig(**settings), cache=CacheConfig(tmp_path / "cache"))  # type: ignore[arg-type]


def _tries(server: LoreServer) -> int:
    return sum(p.endswith("t.mbox.gz") for p in server.paths())


@pytest.mark.parametrize("fault", [500, 502, 503, 504, 429, "hang", "truncate", "cut", "html"])
def test_a_transient_fault_is_tried_again_and_the_thread_arrives(
        fault: int | str, lore_server: LoreServer, tmp_path: Path) -> None:
    lore_server.fail(THREAD, fault, times=1)
    said: list[str] = []
    thread = fetch_thread(classify_input(SEED_ROOT), _cfg(tmp_path), progress=said.append)
    assert len(thread.messages) == 13 and not thread.from_cache and thread.notes == ()
    assert _tries(lore_server) == 2
    assert any("trying again in 0.05 s" in s for s in said), said


def test_retry_after_is_honoured(lore_server: LoreServer, tmp_path: Path) -> None:
    lore_server.fail(THREAD, 503, times=2, retry_after="1")
    said: list[str] = []
    started = time.monotonic()
    thread = fetch_thread(classify_input(SEED_ROOT), _cfg(tmp_path), progress=said.append)
    assert len(thread.messages) == 13 and _tries(lore_server) == 3
    assert time.monotonic() - started >= 2.0  # waited 1 s twice, as asked, not 0.05 then 0.1
    assert [s for s in said if "trying again" in s] == [
        f"HTTP 503 from {lore_server.url.removeprefix('http://')} (Retry-After 1 s); trying again in 1 s"] * 2


def test_a_retry_after_beyond_the_budget_is_not_waited_for(lore_server: LoreServer,
                                                          tmp_path: Path) -> None:
    lore_server.fail(THREAD, 503, retry_after="3600")
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_thread(classify_input(SEED_ROOT), _cfg(tmp_path))
    assert time.monotonic() - started < 2
    assert _tries(lore_server) == 1
    assert str(err.value).endswith("(after 1 attempt in 0.0 s; no time for another within 10 s: "
                                   "the server asked to wait 3600 s)")


@pytest.mark.parametrize("fault", [503, "hang"])
def test_tries_stop_within_the_budget(fault: int | str, lore_server: LoreServer,
                                      tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, timeout=0.5, retry_delay=0.3, retry_budget=2.0, attempts=10)
    lore_server.fail(THREAD, fault)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no time for another within 2 s"):
        fetch_thread(classify_input(SEED_ROOT), cfg)
    assert time.monotonic() - started <= 2.0 + 0.5  # the budget, and no try started past it
    assert 2 <= _tries(lore_server) < 10


@pytest.mark.parametrize(("setup", "says"), [
    ("404", "not found on"),
    ("refused", "connection refused"),
])
def test_what_another_try_cannot_mend_is_not_tried_again(
        setup: str, says: str, lore_server: LoreServer, tmp_path: Path) -> None:
    if setup == "404":
        target = "nobody-posted-this@example.org"
    else:
        target = f"http://127.0.0.1:{closed_port()}/all/{SEED_ROOT}/"
    started = time.monotonic()
    with pytest.raises(FetchError, match=says) as err:
        fetch_thread(classify_input(target), _cfg(tmp_path))
    assert "attempt" not in str(err.value) and time.monotonic() - started < 1.5


def test_an_html_page_instead_of_the_mbox_is_named(lore_server: LoreServer, tmp_path: Path) -> None:
    lore_server.fail(THREAD, "html")
    with pytest.raises(FetchError) as err:
        fetch_thread(classify_input(SEED_ROOT), _cfg(tmp_path))
    host = lore_server.url.removeprefix("http://")
    assert str(err.value).startswith(
        f"{SEED_ROOT}: {host} answered text/html, not a gzip mbox (an error or bot-check page?) "
        "(after 3 attempts in ")


@pytest.mark.parametrize("fault", [503, "hang", "html", "cut"])
def test_refresh_falls_back_to_the_cache_and_the_review_says_so(
        fault: int | str, cli: Cli, lore_server: LoreServer) -> None:
    url = f"{lore_server.url}/linux-mm/{SEED_ROOT}/"
    first = cli.run(url, "--no-simulate", "--format", "json")
    assert first.status in (0, 1), first.err
    lore_server.fail(THREAD, fault)
    lore_server.requests.clear()
    result = cli.run(url, "--refresh", "--no-simulate", "--format", "json")
    assert result.status == first.status and result.err == ""
    assert _tries(lore_server) == 3  # it did try, three times
    notes = json.loads(result.out)["notes"]
    fallback = [n for n in notes if "used the cached copy fetched" in n]
    assert len(fallback) == 1 and fallback[0].startswith(f"{url}: ")
    assert "(after 3 attempts in" in fallback[0] and "replies since then are missing" in fallback[0]
    assert len(json.loads(result.out)["thread"]["messages"]) == 13


def test_refresh_without_a_cached_copy_still_fails_in_one_line(cli: Cli, lore_server: LoreServer) -> None:
    lore_server.fail(THREAD, 503)
    result = cli.run(f"{lore_server.url}/linux-mm/{SEED_ROOT}/", "--refresh", "--no-simulate")
    assert result.status == 2 and result.out == ""
    (line,) = result.err.splitlines()
    assert "HTTP 503 from" in line and "(after 3 attempts in" in line


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 2, 2, 9, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now=now) == 120
    assert retry_after_seconds("Fri, 02 Feb 2024 09:00:30 GMT", now=now) == 30
    assert retry_after_seconds("Fri, 02 Feb 2024 08:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon", now=now) is None and retry_after_seconds(None) is None
