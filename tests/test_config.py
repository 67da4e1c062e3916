"""config.toml defaults, user overrides and their errors."""

from pathlib import Path

import pytest

from reviewer._config import default_config_path, load_config
from reviewer._errors import ConfigError


def test_defaults_match_the_documented_file() -> None:
    cfg = load_config(include_user=False)
    assert default_config_path().name == "config.toml"
    assert cfg.kconfig_map["CONFIG_MEMCG"] is True
    assert cfg.kconfig_map["CONFIG_DEBUG_VM"] is False
    assert cfg.tree.path is None
    assert cfg.simulator.orders == (0, 1, 2, 3)


def test_simulator_budgets_are_bounded_and_the_file_matches_the_code() -> None:
    """Every cell ends: the documented budgets are the code's defaults, and finite."""
    from reviewer._config import SimulatorConfig

    sim = load_config(include_user=False).simulator
    default = SimulatorConfig()
    assert (sim.max_executions, sim.max_steps, sim.max_seconds) == (
        default.max_executions, default.max_steps, default.max_seconds)
    assert 0 < sim.max_seconds <= 10 and 0 < sim.max_executions <= 100_000 and 0 < sim.max_steps <= 10_000


def test_later_files_override_key_by_key(tmp_path: Path) -> None:
    over = tmp_path / "over.toml"
    over.write_text('[tree]\npath = "/src/linux"\n[kconfig]\nCONFIG_DEBUG_VM = true\n')
    cfg = load_config(over, include_user=False)
    assert cfg.tree.path == Path("/src/linux")
    assert cfg.tree.branch == "HEAD"
    assert cfg.kconfig_map["CONFIG_DEBUG_VM"] is True
    assert cfg.kconfig_map["CONFIG_MEMCG"] is True


def test_bad_value_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulator]\nmax_executions = \"many\"\n")
    with pytest.raises(ConfigError, match=r"\[simulator\] max_executions"):
        load_config(bad, include_user=False)


def test_unparsable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[tree\n")
    with pytest.raises(ConfigError, match="broken.toml"):
        load_config(bad, include_user=False)


def test_user_config_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "reviewer").mkdir()
    (tmp_path / "reviewer" / "config.toml").write_text('[checks]\ndisabled = ["checkpatch"]\n')
    assert load_config().checks.disabled == ("checkpatch",)
