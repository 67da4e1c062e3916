"""Configuration: the documented defaults in ``config.toml``, overlaid by the user's files.

Loaded once by the CLI and passed down; no stage reads a global.
"""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from ._errors import ConfigError

__all__ = [
    "CacheConfig",
    "ChecksConfig",
    "Config",
    "DraftsConfig",
    "ImapConfig",
    "LoreConfig",
    "SimulatorConfig",
    "TreeConfig",
    "default_config_path",
    "load_config",
    "user_config_path",
]


@dataclass(frozen=True, slots=True)
class LoreConfig:
    timeout: float = 30.0
    search_versions: bool = True
    attempts: int = 3
    """Tries of a request in all (1: no retry), for the failures worth another (see _retry)."""
    retry_delay: float = 1.0
    """Seconds before the second try; doubled before each next one (Retry-After wins if longer)."""
    retry_budget: float = 60.0
    """Seconds all tries and waits of one request may take together."""


@dataclass(frozen=True, slots=True)
class CacheConfig:
    dir: Path = field(default_factory=lambda: Path(platformdirs.user_cache_dir("reviewer")))


@dataclass(frozen=True, slots=True)
class TreeConfig:
    path: Path | None = None
    branch: str = "HEAD"
    synthetic_fallback: bool = False
    """A revision that applies to the tree neither way goes to a synthetic base (else: not applied)."""


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    enabled: bool = True
    scenario_dirs: tuple[Path, ...] = ()
    max_executions: int = 50_000
    max_steps: int = 5_000
    """Steps per execution, and loop iterations per thread (code that loops forever)."""
    max_seconds: float = 5.0
    orders: tuple[int, ...] = (0, 1, 2, 3)


@dataclass(frozen=True, slots=True)
class ChecksConfig:
    dirs: tuple[Path, ...] = ()
    disabled: tuple[str, ...] = ()
    options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    """Per check id, the keys of its ``[checks.<id>]`` table (e.g. checkpatch's ``strict``)."""

    def options_of(self, check_id: str) -> dict[str, Any]:
        return dict(next((o for c, o in self.options if c == check_id), ()))


DRAFT_DESTINATIONS = ("maildir", "mbox", "imap", "stdout")
IMAP_SECURITY = ("tls", "starttls")


@dataclass(frozen=True, slots=True)
class ImapConfig:
    """``[drafts.imap]``: where IMAP drafts go. The password is never part of the config: it
    comes from the environment variable named here or from ``password_cmd``."""

    host: str = ""
    port: int = 0
    """0: 993 for ``tls``, 143 for ``starttls``."""
    security: str = "tls"
    """``tls`` (implicit TLS) or ``starttls``; there is no clear-text mode."""
    user: str = ""
    password_env: str = "REVIEWER_IMAP_PASSWORD"
    password_cmd: tuple[str, ...] = ()
    """An argv run without a shell; the first line of its output is the password."""
    folder: str = "Drafts"
    """Used when no folder carries the \\Drafts special-use flag."""
    ca_file: Path | None = None
    """Extra CA certificates to trust (a self-signed server); the system's are trusted too."""
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class DraftsConfig:
    """``[drafts]``: summary replies written as drafts, never sent."""

    to: str = "maildir"
    """``maildir`` | ``mbox`` | ``imap`` | ``stdout``."""
    sender: str = ""
    """``[drafts] from``: ``Name <address>``; empty: git config user.name / user.email."""
    maildir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("reviewer")) / "drafts")
    mbox: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("reviewer")) / "drafts.mbox")
    diagrams: int = 1
    """Race diagrams drawn per revision (the shortest interleavings of its new problems)."""
    imap: ImapConfig = ImapConfig()


@dataclass(frozen=True, slots=True)
class Config:
    lore: LoreConfig = LoreConfig()
    cache: CacheConfig = field(default_factory=CacheConfig)
    tree: TreeConfig = TreeConfig()
    kconfig: tuple[tuple[str, bool | int | str], ...] = (
        ("CONFIG_MEMCG", True),
        ("CONFIG_DEBUG_VM", False),
        ("CONFIG_MEMCG_KMEM", True),
        ("CONFIG_MMU", True),
        ("CONFIG_SMP", True),
        ("CONFIG_64BIT", True),
        ("CONFIG_CGROUPS", True),
        ("CONFIG_HZ", 250),
    )
    simulator: SimulatorConfig = SimulatorConfig()
    checks: ChecksConfig = ChecksConfig()
    drafts: DraftsConfig = field(default_factory=DraftsConfig)

    @property
    def kconfig_map(self) -> dict[str, bool | int | str]:
        return dict(self.kconfig)


