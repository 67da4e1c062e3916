"""Shared pytest set-up: each area registers its fixture plugin module here (one entry each)."""

pytest_plugins = [
    "_real_data",
    "_lore_server",
    "_thread_corpus",
    "_verdict_values",
    "_revision_threads",
    "_cli_env",
    "_dovecot",
    "_draft_values",
    "_fuzz_profiles",
    "_tui_env",
]
