"""Configuration: the documented defaults in ``config.toml``, overlaid by the user's files.

Loaded once by the CLI and passed down; no stage reads a global.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class CacheConfig:
    dir: Path = field(default_factory=lambda: Path(platformdirs.user_cache_dir("reviewer")))


@dataclass(frozen=True, slots=True)
class TreeConfig:
    path: Path | None = None
    branch: str = "HEAD"


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

    for section in ("lore", "cache", "tree", "kconfig", "simulator", "checks"):
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
        ),
        cache=CacheConfig(Path(cache_dir).expanduser()) if cache_dir else CacheConfig(),
        tree=TreeConfig(
            path=Path(tree_path).expanduser() if tree_path else None,
            branch=_get(raw, "tree", "branch", str) or "HEAD",
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
        ),
    )
