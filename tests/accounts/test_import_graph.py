"""accounts is the ground floor: its modules import each other one way (no cycle, counting the
imports inside functions too), and it imports nothing from the feature apps or config."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FEATURE_APPS_AND_WIRING = ("items", "pipelines", "browser", "hello", "monitoring", "config")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _accounts_graph() -> dict[str, set[str]]:
    files = [path for path in (ROOT / "accounts").rglob("*.py") if "migrations" not in path.parts]
    modules = {_module_name(path): path for path in files}
    graph = {}
    for name, path in modules.items():
        edges = set()
        for imported in _imported_names(path):
            while imported and imported not in modules:  # `from accounts import apis` etc.
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                edges.add(imported)
        graph[name] = edges
    return graph


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting, done = [], set()

    def visit(module):
        if module in visiting:
            return [*visiting[visiting.index(module):], module]
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


def test_accounts_modules_import_each_other_without_a_cycle():
    graph = _accounts_graph()
    assert {"accounts.models", "accounts.selectors", "accounts.tokens"} <= set(graph)

    assert _a_cycle(graph) is None


def test_the_cycle_finder_finds_one():
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_accounts_imports_no_feature_app_nor_config():
    imports = {(path.relative_to(ROOT).as_posix(), name)
               for path in (ROOT / "accounts").rglob("*.py")
               for name in _imported_names(path)
               if name.split(".")[0] in FEATURE_APPS_AND_WIRING}

    assert imports == set()