def default_config_path() -> Path:
    """``config.toml`` of a source checkout, or the copy packaged into the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "config.toml", here / "_data" / "config.toml"):
        if candidate.is_file():
            return candidate
    raise ConfigError("reviewer: the default config.toml is missing from the installation")


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir("reviewer")) / "config.toml"


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _get(raw: dict[str, Any], section: str, key: str, kind: type | tuple[type, ...]) -> Any:
    value = raw.get(section, {}).get(key)
    if value is None:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"config: [{section}] {key} = {value!r} is not a {getattr(kind, '__name__', kind)}")
    return value


def _number(raw: dict[str, Any], section: str, key: str, default: float) -> float:
    """A float key where 0 is a value, not "unset"."""
    value = _get(raw, section, key, float)
    if value is not None and value < 0:
        raise ConfigError(f"config: [{section}] {key} = {value!r} is negative")
    return default if value is None else float(value)


def _paths(values: list[Any], section: str, key: str) -> tuple[Path, ...]:
    if not all(isinstance(v, str) for v in values):
        raise ConfigError(f"config: [{section}] {key} must be a list of paths")
    return tuple(Path(v).expanduser() for v in values)


def load_config(*extra: Path, include_user: bool = True) -> Config:
    """Defaults, then the user's ``~/.config/reviewer/config.toml``, then ``extra`` files in order."""
    raw = _read(default_config_path())
    user = user_config_path()
    if include_user and user.is_file():
        raw = _merge(raw, _read(user))
    for path in extra:
        raw = _merge(raw, _read(path))

    for section in ("lore", "cache", "tree", "kconfig", "simulator", "checks", "drafts"):
        if not isinstance(raw.get(section, {}), dict):
            raise ConfigError(f"config: [{section}] must be a table")

    cache_dir = _get(raw, "cache", "dir", str) or ""
    tree_path = _get(raw, "tree", "path", str) or ""
    orders = _get(raw, "simulator", "orders", list) or [0, 1, 2, 3]
    if not all(isinstance(o, int) and 0 <= o <= 10 for o in orders):
        raise ConfigError("config: [simulator] orders must be integers from 0 to 10")
    kconfig = raw.get("kconfig", {})
    for k, v in kconfig.items():
        if not isinstance(v, bool | int | str):
            raise ConfigError(f"config: [kconfig] {k} must be a bool, int or string")

    return Config(
        lore=LoreConfig(
            timeout=_get(raw, "lore", "timeout", float) or 30.0,
            search_versions=bool(_get(raw, "lore", "search_versions", bool)),
            attempts=max(1, _get(raw, "lore", "attempts", int) or 3),
            retry_delay=_number(raw, "lore", "retry_delay", 1.0),
            retry_budget=_get(raw, "lore", "retry_budget", float) or 60.0,
        ),
        cache=CacheConfig(Path(cache_dir).expanduser()) if cache_dir else CacheConfig(),
        tree=TreeConfig(
            path=Path(tree_path).expanduser() if tree_path else None,
            branch=_get(raw, "tree", "branch", str) or "HEAD",
            synthetic_fallback=_get(raw, "tree", "synthetic_fallback", bool) is True,
        ),
        kconfig=tuple(sorted(kconfig.items())),
        simulator=SimulatorConfig(
            enabled=_get(raw, "simulator", "enabled", bool) is not False,
            scenario_dirs=_paths(_get(raw, "simulator", "scenario_dirs", list) or [], "simulator", "scenario_dirs"),
            max_executions=_get(raw, "simulator", "max_executions", int) or 50_000,
            max_steps=_get(raw, "simulator", "max_steps", int) or 5_000,
            max_seconds=_get(raw, "simulator", "max_seconds", float) or 5.0,
            orders=tuple(orders),
        ),
        checks=ChecksConfig(
            dirs=_paths(_get(raw, "checks", "dirs", list) or [], "checks", "dirs"),
            disabled=tuple(_get(raw, "checks", "disabled", list) or []),
            options=tuple(sorted((check_id, tuple(sorted(table.items())))
                                 for check_id, table in raw.get("checks", {}).items()
                                 if isinstance(table, dict))),
        ),
        drafts=_drafts(raw),
    )


def _drafts(raw: dict[str, Any]) -> DraftsConfig:
    to = _get(raw, "drafts", "to", str) or "maildir"
    if to not in DRAFT_DESTINATIONS:
        raise ConfigError(f"config: [drafts] to = {to!r} is not one of {', '.join(DRAFT_DESTINATIONS)}")
    diagrams = _get(raw, "drafts", "diagrams", int)
    if diagrams is not None and diagrams < 0:
        raise ConfigError("config: [drafts] diagrams must be 0 or more")
    maildir = _get(raw, "drafts", "maildir", str) or ""
    mbox = _get(raw, "drafts", "mbox", str) or ""
    imap = raw.get("drafts", {}).get("imap", {})
    if not isinstance(imap, dict):
        raise ConfigError("config: [drafts.imap] must be a table")
    defaults = DraftsConfig()
    return DraftsConfig(
        to=to,
        sender=_get(raw, "drafts", "from", str) or "",
        maildir=Path(maildir).expanduser() if maildir else defaults.maildir,
        mbox=Path(mbox).expanduser() if mbox else defaults.mbox,
        diagrams=1 if diagrams is None else diagrams,
        imap=_imap({"drafts.imap": imap}),
    )


def _imap(raw: dict[str, Any]) -> ImapConfig:
    section = "drafts.imap"
    security = _get(raw, section, "security", str) or "tls"
    if security not in IMAP_SECURITY:
        raise ConfigError(f"config: [{section}] security = {security!r} is not one of {', '.join(IMAP_SECURITY)}")
    port = _get(raw, section, "port", int) or 0
    if not 0 <= port <= 65535:
        raise ConfigError(f"config: [{section}] port = {port} is not a TCP port")
    command = _get(raw, section, "password_cmd", (list, str)) or []
    if isinstance(command, str):
        # an argv written as one string: split like a shell would, but never run one
        command = shlex.split(command)
    if not all(isinstance(a, str) for a in command):
        raise ConfigError(f"config: [{section}] password_cmd must be a list of strings")
    ca_file = _get(raw, section, "ca_file", str) or ""
    return ImapConfig(
        host=_get(raw, section, "host", str) or "",
        port=port,
        security=security,
        user=_get(raw, section, "user", str) or "",
        password_env=_get(raw, section, "password_env", str) or "",
        password_cmd=tuple(command),
        folder=_get(raw, section, "folder", str) or "Drafts",
        ca_file=Path(ca_file).expanduser() if ca_file else None,
        timeout=_get(raw, section, "timeout", float) or 30.0,
    )
