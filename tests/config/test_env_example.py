"""Every setting read from the environment is listed in .env.example, the one place an operator
looks for what can be set (README "Configuration")."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# env("NAME", ...), env.int("NAME", ...), env.bool(...), env.db(...): config.env's reader.
ENV_READ = re.compile(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"')


def names_read_by_settings() -> dict[str, str]:
    names = {}
    for module in sorted((ROOT / "config").rglob("*.py")):
        for name in ENV_READ.findall(module.read_text()):
            names.setdefault(name, str(module.relative_to(ROOT)))
    return names


def test_every_environment_setting_is_listed_in_env_example():
    listed = set(
        re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    read = names_read_by_settings()

    assert {"ITEMS_DEFAULT_PAGE_SIZE", "ITEMS_MAX_PAGE_SIZE", "ITEMS_MAX_JSON_DEPTH"} <= set(read)
    assert {name: where for name, where in read.items() if name not in listed} == {}
