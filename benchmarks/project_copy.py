"""A copy of the project as a clean clone has it, for commands that build from it (zappa
package/deploy) without touching the checkout. Shared by benchmarks and tests."""

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a clean clone does not have: never copied, never packaged.
NOT_SOURCE = (
    ".git",
    ".venv",
    ".venv-*",
    "var",
    "dist",
    "staticfiles",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".zappa",
    "*.egg-info",
)


def project_copy_to(destination: Path) -> Path:
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*NOT_SOURCE), symlinks=True)
    return destination
