"""Which installed distributions run on Lambda: the closure of the project's `dependencies`
(pyproject.toml) over the requirements each installed distribution declares. Everything
else in the active virtualenv (pytest, moto, cfn-lint, sympy, ...) is a development tool,
whatever virtualenv Zappa packages: the zip callback's exclude list names them."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _packaging():
    try:
        import packaging
        import packaging.requirements
    except ImportError:  # a virtualenv with only the runtime set: pip's copy is the same code
        from pip._vendor import packaging
    import importlib

    return importlib.import_module(f"{packaging.__name__}.requirements")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> list[str]:
    """pyproject's dependencies, and those installed without theirs (requirements/no-deps.txt:
    pyppeteer, whose declared caps we override; docs/dependencies.md)."""
    no_deps = pyproject.parent / "requirements" / "no-deps.txt"
    lines = no_deps.read_text().splitlines() if no_deps.exists() else []
    pinned = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return tomllib.loads(pyproject.read_text())["project"]["dependencies"] + pinned


def runtime_distributions(requirements: list[str]) -> set[str]:
    """Normalized names of the installed distributions the requirements pull in."""
    requirement_type = _packaging().Requirement
    found: set[str] = set()
    pending = [(requirement_type(text), "") for text in requirements]
    while pending:
        requirement, extra = pending.pop()
        distribution, key = _unvisited_distribution(requirement, extra, found)
        if distribution is None:
            continue
        found.update({normalized(requirement.name), key})
        extras = sorted(requirement.extras) or [""]
        pending += [
            (requirement_type(text), wanted)
            for text in distribution.requires or []
            for wanted in extras
        ]
    return {name for name in found if "[" not in name}


def _unvisited_distribution(requirement, extra: str, found: set[str]):
    """(the installed distribution, its key with extras); no distribution when the marker
    leaves the requirement out for `extra`, it is not installed, or it was visited."""
    if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
        return None, ""
    name = normalized(requirement.name)
    key = f"{name}[{','.join(sorted(requirement.extras))}]"
    if key in found:
        return None, key
    try:
        return metadata.distribution(name), key
    except metadata.PackageNotFoundError:
        return None, key


def distribution_paths(distribution) -> set[str]:
    """The top-level names a distribution installs into site-packages (packages, modules,
    its .dist-info folder)."""
    names = set()
    for file in distribution.files or []:
        first = file.parts[0] if file.parts else ""
        if first and first not in ("..", "__pycache__") and not first.endswith(".pth"):
            names.add(first)  # `six.py` as a file name: Zappa's patterns match file names
    return names


def development_only_names(requirements: list[str] | None = None) -> list[str]:
    """Top-level names of site-packages that belong only to development distributions: for
    Zappa's `exclude` (which matches names at every depth, so a name any runtime
    distribution or the project also uses is never listed)."""
    runtime = runtime_distributions(requirements or runtime_requirements())
    keep: set[str] = {path.name for path in PROJECT_ROOT.iterdir()}
    drop: set[str] = set()
    for distribution in metadata.distributions():
        name = normalized(distribution.metadata["Name"] or "")
        (keep if name in runtime else drop).update(distribution_paths(distribution))
    return sorted(drop - keep)
