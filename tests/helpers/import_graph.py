"""The project's import graph read from the source (ast), counting imports inside functions
too: what the architecture tests check for cycles and for imports going the wrong way."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = (
    "accounts",
    "api",
    "browser",
    "config",
    "hello",
    "infra",
    "items",
    "monitoring",
    "pipelines",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def source_files(*packages: str) -> list[Path]:
    return [
        path
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]


def import_graph(*packages: str) -> dict[str, set[str]]:
    """Module → the project modules it imports (`from accounts import apis` → accounts.apis)."""
    modules = {module_name(path): path for path in source_files(*packages)}
    graph = {}
    for name, path in modules.items():
        edges = set()
        for imported in imported_names(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                edges.add(imported)
        graph[name] = edges
    return graph


def a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting, done = [], set()

    def visit(module):
        if module in visiting:
            return [*visiting[visiting.index(module) :], module]
        if module in done:
            return None
        visiting.append(module)
        for imported in sorted(graph[module]):
            cycle = visit(imported)
            if cycle:
                return cycle
        visiting.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def app_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The module graph folded to apps: app → the other apps its modules import."""
    apps: dict[str, set[str]] = {}
    for module, imported in graph.items():
        app = module.split(".")[0]
        apps.setdefault(app, set()).update(
            name.split(".")[0] for name in imported if name.split(".")[0] != app
        )
    return apps
